//! Connecting to an IMAP account and talking to it: TLS or STARTTLS (never
//! plaintext), login, folders, APPEND, SEARCH; every failure a typed
//! [`Failure`] with a stable code.

use std::time::Duration;

use courriel_core::Security;
use courriel_core::failure::{Failure, FailureKind};
use courriel_net::Kinds;
use secrecy::ExposeSecret;
use tokio::net::TcpStream;

use crate::conn::{Conn, ConnError, Io, quote};
use crate::folders::{Folder, Namespaces, parse_list_line, parse_namespace_line};
use crate::settings::ImapSettings;

/// One copy to file with [`Session::append_copies`].
#[derive(Debug, Clone, Copy)]
pub struct AppendCopy<'a> {
    /// The exact bytes.
    pub message: &'a [u8],
    /// The internal date (`"29-Nov-2026 12:00:00 +0000"`), if any.
    pub date: Option<&'a str>,
    /// Filed with `\Seen` (read), as mail clients file their Sent copies.
    pub seen: bool,
}

/// A logged-in IMAP session.
pub struct Session {
    conn: Conn,
    capabilities: Vec<String>,
    host: String,
    port: u16,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Copies per MULTIAPPEND command.
const BATCH: usize = 100;
/// Bytes per MULTIAPPEND command, at most (a single larger copy goes alone).
const BATCH_BYTES: usize = 16 * 1024 * 1024;

/// What filing a copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Appended {
    /// `APPENDUID` (UIDVALIDITY, UID) when the server reports it (UIDPLUS).
    pub uid: Option<(u32, u32)>,
}

struct Ctx<'a> {
    settings: &'a ImapSettings,
}

impl Ctx<'_> {
    fn failure(&self, kind: FailureKind) -> Failure {
        Failure::new(kind)
            .arg("host", &self.settings.host)
            .arg("port", self.settings.port)
    }

    fn timeout(&self, step: &str, limit: Duration) -> Failure {
        self.failure(FailureKind::ImapTimeout)
            .arg("step", step)
            .arg("seconds", limit.as_secs())
    }

    fn conn_error(&self, e: ConnError, step: &str, limit: Duration) -> Failure {
        match e {
            ConnError::Timeout => self.timeout(step, limit),
            ConnError::Io(e) => self
                .failure(FailureKind::ImapConnectionLost)
                .arg("detail", courriel_net::describe_io(&e)),
            ConnError::Protocol(p) => self.failure(FailureKind::ImapUnexpected).arg("detail", p),
        }
    }
}

async fn tls(ctx: &Ctx<'_>, io: Box<dyn Io>) -> Result<Box<dyn Io>, Failure> {
    let s = ctx.settings;
    let stream = s
        .tls(io)
        .await
        .map_err(|e| e.into_failure(&Kinds::IMAP, &s.host, s.port))?;
    Ok(Box::new(stream))
}

async fn tcp(ctx: &Ctx<'_>) -> Result<TcpStream, Failure> {
    let s = ctx.settings;
    let stream = s
        .tcp()
        .await
        .map_err(|e| e.into_failure(&Kinds::IMAP, &s.host, s.port))?;
    // A session dropped (an APPEND given up on its bound, say) is reset,
    // not closed: what it had not yet sent is discarded rather than left
    // to reach the server later, where it could file a copy the spool
    // still holds (and a retry would file again). A session closed after
    // LOGOUT has nothing left to send.
    if let Err(e) = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO)) {
        tracing::debug!(error = %e, "IMAP: SO_LINGER not set");
    }
    Ok(stream)
}

/// Reads the greeting; returns the capabilities it carries, if any.
async fn greeting(ctx: &Ctx<'_>, conn: &mut Conn) -> Result<Option<Vec<String>>, Failure> {
    let limit = ctx.settings.timeouts.greeting;
    let line = conn
        .read_response(limit)
        .await
        .map_err(|e| ctx.conn_error(e, "greeting", limit))?;
    let text = String::from_utf8_lossy(&line);
    if text.starts_with("* OK") || text.starts_with("* PREAUTH") {
        Ok(capabilities_in(&text))
    } else {
        let shown: String = text.chars().take(200).collect();
        Err(ctx
            .failure(FailureKind::ImapUnexpected)
            .arg("detail", format!("greeting `{shown}`")))
    }
}

