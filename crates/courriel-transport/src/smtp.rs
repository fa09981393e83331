//! Sending through the user's SMTP server with lettre's low-level async
//! connection over a socket we own (`TCP_NODELAY`, our rustls verification),
//! every step bounded in time, every refusal classified.
//!
//! We drive MAIL, RCPT and DATA one by one: lettre's `send` aborts the
//! whole message on the first refused recipient and does not say which
//! step failed; we keep going and report each recipient.

use std::fmt;
use std::time::Duration;

use courriel_core::failure::{Failure, FailureKind, Step};
use courriel_core::{EmailAddress, Security};
use courriel_net::AckedStream as TcpStream;
use courriel_net::{Kinds, NetError, Secret};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::{Response, Severity};
use secrecy::ExposeSecret;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::email::Rendered;
use crate::refusal::{Command, refuses_sender};
use crate::reply::{MAX_LINE, MAX_REPLY, ReplyError, parse_reply};
use crate::route::{Handover, Transport};
use crate::wire::{Unread, Wire};

/// Time bounds of each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpTimeouts {
    /// DNS lookup and TCP connect (default 10 s).
    pub connect: Duration,
    /// TLS handshake (default 10 s).
    pub tls: Duration,
    /// Greeting and EHLO (default 10 s).
    pub greeting: Duration,
    /// Each command (default 30 s).
    pub command: Duration,
    /// Transmitting the message and its final reply (default 120 s).
    pub data: Duration,
}

impl Default for SmtpTimeouts {
    fn default() -> Self {
        SmtpTimeouts {
            connect: Duration::from_secs(10),
            tls: Duration::from_secs(10),
            greeting: Duration::from_secs(10),
            command: Duration::from_secs(30),
            data: Duration::from_secs(120),
        }
    }
}

impl courriel_net::ConnectBounds for SmtpTimeouts {
    fn connect(&self) -> Duration {
        self.connect
    }
    fn tls(&self) -> Duration {
        self.tls
    }
}

/// The user's SMTP server: the endpoint type IMAP shares, with SMTP's time
/// bounds.
pub type SmtpSettings = courriel_net::Endpoint<SmtpTimeouts>;

/// The failures of one server, with its host, port and user.
pub(crate) trait Failures {
    fn failure(&self, kind: FailureKind) -> Failure;
    fn timeout(&self, step: &str, limit: Duration) -> Failure;
    fn net_failure(&self, e: NetError) -> Failure;
}

impl Failures for SmtpSettings {
    fn failure(&self, kind: FailureKind) -> Failure {
        Failure::new(kind)
            .arg("host", &self.host)
            .arg("port", self.port)
            .arg("user", &self.username)
    }

    fn timeout(&self, step: &str, limit: Duration) -> Failure {
        self.failure(FailureKind::SmtpTimeout)
            .arg("step", step)
            .arg("seconds", limit.as_secs())
    }

    fn net_failure(&self, e: NetError) -> Failure {
        e.into_failure(&Kinds::SMTP, &self.host, self.port)
            .arg("user", &self.username)
    }
}

/// What happened to one send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Receipt {
    /// The message's Message-ID.
    pub message_id: String,
    /// The server's final reply (`250 2.0.0 Ok: queued as ...`).
    pub reply: String,
    /// Recipients the server accepted.
    pub accepted: Vec<EmailAddress>,
    /// Recipients the server refused, with its reply.
    pub refused: Vec<(EmailAddress, String)>,
}

impl Receipt {
    /// Whether some recipients were refused (and others not).
    #[must_use]
    pub fn is_partial(&self) -> bool {
        !self.refused.is_empty()
    }
}

const HELLO: &str = "courriel.localhost";

async fn tcp(s: &SmtpSettings) -> Result<TcpStream, Failure> {
    s.tcp().await.map_err(|e| s.net_failure(e))
}

