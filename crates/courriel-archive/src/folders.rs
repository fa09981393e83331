//! Folders as the server lists them, and the choice of the Sent folder.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization as _;

use async_imap::imap_proto::{MailboxListData, NameAttribute};

use crate::mutf7;

/// Which namespace a folder is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamespaceKind {
    /// The user's own folders.
    Personal,
    /// Other users' folders.
    OtherUsers,
    /// Shared folders.
    Shared,
}

/// A folder from `LIST`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    /// The name decoded for people (`Éléments envoyés`).
    pub name: String,
    /// The name exactly as on the wire (`&AMk-l&AOk-ments envoy&AOk-s`): use it in commands.
    pub raw: String,
    /// The hierarchy delimiter, if the server has one.
    pub delimiter: Option<char>,
    /// Attributes as the server sent them (`\HasNoChildren`, `\Sent`).
    pub attributes: Vec<String>,
    /// Whether messages can be stored in it (not `\Noselect` or `\NonExistent`).
    pub selectable: bool,
    /// Its namespace.
    pub namespace: NamespaceKind,
}

impl Folder {
    /// Whether it carries this attribute (case-insensitive, `\Sent`).
    #[must_use]
    pub fn has(&self, attribute: &str) -> bool {
        self.attributes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(attribute))
    }
}

/// The namespaces of `NAMESPACE` (RFC 2342): `(prefix, delimiter)` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespaces {
    /// The user's own.
    pub personal: Vec<(String, Option<char>)>,
    /// Other users'.
    pub other_users: Vec<(String, Option<char>)>,
    /// Shared.
    pub shared: Vec<(String, Option<char>)>,
}

impl Namespaces {
    fn kind_of(&self, raw: &str) -> NamespaceKind {
        let matches = |list: &[(String, Option<char>)]| {
            list.iter()
                .any(|(p, _)| !p.is_empty() && raw.starts_with(p.as_str()))
        };
        if matches(&self.other_users) {
            NamespaceKind::OtherUsers
        } else if matches(&self.shared) {
            NamespaceKind::Shared
        } else {
            NamespaceKind::Personal
        }
    }
}

/// Why a folder was chosen for sent mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// The server marks it `\Sent` (SPECIAL-USE, RFC 6154).
    Attribute,
    /// Its name is the provider's known Sent folder (from the catalog).
    ProviderHint,
    /// Its name is a known localized name of a Sent folder.
    LocalizedName {
        /// The name matched, normalised.
        matched: String,
    },
    /// The user chose it.
    UserChoice,
}

impl Reason {
    /// A stable name for JSON and logs.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Attribute => "attribute",
            Reason::ProviderHint => "provider-hint",
            Reason::LocalizedName { .. } => "localized-name",
            Reason::UserChoice => "user-choice",
        }
    }
}

/// The Sent folder and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentChoice {
    /// The folder.
    pub folder: Folder,
    /// Why it was chosen.
    pub reason: Reason,
}

const NAMES: &str = include_str!("../data/sent-folder-names.txt");

static SENT_NAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    NAMES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect()
});

/// A name compared the way the names list is written: NFKC, lower case.
fn normalize(name: &str) -> String {
    name.nfkc().collect::<String>().to_lowercase()
}

/// The path below the personal prefix (`INBOX.Sent` with prefix `INBOX.` → `Sent`).
fn relative<'a>(folder: &'a Folder, prefixes: &[String]) -> &'a str {
    let mut best = folder.name.as_str();
    for prefix in prefixes {
        if let Some(rest) = folder.name.strip_prefix(prefix.as_str())
            && !rest.is_empty()
            && rest.len() < best.len()
        {
            best = rest;
        }
    }
    best
}

fn depth(path: &str, delimiter: Option<char>) -> usize {
    delimiter.map_or(0, |d| path.matches(d).count())
}

fn last_component(folder: &Folder) -> &str {
    match folder.delimiter {
        Some(d) => folder.name.rsplit(d).next().unwrap_or(&folder.name),
        None => &folder.name,
    }
}

