//! Raw SMTP and IMAP clients over rustls, for tests: line in, line out.

use std::fmt;
use std::io::{self, BufRead as _, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// How long any read or write may block before the test fails. Above
/// what a real server may make a client wait on purpose: Dovecot delays
/// the answer to a failed login from an address by up to 15 s once that
/// address has failed before (its auth penalty, doubled per failure from
/// 2 s), plus its 2 s failure delay, and every test connects from
/// 127.0.0.1; CI once waited more than 15 s for a refused token.
const IO_TIMEOUT: Duration = Duration::from_secs(45);

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the first byte.
    Implicit,
    /// Plaintext greeting, then STARTTLS before anything else.
    Starttls,
    /// No TLS at all: to check what a server refuses before TLS.
    Plaintext,
}

/// A rustls client configuration trusting exactly the CA in `ca_pem`.
pub fn tls_config(ca_pem: &Path) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_pem).map_err(io::Error::other)? {
        roots
            .add(cert.map_err(io::Error::other)?)
            .map_err(io::Error::other)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn connect(host: &str, port: u16) -> io::Result<TcpStream> {
        let tcp = TcpStream::connect((host, port))?;
        tcp.set_read_timeout(Some(IO_TIMEOUT))?;
        tcp.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(tcp)
    }

    /// TCP, then TLS at once for `Implicit`; plain otherwise.
    fn open(
        host: &str,
        port: u16,
        tls_name: &str,
        ca_pem: &Path,
        mode: TlsMode,
    ) -> io::Result<Stream> {
        let tcp = Stream::connect(host, port)?;
        match mode {
            TlsMode::Implicit => Stream::tls(tcp, tls_name, ca_pem),
            TlsMode::Starttls | TlsMode::Plaintext => Ok(Stream::Plain(tcp)),
        }
    }

    fn tls(tcp: TcpStream, tls_name: &str, ca_pem: &Path) -> io::Result<Stream> {
        let name = ServerName::try_from(tls_name.to_string()).map_err(io::Error::other)?;
        let conn = ClientConnection::new(tls_config(ca_pem)?, name).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(conn, tcp);
        // Complete the handshake now, so certificate errors surface here.
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        Ok(Stream::Tls(Box::new(stream)))
    }

    fn into_tcp(self) -> io::Result<TcpStream> {
        match self {
            Stream::Plain(tcp) => Ok(tcp),
            Stream::Tls(_) => Err(io::Error::other("already TLS")),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

fn read_line(reader: &mut BufReader<Stream>) -> io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// An SMTP reply: its code and its text lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// Each line's text after the code and separator.
    pub lines: Vec<String>,
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" / "))
    }
}

/// A raw SMTP client.
pub struct Smtp {
    reader: BufReader<Stream>,
    /// What the server said in its last EHLO reply.
    pub ehlo: Reply,
}

impl Smtp {
    /// Connects, reads the greeting, says EHLO, and with `Starttls`
    /// upgrades the connection and says EHLO again.
    pub fn connect(
        host: &str,
        port: u16,
        tls_name: &str,
        ca_pem: &Path,
        mode: TlsMode,
    ) -> io::Result<Smtp> {
        let stream = Stream::open(host, port, tls_name, ca_pem, mode)?;
        let empty = Reply {
            code: 0,
            lines: Vec::new(),
        };
        let mut smtp = Smtp {
            reader: BufReader::new(stream),
            ehlo: empty,
        };
        let greeting = smtp.reply()?;
        expect(&greeting, 220)?;
        smtp.ehlo = smtp.command("EHLO client.courriel.test")?;
        if mode == TlsMode::Starttls {
            let reply = smtp.command("STARTTLS")?;
            expect(&reply, 220)?;
            let tcp = smtp.reader.into_inner().into_tcp()?;
            smtp = Smtp {
                reader: BufReader::new(Stream::tls(tcp, tls_name, ca_pem)?),
                ehlo: reply,
            };
            smtp.ehlo = smtp.command("EHLO client.courriel.test")?;
        }
        Ok(smtp)
    }

