//! The page, rendered on the server in English or French: the form, an
//! area for the diagnostics beside each field, and the script (plain
//! JavaScript, `page.js`) that calls the API as the user types; the
//! "Sign in with …" area, and what the session's last sign-in came to.
//! Password inputs never get a value from the server, and no token is
//! ever in the page.

use std::fmt::Write as _;

use courriel::Lang;
use serde_json::{Value, json};

use crate::tr;

const SCRIPT: &str = include_str!("page.js");
const STYLE: &str = include_str!("page.css");

/// `text` with the characters HTML gives a meaning escaped (for text and
/// attribute values alike).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The diagnostics area of a field (named as the rules name it).
fn diagnostic(field: &str) -> String {
    format!(
        r#"<div class="diagnostic" data-field="{}" aria-live="polite"></div>"#,
        escape(field)
    )
}

/// A labelled input with its diagnostics area below it.
fn input(out: &mut String, id: &str, label: &str, attributes: &str, field: &str) {
    let _ = write!(
        out,
        r#"<div class="row"><label for="{id}">{label}</label><input id="{id}" name="{id}" {attributes}>{diag}</div>"#,
        id = escape(id),
        label = escape(label),
        diag = diagnostic(field),
    );
}

/// The security drop-down of a server.
fn security(out: &mut String, lang: Lang, prefix: &str, default: &str) {
    let option = |value: &str, text: &str| {
        format!(
            r#"<option value="{value}"{selected}>{text}</option>"#,
            selected = if value == default { " selected" } else { "" },
            text = escape(text),
        )
    };
    let _ = write!(
        out,
        r#"<div class="row"><label for="{prefix}-security">{label}</label><select id="{prefix}-security" name="{prefix}-security">{a}{b}</select>{diag}</div>"#,
        label = escape(tr(lang, "Security", "Sécurité")),
        a = option(
            "implicit-tls",
            tr(lang, "TLS (implicit)", "TLS (implicite)")
        ),
        b = option("starttls", "STARTTLS"),
        diag = diagnostic(&format!("{prefix}.security")),
    );
}

/// One server's fields: host, port, security, username, password.
fn server(out: &mut String, lang: Lang, prefix: &str, default_security: &str) {
    input(
        out,
        &format!("{prefix}-host"),
        tr(lang, "Server", "Serveur"),
        r#"type="text" autocomplete="off" spellcheck="false""#,
        &format!("{prefix}.host"),
    );
    input(
        out,
        &format!("{prefix}-port"),
        "Port",
        r#"type="text" inputmode="numeric" autocomplete="off" size="6""#,
        &format!("{prefix}.port"),
    );
    security(out, lang, prefix, default_security);
    input(
        out,
        &format!("{prefix}-username"),
        tr(lang, "Username", "Identifiant"),
        r#"type="text" autocomplete="off" spellcheck="false""#,
        &format!("{prefix}.username"),
    );
    // Never given a value: the server does not send passwords back.
    input(
        out,
        &format!("{prefix}-password"),
        tr(lang, "Password", "Mot de passe"),
        r#"type="password" autocomplete="new-password""#,
        &format!("{prefix}.password_env"),
    );
}

