//! The IMAP protocol layer: tagged commands, responses with literals,
//! LITERAL+ appends; every wait bounded in time and every read bounded in
//! size, so a slow, silent or hostile server cannot hang or exhaust us.
//!
//! Why our own and not async-imap: async-imap 0.12 (with imap-proto 0.17)
//! cannot parse a NAMESPACE response (the stream errors out), discards the
//! server's text on a refused APPEND (`NO [TRYCREATE]`, quota) and its
//! APPENDUID, always waits for a continuation before a literal (no
//! LITERAL+), and bounds no command in time. Each of those is something
//! this crate must do.

use std::fmt;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// The longest response line we accept (a long LIST line is a few KiB).
pub(crate) const MAX_LINE: usize = 256 * 1024;
/// The largest literal we accept in a response (we never fetch bodies).
pub(crate) const MAX_LITERAL: usize = 1024 * 1024;

/// A byte stream: plain TCP before STARTTLS, TLS after.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// What went wrong below the IMAP semantics.
#[derive(Debug)]
pub(crate) enum ConnError {
    /// The server did not answer in time.
    Timeout,
    /// The connection closed or broke.
    Io(io::Error),
    /// The server sent something that is not IMAP, or too much of it.
    Protocol(String),
}

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnError::Timeout => f.write_str("no answer in time"),
            ConnError::Io(e) => write!(f, "{e}"),
            ConnError::Protocol(p) => f.write_str(p),
        }
    }
}

impl From<io::Error> for ConnError {
    fn from(e: io::Error) -> Self {
        ConnError::Io(e)
    }
}

/// The final status of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    No,
    Bad,
}

/// A command's answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// Untagged lines (`* ...`), literals inlined, without the final CRLF.
    pub(crate) untagged: Vec<Vec<u8>>,
    pub(crate) status: Status,
    /// The response code, without brackets (`TRYCREATE`, `APPENDUID 38505 3955`).
    pub(crate) code: Option<String>,
    /// The human-readable text after the code.
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// Whether its response code is `code` (`TRYCREATE`, `ALREADYEXISTS`;
    /// the code's first word, case-insensitive).
    pub(crate) fn has_code(&self, code: &str) -> bool {
        self.code
            .as_deref()
            .and_then(|c| c.split_whitespace().next())
            .is_some_and(|c| c.eq_ignore_ascii_case(code))
    }

    /// `NO [CODE] text` as one string for messages.
    pub(crate) fn describe(&self) -> String {
        let status = match self.status {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
        };
        match &self.code {
            Some(code) => format!("{status} [{code}] {}", self.text),
            None => format!("{status} {}", self.text),
        }
    }
}

pub(crate) struct Conn {
    io: BufReader<Box<dyn Io>>,
    tag: u32,
    /// Each command's bound, before what it uploads.
    pub(crate) timeout: Duration,
    /// The slowest upload accepted, in bytes per second: a command that
    /// carries a message gets `timeout` plus its size at this rate.
    pub(crate) min_throughput: u32,
    /// The bound the last command had (for its failure's message).
    pub(crate) last_limit: Duration,
}

impl Conn {
    pub(crate) fn new(io: Box<dyn Io>, timeout: Duration) -> Conn {
        Conn {
            io: BufReader::with_capacity(16 * 1024, io),
            tag: 0,
            timeout,
            min_throughput: u32::MAX,
            last_limit: timeout,
        }
    }

    /// The same, giving commands that upload `min_throughput` bytes per
    /// second on top of their bound.
    pub(crate) fn with_min_throughput(mut self, min_throughput: u32) -> Conn {
        self.min_throughput = min_throughput.max(1);
        self
    }

    /// The bound of a command that uploads `bytes`: the floor plus the
    /// upload at the slowest rate accepted.
    fn limit_for(&mut self, bytes: usize) -> Duration {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let upload =
            Duration::from_millis(bytes.saturating_mul(1000) / u64::from(self.min_throughput));
        self.last_limit = self.timeout.saturating_add(upload);
        self.last_limit
    }

    /// The stream, for a STARTTLS upgrade. Anything the server sent after
    /// its STARTTLS answer is dropped, as RFC 3501 requires.
    pub(crate) fn into_io(self) -> Box<dyn Io> {
        self.io.into_inner()
    }