async fn tls(
    s: &SmtpSettings,
    io: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Failure> {
    s.tls(io).await.map_err(|e| s.net_failure(e))
}

/// Reads one (multi-line) reply in plain text: `(code, text)`, parsed by
/// [`parse_reply`]; reads no further than the reply's last line.
async fn plain_reply(reader: &mut BufReader<TcpStream>) -> std::io::Result<(u16, String)> {
    let mut reply = Vec::new();
    loop {
        // Never more than one line's bound past it: a server that sends a
        // line without end is cut off, not buffered.
        let mut line = Vec::new();
        let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 2;
        if (&mut *reader)
            .take(limit)
            .read_until(b'\n', &mut line)
            .await?
            == 0
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        reply.extend_from_slice(&line);
        // The line alone says whether the reply goes on (and a bad line
        // fails at once); the whole is parsed once, when it ends or fails.
        if reply.len() <= MAX_REPLY && parse_reply(&line) == Err(ReplyError::Incomplete) {
            continue;
        }
        return parse_reply(&reply).map_err(std::io::Error::other);
    }
}

/// Greeting, EHLO and STARTTLS in plain text; the caller upgrades.
async fn starttls(s: &SmtpSettings, stream: TcpStream) -> Result<TcpStream, Failure> {
    let limit = s.timeouts.greeting;
    let unexpected = |e: std::io::Error| s.failure(FailureKind::SmtpUnexpected).arg("detail", e);
    let mut reader = BufReader::new(stream);
    let (code, text) = tokio::time::timeout(limit, plain_reply(&mut reader))
        .await
        .map_err(|_| s.timeout("greeting", limit))?
        .map_err(unexpected)?;
    if code != 220 {
        return Err(s
            .failure(FailureKind::SmtpUnexpected)
            .arg("detail", format!("{code} {text}")));
    }
    let exchange = async {
        reader
            .get_mut()
            .write_all(format!("EHLO {HELLO}\r\n").as_bytes())
            .await?;
        let ehlo = plain_reply(&mut reader).await?;
        if ehlo.0 != 250
            || !ehlo
                .1
                .to_ascii_uppercase()
                .split_whitespace()
                .any(|w| w == "STARTTLS")
        {
            return Ok(None);
        }
        reader.get_mut().write_all(b"STARTTLS\r\n").await?;
        plain_reply(&mut reader).await.map(Some)
    };
    match tokio::time::timeout(s.timeouts.command, exchange).await {
        Err(_) => Err(s.timeout("STARTTLS", s.timeouts.command)),
        Ok(Err(e)) => Err(unexpected(e)),
        Ok(Ok(Some((220, _)))) => Ok(reader.into_inner()),
        // Offered, then refused (`454 TLS not available`): a TLS failure,
        // with the server's words.
        Ok(Ok(Some((code, text)))) => Err(s
            .failure(FailureKind::SmtpStarttlsRefused)
            .arg("detail", format!("{code} {text}"))),
        Ok(Ok(None)) => Err(s.failure(FailureKind::SmtpStarttlsMissing)),
    }
}

/// The TLS stream under a connection.
pub(crate) type Tls = tokio_rustls::client::TlsStream<TcpStream>;

/// What the server's EHLO reply announced that lettre does not keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Announced {
    /// The largest message it takes, in bytes (`SIZE`; none when absent or 0).
    size: Option<u64>,
    /// The login mechanisms it offers (`AUTH`), upper case.
    auth: Vec<String>,
}

impl Announced {
    /// From the replies read while connecting (greeting, then EHLO).
    fn parse(replies: &[u8]) -> Announced {
        let mut announced = Announced::default();
        for line in String::from_utf8_lossy(replies).lines() {
            let Some(rest) = line
                .strip_prefix("250-")
                .or_else(|| line.strip_prefix("250 "))
            else {
                continue;
            };
            let mut words = rest.split_whitespace();
            match words.next().map(str::to_ascii_uppercase).as_deref() {
                Some("SIZE") => {
                    announced.size = words.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0);
                }
                Some("AUTH") => announced.auth = words.map(str::to_ascii_uppercase).collect(),
                _ => {}
            }
        }
        announced
    }
}