/// The texts the script shows, in the page's language.
fn strings(lang: Lang) -> String {
    let value = json!({
        "lookingUp": tr(lang, "Looking up your provider's settings…", "Recherche des réglages de votre fournisseur…"),
        "listing": tr(lang, "Listing the folders…", "Liste des dossiers…"),
        "sending": tr(lang, "Sending the test message…", "Envoi du message d'essai…"),
        "sentFolder": tr(lang, "Sent folder:", "Dossier des envoyés :"),
        "noSentFolder": tr(lang, "No folder looks like the Sent folder: choose one.", "Aucun dossier ne ressemble à celui des envoyés : choisissez-en un."),
        "chooseFolder": tr(lang, "(choose a folder)", "(choisissez un dossier)"),
        "automatic": tr(lang, "(automatic)", "(automatique)"),
        "sentAs": tr(lang, "Test message sent", "Message d'essai envoyé"),
        "through": tr(lang, "through", "par"),
        "failed": tr(lang, "The request failed:", "La requête a échoué :"),
        "signInWith": tr(lang, "Sign in with {provider}", "Se connecter avec {provider}"),
        "opening": tr(lang, "Opening {provider}'s sign-in page…", "Ouverture de la page de connexion de {provider}…"),
        "signedIn": tr(lang, "Signed in with {provider} as {user}.", "Connecté avec {provider} en tant que {user}."),
        "validUntil": tr(lang, "Access valid until {time}, then renewed automatically.", "Accès valable jusqu'au {time}, puis renouvelé automatiquement."),
        "signedOut": tr(lang, "Signed out: {provider} forgot the sign-in too.", "Déconnecté : {provider} a oublié la connexion, lui aussi."),
        "signedOutHere": tr(lang, "Signed out here. {provider} keeps the sign-in until it expires, or until you remove this application's access in your account's settings.", "Déconnecté ici. {provider} garde la connexion jusqu'à son expiration, ou jusqu'à ce que vous retiriez l'accès de cette application dans les réglages de votre compte."),
        "onlyOAuth2": tr(lang, "{provider} takes no password from other applications: sign in on its own page. This application never sees your password.", "{provider} n'accepte aucun mot de passe d'autres applications : connectez-vous sur sa propre page. Cette application ne voit jamais votre mot de passe."),
        "orPasswords": tr(lang, "Sign in on {provider}'s own page (this application never sees your password), or type your password below.", "Connectez-vous sur la page de {provider} (cette application ne voit jamais votre mot de passe), ou saisissez votre mot de passe ci-dessous."),
    });
    script_json(&value)
}

