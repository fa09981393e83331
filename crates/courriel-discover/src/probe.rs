//! Probing a guessed server: TLS only, never plaintext. A probe connects,
//! secures the connection (implicit TLS, or STARTTLS that must be offered
//! and must succeed), reads the greeting and the capabilities, and says
//! goodbye. It logs in to nothing: no password is ever sent to a guess.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use courriel_core::Security;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};

/// The protocol a probe speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Imap,
    Smtp,
}

/// The longest line read, and the most lines in one reply.
const MAX_LINE: u64 = 4096;
const MAX_LINES: usize = 200;

async fn line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<String, String> {
    let mut bytes = Vec::new();
    let n = (&mut *reader)
        .take(MAX_LINE)
        .read_until(b'\n', &mut bytes)
        .await
        .map_err(|e| e.to_string())?;
    if n == 0 {
        return Err("the server closed the connection".into());
    }
    Ok(String::from_utf8_lossy(&bytes).trim_end().to_string())
}

/// An SMTP reply: its code and whether its lines mention `word`.
async fn smtp_reply<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    word: &str,
) -> Result<(u16, bool), String> {
    let mut mentions = false;
    for _ in 0..MAX_LINES {
        let l = line(reader).await?;
        let code = l
            .get(..3)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("not an SMTP reply: {l:?}"))?;
        mentions |= l
            .to_ascii_uppercase()
            .split_whitespace()
            .any(|w| w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-') == word);
        if l.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, mentions));
        }
    }
    Err("an endless SMTP reply".into())
}

/// An IMAP command's untagged lines mention `word`, and it ended OK.
async fn imap_reply<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    tag: &str,
    word: &str,
) -> Result<bool, String> {
    let mut mentions = false;
    for _ in 0..MAX_LINES {
        let l = line(reader).await?;
        mentions |= l.to_ascii_uppercase().split_whitespace().any(|w| w == word);
        if let Some(rest) = l.strip_prefix(tag) {
            return if rest.trim_start().to_ascii_uppercase().starts_with("OK") {
                Ok(mentions)
            } else {
                Err(format!("the server answered {l:?}"))
            };
        }
    }
    Err("an endless IMAP reply".into())
}

async fn send<W: AsyncWrite + Unpin>(writer: &mut W, text: &str) -> Result<(), String> {
    writer
        .write_all(text.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    writer.flush().await.map_err(|e| e.to_string())
}

/// After TLS: the greeting (implicit TLS only) and capabilities.
async fn secured<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    protocol: Protocol,
    greet: bool,
) -> Result<(), String> {
    let mut stream = BufReader::new(stream);
    match protocol {
        Protocol::Imap => {
            if greet {
                let greeting = line(&mut stream).await?;
                if !greeting.starts_with("* OK") && !greeting.starts_with("* PREAUTH") {
                    return Err(format!("not an IMAP greeting: {greeting:?}"));
                }
            }
            send(&mut stream, "c1 CAPABILITY\r\n").await?;
            imap_reply(&mut stream, "c1", "IMAP4REV1").await?;
            let _ = send(&mut stream, "c2 LOGOUT\r\n").await;
        }
        Protocol::Smtp => {
            if greet {
                let (code, _) = smtp_reply(&mut stream, "").await?;
                if code != 220 {
                    return Err(format!("the server greeted with {code}"));
                }
            }
            send(&mut stream, "EHLO courriel.localhost\r\n").await?;
            let (code, _) = smtp_reply(&mut stream, "").await?;
            if code != 250 {
                return Err(format!("EHLO answered {code}"));
            }
            let _ = send(&mut stream, "QUIT\r\n").await;
        }
    }
    Ok(())
}

/// Probes `host` at `address:port` with `security`; `Ok` when the server
/// is there, speaks `protocol` and secures the connection with a
/// certificate valid for `host`.
pub(crate) async fn probe(
    host: &str,
    address: IpAddr,
    port: u16,
    protocol: Protocol,
    security: Security,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> Result<(), String> {
    let work = async {
        // `address` comes from `Dns::addresses`: the policy allowed it.
        let any = courriel_net::Destinations::AnyAddress;
        let tcp = courriel_net::tcp(host, port, Some(address), &any, timeout)
            .await
            .map_err(|e| format!("{e:?}"))?;
        match security {
            Security::ImplicitTls => {
                let stream = courriel_net::tls(tls, host, tcp, timeout)
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                secured(stream, protocol, true).await
            }
            _ => {
                let mut plain = BufReader::new(tcp);
                match protocol {
                    Protocol::Imap => {
                        let greeting = line(&mut plain).await?;
                        if !greeting.starts_with("* OK") {
                            return Err(format!("not an IMAP greeting: {greeting:?}"));
                        }
                        send(&mut plain, "c0 CAPABILITY\r\n").await?;
                        if !imap_reply(&mut plain, "c0", "STARTTLS").await? {
                            return Err("STARTTLS is not offered: never plaintext".into());
                        }
                        send(&mut plain, "c1 STARTTLS\r\n").await?;
                        imap_reply(&mut plain, "c1", "").await?;
                    }
                    Protocol::Smtp => {
                        let (code, _) = smtp_reply(&mut plain, "").await?;
                        if code != 220 {
                            return Err(format!("the server greeted with {code}"));
                        }
                        send(&mut plain, "EHLO courriel.localhost\r\n").await?;
                        let (code, starttls) = smtp_reply(&mut plain, "STARTTLS").await?;
                        if code != 250 || !starttls {
                            return Err("STARTTLS is not offered: never plaintext".into());
                        }
                        send(&mut plain, "STARTTLS\r\n").await?;
                        let (code, _) = smtp_reply(&mut plain, "").await?;
                        if code != 220 {
                            return Err(format!("STARTTLS answered {code}"));
                        }
                    }
                }
                if !plain.buffer().is_empty() {
                    return Err("data sent before the TLS handshake (injection)".into());
                }
                let stream = courriel_net::tls(tls, host, plain.into_inner(), timeout)
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                secured(stream, protocol, false).await
            }
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", timeout.as_secs())))
}
