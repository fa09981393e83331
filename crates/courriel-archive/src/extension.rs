//! What the archive needs of IMAP beyond async-imap's typed commands,
//! built on its public API (`run_command`, `read_response`, the inner
//! stream); async-imap carries the session, tags the commands and parses
//! every response it can. Each piece is small:
//!
//! - [`exchange`]: a command and its tagged answer with the server's
//!   status, response code and words, each untagged response handed to the
//!   caller as it is parsed. The typed commands keep too little for some
//!   commands: `uid_search` reads a `NO` (and a connection lost mid-answer)
//!   as "no message", `create` drops `[ALREADYEXISTS]` and `[USEATTR]`, and
//!   `list` cannot ask for `RETURN (SPECIAL-USE)`.
//! - [`append`]: APPEND with its literals written on the inner stream:
//!   LITERAL+ MULTIAPPEND in one write, or one copy after the server's
//!   go-ahead; the tagged answer read until its tag, so `APPENDUID`,
//!   `TRYCREATE` and `OVERQUOTA` are known (async-imap's `append` returns
//!   nothing and turns a `NO` before the go-ahead into a bare error).
//! - [`namespace`]: NAMESPACE sent and read on the inner stream, because
//!   imap-proto cannot parse its answer and an unparsable answer ends
//!   async-imap's stream for good.
//! - [`words`]: the server's words out of async-imap's refusal errors.

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

use async_imap::imap_proto::rfc4315::UidSetMember;
use async_imap::imap_proto::{Outcome, RequestId, Response, ResponseCode, Status as Proto};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::folders::{Namespaces, parse_namespace_line};
use crate::guard::{Guarded, Oversized, literal_size};

/// A logged-in async-imap session over the guarded stream.
pub(crate) type Imap = async_imap::Session<Guarded>;

/// The most untagged responses one command may bring.
const MAX_UNTAGGED: usize = 1_000_000;

/// What went wrong below IMAP's semantics; the session cannot be used
/// again after any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Trouble {
    /// No answer in time.
    Timeout,
    /// The connection closed or broke.
    Lost(String),
    /// The server sent something that is not IMAP, or too much of it.
    Unexpected(String),
}

impl fmt::Display for Trouble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trouble::Timeout => f.write_str("no answer in time"),
            Trouble::Lost(detail) | Trouble::Unexpected(detail) => f.write_str(detail),
        }
    }
}

impl From<io::Error> for Trouble {
    fn from(e: io::Error) -> Self {
        if let Some(reason) = Oversized::of(&e) {
            return Trouble::Unexpected(reason.to_string());
        }
        // async-imap's words for a response imap-proto could not parse.
        let text = e.to_string();
        if e.kind() == io::ErrorKind::Other
            && let Some((_, what)) = text.split_once(" during parsing of ")
        {
            let shown: String = what.chars().take(200).collect();
            return Trouble::Unexpected(format!("an answer that is not IMAP: {shown}"));
        }
        Trouble::Lost(courriel_net::describe_io(&e))
    }
}

impl From<async_imap::error::Error> for Trouble {
    fn from(e: async_imap::error::Error) -> Self {
        use async_imap::error::Error;
        match e {
            Error::Io(e) => e.into(),
            Error::ConnectionLost => Trouble::Lost("the server closed the connection".into()),
            Error::No(text) => Trouble::Unexpected(words("NO", &text)),
            Error::Bad(text) => Trouble::Unexpected(words("BAD", &text)),
            other => Trouble::Unexpected(other.to_string()),
        }
    }
}

/// Runs `call` within `limit`.
pub(crate) async fn bounded<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, Trouble>>,
) -> Result<T, Trouble> {
    tokio::time::timeout(limit, call)
        .await
        .unwrap_or(Err(Trouble::Timeout))
}

/// A typed command's result: its value, or the server's words when it
/// refused (`NO`, `BAD`); anything else is [`Trouble`].
pub(crate) fn typed<T>(result: async_imap::error::Result<T>) -> Result<Result<T, String>, Trouble> {
    result.map_or_else(|e| refusal(e).map(Err), |value| Ok(Ok(value)))
}

/// The server's words when `e` is a refusal (`NO`, `BAD`); otherwise the
/// [`Trouble`] it is.
pub(crate) fn refusal(e: async_imap::error::Error) -> Result<String, Trouble> {
    use async_imap::error::Error;
    match e {
        Error::No(text) => Ok(words("NO", &text)),
        Error::Bad(text) => Ok(words("BAD", &text)),
        e => Err(e.into()),
    }
}