    /// Sends one command line and reads the reply.
    pub fn command(&mut self, line: &str) -> io::Result<Reply> {
        let stream = self.reader.get_mut();
        stream.write_all(line.as_bytes())?;
        stream.write_all(b"\r\n")?;
        stream.flush()?;
        self.reply()
    }

    /// Reads one (possibly multi-line) reply.
    pub fn reply(&mut self) -> io::Result<Reply> {
        let mut lines = Vec::new();
        loop {
            let line = read_line(&mut self.reader)?;
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else {
                return Err(io::Error::other(format!("not an SMTP reply: {line:?}")));
            };
            lines.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(Reply { code, lines });
            }
        }
    }

    /// `AUTH PLAIN` with a username and password.
    pub fn auth_plain(&mut self, user: &str, password: &str) -> io::Result<Reply> {
        let token = base64(format!("\0{user}\0{password}").as_bytes());
        self.command(&format!("AUTH PLAIN {token}"))
    }

    /// SASL authentication (RFC 4954) with `response` (already base64):
    /// as an initial response on the AUTH line (`initial`: `AUTH MECHANISM
    /// RESPONSE`), or after the server's empty `334` challenge to `AUTH
    /// MECHANISM` alone. A challenge after the response (XOAUTH2's and
    /// OAUTHBEARER's error, RFC 7628) is answered as
    /// [`sasl_answer_to_error`] says, and collected, decoded. Returns the
    /// challenges and the final reply.
    pub fn auth(
        &mut self,
        mechanism: &str,
        response: &str,
        initial: bool,
    ) -> io::Result<(Vec<String>, Reply)> {
        let mut reply = if initial {
            self.command(&format!("AUTH {mechanism} {response}"))?
        } else {
            let reply = self.command(&format!("AUTH {mechanism}"))?;
            if reply.code != 334 {
                return Ok((Vec::new(), reply));
            }
            self.command(response)?
        };
        let mut challenges = Vec::new();
        while reply.code == 334 {
            let challenge = reply.lines.join("");
            challenges
                .push(String::from_utf8_lossy(&base64_decode(challenge.trim())?).into_owned());
            reply = self.command(sasl_answer_to_error(mechanism))?;
        }
        Ok((challenges, reply))
    }

    /// MAIL FROM, RCPT TO each, DATA, the message (dot-stuffed), and the
    /// final reply; stops at the first refusal and returns that reply.
    pub fn send(&mut self, from: &str, to: &[&str], message: &str) -> io::Result<Reply> {
        let reply = self.command(&format!("MAIL FROM:<{from}>"))?;
        if reply.code != 250 {
            return Ok(reply);
        }
        for rcpt in to {
            let reply = self.command(&format!("RCPT TO:<{rcpt}>"))?;
            if reply.code != 250 {
                return Ok(reply);
            }
        }
        let reply = self.command("DATA")?;
        if reply.code != 354 {
            return Ok(reply);
        }
        let mut data = String::new();
        for line in message.lines() {
            if line.starts_with('.') {
                data.push('.');
            }
            data.push_str(line);
            data.push_str("\r\n");
        }
        data.push('.');
        self.command(&data)
    }
}

fn expect(reply: &Reply, code: u16) -> io::Result<()> {
    if reply.code == code {
        Ok(())
    } else {
        Err(io::Error::other(format!("expected {code}, got {reply}")))
    }
}