/// A logged-in connection: lettre's, our handle on its stream, and what
/// the server announced.
struct Opened {
    conn: AsyncSmtpConnection,
    wire: Wire<Tls>,
    announced: Announced,
}

/// `250 2.0.0 Ok`: a reply as the server said it.
pub(crate) fn said(response: &Response) -> String {
    format!(
        "{} {}",
        response.code(),
        response.message().collect::<Vec<_>>().join(" ")
    )
}

/// Whether a reply is a completion (2xx).
fn completed(response: &Response) -> bool {
    response.code().severity == Severity::PositiveCompletion
}

/// Connects, secures and logs in.
async fn open(s: &SmtpSettings) -> Result<Opened, Failure> {
    // The settings' Debug redacts the password.
    tracing::debug!(settings = ?s, "SMTP: connecting");
    let stream = tcp(s).await?;
    let hello = ClientId::Domain(HELLO.to_string());
    let limit = s.timeouts.greeting;
    let wire = match s.security {
        Security::ImplicitTls => Wire::new(b"", tls(s, stream).await?),
        _ => {
            let plain = starttls(s, stream).await?;
            // lettre reads this stand-in greeting, then says EHLO again as
            // RFC 3207 requires.
            Wire::new(b"220 courriel: TLS established\r\n", tls(s, plain).await?)
        }
    };
    let ours = wire.handle();
    ours.keep();
    let connected = tokio::time::timeout(
        limit,
        AsyncSmtpConnection::connect_with_transport(Box::new(wire), &hello),
    )
    .await;
    let mut conn = connected
        .map_err(|_| s.timeout("greeting", limit))?
        .map_err(|e| {
            s.failure(FailureKind::SmtpUnexpected)
                .arg("detail", plain(&e))
        })?;
    let announced = Announced::parse(&ours.kept());
    let password = match &s.secret {
        Secret::Password(password) => password,
        Secret::OAuth2(source) => {
            if let Err(failure) =
                crate::sasl::sign_in(s, &mut conn, &ours, &announced.auth, source.as_ref()).await
            {
                let _ = tokio::time::timeout(s.timeouts.command, conn.quit()).await;
                return Err(failure);
            }
            return Ok(Opened {
                conn,
                wire: ours,
                announced,
            });
        }
    };
    let mechanisms = [Mechanism::Plain, Mechanism::Login];
    if conn.server_info().get_auth_mechanism(&mechanisms).is_none() {
        let offered = if announced.auth.is_empty() {
            "none".to_string()
        } else {
            announced.auth.join(" ")
        };
        let _ = tokio::time::timeout(s.timeouts.command, conn.quit()).await;
        return Err(s
            .failure(FailureKind::SmtpNoUsableAuthentication)
            .arg("offered", offered));
    }
    let credentials = Credentials::new(s.username.clone(), password.expose_secret().to_string());
    match tokio::time::timeout(s.timeouts.command, conn.auth(&mechanisms, &credentials)).await {
        Err(_) => Err(s.timeout("AUTH", s.timeouts.command)),
        // 454 4.7.0 "Temporary authentication failure": the server's own
        // authentication service is unreachable; the login may be right.
        Ok(Err(e)) if e.is_transient() => Err(s
            .failure(FailureKind::SmtpTemporary)
            .arg("detail", plain(&e))),
        Ok(Err(e)) if e.status().is_none() => Err(s
            .failure(FailureKind::SmtpUnexpected)
            .arg("detail", plain(&e))),
        // Microsoft's refusals that no password will fix.
        Ok(Err(e)) if let Some(kind) = crate::refusal::login_refusal(&plain(&e)) => {
            Err(s.failure(kind).arg("detail", plain(&e)))
        }
        Ok(Err(e)) => Err(s
            .failure(FailureKind::SmtpAuthRefused)
            .arg("detail", plain(&e))),
        Ok(Ok(response)) if !completed(&response) => Err(s
            .failure(FailureKind::SmtpUnexpected)
            .arg("detail", format!("“{}” to AUTH", said(&response)))),
        Ok(Ok(_)) => {
            tracing::debug!(host = %s.host, port = s.port, user = %s.username, "SMTP: logged in");
            Ok(Opened {
                conn,
                wire: ours,
                announced,
            })
        }
    }
}