    /// Reads one logical response line within `limit`.
    pub(crate) async fn read_response(&mut self, limit: Duration) -> Result<Vec<u8>, ConnError> {
        tokio::time::timeout(limit, self.read_logical_line())
            .await
            .map_err(|_| ConnError::Timeout)?
    }

    async fn read_line(&mut self) -> Result<Vec<u8>, ConnError> {
        let mut line = Vec::new();
        loop {
            let available = self.io.fill_buf().await?;
            if available.is_empty() {
                return Err(ConnError::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                )));
            }
            if let Some(pos) = available.iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&available[..pos]);
                self.io.consume(pos + 1);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            let n = available.len();
            line.extend_from_slice(available);
            self.io.consume(n);
            if line.len() > MAX_LINE {
                return Err(ConnError::Protocol(format!(
                    "a response line longer than {MAX_LINE} bytes"
                )));
            }
        }
    }

    async fn read_logical_line(&mut self) -> Result<Vec<u8>, ConnError> {
        let mut line = self.read_line().await?;
        while let Some(size) = literal_size(&line) {
            if size > MAX_LITERAL {
                return Err(ConnError::Protocol(format!(
                    "a literal of {size} bytes, more than the {MAX_LITERAL} accepted"
                )));
            }
            let start = line.len();
            line.extend_from_slice(b"\r\n");
            line.resize(start + 2 + size, 0);
            self.io.read_exact(&mut line[start + 2..]).await?;
            let rest = self.read_line().await?;
            line.extend_from_slice(&rest);
            if line.len() > MAX_LINE + MAX_LITERAL {
                return Err(ConnError::Protocol("a response too large".to_string()));
            }
        }
        Ok(line)
    }

    fn next_tag(&mut self) -> String {
        self.tag += 1;
        format!("c{}", self.tag)
    }

    /// Sends `command` and reads until its tagged answer, within the
    /// command time bound.
    pub(crate) async fn command(&mut self, command: &str) -> Result<Reply, ConnError> {
        let tag = self.next_tag();
        let limit = self.limit_for(0);
        tokio::time::timeout(limit, async {
            let io = self.io.get_mut();
            io.write_all(format!("{tag} {command}\r\n").as_bytes())
                .await?;
            io.flush().await?;
            self.collect(&tag).await
        })
        .await
        .map_err(|_| ConnError::Timeout)?
    }

    /// `APPEND` with the message as a literal: non-synchronizing (LITERAL+,
    /// one round trip) when the server offers it, otherwise waiting for the
    /// server's go-ahead first.
    pub(crate) async fn append(
        &mut self,
        head: &str,
        message: &[u8],
        literal_plus: bool,
    ) -> Result<Reply, ConnError> {
        let tag = self.next_tag();
        let limit = self.limit_for(message.len());
        tokio::time::timeout(limit, async {
            if literal_plus {
                let mut out = Vec::with_capacity(head.len() + message.len() + 32);
                out.extend_from_slice(
                    format!("{tag} {head} {{{}+}}\r\n", message.len()).as_bytes(),
                );
                out.extend_from_slice(message);
                out.extend_from_slice(b"\r\n");
                let io = self.io.get_mut();
                io.write_all(&out).await?;
                io.flush().await?;
                return self.collect(&tag).await;
            }
            let io = self.io.get_mut();
            io.write_all(format!("{tag} {head} {{{}}}\r\n", message.len()).as_bytes())
                .await?;
            io.flush().await?;
            loop {
                let line = self.read_logical_line().await?;
                if line.starts_with(b"+") {
                    break;
                }
                if line.starts_with(format!("{tag} ").as_bytes()) {
                    return Ok(parse_tagged(&tag, &line, Vec::new()));
                }
            }
            let io = self.io.get_mut();
            io.write_all(message).await?;
            io.write_all(b"\r\n").await?;
            io.flush().await?;
            self.collect(&tag).await
        })
        .await
        .map_err(|_| ConnError::Timeout)?
    }

    /// Sends `body` (a whole command whose literals are all LITERAL+) in one
    /// write, after a fresh tag, and reads until its tagged answer.
    pub(crate) async fn command_bytes(&mut self, body: &[u8]) -> Result<Reply, ConnError> {
        let tag = self.next_tag();
        let limit = self.limit_for(body.len());
        tokio::time::timeout(limit, async {
            let mut out = Vec::with_capacity(tag.len() + body.len() + 3);
            out.extend_from_slice(tag.as_bytes());
            out.push(b' ');
            out.extend_from_slice(body);
            out.extend_from_slice(b"\r\n");
            let io = self.io.get_mut();
            io.write_all(&out).await?;
            io.flush().await?;
            self.collect(&tag).await
        })
        .await
        .map_err(|_| ConnError::Timeout)?
    }

    async fn collect(&mut self, tag: &str) -> Result<Reply, ConnError> {
        let mut untagged = Vec::new();
        let prefix = format!("{tag} ");
        loop {
            let line = self.read_logical_line().await?;
            if line.starts_with(prefix.as_bytes()) {
                return Ok(parse_tagged(tag, &line, untagged));
            }
            if line.starts_with(b"* BYE") {
                return Err(ConnError::Io(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    format!("the server said {}", String::from_utf8_lossy(&line[2..])),
                )));
            }
            if line.starts_with(b"+") {
                return Err(ConnError::Protocol(
                    "an unexpected continuation request".to_string(),
                ));
            }
            if untagged.len() > 1_000_000 {
                return Err(ConnError::Protocol(
                    "more than a million response lines".to_string(),
                ));
            }
            untagged.push(line);
        }
    }
}