fn base64(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

/// Decodes standard base64 (padding optional), for SASL challenges.
pub(crate) fn base64_decode(input: &str) -> io::Result<Vec<u8>> {
    use base64::Engine as _;
    const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    LENIENT
        .decode(input)
        .map_err(|e| io::Error::other(format!("not base64 ({e}): {input:?}")))
}

/// Base64 of `input` (standard alphabet, padded), as SASL sends it.
#[must_use]
pub fn sasl_base64(input: &[u8]) -> String {
    base64(input)
}

/// What a client answers to a challenge that reports an error after its
/// response: OAUTHBEARER's dummy `%x01` (`AQ==`, RFC 7628 3.2.3), an empty
/// line for the others (XOAUTH2's usage).
#[must_use]
pub fn sasl_answer_to_error(mechanism: &str) -> &'static str {
    if mechanism.eq_ignore_ascii_case("OAUTHBEARER") {
        "AQ=="
    } else {
        ""
    }
}

/// The answer to one IMAP command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The untagged lines (`* ...`), literals inlined.
    pub untagged: Vec<String>,
    /// The tagged status line without its tag (`OK List completed`).
    pub status: String,
}

impl Response {
    /// Whether the command succeeded.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.status.starts_with("OK")
    }

    /// The numbers a `SEARCH` answered.
    #[must_use]
    pub fn found(&self) -> Vec<String> {
        self.untagged
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|rest| rest.split_whitespace().map(str::to_string))
            .collect()
    }
}

/// One `LIST` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// Attributes as sent (`\HasNoChildren`, `\Sent`).
    pub attributes: Vec<String>,
    /// The hierarchy delimiter, if any.
    pub delimiter: Option<char>,
    /// The mailbox name exactly as on the wire (modified UTF-7).
    pub name: String,
}

/// A raw IMAP client.
pub struct Imap {
    reader: BufReader<Stream>,
    tag: u32,
    /// The greeting line.
    pub greeting: String,
}

impl Imap {
    /// Connects and reads the greeting; with `Starttls`, upgrades first.
    pub fn connect(
        host: &str,
        port: u16,
        tls_name: &str,
        ca_pem: &Path,
        mode: TlsMode,
    ) -> io::Result<Imap> {
        let stream = Stream::open(host, port, tls_name, ca_pem, mode)?;
        let mut imap = Imap {
            reader: BufReader::new(stream),
            tag: 0,
            greeting: String::new(),
        };
        imap.greeting = read_line(&mut imap.reader)?;
        if mode == TlsMode::Starttls {
            let response = imap.command("STARTTLS")?;
            if !response.is_ok() {
                return Err(io::Error::other(format!(
                    "STARTTLS refused: {}",
                    response.status
                )));
            }
            let Imap {
                reader,
                tag,
                greeting,
            } = imap;
            let tcp = reader.into_inner().into_tcp()?;
            imap = Imap {
                reader: BufReader::new(Stream::tls(tcp, tls_name, ca_pem)?),
                tag,
                greeting,
            };
        }
        Ok(imap)
    }

    /// Every message of `folder` (raw name) whose Message-ID contains
    /// `message_id` (with or without its angle brackets): its flags and
    /// exact bytes, read-only (EXAMINE, BODY.PEEK). Panics when the folder
    /// cannot be examined.
    pub fn messages(&mut self, folder: &str, message_id: &str) -> Vec<crate::message::Stored> {
        let examined = self
            .command(&format!("EXAMINE {}", quote(folder)))
            .expect("EXAMINE");
        assert!(examined.is_ok(), "EXAMINE {folder}: {}", examined.status);
        let id = message_id.trim_start_matches('<').trim_end_matches('>');
        let found = self
            .command(&format!("UID SEARCH HEADER Message-ID {}", quote(id)))
            .expect("SEARCH");
        assert!(found.is_ok(), "SEARCH {id}: {}", found.status);
        found
            .found()
            .iter()
            .map(|uid| {
                let fetched = self
                    .command(&format!("UID FETCH {uid} (FLAGS BODY.PEEK[])"))
                    .expect("FETCH");
                assert!(fetched.is_ok(), "FETCH {uid}: {}", fetched.status);
                let fetched = fetched.untagged.join("\n");
                let flags = fetched
                    .find("FLAGS (")
                    .and_then(|at| {
                        let rest = &fetched[at..];
                        rest.find(')').map(|end| rest[..=end].to_string())
                    })
                    .unwrap_or_default();
                crate::message::Stored {
                    flags,
                    message: crate::message::literal(&fetched).to_string(),
                }
            })
            .collect()
    }