/// A lettre error in plain words: the server's reply when there is one,
/// else what happened to the connection (never a documentation link).
pub(crate) fn plain(e: &lettre::transport::smtp::Error) -> String {
    use std::error::Error as _;
    let mut source = e.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return courriel_net::describe_io(io);
        }
        source = cause.source();
    }
    let text = e.to_string();
    match text.find("http") {
        Some(at) => text[..at].trim_end_matches([':', ' ', '(']).to_string(),
        None => text,
    }
}

/// Connects, secures the connection and logs in, without sending.
pub async fn check(settings: &SmtpSettings) -> Result<(), Failure> {
    let mut opened = open(settings).await?;
    let _ = tokio::time::timeout(settings.timeouts.command, opened.conn.quit()).await;
    Ok(())
}

/// A failed MAIL or DATA: refused for now (4xx), the connection broken
/// (no reply code: nothing was refused), or refused for good.
fn refusal(s: &SmtpSettings, e: &lettre::transport::smtp::Error) -> Failure {
    let kind = if e.is_transient() {
        FailureKind::SmtpTemporary
    } else if e.status().is_none() {
        FailureKind::SmtpUnexpected
    } else {
        FailureKind::SmtpRejected
    };
    s.failure(kind).arg("detail", plain(e))
}

fn status(e: &lettre::transport::smtp::Error) -> u16 {
    e.status()
        .and_then(|c| c.to_string().parse().ok())
        .unwrap_or(0)
}

/// An open, logged-in SMTP connection that sends any number of messages,
/// one after the other (the connection reuse a pool builds on).
pub struct SmtpConnection {
    conn: AsyncSmtpConnection,
    /// Our handle on the stream lettre reads: what the server sent unasked.
    wire: Wire<Tls>,
    announced: Announced,
    settings: SmtpSettings,
    sent: u32,
    /// Out of step with the server (a step cut short by its time bound,
    /// a broken transfer): never used again.
    broken: bool,
}

impl fmt::Debug for SmtpConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConnection")
            .field("host", &self.settings.host)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

/// The message's parts without the CRLF that ends it: lettre ends DATA
/// with `CRLF . CRLF`, whose first CRLF is the message's own last line
/// ending (RFC 5321, 4.1.1.4). Sent whole, a message ending in CRLF would
/// reach its recipients with an empty line more than its Sent copy has.
fn before_final_crlf(parts: [&[u8]; 2]) -> [&[u8]; 2] {
    match parts {
        [first, last] if last.ends_with(b"\r\n") => [first, &last[..last.len() - 2]],
        [first, last] if last.is_empty() && first.ends_with(b"\r\n") => {
            [&first[..first.len() - 2], last]
        }
        parts => parts,
    }
}

/// How much of a message is dot-stuffed and written at a time.
const DATA_CHUNK: usize = 64 * 1024;

/// After a refused transaction: RSET, so the connection can serve the next.
async fn reset(conn: &mut AsyncSmtpConnection, s: &SmtpSettings) {
    let _ = tokio::time::timeout(
        s.timeouts.command,
        conn.command(lettre::transport::smtp::commands::Rset),
    )
    .await;
}

impl SmtpConnection {
    /// Connects, secures the connection and logs in.
    pub async fn open(settings: &SmtpSettings) -> Result<SmtpConnection, Failure> {
        let Opened {
            conn,
            wire,
            announced,
        } = open(settings).await.map_err(|f| f.at(Step::Connect))?;
        Ok(SmtpConnection {
            conn,
            wire,
            announced,
            settings: settings.clone(),
            sent: 0,
            broken: false,
        })
    }