fn capabilities_in(text: &str) -> Option<Vec<String>> {
    let start = text.find("[CAPABILITY ")? + "[CAPABILITY ".len();
    let end = text[start..].find(']')? + start;
    Some(
        text[start..end]
            .split_whitespace()
            .map(str::to_ascii_uppercase)
            .collect(),
    )
}

/// Connects, secures the connection as the settings say, and logs in.
pub async fn connect(settings: &ImapSettings) -> Result<Session, Failure> {
    // The settings' Debug redacts the password.
    tracing::debug!(settings = ?settings, "IMAP: connecting");
    let ctx = Ctx { settings };
    let stream = tcp(&ctx).await?;
    // `Security` may grow; anything but implicit TLS starts in plain text
    // and must upgrade with STARTTLS.
    #[allow(clippy::match_wildcard_for_single_variants)]
    let conn = match settings.security {
        Security::ImplicitTls => {
            let mut conn = Conn::new(
                tls(&ctx, Box::new(stream)).await?,
                settings.timeouts.command,
            );
            greeting(&ctx, &mut conn).await?;
            conn
        }
        _ => {
            // STARTTLS: the greeting in plain text, then the upgrade; a
            // server that refuses it gets no password.
            let mut plain = Conn::new(Box::new(stream), settings.timeouts.command);
            greeting(&ctx, &mut plain).await?;
            let limit = settings.timeouts.command;
            let reply = plain
                .command("STARTTLS")
                .await
                .map_err(|e| ctx.conn_error(e, "STARTTLS", limit))?;
            if !reply.is_ok() {
                return Err(ctx.failure(FailureKind::ImapStarttlsMissing));
            }
            Conn::new(tls(&ctx, plain.into_io()).await?, settings.timeouts.command)
        }
    };
    let mut conn = conn.with_min_throughput(settings.timeouts.min_upload_rate);
    let limit = settings.timeouts.command;
    let (Some(user), Some(password)) = (
        quote(&settings.username),
        quote(settings.password.expose_secret()),
    ) else {
        return Err(Failure::new(FailureKind::ImapLoginRefused)
            .arg("user", &settings.username)
            .arg("detail", "the username or password holds a line break"));
    };
    let reply = conn
        .command(&format!("LOGIN {user} {password}"))
        .await
        .map_err(|e| ctx.conn_error(e, "LOGIN", limit))?;
    if !reply.is_ok() {
        return Err(Failure::new(FailureKind::ImapLoginRefused)
            .arg("user", &settings.username)
            .arg("detail", reply.describe()));
    }
    let capabilities = match reply
        .code
        .as_deref()
        .and_then(|c| capabilities_in(&format!("[{c}]")))
    {
        Some(caps) => caps,
        None => {
            let reply = conn
                .command("CAPABILITY")
                .await
                .map_err(|e| ctx.conn_error(e, "CAPABILITY", limit))?;
            reply
                .untagged
                .iter()
                .filter_map(|l| {
                    String::from_utf8_lossy(l)
                        .strip_prefix("* CAPABILITY ")
                        .map(str::to_string)
                })
                .flat_map(|l| {
                    l.split_whitespace()
                        .map(str::to_ascii_uppercase)
                        .collect::<Vec<_>>()
                })
                .collect()
        }
    };
    Ok(Session {
        conn,
        capabilities,
        host: settings.host.clone(),
        port: settings.port,
    })
}