/// Chooses the folder for sent mail, in this order: the user's choice; the
/// `\Sent` attribute; the provider's known Sent folder; a known localized
/// name for the whole path below the personal prefix (`Sent`, `INBOX.Sent`,
/// `Éléments envoyés`, never `Archive/Sent` or `Unsent Messages`). Only
/// selectable folders of the user's own namespace qualify; ties go to the
/// shallowest, then the smallest name, never to the server's order.
/// `None` when nothing qualifies: no guess.
#[must_use]
pub fn choose_sent(
    folders: &[Folder],
    namespaces: &Namespaces,
    provider_hint: Option<&str>,
    user_choice: Option<&str>,
) -> Option<SentChoice> {
    if let Some(choice) = user_choice.filter(|c| !c.eq_ignore_ascii_case("auto")) {
        let folder = folders
            .iter()
            .find(|f| f.raw == choice)
            .or_else(|| folders.iter().find(|f| f.name == choice))?;
        return Some(SentChoice {
            folder: folder.clone(),
            reason: Reason::UserChoice,
        });
    }
    let mut prefixes: Vec<String> = namespaces
        .personal
        .iter()
        .map(|(p, _)| p.clone())
        .filter(|p| !p.is_empty())
        .collect();
    prefixes.push("INBOX.".to_string());
    prefixes.push("INBOX/".to_string());
    let candidates: Vec<&Folder> = folders
        .iter()
        .filter(|f| f.selectable && f.namespace == NamespaceKind::Personal)
        .collect();
    let best = |mut list: Vec<&Folder>| -> Option<Folder> {
        list.sort_by(|a, b| {
            let (ra, rb) = (relative(a, &prefixes), relative(b, &prefixes));
            depth(ra, a.delimiter)
                .cmp(&depth(rb, b.delimiter))
                .then_with(|| a.raw.cmp(&b.raw))
        });
        list.first().map(|f| (*f).clone())
    };
    if let Some(folder) = best(
        candidates
            .iter()
            .copied()
            .filter(|f| f.has("\\Sent"))
            .collect(),
    ) {
        return Some(SentChoice {
            folder,
            reason: Reason::Attribute,
        });
    }
    if let Some(hint) = provider_hint {
        let matched = candidates
            .iter()
            .copied()
            .filter(|f| f.raw == hint || f.name == hint)
            .collect();
        if let Some(folder) = best(matched) {
            return Some(SentChoice {
                folder,
                reason: Reason::ProviderHint,
            });
        }
    }
    let localized: Vec<&Folder> = candidates
        .iter()
        .copied()
        .filter(|f| {
            let path = relative(f, &prefixes);
            depth(path, f.delimiter) == 0
                && SENT_NAMES.contains(normalize(last_component(f)).as_str())
        })
        .collect();
    let folder = best(localized)?;
    let matched = normalize(last_component(&folder));
    Some(SentChoice {
        folder,
        reason: Reason::LocalizedName { matched },
    })
}

/// The folder to create when the server has no Sent folder (raw IMAP
/// name), as mail programs do: the provider's known Sent folder when the
/// catalog has one, else `Sent` under the first personal namespace's
/// prefix (`INBOX.Sent` where the prefix is `INBOX.`).
#[must_use]
pub fn sent_folder_to_create(namespaces: &Namespaces, provider_hint: Option<&str>) -> String {
    if let Some(hint) = provider_hint.map(str::trim).filter(|h| !h.is_empty()) {
        return hint.to_string();
    }
    let Some((prefix, delimiter)) = namespaces.personal.first() else {
        return "Sent".to_string();
    };
    match delimiter {
        Some(d) if !prefix.is_empty() && !prefix.ends_with(*d) => format!("{prefix}{d}Sent"),
        _ => format!("{prefix}Sent"),
    }
}