    /// Whether the connection can still be used (not broken by a failure).
    #[must_use]
    pub fn is_usable(&self) -> bool {
        !self.broken && !self.conn.has_broken()
    }

    /// Whether the server is in step between two transactions: it sent
    /// nothing unasked and did not close the connection. Looks at what was
    /// received without waiting; a connection out of step is marked so.
    pub fn is_in_step(&mut self) -> bool {
        let in_step = self.wire.unread() == Unread::Nothing;
        self.broken |= !in_step;
        in_step
    }

    /// Messages sent on this connection so far.
    #[must_use]
    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// Says QUIT (bounded), unless the connection is out of step: then it
    /// is only dropped (a QUIT could land inside an unfinished message, and
    /// its answer would not be the QUIT's).
    pub async fn close(mut self) {
        if self.is_usable() {
            let _ = tokio::time::timeout(self.settings.timeouts.command, self.conn.quit()).await;
        }
    }

    /// Sends a rendered email: MAIL FROM, RCPT TO for each recipient (a
    /// refused one is reported and the others still receive it), DATA with
    /// the transmitted bytes (no Bcc header). A refused transaction is reset
    /// so the connection stays usable.
    ///
    /// `handover` runs once the recipients were accepted, just before
    /// `DATA`; its error aborts the transaction (RSET) and is returned.
    pub async fn send(
        &mut self,
        email: &Rendered,
        handover: &impl Handover,
    ) -> Result<Receipt, Failure> {
        let (accepted, refused) = self
            .envelope_in_step(email)
            .await
            .map_err(|f| f.at(Step::Envelope))?;
        if let Err(failure) = handover.before_handover(Transport::Smtp, email).await {
            reset(&mut self.conn, &self.settings).await;
            return Err(failure);
        }
        let reply = self.transfer(email).await?;
        self.sent += 1;
        let s = &self.settings;
        tracing::debug!(host = %s.host, message_id = %email.message_id, %reply, "SMTP: sent");
        Ok(Receipt {
            message_id: email.message_id.clone(),
            reply,
            accepted,
            refused,
        })
    }

    /// The envelope, once the server is known to be in step.
    async fn envelope_in_step(&mut self, email: &Rendered) -> Result<Accepted, Failure> {
        // A server that said something unasked (a reply twice) would have
        // its replies taken for the next commands': nothing goes on it.
        match self.wire.unread() {
            Unread::Nothing => {}
            Unread::Data(line) => {
                self.broken = true;
                return Err(self.settings.failure(FailureKind::SmtpUnexpected).arg(
                    "detail",
                    format!("the server said “{line}” without being asked (nothing was sent)"),
                ));
            }
            Unread::Closed => {
                self.broken = true;
                return Err(self
                    .settings
                    .failure(FailureKind::SmtpUnexpected)
                    .arg("detail", "the server closed the connection"));
            }
        }
        self.envelope(email).await
    }

    /// The MAIL FROM parameters `email` needs, or why the server cannot
    /// take it (checked before anything is said): `SMTPUTF8` for an address
    /// outside ASCII (refused when the server does not offer it), `SIZE`
    /// when the server announced a limit (refused above it), `BODY=8BITMIME`
    /// for a body outside ASCII.
    fn mail_parameters(&self, email: &Rendered) -> Result<Vec<MailParameter>, Failure> {
        let s = &self.settings;
        let info = self.conn.server_info();
        let mut parameters = Vec::new();
        let addresses = std::iter::once(&email.envelope_from).chain(&email.recipients);
        if let Some(address) = addresses.map(ToString::to_string).find(|a| !a.is_ascii()) {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Err(s
                    .failure(FailureKind::SmtpUtf8NotOffered)
                    .arg("address", address));
            }
            parameters.push(MailParameter::SmtpUtfEight);
        }
        let size = email.transmitted_len();
        if let Some(limit) = self.announced.size {
            if u64::try_from(size).unwrap_or(u64::MAX) > limit {
                return Err(s
                    .failure(FailureKind::SmtpOverSizeLimit)
                    .arg("size", size)
                    .arg("limit", limit));
            }
            parameters.push(MailParameter::Size(size));
        }
        if !email.transmitted_parts().iter().all(|p| p.is_ascii())
            && info.supports_feature(Extension::EightBitMime)
        {
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        Ok(parameters)
    }