    /// How many messages of `folder` match the IMAP search key `search`
    /// (`UNSEEN HEADER Message-ID "<x@y>"`, say); panics when the folder
    /// cannot be selected.
    pub fn count(&mut self, folder: &str, search: &str) -> usize {
        let selected = self.command(&format!("SELECT {folder}")).expect("SELECT");
        assert!(selected.is_ok(), "SELECT {folder}: {}", selected.status);
        let found = self
            .command(&format!("UID SEARCH {search}"))
            .expect("SEARCH");
        assert!(found.is_ok(), "SEARCH {search}: {}", found.status);
        found.found().len()
    }

    /// Deletes (and unsubscribes) every folder but INBOX, deepest first:
    /// the account is as new. Panics when a folder cannot be deleted.
    pub fn keep_only_inbox(&mut self) {
        let mut names: Vec<String> = self
            .list("\"\" \"*\"")
            .expect("LIST")
            .into_iter()
            .map(|e| e.name)
            .filter(|n| !n.eq_ignore_ascii_case("INBOX"))
            .collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        for name in names {
            let _ = self.command(&format!("UNSUBSCRIBE {}", quote(&name)));
            let delete = format!("DELETE {}", quote(&name));
            let mut deleted = self.command(&delete).expect("DELETE");
            for _ in 0..3 {
                if deleted.is_ok() {
                    break;
                }
                // Cyrus protects a folder marked \Sent (`specialuse_protect`):
                // unmarked first (RFC 6154 over METADATA). And it keeps deleted
                // folders under a name stamped to the second: the same name
                // deleted twice in one second is "already exists".
                let _ = self.command(&format!(
                    "SETMETADATA {} (/private/specialuse NIL)",
                    quote(&name)
                ));
                deleted = self.command(&delete).expect("DELETE");
                if !deleted.is_ok() {
                    std::thread::sleep(std::time::Duration::from_millis(1100));
                }
            }
            assert!(deleted.is_ok(), "DELETE {name}: {}", deleted.status);
        }
    }