impl Session {
    /// The server's capabilities after login, upper-cased.
    #[must_use]
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    /// Whether the server has this capability.
    #[must_use]
    pub fn has(&self, capability: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(capability))
    }

    fn failure(&self, kind: FailureKind) -> Failure {
        Failure::new(kind)
            .arg("host", &self.host)
            .arg("port", self.port)
    }

    fn error(&self, e: ConnError, step: &str) -> Failure {
        match e {
            ConnError::Timeout => self
                .failure(FailureKind::ImapTimeout)
                .arg("step", step)
                .arg("seconds", self.conn.last_limit.as_secs()),
            ConnError::Io(e) => self
                .failure(FailureKind::ImapConnectionLost)
                .arg("detail", courriel_net::describe_io(&e)),
            ConnError::Protocol(p) => self.failure(FailureKind::ImapUnexpected).arg("detail", p),
        }
    }

    async fn run(&mut self, command: &str, step: &str) -> Result<crate::conn::Reply, Failure> {
        match self.conn.command(command).await {
            Ok(reply) => Ok(reply),
            Err(e) => Err(self.error(e, step)),
        }
    }

    /// The namespaces (RFC 2342), or the default (one personal namespace
    /// without prefix) when the server does not offer NAMESPACE.
    pub async fn namespaces(&mut self) -> Result<Namespaces, Failure> {
        if !self.has("NAMESPACE") {
            return Ok(Namespaces {
                personal: vec![(String::new(), None)],
                ..Namespaces::default()
            });
        }
        let reply = self.run("NAMESPACE", "NAMESPACE").await?;
        Ok(reply
            .untagged
            .iter()
            .find_map(|l| parse_namespace_line(l))
            .unwrap_or_default())
    }

    /// Every folder, with SPECIAL-USE attributes when the server offers
    /// them (`LIST ... RETURN (SPECIAL-USE)`, or `XLIST` on old Gmail).
    pub async fn folders(&mut self, namespaces: &Namespaces) -> Result<Vec<Folder>, Failure> {
        let command = if self.has("SPECIAL-USE") {
            "LIST \"\" \"*\" RETURN (SPECIAL-USE)"
        } else if self.has("XLIST") {
            "XLIST \"\" \"*\""
        } else {
            "LIST \"\" \"*\""
        };
        let reply = self.run(command, "LIST").await?;
        if !reply.is_ok() {
            return Err(self
                .failure(FailureKind::ImapUnexpected)
                .arg("detail", reply.describe()));
        }
        Ok(reply
            .untagged
            .iter()
            .filter_map(|l| parse_list_line(l, namespaces))
            .collect())
    }

    /// Creates the Sent folder `folder` (raw name), as mail programs do for
    /// a mailbox that has none: marked `\Sent` with `CREATE ... (USE
    /// (\Sent))` where the server offers CREATE-SPECIAL-USE (RFC 6154; a
    /// server that cannot mark it, `[USEATTR]`, gets a plain CREATE), then
    /// subscribed so that mail programs show it. `Ok(false)` when it
    /// already existed (`[ALREADYEXISTS]`, RFC 5530: another worker was
    /// quicker). A refusal is [`FailureKind::ImapCreateRefused`].
    pub async fn create_sent_folder(&mut self, folder: &str) -> Result<bool, Failure> {
        let refused = |session: &Self, detail: String| {
            session
                .failure(FailureKind::ImapCreateRefused)
                .arg("folder", folder)
                .arg("detail", detail)
        };
        let Some(mailbox) = quote(folder) else {
            return Err(refused(self, "the name holds a line break".into()));
        };
        let mut reply = if self.has("CREATE-SPECIAL-USE") {
            self.run(&format!("CREATE {mailbox} (USE (\\Sent))"), "CREATE")
                .await?
        } else {
            self.run(&format!("CREATE {mailbox}"), "CREATE").await?
        };
        if !reply.is_ok() && reply.has_code("USEATTR") {
            reply = self.run(&format!("CREATE {mailbox}"), "CREATE").await?;
        }
        let created = if reply.is_ok() {
            true
        } else if reply.has_code("ALREADYEXISTS") {
            false
        } else {
            return Err(refused(self, reply.describe()));
        };
        // Filing works unsubscribed; only mail programs showing subscribed
        // folders alone miss it, so a refusal is logged, not fatal.
        let subscribed = self
            .run(&format!("SUBSCRIBE {mailbox}"), "SUBSCRIBE")
            .await?;
        if !subscribed.is_ok() {
            tracing::warn!(folder, answer = %subscribed.describe(), "the Sent folder created was not subscribed");
        }
        Ok(created)
    }

    /// Files `message` (the exact bytes sent) in `folder` (raw name) with
    /// `\Seen` and `date` as its internal date (`"29-Nov-2026 12:00:00 +0000"`).
    /// With `create`, a missing folder (`TRYCREATE`) is created and the
    /// copy filed again; without, it is [`FailureKind::ImapFolderMissing`].
    pub async fn append(
        &mut self,
        folder: &str,
        message: &[u8],
        date: Option<&str>,
        create: bool,
    ) -> Result<Appended, Failure> {
        self.append_flagged(folder, message, date, create, true)
            .await
    }

    /// [`Session::append`], `\Seen` only when `seen`.
    async fn append_flagged(
        &mut self,
        folder: &str,
        message: &[u8],
        date: Option<&str>,
        create: bool,
        seen: bool,
    ) -> Result<Appended, Failure> {
        let Some(mailbox) = quote(folder) else {
            return Err(self
                .failure(FailureKind::ImapFolderMissing)
                .arg("folder", folder));
        };
        let date = date.map(|d| format!(" \"{d}\"")).unwrap_or_default();
        let flags = if seen { "(\\Seen)" } else { "()" };
        let head = format!("APPEND {mailbox} {flags}{date}");
        let literal_plus = self.has("LITERAL+");
        for attempt in 0..2 {
            let reply = match self.conn.append(&head, message, literal_plus).await {
                Ok(reply) => reply,
                Err(e) => return Err(self.error(e, "APPEND")),
            };
            if reply.is_ok() {
                let uid = reply.code.as_deref().and_then(|c| {
                    let mut words = c.split_whitespace();
                    (words.next()? == "APPENDUID").then_some(())?;
                    Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
                });
                return Ok(Appended { uid });
            }
            let trycreate = reply.has_code("TRYCREATE");
            if trycreate && create && attempt == 0 {
                let created = self.run(&format!("CREATE {mailbox}"), "CREATE").await?;
                if created.is_ok() {
                    continue;
                }
            }
            if trycreate {
                return Err(self
                    .failure(FailureKind::ImapFolderMissing)
                    .arg("folder", folder));
            }
            return Err(self
                .failure(FailureKind::ImapAppendRefused)
                .arg("folder", folder)
                .arg("detail", reply.describe()));
        }
        Err(self
            .failure(FailureKind::ImapFolderMissing)
            .arg("folder", folder))
    }

    /// Files many copies in one folder: with MULTIAPPEND (RFC 3502) and
    /// LITERAL+, a batch of up to 100 copies (or 16 MiB) is one command in
    /// one write, which the server stores in one transaction; otherwise one
    /// APPEND per copy. Each item is `(message, internal date)`. All or
    /// nothing per batch: a refused batch files none of its copies.
    pub async fn append_many(
        &mut self,
        folder: &str,
        messages: &[(&[u8], Option<&str>)],
    ) -> Result<(), Failure> {
        let copies: Vec<AppendCopy<'_>> = messages
            .iter()
            .map(|&(message, date)| AppendCopy {
                message,
                date,
                seen: true,
            })
            .collect();
        self.append_copies(folder, &copies).await
    }

    /// [`Session::append_many`] with each copy's flags: a copy whose
    /// message may not have been sent is filed unread, so that it stands
    /// out in the Sent folder.
    pub async fn append_copies(
        &mut self,
        folder: &str,
        messages: &[AppendCopy<'_>],
    ) -> Result<(), Failure> {
        let Some(mailbox) = quote(folder) else {
            return Err(self
                .failure(FailureKind::ImapFolderMissing)
                .arg("folder", folder));
        };
        if !(self.has("MULTIAPPEND") && self.has("LITERAL+")) {
            for copy in messages {
                self.append_flagged(folder, copy.message, copy.date, false, copy.seen)
                    .await?;
            }
            return Ok(());
        }
        tracing::debug!(host = %self.host, folder, copies = messages.len(), "IMAP: filing");
        let mut start = 0;
        while start < messages.len() {
            let mut body = format!("APPEND {mailbox}").into_bytes();
            let mut end = start;
            while end < messages.len()
                && end - start < BATCH
                && (end == start || body.len() + messages[end].message.len() < BATCH_BYTES)
            {
                let copy = &messages[end];
                let date = copy.date.map(|d| format!(" \"{d}\"")).unwrap_or_default();
                let flags = if copy.seen { "(\\Seen)" } else { "()" };
                body.extend_from_slice(
                    format!(" {flags}{date} {{{}+}}\r\n", copy.message.len()).as_bytes(),
                );
                body.extend_from_slice(copy.message);
                end += 1;
            }
            let reply = match self.conn.command_bytes(&body).await {
                Ok(reply) => reply,
                Err(e) => return Err(self.error(e, "APPEND")),
            };
            if !reply.is_ok() {
                let trycreate = reply.has_code("TRYCREATE");
                return Err(if trycreate {
                    self.failure(FailureKind::ImapFolderMissing)
                        .arg("folder", folder)
                } else {
                    self.failure(FailureKind::ImapAppendRefused)
                        .arg("folder", folder)
                        .arg("detail", reply.describe())
                });
            }
            start = end;
        }
        Ok(())
    }

    /// Whether `folder` holds a message with this Message-ID (without
    /// angle brackets), so a copy is never filed twice.
    pub async fn contains_message_id(
        &mut self,
        folder: &str,
        message_id: &str,
    ) -> Result<bool, Failure> {
        Ok(self
            .contains_message_ids(folder, &[message_id])
            .await?
            .first()
            .copied()
            .unwrap_or(false))
    }

    /// For each Message-ID (without angle brackets), whether `folder` holds
    /// a message with it: the folder examined once, one search per id.
    pub async fn contains_message_ids(
        &mut self,
        folder: &str,
        message_ids: &[&str],
    ) -> Result<Vec<bool>, Failure> {
        let Some(mailbox) = quote(folder) else {
            return Ok(vec![false; message_ids.len()]);
        };
        let examined = self.run(&format!("EXAMINE {mailbox}"), "EXAMINE").await?;
        if !examined.is_ok() {
            return Err(self
                .failure(FailureKind::ImapFolderMissing)
                .arg("folder", folder));
        }
        let mut found = Vec::with_capacity(message_ids.len());
        for message_id in message_ids {
            let Some(id) = quote(&format!("<{message_id}>")) else {
                found.push(false);
                continue;
            };
            let reply = self
                .run(&format!("UID SEARCH HEADER Message-ID {id}"), "SEARCH")
                .await?;
            // Not knowing is not "absent": filing on a refused search could
            // file a copy twice.
            if !reply.is_ok() {
                return Err(self
                    .failure(FailureKind::ImapUnexpected)
                    .arg("detail", format!("SEARCH: {}", reply.describe())));
            }
            found.push(
                reply
                    .untagged
                    .iter()
                    .filter_map(|l| {
                        String::from_utf8_lossy(l)
                            .strip_prefix("* SEARCH")
                            .map(str::to_string)
                    })
                    .any(|rest| !rest.trim().is_empty()),
            );
        }
        // Leave the folder, or the next APPEND meets a read-only selection:
        // UNSELECT where offered (RFC 3691), else CLOSE (after EXAMINE it
        // expunges nothing, RFC 3501 6.4.2).
        let leave = if self.has("UNSELECT") {
            "UNSELECT"
        } else {
            "CLOSE"
        };
        let left = self.run(leave, leave).await?;
        if !left.is_ok() {
            return Err(self
                .failure(FailureKind::ImapUnexpected)
                .arg("detail", format!("{leave}: {}", left.describe())));
        }
        Ok(found)
    }

    /// Says goodbye (best effort, bounded).
    pub async fn logout(mut self) {
        let _ = self.conn.command("LOGOUT").await;
    }
}

/// The outcome of checking an IMAP account.
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckOutcome {
    /// Connected, secured, logged in.
    Ok {
        /// The server's capabilities.
        capabilities: Vec<String>,
    },
    /// What went wrong.
    Failed(Failure),
}

/// Connects, secures the connection and logs in, without changing anything.
/// `None` settings give [`FailureKind::ImapNotConfigured`].
pub async fn check(settings: Option<&ImapSettings>) -> CheckOutcome {
    let Some(settings) = settings else {
        return CheckOutcome::Failed(Failure::new(FailureKind::ImapNotConfigured));
    };
    match connect(settings).await {
        Ok(session) => {
            let capabilities = session.capabilities.clone();
            session.logout().await;
            CheckOutcome::Ok { capabilities }
        }
        Err(failure) => CheckOutcome::Failed(failure),
    }
}