    /// MAIL FROM, then RCPT TO for each recipient: those accepted, and
    /// those refused with the server's reply. Fails when the sender or every
    /// recipient is refused (the transaction reset), or when a reply is not
    /// a completion (the server is out of step: the connection is dropped).
    async fn envelope(&mut self, email: &Rendered) -> Result<Accepted, Failure> {
        let parameters = self.mail_parameters(email)?;
        let s = &self.settings;
        let conn = &mut self.conn;
        let lettre_address = |a: &EmailAddress| {
            a.to_string()
                .parse::<lettre::Address>()
                .map_err(|e| s.failure(FailureKind::SmtpRejected).arg("detail", e))
        };
        let out_of_step = |command: &str, response: &Response| {
            s.failure(FailureKind::SmtpUnexpected).arg(
                "detail",
                format!("“{}” to {command} (nothing was sent)", said(response)),
            )
        };
        let from = lettre_address(&email.envelope_from)?;
        let sender = email.envelope_from.to_string();
        let not_owned = |detail: String| {
            s.failure(FailureKind::SmtpSenderNotOwned)
                .arg("sender", &sender)
                .arg("detail", detail)
        };
        match tokio::time::timeout(
            s.timeouts.command,
            conn.command(Mail::new(Some(from), parameters)),
        )
        .await
        {
            Err(_) => {
                self.broken = true;
                return Err(s.timeout("MAIL FROM", s.timeouts.command));
            }
            Ok(Err(e))
                if e.is_permanent()
                    && refuses_sender(Command::Mail, status(&e), &e.to_string()) =>
            {
                reset(conn, s).await;
                return Err(not_owned(plain(&e)));
            }
            Ok(Err(e)) => {
                self.broken |= e.status().is_none();
                return Err(refusal(s, &e));
            }
            Ok(Ok(response)) if !completed(&response) => {
                self.broken = true;
                return Err(out_of_step("MAIL FROM", &response));
            }
            Ok(Ok(_)) => {}
        }
        let mut accepted = Vec::new();
        let mut refused = Vec::new();
        for rcpt in &email.recipients {
            match tokio::time::timeout(
                s.timeouts.command,
                conn.command(Rcpt::new(lettre_address(rcpt)?, Vec::new())),
            )
            .await
            {
                Err(_) => {
                    self.broken = true;
                    return Err(s.timeout("RCPT TO", s.timeouts.command));
                }
                // Postfix's reject_sender_login_mismatch answers at RCPT
                // time, and so do some Exim ACLs.
                Ok(Err(e))
                    if e.is_permanent()
                        && refuses_sender(Command::Rcpt, status(&e), &e.to_string()) =>
                {
                    reset(conn, s).await;
                    return Err(not_owned(plain(&e)));
                }
                Ok(Err(e)) => {
                    self.broken |= e.status().is_none();
                    refused.push((rcpt.clone(), plain(&e)));
                }
                Ok(Ok(response)) if !completed(&response) => {
                    self.broken = true;
                    return Err(out_of_step("RCPT TO", &response));
                }
                Ok(Ok(_)) => accepted.push(rcpt.clone()),
            }
        }
        if accepted.is_empty() {
            reset(conn, s).await;
            let detail = refused
                .iter()
                .map(|(a, r)| format!("{a}: {r}"))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(s
                .failure(FailureKind::SmtpRecipientsRefused)
                .arg("detail", detail));
        }
        Ok((accepted, refused))
    }