/// `value` as JSON to put inside `<script>`: no `</script>` can close it
/// early.
fn script_json(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// The whole page.
// One HTML document read top to bottom: splitting it would not help.
#[allow(clippy::too_many_lines)]
/// `undelivered` is the section saying which of the visitor's messages
/// could not be delivered (HTML, escaped; empty when none).
pub(crate) fn render(lang: Lang, session: &Value, undelivered: &str) -> String {
    let t = |en, fr| escape(tr(lang, en, fr));
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="{code}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body data-pending="0">
<main>
<h1>{title}</h1>
<p class="intro">{intro}</p>
{undelivered}<form id="settings" autocomplete="off" novalidate>
<section id="identity">
<div class="row"><label for="address">{address}</label><input id="address" name="address" type="email" autocomplete="email" spellcheck="false" placeholder="{placeholder}">{sender_diag}</div>
<p id="autofill-status" class="status" aria-live="polite"></p>
<p id="confirm-box" class="confirm" hidden><label><input type="checkbox" id="confirm-untrusted"> {confirm}</label></p>
<div id="oauth2" class="oauth2" hidden>
<p id="oauth2-note" class="note"></p>
<div class="actions"><button id="oauth2-sign-in" type="button" hidden></button><button id="oauth2-sign-out" class="secondary" type="button" hidden>{sign_out}</button></div>
<div id="oauth2-status" class="status" aria-live="polite"></div>
</div>
</section>
"#,
        code = lang.code(),
        title = t("Mail settings", "Réglages de messagerie"),
        intro = t(
            "Mail you send from this application goes out through your own mail server, under your address, and a copy is filed in your Sent folder. Type your address: your provider's settings fill in.",
            "Les messages envoyés depuis cette application partent par votre propre serveur de messagerie, sous votre adresse, et une copie est rangée dans vos messages envoyés. Saisissez votre adresse : les réglages de votre fournisseur se remplissent.",
        ),
        address = t("Your email address", "Votre adresse e-mail"),
        placeholder = t("you@example.org", "vous@exemple.fr"),
        sender_diag = diagnostic("sender"),
        confirm = t(
            "I checked these settings: use them",
            "J'ai vérifié ces réglages : les utiliser",
        ),
        sign_out = t("Sign out", "Se déconnecter"),
    );

    let _ = write!(
        out,
        r#"<fieldset id="smtp">
<legend>{legend}</legend>
<p class="note">{note}</p>
{diag}
"#,
        legend = t("Sending (SMTP) — optional", "Envoi (SMTP) — facultatif"),
        note = t(
            "Leave empty to send through the application's default provider.",
            "Laissez vide pour envoyer par le fournisseur par défaut de l'application.",
        ),
        diag = diagnostic("smtp"),
    );
    server(&mut out, lang, "smtp", "starttls");
    let _ = write!(
        out,
        r#"<p id="sender-advice" class="advice">{advice}</p>
</fieldset>
<fieldset id="imap">
<legend>{legend}</legend>
<p class="note">{note}</p>
{diag}
"#,
        advice = t(
            "Advice: send as the address of the SMTP account itself. Most providers refuse, or send to spam, mail whose sender is not the account logged in.",
            "Conseil : envoyez sous l'adresse du compte SMTP lui-même. La plupart des fournisseurs refusent, ou classent en indésirables, les messages dont l'expéditeur n'est pas le compte connecté.",
        ),
        legend = t(
            "Copy in your Sent folder (IMAP) — optional",
            "Copie dans vos messages envoyés (IMAP) — facultatif",
        ),
        note = t(
            "Without it, no copy of the mail sent is kept in your mailbox.",
            "Sans cela, aucune copie des messages envoyés n'est gardée dans votre boîte.",
        ),
        diag = diagnostic("imap"),
    );
    server(&mut out, lang, "imap", "implicit-tls");
    let _ = write!(
        out,
        r#"<div class="row"><label for="sent-folder">{folder}</label><span class="folder"><select id="sent-folder" name="sent-folder"><option value="" selected>{auto}</option></select><button id="reload-folders" type="button" title="{reload}" aria-label="{reload}">…</button></span>{diag}{copy_diag}</div>
<div id="folders-status" class="status" aria-live="polite"></div>
</fieldset>
<section id="test">
<button id="test-send" type="button">{send}</button>
<p class="note">{send_note}</p>
<div id="receipt" class="status" aria-live="polite"></div>
</section>
</form>
</main>
<script type="application/json" id="strings">{strings}</script>
<script type="application/json" id="session">{session}</script>
<script>{SCRIPT}</script>
</body>
</html>
"#,
        folder = t("Sent folder", "Dossier des envoyés"),
        auto = t("(automatic)", "(automatique)"),
        reload = t("Reload the folder list", "Recharger la liste des dossiers"),
        diag = diagnostic("imap.sent_folder"),
        copy_diag = diagnostic("imap.copy_to_sent"),
        send = t("Send a test message", "Envoyer un message d'essai"),
        send_note = t(
            "It goes to your own address; its copy is filed in your Sent folder.",
            "Il part vers votre propre adresse ; sa copie est rangée dans vos messages envoyés.",
        ),
        strings = strings(lang),
        session = script_json(session),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_page_has_every_element_the_script_and_the_tests_use() {
        for lang in Lang::ALL {
            let page = render(lang, &json!({ "outcome": null }), "");
            for id in [
                "address",
                "autofill-status",
                "confirm-untrusted",
                "smtp-host",
                "smtp-port",
                "smtp-security",
                "smtp-username",
                "smtp-password",
                "imap-host",
                "imap-port",
                "imap-security",
                "imap-username",
                "imap-password",
                "sent-folder",
                "reload-folders",
                "folders-status",
                "sender-advice",
                "test-send",
                "receipt",
                "oauth2",
                "oauth2-note",
                "oauth2-sign-in",
                "oauth2-sign-out",
                "oauth2-status",
                "session",
            ] {
                assert!(page.contains(&format!(r#"id="{id}""#)), "{id} in {lang:?}");
            }
            assert!(page.contains(r#"<body data-pending="0">"#));
            assert!(page.contains(r#"data-field="smtp.username""#));
            assert_eq!(
                page.matches(r#"type="password" autocomplete="new-password""#)
                    .count(),
                2
            );
            assert!(
                !strings(lang).contains('<'),
                "no string can close its script"
            );
        }
        let none = json!({ "outcome": null });
        assert!(render(Lang::Fr, &none, "").contains(r#"<html lang="fr">"#));
        assert!(render(Lang::En, &none, "").contains("Send a test message"));
        assert!(render(Lang::Fr, &none, "").contains("Envoyer un message d&#39;essai"));
    }

    #[test]
    fn the_sessions_outcome_cannot_close_its_script() {
        let hostile =
            json!({ "outcome": { "ok": false, "message": "</script><script>alert(1)</script>" } });
        let page = render(Lang::En, &hostile, "");
        assert!(!page.contains("<script>alert(1)"), "{page}");
        assert!(page.contains(r#"<script type="application/json" id="session">{"outcome":"#));
    }
}