/// The final status of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    No,
    Bad,
}

/// A command's tagged answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
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

    /// `APPENDUID` (UIDVALIDITY, UID) of a single copy.
    pub(crate) fn append_uid(&self) -> Option<(u32, u32)> {
        let mut words = self.code.as_deref()?.split_whitespace();
        (words.next()? == "APPENDUID").then_some(())?;
        Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
    }

    fn from_outcome(status: &Proto, outcome: &Outcome<'_>) -> Reply {
        let status = match status {
            Proto::Ok | Proto::PreAuth => Status::Ok,
            Proto::No => Status::No,
            _ => Status::Bad,
        };
        let info = outcome.information.as_deref().unwrap_or("").trim();
        let (code, text) = match &outcome.code {
            Some(code) => (Some(code_text(code)), info.to_string()),
            // Codes imap-proto does not know (ALREADYEXISTS, OVERQUOTA,
            // USEATTR...) stay at the start of the text.
            None => match info.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
                Some((code, text)) => (Some(code.to_string()), text.trim().to_string()),
                None => (None, info.to_string()),
            },
        };
        Reply { status, code, text }
    }
}

/// A response code as the server wrote it.
fn code_text(code: &ResponseCode<'_>) -> String {
    let uids = |set: &[UidSetMember]| {
        set.iter()
            .map(|m| match m {
                UidSetMember::Uid(uid) => uid.to_string(),
                UidSetMember::UidRange(r) => format!("{}:{}", r.start(), r.end()),
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    match code {
        ResponseCode::TryCreate => "TRYCREATE".into(),
        ResponseCode::AppendUid(validity, set) => format!("APPENDUID {validity} {}", uids(set)),
        ResponseCode::Alert => "ALERT".into(),
        ResponseCode::Parse => "PARSE".into(),
        ResponseCode::ReadOnly => "READ-ONLY".into(),
        ResponseCode::ReadWrite => "READ-WRITE".into(),
        ResponseCode::UidValidity(n) => format!("UIDVALIDITY {n}"),
        ResponseCode::UidNext(n) => format!("UIDNEXT {n}"),
        other => format!("{other:?}").to_ascii_uppercase(),
    }
}

/// What the server sent before the tagged answer.
enum Step {
    Untagged,
    Continue,
    Done(Reply),
    Other,
}

/// Reads until the tagged answer to `id`, handing each untagged response
/// to `each`. With `go_ahead`, a continuation request ends the read
/// (`Ok(None)`); otherwise it is unexpected.
async fn collect(
    imap: &mut Imap,
    id: &RequestId,
    go_ahead: bool,
    each: &mut (dyn FnMut(&Response<'_>) + Send),
) -> Result<Option<Reply>, Trouble> {
    let mut untagged = 0;
    loop {
        let Some(response) = imap.read_response().await? else {
            return Err(Trouble::Lost("the server closed the connection".into()));
        };
        let step = match response.parsed() {
            Response::Done {
                tag,
                status,
                outcome,
            } if tag == id => Step::Done(Reply::from_outcome(status, outcome)),
            // Another command's answer: none is in flight.
            Response::Done { .. } => Step::Other,
            Response::Continue(_) => Step::Continue,
            Response::Data {
                status: Proto::Bye,
                outcome,
            } => {
                return Err(Trouble::Lost(format!(
                    "the server said BYE {}",
                    outcome.information.as_deref().unwrap_or("")
                )));
            }
            parsed => {
                each(parsed);
                Step::Untagged
            }
        };
        match step {
            Step::Done(reply) => return Ok(Some(reply)),
            Step::Continue if go_ahead => return Ok(None),
            Step::Continue => {
                return Err(Trouble::Unexpected(
                    "an unexpected continuation request".into(),
                ));
            }
            Step::Untagged => {
                untagged += 1;
                if untagged > MAX_UNTAGGED {
                    return Err(Trouble::Unexpected(format!(
                        "more than {MAX_UNTAGGED} response lines"
                    )));
                }
            }
            Step::Other => {}
        }
    }
}

/// Sends `command` and reads until its tagged answer, handing each
/// untagged response to `each`.
pub(crate) async fn exchange(
    imap: &mut Imap,
    command: &str,
    each: &mut (dyn FnMut(&Response<'_>) + Send),
) -> Result<Reply, Trouble> {
    let id = imap.run_command(command).await?;
    collect(imap, &id, false, each)
        .await?
        .ok_or_else(|| Trouble::Unexpected("an unexpected continuation request".into()))
}

/// One copy of an APPEND: its flags and date (`(\Seen) "29-Nov-2026
/// 12:00:00 +0000"`) and its exact bytes.
pub(crate) struct Literal<'a> {
    pub(crate) attributes: String,
    pub(crate) message: &'a [u8],
}

/// `APPEND mailbox` with `copies`: with `literal_plus`, every copy a
/// non-synchronizing literal, the command in two writes (its first line,
/// then the rest); otherwise a single copy sent after the server's
/// go-ahead. The tagged answer, whatever it says.
pub(crate) async fn append(
    imap: &mut Imap,
    mailbox: &str,
    copies: &[Literal<'_>],
    literal_plus: bool,
) -> Result<Reply, Trouble> {
    let Some((first, rest)) = copies.split_first() else {
        return Err(Trouble::Unexpected("an APPEND without a copy".into()));
    };
    assert!(
        literal_plus || rest.is_empty(),
        "one copy per synchronizing APPEND"
    );
    let plus = if literal_plus { "+" } else { "" };
    let id = imap
        .run_command(format!(
            "APPEND {mailbox} {} {{{}{plus}}}",
            first.attributes,
            first.message.len()
        ))
        .await?;
    if !literal_plus && let Some(reply) = collect(imap, &id, true, &mut |_| {}).await? {
        // Refused before the go-ahead (`NO [TRYCREATE]`, quota).
        return Ok(reply);
    }
    let size: usize = copies.iter().map(|c| c.message.len() + 64).sum();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(first.message);
    for copy in rest {
        out.extend_from_slice(
            format!(" {} {{{}+}}\r\n", copy.attributes, copy.message.len()).as_bytes(),
        );
        out.extend_from_slice(copy.message);
    }
    out.extend_from_slice(b"\r\n");
    let io = imap.get_mut();
    io.write_all(&out).await?;
    io.flush().await?;
    collect(imap, &id, false, &mut |_| {})
        .await?
        .ok_or_else(|| Trouble::Unexpected("an unexpected continuation request".into()))
}

/// NAMESPACE (RFC 2342) with our own `tag`, sent and read on the inner
/// stream between two commands of async-imap, before any mailbox is
/// selected (so no unsolicited response is due), because imap-proto
/// cannot parse its answer. `None` when the server sent no namespace it
/// could parse.
pub(crate) async fn namespace(imap: &mut Imap, tag: &str) -> Result<Option<Namespaces>, Trouble> {
    let mut found = None;
    raw_exchange(imap.get_mut(), tag, "NAMESPACE", &mut |line| {
        if found.is_none() {
            found = parse_namespace_line(line);
        }
    })
    .await?;
    Ok(found)
}

/// CAPABILITY before login, with our own `tag`, on the inner stream of a
/// client async-imap has not used yet (async-imap asks for capabilities
/// only once logged in): the words, upper case.
pub(crate) async fn capability(io: &mut Guarded, tag: &str) -> Result<Vec<String>, Trouble> {
    let mut words = Vec::new();
    raw_exchange(io, tag, "CAPABILITY", &mut |line| {
        if let Some(rest) = line.strip_prefix(b"* CAPABILITY ") {
            words.extend(
                String::from_utf8_lossy(rest)
                    .split_ascii_whitespace()
                    .map(str::to_ascii_uppercase),
            );
        }
    })
    .await?;
    Ok(words)
}

/// `command` with our own `tag`, written and read on the inner stream a
/// byte at a time, so nothing after its tagged answer is taken from
/// async-imap; each untagged line goes to `each`. A `NO` or `BAD` answer
/// is taken as an answer without what was asked.
async fn raw_exchange(
    io: &mut Guarded,
    tag: &str,
    command: &str,
    each: &mut (dyn FnMut(&[u8]) + Send),
) -> Result<(), Trouble> {
    io.write_all(format!("{tag} {command}\r\n").as_bytes())
        .await?;
    io.flush().await?;
    let prefix = format!("{tag} ");
    for _ in 0..=MAX_UNTAGGED {
        let line = read_response(io).await?;
        if line.starts_with(prefix.as_bytes()) {
            return Ok(());
        }
        if line.starts_with(b"* BYE") {
            return Err(Trouble::Lost(format!(
                "the server said {}",
                String::from_utf8_lossy(&line[2..])
            )));
        }
        if line.starts_with(b"+") {
            return Err(Trouble::Unexpected(
                "an unexpected continuation request".into(),
            ));
        }
        each(&line);
    }
    Err(Trouble::Unexpected(format!(
        "more than {MAX_UNTAGGED} response lines"
    )))
}

/// One response (literals inlined) from `io`, without its final CRLF,
/// taking no byte beyond it. Its size is bounded by the guard: a line or a
/// literal too long fails the read that brings it.
async fn read_response(io: &mut Guarded) -> Result<Vec<u8>, Trouble> {
    let mut response = read_line(io).await?;
    while let Some(size) = literal_size(&response) {
        let start = response.len();
        response.extend_from_slice(b"\r\n");
        response.resize(start + 2 + size, 0);
        io.read_exact(&mut response[start + 2..]).await?;
        let rest = read_line(io).await?;
        response.extend_from_slice(&rest);
    }
    Ok(response)
}

async fn read_line(io: &mut Guarded) -> Result<Vec<u8>, Trouble> {
    let mut line = Vec::new();
    loop {
        let byte = io.read_u8().await?;
        if byte == b'\n' {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(line);
        }
        line.push(byte);
    }
}

/// The server's words in one of async-imap's refusal errors, whose text
/// is its debug form of the answer (`code: Some(TryCreate), info:
/// Some("Mailbox doesn't exist")`, or `outcome: Outcome { code: None,
/// information: Some("...") }`): `NO [TRYCREATE] Mailbox doesn't exist`.
/// The text as it is when it has neither form.
pub(crate) fn words(status: &str, error: &str) -> String {
    let info = ["info: Some(\"", "information: Some(\""]
        .iter()
        .find_map(|key| error.split_once(key))
        .map(|(_, rest)| unescape_debug(rest));
    let code = error
        .split_once("code: Some(")
        .map(|(_, rest)| {
            rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .next()
                .unwrap_or("")
                .to_ascii_uppercase()
        })
        .filter(|c| !c.is_empty());
    match (code, info) {
        (Some(code), Some(info)) => format!("{status} [{code}] {info}"),
        (Some(code), None) => format!("{status} [{code}]"),
        (None, Some(info)) => format!("{status} {info}"),
        (None, None) if error.contains("info: None") || error.contains("information: None") => {
            status.to_string()
        }
        (None, None) => format!("{status} {error}"),
    }
}

/// A Rust debug string's content up to its closing quote, unescaped.
fn unescape_debug(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
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
    use async_imap::imap_proto::MailboxDatum;
    use tokio::io::{AsyncBufReadExt, BufReader, DuplexStream};

    use super::*;

    /// A session over an in-memory stream and the server's end of it.
    async fn session() -> (Imap, BufReader<DuplexStream>) {
        let (client, server) = tokio::io::duplex(1 << 20);
        let mut server = BufReader::new(server);
        let client = async_imap::Client::new(Guarded::new(Box::new(client)));
        let login = client.login("u", "p");
        let answer = async {
            let mut line = String::new();
            server.read_line(&mut line).await.unwrap();
            let tag = line.split(' ').next().unwrap().to_string();
            server
                .get_mut()
                .write_all(format!("{tag} OK in\r\n").as_bytes())
                .await
                .unwrap();
        };
        let (session, ()) = tokio::join!(login, answer);
        (session.map_err(|(e, _)| e).unwrap(), server)
    }

    async fn heard(server: &mut BufReader<DuplexStream>) -> (String, String) {
        let mut line = String::new();
        server.read_line(&mut line).await.unwrap();
        let (tag, command) = line.trim_end().split_once(' ').unwrap();
        (tag.to_string(), command.to_string())
    }

    async fn say(server: &mut BufReader<DuplexStream>, text: &str) {
        server.get_mut().write_all(text.as_bytes()).await.unwrap();
    }

    #[tokio::test]
    async fn replies_keep_the_servers_codes_and_words() {
        let (mut imap, mut server) = session().await;
        let serve = async {
            let (tag, command) = heard(&mut server).await;
            assert_eq!(command, "CREATE \"Sent\" (USE (\\Sent))");
            say(&mut server, &format!("{tag} NO [USEATTR] Cannot mark\r\n")).await;
            let (tag, _) = heard(&mut server).await;
            say(
                &mut server,
                &format!("* SEARCH 4 7\r\n* 3 EXISTS\r\n{tag} OK [READ-ONLY] done\r\n"),
            )
            .await;
        };
        let client = async {
            let reply = exchange(&mut imap, "CREATE \"Sent\" (USE (\\Sent))", &mut |_| {})
                .await
                .unwrap();
            assert!(reply.has_code("useattr"));
            assert_eq!(reply.describe(), "NO [USEATTR] Cannot mark");
            let mut found = Vec::new();
            let reply = exchange(&mut imap, "UID SEARCH ALL", &mut |r| {
                if let Response::MailboxData(MailboxDatum::Search(uids)) = r {
                    found.extend_from_slice(uids);
                }
            })
            .await
            .unwrap();
            assert_eq!(
                (reply.describe().as_str(), found),
                ("OK [READ-ONLY] done", vec![4, 7])
            );
        };
        tokio::join!(serve, client);
    }

    #[tokio::test]
    async fn literal_plus_appends_are_one_command() {
        let (mut imap, mut server) = session().await;
        let serve = async {
            let mut all = Vec::new();
            let mut line = Vec::new();
            while !all.ends_with(b"b\r\n") {
                line.clear();
                server.read_until(b'\n', &mut line).await.unwrap();
                all.extend_from_slice(&line);
            }
            let text = String::from_utf8(all).unwrap();
            let (tag, rest) = text.split_once(' ').unwrap();
            assert_eq!(
                rest,
                "APPEND \"Sent\" (\\Seen) {1+}\r\na () \"1-Dec-2026 10:00:00 +0000\" {1+}\r\nb\r\n"
            );
            say(&mut server, &format!("{tag} OK [APPENDUID 7 3:4] done\r\n")).await;
        };
        let client = async {
            let copies = [
                Literal {
                    attributes: "(\\Seen)".into(),
                    message: b"a",
                },
                Literal {
                    attributes: "() \"1-Dec-2026 10:00:00 +0000\"".into(),
                    message: b"b",
                },
            ];
            let reply = append(&mut imap, "\"Sent\"", &copies, true).await.unwrap();
            assert_eq!(reply.code.as_deref(), Some("APPENDUID 7 3:4"));
            assert_eq!(reply.append_uid(), None, "a range is not one copy's UID");
        };
        tokio::join!(serve, client);
    }

    #[tokio::test]
    async fn a_refusal_before_the_go_ahead_is_the_reply() {
        let (mut imap, mut server) = session().await;
        let serve = async {
            let (tag, command) = heard(&mut server).await;
            assert_eq!(command, "APPEND \"Gone\" (\\Seen) {3}");
            say(
                &mut server,
                &format!("{tag} NO [TRYCREATE] No such mailbox\r\n"),
            )
            .await;
            let (tag, command) = heard(&mut server).await;
            assert_eq!(command, "APPEND \"Sent\" (\\Seen) {3}");
            say(&mut server, "+ go ahead\r\n").await;
            let mut literal = vec![0; 5];
            server.read_exact(&mut literal).await.unwrap();
            assert_eq!(literal, b"abc\r\n");
            say(
                &mut server,
                &format!("{tag} OK [APPENDUID 9 12] stored\r\n"),
            )
            .await;
        };
        let client = async {
            let copy = [Literal {
                attributes: "(\\Seen)".into(),
                message: b"abc",
            }];
            let reply = append(&mut imap, "\"Gone\"", &copy, false).await.unwrap();
            assert!(reply.has_code("TRYCREATE"));
            let reply = append(&mut imap, "\"Sent\"", &copy, false).await.unwrap();
            assert_eq!(reply.append_uid(), Some((9, 12)));
        };
        tokio::join!(serve, client);
    }

    #[tokio::test]
    async fn namespace_between_commands_leaves_the_session_whole() {
        let (mut imap, mut server) = session().await;
        let serve = async {
            let (tag, command) = heard(&mut server).await;
            assert_eq!((tag.as_str(), command.as_str()), ("N1", "NAMESPACE"));
            say(
                &mut server,
                "* NAMESPACE ((\"INBOX.\" \".\")) NIL ((\"#shared/\" \"/\"))\r\nN1 OK done\r\n",
            )
            .await;
            let (tag, _) = heard(&mut server).await;
            say(&mut server, &format!("{tag} OK noop\r\n")).await;
        };
        let client = async {
            let ns = namespace(&mut imap, "N1").await.unwrap().unwrap();
            assert_eq!(ns.personal, [("INBOX.".to_string(), Some('.'))]);
            assert_eq!(ns.shared.len(), 1);
            let reply = exchange(&mut imap, "NOOP", &mut |_| {}).await.unwrap();
            assert!(reply.is_ok());
        };
        tokio::join!(serve, client);
    }

    #[tokio::test]
    async fn namespace_reads_are_bounded_by_the_guard() {
        let (mut imap, mut server) = session().await;
        let serve = async {
            let _ = heard(&mut server).await;
            say(
                &mut server,
                "* NAMESPACE ((\"\" \"/\")) NIL {104857600}\r\n",
            )
            .await;
        };
        let client = async { namespace(&mut imap, "N1").await };
        let ((), result) = tokio::join!(serve, client);
        assert!(
            matches!(&result, Err(Trouble::Unexpected(d)) if d.contains("a literal of 104857600 bytes")),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn troubles_are_told_apart() {
        let (mut imap, mut server) = session().await;
        let serve = async {
            let (_, _) = heard(&mut server).await;
            say(&mut server, "* 1 NOT-IMAP ((\r\n").await;
        };
        let client = async { exchange(&mut imap, "NOOP", &mut |_| {}).await };
        let ((), result) = tokio::join!(serve, client);
        assert!(
            matches!(&result, Err(Trouble::Unexpected(d)) if d.contains("not IMAP") && d.contains("NOT-IMAP")),
            "{result:?}"
        );
        // async-imap's stream is closed for good after it: later reads end.
        assert!(exchange(&mut imap, "NOOP", &mut |_| {}).await.is_err());

        let (mut imap, mut server) = session().await;
        let serve = async {
            let (tag, _) = heard(&mut server).await;
            say(&mut server, &format!("* BYE shutting down\r\n{tag} OK\r\n")).await;
        };
        let client = async { exchange(&mut imap, "NOOP", &mut |_| {}).await };
        let ((), result) = tokio::join!(serve, client);
        assert!(
            matches!(&result, Err(Trouble::Lost(d)) if d.contains("BYE shutting down")),
            "{result:?}"
        );

        let (mut imap, server) = session().await;
        drop(server);
        let result = exchange(&mut imap, "NOOP", &mut |_| {}).await;
        assert!(matches!(result, Err(Trouble::Lost(_))), "{result:?}");

        let (mut imap, _server) = session().await;
        let result = bounded(
            Duration::from_millis(50),
            exchange(&mut imap, "NOOP", &mut |_| {}),
        )
        .await;
        assert_eq!(result, Err(Trouble::Timeout));
    }

    #[test]
    fn the_servers_words_out_of_async_imaps_errors() {
        assert_eq!(
            words(
                "NO",
                "code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")"
            ),
            "NO [AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(
            words(
                "NO",
                "code: Some(TryCreate), info: Some(\"No \\\"Sent\\\" here\")"
            ),
            "NO [TRYCREATE] No \"Sent\" here"
        );
        assert_eq!(
            words(
                "NO",
                "outcome: Outcome { code: None, information: Some(\"Mailbox doesn't exist\") }"
            ),
            "NO Mailbox doesn't exist"
        );
        assert_eq!(words("BAD", "code: None, info: None"), "BAD");
        assert_eq!(words("NO", "something else"), "NO something else");
        assert_eq!(
            quote("INBOX.\"Sent\\"),
            Some("\"INBOX.\\\"Sent\\\\\"".to_string())
        );
        assert_eq!(quote("a\r\nb"), None);
    }

    /// Why `uid_search` is not used: async-imap reads a refused search as
    /// "no message" (its tagged status is never looked at), and filing on
    /// that could file a copy twice. When this fails, async-imap has fixed
    /// it and the typed command can replace our exchange.
    #[tokio::test]
    async fn async_imaps_uid_search_hides_a_refusal() {
        let (mut imap, mut server) = session().await;
        let serve = async {
            let (tag, _) = heard(&mut server).await;
            say(
                &mut server,
                &format!("{tag} NO [SERVERBUG] search failed\r\n"),
            )
            .await;
        };
        let ((), found) = tokio::join!(serve, imap.uid_search("HEADER Message-ID <x@y>"));
        assert!(found.unwrap().is_empty());
    }
}
