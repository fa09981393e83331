//! Reading a server's permanent refusal: does it say the login may not
//! send as this address? Servers say so at different steps and in their
//! own words: Postfix at MAIL or RCPT (`553 5.7.1 ... Sender address
//! rejected: not owned by user`), Exim's usual ACL at MAIL or RCPT
//! (`550 Sender address does not match authenticated user`), Exchange and
//! Microsoft 365 only after the message (`550 5.7.60 ... Client does not
//! have permissions to send as this sender`). The step, the reply code, the
//! enhanced status code (RFC 3463) and the known texts decide; the table of
//! real answers in `data/smtp-refusals.tsv` is the test.

/// Where in the transaction a refusal came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// `MAIL FROM`.
    Mail,
    /// `RCPT TO`.
    Rcpt,
    /// The end of the message data.
    Data,
}

/// Texts that say the sender is not the login's to use, lower case.
const NOT_OWNED: &[&str] = &[
    "not owned",
    "send as",
    "sendas",
    "send-as",
    "sender mismatch",
    "not authorized to send from",
    "not allowed to send from",
];

/// Whether the permanent refusal `reply` (code and text) to `command` says
/// the login may not send as the envelope's sender.
pub(crate) fn refuses_sender(command: Command, code: u16, reply: &str) -> bool {
    let text = reply.to_ascii_lowercase();
    // RFC 3463's X.7.60 is "send as denied" (Microsoft's registration).
    if enhanced(&text) == Some((5, 7, 60)) {
        return true;
    }
    let said = NOT_OWNED.iter().any(|t| text.contains(t))
        || (text.contains("does not match")
            && ["authenticated", "login", "logged in", "auth "]
                .iter()
                .any(|t| text.contains(t)));
    match command {
        // 553 to MAIL: "mailbox name not allowed", of the sender's; unless
        // it names an IP address: then it refuses the client's address
        // (Yahoo's "553 Mail from 192.0.2.1 not allowed").
        Command::Mail => said || (code == 553 && !names_an_ip_address(&text)),
        Command::Rcpt | Command::Data => said,
    }
}

/// What a refused login means when no password (or new token) can fix
/// it: Microsoft 365's SMTP AUTH switched off for the organisation or
/// the mailbox (`535 5.7.139 Authentication unsuccessful,
/// SmtpClientAuthentication is disabled for the Tenant`), or password
/// sign-in retired (`535 5.7.139 Authentication unsuccessful, basic
/// authentication is disabled`, `5.7.30 Basic authentication is not
/// supported for Client Submission`). `None` for any other refusal.
pub(crate) fn login_refusal(reply: &str) -> Option<courriel_core::failure::FailureKind> {
    use courriel_core::failure::FailureKind;
    let text = reply.to_ascii_lowercase();
    if text.contains("smtpclientauthentication is disabled")
        || (text.contains("5.7.139") && text.contains("smtp_auth_disabled"))
    {
        return Some(FailureKind::SmtpAuthDisabledForTenant);
    }
    if text.contains("basic authentication is disabled")
        || text.contains("basic authentication is not supported")
        || enhanced(&text) == Some((5, 7, 30))
    {
        return Some(FailureKind::PasswordLoginRetired);
    }
    None
}

/// Whether a word of `text` is an IP address (`192.0.2.1`, `[2001:db8::1]`).
fn names_an_ip_address(text: &str) -> bool {
    text.split_whitespace().any(|word| {
        word.trim_matches(|c: char| matches!(c, '[' | ']' | '(' | ')' | ',' | ';' | ':' | '.'))
            .parse::<std::net::IpAddr>()
            .is_ok()
    })
}

/// The enhanced status code (`5.7.1`) among the first words of a reply
/// (after its three-digit code, or a library's "permanent error (550):"),
/// if any.
fn enhanced(text: &str) -> Option<(u8, u16, u16)> {
    text.split_whitespace().take(4).find_map(|word| {
        // `550-5.7.1`: a continued reply's code, then the enhanced one.
        let word = word
            .split_once('-')
            .filter(|(code, _)| code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()))
            .map_or(word, |(_, rest)| rest);
        let word = word.trim_end_matches([';', ':', ',']);
        let mut parts = word.split('.');
        let class = parts.next()?.parse().ok()?;
        let subject = parts.next()?.parse().ok()?;
        let detail = parts.next()?.parse().ok()?;
        (parts.next().is_none() && matches!(class, 2 | 4 | 5)).then_some((class, subject, detail))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_real_answer_of_the_table_is_read_as_it_says() {
        let table = include_str!("../data/smtp-refusals.tsv");
        let mut rows = 0;
        for line in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 5, "five tab-separated fields: {line}");
            let step = match fields[0] {
                "MAIL" => Command::Mail,
                "RCPT" => Command::Rcpt,
                "DATA" => Command::Data,
                other => panic!("unknown step {other}: {line}"),
            };
            let code: u16 = fields[1][..3].parse().unwrap();
            let says_sender = match fields[2] {
                "sender" => true,
                "other" => false,
                other => panic!("unknown verdict {other}: {line}"),
            };
            assert!(
                !fields[4].trim().is_empty(),
                "every row names its source: {line}"
            );
            assert_eq!(
                refuses_sender(step, code, fields[1]),
                says_sender,
                "{} ({}): {}",
                fields[3],
                fields[0],
                fields[1]
            );
            rows += 1;
        }
        assert!(rows >= 10, "{rows}");
    }

    #[test]
    fn enhanced_codes_are_read_after_the_reply_code() {
        assert_eq!(enhanced("550 5.7.60 SMTP; Client"), Some((5, 7, 60)));
        assert_eq!(enhanced("5.1.1 <x>: Recipient"), Some((5, 1, 1)));
        assert_eq!(enhanced("550 Sender address does not match"), None);
        assert_eq!(enhanced("550-5.7.1 first line"), Some((5, 7, 1)));
        assert_eq!(
            enhanced("permanent error (550): 5.7.60 SMTP; Client"),
            Some((5, 7, 60))
        );
    }
}