    /// DATA, then the message and its final reply, which must be a
    /// completion (2xx). Once the message is under way, a failure before
    /// that reply, or any other reply, leaves its fate unknown
    /// (`SmtpDeliveryUnknown`).
    async fn transfer(&mut self, email: &Rendered) -> Result<String, Failure> {
        self.go_ahead().await.map_err(|f| f.at(Step::Envelope))?;
        self.message(email).await.map_err(|f| f.at(Step::Message))
    }

    /// DATA, and its go-ahead (354): nothing of the message is sent yet.
    async fn go_ahead(&mut self) -> Result<(), Failure> {
        let s = &self.settings;
        let conn = &mut self.conn;
        match tokio::time::timeout(s.timeouts.command, conn.command(Data)).await {
            Err(_) => {
                self.broken = true;
                Err(s.timeout("DATA", s.timeouts.command))
            }
            Ok(Err(e)) => {
                self.broken |= e.status().is_none();
                reset(conn, s).await;
                Err(refusal(s, &e))
            }
            // Only 354 lets the message go; a completion here is a reply
            // meant for an earlier command.
            Ok(Ok(response)) if !response.has_code(354) => {
                self.broken = true;
                Err(s.failure(FailureKind::SmtpUnexpected).arg(
                    "detail",
                    format!("“{}” to DATA (nothing was sent)", said(&response)),
                ))
            }
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// The message, and the server's final reply.
    async fn message(&mut self, email: &Rendered) -> Result<String, Failure> {
        let s = &self.settings;
        let conn = &mut self.conn;
        let unknown = |detail: String| {
            s.failure(FailureKind::SmtpDeliveryUnknown)
                .arg("detail", detail)
        };
        // In slices: lettre dot-stuffs each part into a buffer of its size,
        // so a whole message would be copied once more.
        let message = conn.message_iter(
            before_final_crlf(email.transmitted_parts())
                .into_iter()
                .flat_map(|part| part.chunks(DATA_CHUNK)),
        );
        let reply = match tokio::time::timeout(s.timeouts.data, message).await {
            Err(_) => {
                self.broken = true;
                return Err(unknown(format!(
                    "no answer within {} s",
                    s.timeouts.data.as_secs()
                )));
            }
            Ok(Err(e)) if status(&e) == 552 || status(&e) == 523 => {
                return Err(s
                    .failure(FailureKind::SmtpTooLarge)
                    .arg("detail", plain(&e)));
            }
            // Exchange and Microsoft 365 refuse a sender only here.
            Ok(Err(e))
                if e.is_permanent()
                    && refuses_sender(Command::Data, status(&e), &e.to_string()) =>
            {
                return Err(s
                    .failure(FailureKind::SmtpSenderNotOwned)
                    .arg("sender", email.envelope_from.to_string())
                    .arg("detail", plain(&e)));
            }
            // A refusal with its code: the server did not take it.
            Ok(Err(e)) if e.status().is_some() => return Err(refusal(s, &e)),
            Ok(Err(e)) => {
                self.broken = true;
                return Err(unknown(plain(&e)));
            }
            Ok(Ok(response)) if !completed(&response) => {
                self.broken = true;
                return Err(unknown(format!(
                    "“{}” to the end of the message",
                    said(&response)
                )));
            }
            Ok(Ok(response)) => said(&response),
        };
        // A second reply already there: this one stands, but the next
        // message must not take that one for its own.
        if self.wire.unread() != Unread::Nothing {
            self.broken = true;
        }
        Ok(reply)
    }
}

/// The recipients a server accepted, and those it refused with its reply.
type Accepted = (Vec<EmailAddress>, Vec<(EmailAddress, String)>);

/// Sends one rendered email on a new connection (see [`SmtpConnection::send`]),
/// with nothing to do before the handover.
pub async fn send(settings: &SmtpSettings, email: &Rendered) -> Result<Receipt, Failure> {
    let mut connection = SmtpConnection::open(settings).await?;
    let receipt = connection.send(email, &()).await;
    connection.close().await;
    receipt
}
