//! Connecting to an IMAP account and talking to it, on async-imap: TLS or
//! STARTTLS (never plaintext), login, folders, APPEND, SEARCH. Every call
//! is bounded in time, every read in size (the framing guard under
//! async-imap), and every failure is a typed [`Failure`] with a stable
//! code. A session whose call timed out or whose stream failed is never
//! used again.

use std::time::Duration;

use async_imap::imap_proto::{MailboxDatum, Response};
use async_imap::types::{Capabilities, Capability};
use courriel_core::Security;
use courriel_core::failure::{Failure, FailureKind};
use courriel_net::AckedStream as TcpStream;
use courriel_net::{Kinds, Secret};
use secrecy::ExposeSecret;

use crate::extension::{self, Imap, Literal, Reply, Trouble, bounded, quote, typed};
use crate::folders::{Folder, Namespaces, folder_from_list};
use crate::guard::{Guarded, Io, StandIn};
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

impl AppendCopy<'_> {
    fn literal(&self) -> Literal<'_> {
        let flags = if self.seen { "(\\Seen)" } else { "()" };
        let attributes = match self.date {
            Some(date) => format!("{flags} \"{date}\""),
            None => flags.to_string(),
        };
        Literal {
            attributes,
            message: self.message,
        }
    }
}

/// A logged-in IMAP session.
pub struct Session {
    imap: Imap,
    capabilities: Vec<String>,
    host: String,
    port: u16,
    /// Each command's bound, before what it uploads.
    timeout: Duration,
    /// The slowest upload accepted, in bytes per second: a command that
    /// carries copies gets `timeout` plus their size at this rate.
    min_throughput: u32,
    /// Set when a call timed out or the stream failed.
    broken: bool,
    /// Our own commands' tags (NAMESPACE), apart from async-imap's.
    tags: u32,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("broken", &self.broken)
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

/// An async-imap client before login, over the guarded stream.
type Client = async_imap::Client<Guarded>;

/// The failure of a step that went wrong below IMAP's semantics.
fn trouble_failure(
    host: &str,
    port: u16,
    trouble: Trouble,
    step: &str,
    limit: Duration,
) -> Failure {
    let failure = |kind| Failure::new(kind).arg("host", host).arg("port", port);
    match trouble {
        Trouble::Timeout => failure(FailureKind::ImapTimeout)
            .arg("step", step)
            .arg("seconds", limit.as_secs()),
        Trouble::Lost(detail) => failure(FailureKind::ImapConnectionLost).arg("detail", detail),
        Trouble::Unexpected(detail) => failure(FailureKind::ImapUnexpected).arg("detail", detail),
    }
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

    fn trouble(&self, trouble: Trouble, step: &str, limit: Duration) -> Failure {
        trouble_failure(
            &self.settings.host,
            self.settings.port,
            trouble,
            step,
            limit,
        )
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
    if let Err(e) = socket2::SockRef::from(stream.get_ref()).set_linger(Some(Duration::ZERO)) {
        tracing::debug!(error = %e, "IMAP: SO_LINGER not set");
    }
    Ok(stream)
}

/// A client over `io`, once the server's greeting (`* OK` or `* PREAUTH`)
/// is read, and the capabilities the greeting announced (upper case;
/// empty when it announced none).
async fn greeted(ctx: &Ctx<'_>, io: Box<dyn Io>) -> Result<(Client, Vec<String>), Failure> {
    let mut client = Client::new(Guarded::new(io));
    let limit = ctx.settings.timeouts.greeting;
    let mut announced = Vec::new();
    let greeting = bounded(limit, async {
        let Some(greeting) = client.read_response().await? else {
            return Err(Trouble::Lost("the server closed the connection".into()));
        };
        Ok(match greeting.parsed() {
            Response::Data {
                status: async_imap::imap_proto::Status::Ok | async_imap::imap_proto::Status::PreAuth,
                outcome,
            } => {
                if let Some(async_imap::imap_proto::ResponseCode::Capabilities(list)) = &outcome.code {
                    announced = list
                        .iter()
                        .map(|c| capability_word(&Capability::from(c)))
                        .collect();
                }
                None
            }
            Response::Data { status, outcome } => Some(format!(
                "* {} {}",
                format!("{status:?}").to_ascii_uppercase(),
                outcome.information.as_deref().unwrap_or("")
            )),
            other => Some(format!("{other:?}")),
        })
    })
    .await
    .map_err(|t| ctx.trouble(t, "greeting", limit))?;
    match greeting {
        None => Ok((client, announced)),
        Some(greeting) => Err(ctx.failure(FailureKind::ImapUnexpected).arg(
            "detail",
            format!(
                "greeting `{}`",
                greeting.chars().take(200).collect::<String>()
            ),
        )),
    }
}

/// Capabilities as upper-case words (`IMAP4REV1`, `AUTH=PLAIN`, `LITERAL+`).
fn capability_words(capabilities: &Capabilities) -> Vec<String> {
    let mut words: Vec<String> = capabilities.iter().map(capability_word).collect();
    words.sort();
    words
}

/// One capability as an upper-case word.
fn capability_word(capability: &Capability) -> String {
    match capability {
        Capability::Imap4rev1 => "IMAP4REV1".to_string(),
        Capability::Auth(mechanism) => format!("AUTH={}", mechanism.to_ascii_uppercase()),
        Capability::Atom(atom) => atom.to_ascii_uppercase(),
    }
}

/// Connects, secures the connection as the settings say, and logs in.
pub async fn connect(settings: &ImapSettings) -> Result<Session, Failure> {
    // The settings' Debug redacts the password.
    tracing::debug!(settings = ?settings, "IMAP: connecting");
    let ctx = Ctx { settings };
    let stream = tcp(&ctx).await?;
    let limit = settings.timeouts.command;
    // `Security` may grow; anything but implicit TLS starts in plain text
    // and must upgrade with STARTTLS.
    #[allow(clippy::match_wildcard_for_single_variants)]
    let (client, announced) = match settings.security {
        Security::ImplicitTls => greeted(&ctx, tls(&ctx, Box::new(stream)).await?).await?,
        _ => {
            // STARTTLS: the greeting in plain text, then the upgrade; a
            // server that refuses it gets no password. Anything it sent
            // after its answer is dropped with the plain client, as RFC
            // 3501 requires.
            let (mut plain, _) = greeted(&ctx, Box::new(stream)).await?;
            let answer = bounded(limit, async {
                typed(plain.run_command_and_check_ok("STARTTLS", None).await)
            })
            .await
            .map_err(|t| ctx.trouble(t, "STARTTLS", limit))?;
            if answer.is_err() {
                return Err(ctx.failure(FailureKind::ImapStarttlsMissing));
            }
            let io = tls(&ctx, plain.into_inner().into_inner()).await?;
            // What the server said before TLS does not count (RFC 3501).
            (Client::new(Guarded::new(io)), Vec::new())
        }
    };
    let (mut imap, capabilities) = match &settings.secret {
        Secret::Password(password) => login(&ctx, client, password).await?,
        Secret::OAuth2(source) => {
            let mut client = client;
            let announced = if announced.is_empty() {
                bounded(limit, extension::capability(client.get_mut(), "c0"))
                    .await
                    .map_err(|t| ctx.trouble(t, "CAPABILITY", limit))?
            } else {
                announced
            };
            let offered = crate::signin::Offered::from_words(&announced);
            let failure = |kind| ctx.failure(kind);
            let trouble = |t| ctx.trouble(t, "AUTHENTICATE", limit);
            let imap = crate::signin::sign_in(
                settings,
                client,
                &offered,
                source.as_ref(),
                &failure,
                &trouble,
            )
            .await?;
            (imap, None)
        }
    };
    let capabilities = match capabilities {
        Some(capabilities) => capabilities,
        None => bounded(limit, async { Ok(imap.capabilities().await?) })
            .await
            .map_err(|t| ctx.trouble(t, "CAPABILITY", limit))?,
    };
    Ok(Session {
        imap,
        capabilities: capability_words(&capabilities),
        host: settings.host.clone(),
        port: settings.port,
        timeout: settings.timeouts.command,
        min_throughput: settings.timeouts.min_upload_rate.max(1),
        broken: false,
        tags: 0,
    })
}

/// LOGIN with a password, and the capabilities the server gave with its
/// answer, when it did.
async fn login(
    ctx: &Ctx<'_>,
    client: Client,
    password: &secrecy::SecretString,
) -> Result<(Imap, Option<Capabilities>), Failure> {
    let settings = ctx.settings;
    let limit = settings.timeouts.command;
    let refused = |detail: String| {
        Failure::new(FailureKind::ImapLoginRefused)
            .arg("user", &settings.username)
            .arg("detail", detail)
    };
    let password = password.expose_secret();
    if password.contains(['\r', '\n', '\0']) {
        return Err(refused(
            "the username or password holds a line break".into(),
        ));
    }
    // async-imap logs the commands it sends: it gets a stand-in, and the
    // stream writes the password (quoted as async-imap quotes) instead.
    let stand_in = StandIn::new(password.replace('\\', "\\\\").replace('"', "\\\"").into());
    let shown = stand_in.stand_in.clone();
    let mut client = client;
    client.get_mut().arm(stand_in);
    let login = bounded(limit, async {
        Ok(client
            .login_with_capabilities(&settings.username, &shown)
            .await)
    })
    .await
    .map_err(|t| ctx.trouble(t, "LOGIN", limit))?;
    match login {
        Ok((mut imap, capabilities)) => {
            imap.get_mut().disarm();
            Ok((imap, capabilities))
        }
        Err((async_imap::error::Error::Validate(_), _)) => Err(refused(
            "the username or password holds a line break".into(),
        )),
        Err((e, _)) => Err(match extension::refusal(e) {
            Ok(words) => refused(words),
            Err(t) => ctx.trouble(t, "LOGIN", limit),
        }),
    }
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

    /// The failure of a call that went wrong below IMAP: the session is
    /// broken for good.
    fn trouble(&mut self, trouble: Trouble, step: &str, limit: Duration) -> Failure {
        self.broken = true;
        trouble_failure(&self.host, self.port, trouble, step, limit)
    }

    /// Refuses to use a broken session.
    fn usable(&self) -> Result<(), Failure> {
        if self.broken {
            return Err(self.failure(FailureKind::ImapConnectionLost).arg(
                "detail",
                "an earlier command on this connection failed; it is not used again",
            ));
        }
        Ok(())
    }

    /// The bound of a command that uploads `bytes`: the floor plus the
    /// upload at the slowest rate accepted.
    fn limit_for(&self, bytes: usize) -> Duration {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let upload =
            Duration::from_millis(bytes.saturating_mul(1000) / u64::from(self.min_throughput));
        self.timeout.saturating_add(upload)
    }

    /// One call on the session (`step`, for messages), within `limit`:
    /// refused on a broken session, and breaking it on trouble.
    async fn call<T>(
        &mut self,
        step: &str,
        limit: Duration,
        call: impl AsyncFnOnce(&mut Imap) -> Result<T, Trouble>,
    ) -> Result<T, Failure> {
        self.usable()?;
        let result = bounded(limit, call(&mut self.imap)).await;
        result.map_err(|t| self.trouble(t, step, limit))
    }

    /// `command` and its tagged answer (see [`extension::exchange`]).
    async fn exchange(
        &mut self,
        command: &str,
        step: &str,
        each: &mut (dyn FnMut(&Response<'_>) + Send),
    ) -> Result<Reply, Failure> {
        let limit = self.timeout;
        self.call(step, limit, async |imap| {
            extension::exchange(imap, command, each).await
        })
        .await
    }

    /// `APPEND mailbox` with `copies` (see [`extension::append`]).
    async fn append_literals(
        &mut self,
        mailbox: &str,
        copies: &[Literal<'_>],
        literal_plus: bool,
    ) -> Result<Reply, Failure> {
        let limit = self.limit_for(copies.iter().map(|c| c.message.len()).sum());
        self.call("APPEND", limit, async |imap| {
            extension::append(imap, mailbox, copies, literal_plus).await
        })
        .await
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
        self.tags += 1;
        let tag = format!("N{}", self.tags);
        let limit = self.timeout;
        let namespaces = self
            .call("NAMESPACE", limit, async |imap| {
                extension::namespace(imap, &tag).await
            })
            .await?;
        Ok(namespaces.unwrap_or_default())
    }

    /// Every folder, with SPECIAL-USE attributes when the server offers
    /// them (`LIST ... RETURN (SPECIAL-USE)`; a server without it may
    /// still mark its Sent folder in a plain LIST).
    pub async fn folders(&mut self, namespaces: &Namespaces) -> Result<Vec<Folder>, Failure> {
        let command = if self.has("SPECIAL-USE") {
            "LIST \"\" \"*\" RETURN (SPECIAL-USE)"
        } else {
            "LIST \"\" \"*\""
        };
        let mut folders = Vec::new();
        let reply = self
            .exchange(command, "LIST", &mut |response| {
                if let Response::MailboxData(MailboxDatum::List(list)) = response {
                    folders.push(folder_from_list(list, namespaces));
                }
            })
            .await?;
        if !reply.is_ok() {
            return Err(self
                .failure(FailureKind::ImapUnexpected)
                .arg("detail", reply.describe()));
        }
        Ok(folders)
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
        let plain = format!("CREATE {mailbox}");
        let mut reply = if self.has("CREATE-SPECIAL-USE") {
            let marked = format!("{plain} (USE (\\Sent))");
            self.exchange(&marked, "CREATE", &mut |_| {}).await?
        } else {
            self.exchange(&plain, "CREATE", &mut |_| {}).await?
        };
        if !reply.is_ok() && reply.has_code("USEATTR") {
            reply = self.exchange(&plain, "CREATE", &mut |_| {}).await?;
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
        let limit = self.timeout;
        let subscribed = self
            .call("SUBSCRIBE", limit, async |imap| {
                typed(imap.subscribe(folder).await)
            })
            .await?;
        if let Err(words) = subscribed {
            tracing::warn!(folder, answer = %words, "the Sent folder created was not subscribed");
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
        let copy = AppendCopy {
            message,
            date,
            seen: true,
        };
        self.append_one(folder, &copy, create).await
    }

    /// One copy in one APPEND: LITERAL+ where offered, else after the
    /// server's go-ahead.
    async fn append_one(
        &mut self,
        folder: &str,
        copy: &AppendCopy<'_>,
        create: bool,
    ) -> Result<Appended, Failure> {
        let Some(mailbox) = quote(folder) else {
            return Err(self
                .failure(FailureKind::ImapFolderMissing)
                .arg("folder", folder));
        };
        let literal_plus = self.has("LITERAL+");
        let literal = [copy.literal()];
        for attempt in 0..2 {
            let reply = self
                .append_literals(&mailbox, &literal, literal_plus)
                .await?;
            if reply.is_ok() {
                return Ok(Appended {
                    uid: reply.append_uid(),
                });
            }
            let trycreate = reply.has_code("TRYCREATE");
            if trycreate && create && attempt == 0 {
                let created = self
                    .exchange(&format!("CREATE {mailbox}"), "CREATE", &mut |_| {})
                    .await?;
                if created.is_ok() {
                    continue;
                }
            }
            return Err(self.refused_append(folder, &reply));
        }
        Err(self
            .failure(FailureKind::ImapFolderMissing)
            .arg("folder", folder))
    }

    /// A refused APPEND: the folder is missing (`TRYCREATE`), or the
    /// server's words (`NO [OVERQUOTA] ...`).
    fn refused_append(&self, folder: &str, reply: &Reply) -> Failure {
        if reply.has_code("TRYCREATE") {
            self.failure(FailureKind::ImapFolderMissing)
                .arg("folder", folder)
        } else {
            self.failure(FailureKind::ImapAppendRefused)
                .arg("folder", folder)
                .arg("detail", reply.describe())
        }
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
                self.append_one(folder, copy, false).await?;
            }
            return Ok(());
        }
        tracing::debug!(host = %self.host, folder, copies = messages.len(), "IMAP: filing");
        let mut start = 0;
        while start < messages.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < messages.len()
                && end - start < BATCH
                && (end == start || bytes + messages[end].message.len() < BATCH_BYTES)
            {
                bytes += messages[end].message.len();
                end += 1;
            }
            let literals: Vec<Literal<'_>> = messages[start..end]
                .iter()
                .map(AppendCopy::literal)
                .collect();
            let reply = self.append_literals(&mailbox, &literals, true).await?;
            if !reply.is_ok() {
                return Err(self.refused_append(folder, &reply));
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
        if quote(folder).is_none() {
            return Ok(vec![false; message_ids.len()]);
        }
        let limit = self.timeout;
        let examined = self
            .call("EXAMINE", limit, async |imap| {
                typed(imap.examine(folder).await)
            })
            .await?;
        if examined.is_err() {
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
            let mut any = false;
            let reply = self
                .exchange(
                    &format!("UID SEARCH HEADER Message-ID {id}"),
                    "SEARCH",
                    &mut |response| {
                        if let Response::MailboxData(MailboxDatum::Search(uids)) = response {
                            any |= !uids.is_empty();
                        }
                    },
                )
                .await?;
            // Not knowing is not "absent": filing on a refused search could
            // file a copy twice.
            if !reply.is_ok() {
                return Err(self
                    .failure(FailureKind::ImapUnexpected)
                    .arg("detail", format!("SEARCH: {}", reply.describe())));
            }
            found.push(any);
        }
        // Leave the folder, or the next APPEND meets a read-only selection:
        // UNSELECT where offered (RFC 3691), else CLOSE (after EXAMINE it
        // expunges nothing, RFC 3501 6.4.2).
        let left = if self.has("UNSELECT") {
            let reply = self.exchange("UNSELECT", "UNSELECT", &mut |_| {}).await?;
            reply
                .is_ok()
                .then_some(())
                .ok_or_else(|| format!("UNSELECT: {}", reply.describe()))
        } else {
            self.call("CLOSE", limit, async |imap| typed(imap.close().await))
                .await?
                .map_err(|words| format!("CLOSE: {words}"))
        };
        if let Err(detail) = left {
            return Err(self
                .failure(FailureKind::ImapUnexpected)
                .arg("detail", detail));
        }
        Ok(found)
    }

    /// Says goodbye (best effort, bounded).
    pub async fn logout(mut self) {
        if self.broken {
            return;
        }
        let _ = bounded(self.timeout, async { Ok(self.imap.logout().await) }).await;
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