/// A folder from a `LIST` response as async-imap's parser (imap-proto)
/// gives it: the name and delimiter as on the wire (a quoted string still
/// escaped), the attributes by kind.
pub(crate) fn folder_from_list(list: &MailboxListData<'_>, namespaces: &Namespaces) -> Folder {
    let attributes: Vec<String> = list
        .name_attributes
        .iter()
        .map(|a| {
            match a {
                NameAttribute::NoInferiors => "\\Noinferiors",
                NameAttribute::NoSelect => "\\Noselect",
                NameAttribute::Marked => "\\Marked",
                NameAttribute::Unmarked => "\\Unmarked",
                NameAttribute::All => "\\All",
                NameAttribute::Archive => "\\Archive",
                NameAttribute::Drafts => "\\Drafts",
                NameAttribute::Flagged => "\\Flagged",
                NameAttribute::Junk => "\\Junk",
                NameAttribute::Sent => "\\Sent",
                NameAttribute::Trash => "\\Trash",
                NameAttribute::Extension(other) => other,
                // `NameAttribute` may grow.
                _ => "",
            }
            .to_string()
        })
        .filter(|a| !a.is_empty())
        .collect();
    let delimiter = list.delimiter.as_deref().and_then(|d| {
        let mut chars = d.chars();
        match chars.next()? {
            '\\' => chars.next(),
            c => Some(c),
        }
    });
    let raw = unescape_quoted(&list.name);
    let name = if raw.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_string()
    } else {
        mutf7::decode_lenient(&raw)
    };
    let selectable = !attributes
        .iter()
        .any(|a| a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent"));
    let namespace = namespaces.kind_of(&raw);
    Folder {
        name,
        raw,
        delimiter,
        attributes,
        selectable,
        namespace,
    }
}

/// A quoted string's content as imap-proto leaves it (`a\"b` for
/// `"a\"b"`), unescaped. A name sent as a literal is never escaped; one
/// holding a backslash before a quote or backslash is read as if quoted.
fn unescape_quoted(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ ('\\' | '"')) => out.push(next),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// Parses `* NAMESPACE (("" "/")) NIL (("#shared/" "/"))`.
pub(crate) fn parse_namespace_line(line: &[u8]) -> Option<Namespaces> {
    let text = String::from_utf8_lossy(line);
    let mut rest = text.strip_prefix("* NAMESPACE ")?.trim();
    let mut lists = Vec::new();
    for _ in 0..3 {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("NIL") {
            lists.push(Vec::new());
            rest = r;
            continue;
        }
        let (list, r) = parse_namespace_list(rest)?;
        lists.push(list);
        rest = r;
    }
    let shared = lists.pop()?;
    let other_users = lists.pop()?;
    let personal = lists.pop()?;
    Some(Namespaces {
        personal,
        other_users,
        shared,
    })
}

/// `(prefix, delimiter)` pairs of one namespace kind.
type NamespaceList = Vec<(String, Option<char>)>;

fn parse_namespace_list(s: &str) -> Option<(NamespaceList, &str)> {
    let mut rest = s.strip_prefix('(')?;
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix(')') {
            return Some((out, r));
        }
        rest = rest.strip_prefix('(')?;
        let (prefix, r) = quoted(rest.trim_start())?;
        let r = r.trim_start();
        let (delimiter, r) = if let Some(r) = r.strip_prefix("NIL") {
            (None, r)
        } else {
            let (d, r) = quoted(r)?;
            (d.chars().next(), r)
        };
        // Skip namespace extensions up to the closing parenthesis.
        let mut depth = 0;
        let mut end = None;
        for (i, c) in r.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = Some(i);
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        out.push((mutf7::decode_lenient(&prefix), delimiter));
        rest = &r[end? + 1..];
    }
}