/// `{12}` or `{12+}` at the end of a line.
pub(crate) fn literal_size(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Splits `OK [CODE] text` (after a tag or `* `) into its parts.
pub(crate) fn parse_status(rest: &str) -> (Status, Option<String>, String) {
    let (word, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = match word.to_ascii_uppercase().as_str() {
        "OK" | "PREAUTH" => Status::Ok,
        "NO" => Status::No,
        _ => Status::Bad,
    };
    if let Some(after) = rest.strip_prefix('[')
        && let Some(end) = after.find(']')
    {
        return (
            status,
            Some(after[..end].to_string()),
            after[end + 1..].trim().to_string(),
        );
    }
    (status, None, rest.trim().to_string())
}

fn parse_tagged(tag: &str, line: &[u8], untagged: Vec<Vec<u8>>) -> Reply {
    let text = String::from_utf8_lossy(&line[tag.len() + 1..]).into_owned();
    let (status, code, text) = parse_status(&text);
    Reply {
        untagged,
        status,
        code,
        text,
    }
}

/// Quotes a string for a command (`"INBOX.Sent"`); `None` when it holds a
/// character no quoted string may (CR, LF, NUL).
pub(crate) fn quote(s: &str) -> Option<String> {
    if s.contains(['\r', '\n', '\0']) {
        return None;
    }
    Some(format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_sizes() {
        assert_eq!(literal_size(b"* LIST () \"/\" {12}"), Some(12));
        assert_eq!(literal_size(b"* LIST () \"/\" {3+}"), Some(3));
        assert_eq!(literal_size(b"* OK {not}"), None);
        assert_eq!(literal_size(b"* OK {}"), None);
        assert_eq!(literal_size(b"* OK {99999999999999999}"), None);
    }

    #[test]
    fn statuses_and_codes() {
        assert_eq!(
            parse_status("NO [TRYCREATE] Mailbox doesn't exist: Sent"),
            (
                Status::No,
                Some("TRYCREATE".into()),
                "Mailbox doesn't exist: Sent".into()
            )
        );
        assert_eq!(
            parse_status("OK [APPENDUID 38505 3955] APPEND completed")
                .1
                .as_deref(),
            Some("APPENDUID 38505 3955")
        );
        assert_eq!(parse_status("BAD what").0, Status::Bad);
        assert_eq!(
            quote("INBOX.\"Sent\\"),
            Some("\"INBOX.\\\"Sent\\\\\"".to_string())
        );
        assert_eq!(quote("a\r\nb"), None);
    }

    #[tokio::test]
    async fn responses_are_bounded() {
        let (client, mut server) = tokio::io::duplex(4096);
        let mut conn = Conn::new(Box::new(client), Duration::from_secs(5));
        tokio::spawn(async move {
            server
                .write_all(b"* OK hello {99999999}\r\n")
                .await
                .unwrap();
        });
        let err = conn
            .read_response(Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("literal"), "{err}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let (client, _server) = tokio::io::duplex(64);
        let mut conn = Conn::new(Box::new(client), Duration::from_millis(50));
        assert!(matches!(
            conn.command("NOOP").await,
            Err(ConnError::Timeout)
        ));
    }
}
