//! Embedding courriel: check an account, then send a message as its user,
//! with the copy filed in their Sent folder.
//!
//! `cargo run -p courriel --example embed -- account.toml client@example.org`

use courriel::{Account, Email, EmailAddress, Mailbox, Mailer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, to] = args.as_slice() else {
        return Err("usage: embed ACCOUNT.toml RECIPIENT".into());
    };
    // Settings from the file; passwords from the variables it names.
    let account = Account::load(file.as_ref())?;
    let sender = EmailAddress::parse(account.settings().sender.as_deref().unwrap_or(""))?;
    let email = Email::from(Mailbox::new(sender))
        .to(Mailbox::new(EmailAddress::parse(to)?))
        .subject("Facture F-42")
        .text("Bonjour,\n\nVeuillez trouver votre facture ci-jointe.\n")
        .attach("F-42.pdf", "application/pdf", b"%PDF-1.7 ...".to_vec());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // One mailer for the whole application: it pools connections per
        // account and keeps copies it could not file yet in the spool.
        let mailer = Mailer::builder(std::env::temp_dir().join("embed-spool")).build()?;
        // Rules, then the SMTP and IMAP servers live, at the same time.
        if !mailer.check(&account).await.is_ok() {
            return Err("the account is not ready: `courriel check --config FILE` says why".into());
        }
        // Parsed once (keep it while the settings do not change), then
        // sent; the exact bytes sent are filed in the Sent folder.
        let account = mailer.resolve(&account);
        let receipt = mailer.send(&account, email).await?;
        let filing = receipt.filing.summary(courriel::Lang::En);
        println!("sent <{}>: {filing}", receipt.message_id);
        mailer.close().await;
        Ok(())
    })
}