    /// The folders listed by `LIST "" "*"`, names as on the wire.
    pub fn folder_names(&mut self) -> Vec<String> {
        self.list("\"\" \"*\"")
            .expect("LIST")
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    /// Sends one command (without tag) and reads until its tagged status.
    pub fn command(&mut self, command: &str) -> io::Result<Response> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        let stream = self.reader.get_mut();
        stream.write_all(format!("{tag} {command}\r\n").as_bytes())?;
        stream.flush()?;
        let mut untagged = Vec::new();
        loop {
            let mut line = read_line(&mut self.reader)?;
            // Inline literals: `... {12}` then 12 bytes then the rest of the line.
            while let Some(size) = literal_size(&line) {
                let mut literal = vec![0; size];
                self.reader.read_exact(&mut literal)?;
                line.push_str("\r\n");
                line.push_str(&String::from_utf8_lossy(&literal));
                line.push_str(&read_line(&mut self.reader)?);
            }
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                return Ok(Response {
                    untagged,
                    status: status.to_string(),
                });
            }
            untagged.push(line);
        }
    }

    /// `LOGIN` with quoted credentials.
    pub fn login(&mut self, user: &str, password: &str) -> io::Result<Response> {
        self.command(&format!("LOGIN {} {}", quote(user), quote(password)))
    }

    /// `AUTHENTICATE MECHANISM RESPONSE`, the response (already base64)
    /// sent as an initial response (SASL-IR, RFC 4959). A challenge after
    /// it (XOAUTH2's and OAUTHBEARER's error, RFC 7628) is answered as
    /// [`sasl_answer_to_error`] says, and collected, decoded. Returns the
    /// challenges and the tagged response.
    pub fn authenticate(
        &mut self,
        mechanism: &str,
        response: &str,
    ) -> io::Result<(Vec<String>, Response)> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        let stream = self.reader.get_mut();
        stream.write_all(format!("{tag} AUTHENTICATE {mechanism} {response}\r\n").as_bytes())?;
        stream.flush()?;
        let mut challenges = Vec::new();
        let mut untagged = Vec::new();
        loop {
            let line = read_line(&mut self.reader)?;
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                return Ok((
                    challenges,
                    Response {
                        untagged,
                        status: status.to_string(),
                    },
                ));
            }
            if let Some(challenge) = line.strip_prefix('+') {
                let decoded = base64_decode(challenge.trim())?;
                challenges.push(String::from_utf8_lossy(&decoded).into_owned());
                let stream = self.reader.get_mut();
                stream.write_all(sasl_answer_to_error(mechanism).as_bytes())?;
                stream.write_all(b"\r\n")?;
                stream.flush()?;
            } else {
                untagged.push(line);
            }
        }
    }

    /// `LIST reference pattern`, parsed; extra text (e.g. `RETURN (SPECIAL-USE)`) may follow.
    pub fn list(&mut self, arguments: &str) -> io::Result<Vec<ListEntry>> {
        let response = self.command(&format!("LIST {arguments}"))?;
        if !response.is_ok() {
            return Err(io::Error::other(format!(
                "LIST failed: {}",
                response.status
            )));
        }
        Ok(response
            .untagged
            .iter()
            .filter_map(|l| parse_list(l))
            .collect())
    }
}

fn literal_size(line: &str) -> Option<usize> {
    let open = line.rfind('{')?;
    let inner = line[open + 1..].strip_suffix('}')?;
    inner.trim_end_matches('+').parse().ok()
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Parses `* LIST (\A \B) "/" name`.
fn parse_list(line: &str) -> Option<ListEntry> {
    let rest = line.strip_prefix("* LIST ")?;
    let close = rest.find(')')?;
    let attributes = rest[1..close]
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let rest = rest[close + 1..].trim_start();
    let (delimiter, rest) = if let Some(r) = rest.strip_prefix("NIL") {
        (None, r)
    } else {
        let mut chars = rest.strip_prefix('"')?.chars();
        let mut d = chars.next()?;
        if d == '\\' {
            d = chars.next()?;
        }
        (Some(d), chars.as_str().strip_prefix('"')?)
    };
    let rest = rest.trim_start();
    let name = if let Some(quoted) = rest.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => name.push(chars.next()?),
                '"' => break,
                c => name.push(c),
            }
        }
        name
    } else if let Some(pos) = rest.find("}\r\n") {
        rest[pos + 3..].to_string()
    } else {
        rest.split_whitespace().next()?.to_string()
    };
    Some(ListEntry {
        attributes,
        delimiter,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines() {
        let e = parse_list(r#"* LIST (\HasNoChildren \Sent) "/" Sent"#).unwrap();
        assert_eq!(
            (e.attributes.len(), e.delimiter, e.name.as_str()),
            (2, Some('/'), "Sent")
        );
        let e = parse_list(r#"* LIST () "." "INBOX.Sent Items""#).unwrap();
        assert_eq!(
            (e.delimiter, e.name.as_str()),
            (Some('.'), "INBOX.Sent Items")
        );
        let e = parse_list("* LIST (\\Noselect) NIL \"\"").unwrap();
        assert_eq!((e.delimiter, e.name.as_str()), (None, ""));
        let e = parse_list("* LIST () \"/\" {5}\r\nA\"b c").unwrap();
        assert_eq!(e.name, "A\"b c");
    }
}