fn quoted(s: &str) -> Option<(String, &str)> {
    let inner = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut iter = inner.char_indices();
    while let Some((i, c)) = iter.next() {
        match c {
            '\\' => out.push(iter.next()?.1),
            '"' => return Some((out, &inner[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use async_imap::imap_proto::{MailboxDatum, Response};

    use super::*;

    /// A folder from one `* LIST` line (without its line end), parsed as
    /// async-imap parses it.
    fn parse_list_line(line: &[u8], ns: &Namespaces) -> Option<Folder> {
        let line = [line, b"\r\n"].concat();
        match Response::parse(&line).ok()? {
            ([], Response::MailboxData(MailboxDatum::List(list))) => {
                Some(folder_from_list(&list, ns))
            }
            _ => None,
        }
    }

    fn folders(lines: &[&str], ns: &Namespaces) -> Vec<Folder> {
        lines
            .iter()
            .filter_map(|l| parse_list_line(l.as_bytes(), ns))
            .collect()
    }

    #[test]
    fn namespaces() {
        let ns = parse_namespace_line(b"* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL").unwrap();
        assert_eq!(ns.personal, [("INBOX.".to_string(), Some('.'))]);
        let ns = parse_namespace_line(b"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\" \"X-PARAM\" (\"FLAG1\")))").unwrap();
        assert_eq!(ns.other_users, [("~".to_string(), Some('/'))]);
        assert_eq!(ns.shared.len(), 2);
        assert!(parse_namespace_line(b"* NAMESPACE garbage").is_none());
    }

    #[test]
    fn the_sent_attribute_wins() {
        let ns = Namespaces::default();
        let f = folders(
            &[
                "* LIST (\\HasNoChildren) \"/\" \"Sent Items\"",
                "* LIST (\\HasNoChildren \\Sent) \"/\" Envoy&AOk-s",
            ],
            &ns,
        );
        let choice = choose_sent(&f, &ns, None, None).unwrap();
        assert_eq!(
            (choice.folder.name.as_str(), choice.reason),
            ("Envoyés", Reason::Attribute)
        );
    }

    #[test]
    fn localized_names_match_whole_and_at_the_top_only() {
        let ns = parse_namespace_line(b"* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL").unwrap();
        let traps = folders(
            &[
                "* LIST () \".\" INBOX.Presentations",
                "* LIST () \".\" \"INBOX.Unsent Messages\"",
                "* LIST () \".\" INBOX.Sent.2020",
                "* LIST () \".\" INBOX.Archive.Sent",
                "* LIST (\\Noselect) \".\" INBOX.Gesendet",
            ],
            &ns,
        );
        assert_eq!(choose_sent(&traps, &ns, None, None), None);
        let mut all = traps.clone();
        all.extend(folders(&["* LIST () \".\" INBOX.Sent"], &ns));
        let choice = choose_sent(&all, &ns, None, None).unwrap();
        assert_eq!(choice.folder.raw, "INBOX.Sent");
        assert_eq!(
            choice.reason,
            Reason::LocalizedName {
                matched: "sent".into()
            }
        );
    }

    #[test]
    fn a_sent_folder_is_not_confused_with_its_subfolders() {
        let ns = Namespaces::default();
        let f = folders(
            &[
                "* LIST () \"/\" \"Sent/Old Sent\"",
                "* LIST (\\Noselect) \"/\" Sent",
                "* LIST () \"/\" Archive/Sent",
            ],
            &ns,
        );
        assert_eq!(
            choose_sent(&f, &ns, None, None),
            None,
            "a \\Noselect Sent, a nested one, and an old one do not qualify"
        );
        let mut with_sent = f.clone();
        with_sent.extend(folders(&["* LIST () \"/\" \"Sent Items\""], &ns));
        assert_eq!(
            choose_sent(&with_sent, &ns, None, None).unwrap().folder.raw,
            "Sent Items"
        );
    }

    #[test]
    fn ties_do_not_depend_on_server_order() {
        let ns = Namespaces::default();
        let a = folders(&["* LIST () \"/\" Gesendet", "* LIST () \"/\" Sent"], &ns);
        let b = folders(&["* LIST () \"/\" Sent", "* LIST () \"/\" Gesendet"], &ns);
        assert_eq!(
            choose_sent(&a, &ns, None, None),
            choose_sent(&b, &ns, None, None)
        );
        assert_eq!(
            choose_sent(&a, &ns, None, None).unwrap().folder.raw,
            "Gesendet"
        );
    }

    #[test]
    fn provider_hint_and_user_choice() {
        let ns = Namespaces::default();
        let f = folders(
            &["* LIST () \"/\" Sent", "* LIST () \"/\" Outbox-copies"],
            &ns,
        );
        assert_eq!(
            choose_sent(&f, &ns, Some("Outbox-copies"), None)
                .unwrap()
                .reason,
            Reason::ProviderHint
        );
        let user = choose_sent(&f, &ns, None, Some("Outbox-copies")).unwrap();
        assert_eq!(
            (user.folder.raw.as_str(), user.reason),
            ("Outbox-copies", Reason::UserChoice)
        );
        assert_eq!(choose_sent(&f, &ns, None, Some("Nope")), None);
        assert_eq!(
            choose_sent(&f, &ns, None, Some("auto")).unwrap().folder.raw,
            "Sent"
        );
    }

    #[test]
    fn other_users_and_shared_folders_never_qualify() {
        let ns = parse_namespace_line(
            b"* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) ((\"Shared/\" \"/\"))",
        )
        .unwrap();
        let f = folders(
            &[
                "* LIST (\\Sent) \"/\" \"Other Users/bob/Sent\"",
                "* LIST (\\Sent) \"/\" Shared/Sent",
            ],
            &ns,
        );
        assert_eq!(choose_sent(&f, &ns, None, None), None);
    }

    #[test]
    fn the_sent_folder_to_create_follows_the_personal_namespace() {
        let ns = |line: &str| parse_namespace_line(line.as_bytes()).unwrap();
        assert_eq!(
            sent_folder_to_create(&ns("* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL"), None),
            "INBOX.Sent"
        );
        assert_eq!(
            sent_folder_to_create(&ns("* NAMESPACE ((\"\" \"/\")) NIL NIL"), None),
            "Sent"
        );
        assert_eq!(
            sent_folder_to_create(&ns("* NAMESPACE ((\"INBOX\" \"/\")) NIL NIL"), None),
            "INBOX/Sent",
            "a prefix without its delimiter gets one"
        );
        assert_eq!(sent_folder_to_create(&Namespaces::default(), None), "Sent");
        assert_eq!(
            sent_folder_to_create(
                &ns("* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL"),
                Some("INBOX.Sent Messages")
            ),
            "INBOX.Sent Messages",
            "the provider's own name first"
        );
    }

    #[test]
    fn list_lines() {
        let ns = Namespaces::default();
        let f = parse_list_line(
            b"* LIST (\\HasNoChildren) \"/\" \"&AMk-l&AOk-ments envoy&AOk-s\"",
            &ns,
        )
        .unwrap();
        assert_eq!(
            (f.name.as_str(), f.raw.as_str()),
            ("Éléments envoyés", "&AMk-l&AOk-ments envoy&AOk-s")
        );
        let f = parse_list_line(b"* LIST () NIL {4}\r\nA\"b/", &ns).unwrap();
        assert_eq!((f.delimiter, f.raw.as_str()), (None, "A\"b/"));
        let f = parse_list_line(
            b"* LIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\"",
            &ns,
        )
        .unwrap();
        assert!(f.has("\\sent"));
        // Invalid modified UTF-7 from a server never fails.
        let f = parse_list_line(b"* LIST () \"/\" \"&Jjo!\"", &ns).unwrap();
        assert_eq!(f.name, "&Jjo!");
        assert!(parse_list_line(b"* LIST garbage", &ns).is_none());
        // Quoted names and delimiters arrive escaped.
        let f = parse_list_line(b"* LIST (\\NoSelect) \"\\\\\" \"a\\\"b\\\\c\"", &ns).unwrap();
        assert_eq!(
            (f.delimiter, f.raw.as_str(), f.selectable),
            (Some('\\'), "a\"b\\c", false)
        );
    }
}
