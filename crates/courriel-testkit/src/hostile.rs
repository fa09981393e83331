//! Small hostile servers for fault-injection tests, on 127.0.0.1: each
//! connection is handed to a script (a closure) that says what it likes,
//! when it likes, over TLS with the test certificate or in plain text; and
//! a proxy to a real server that cuts the connection after a number of
//! bytes from the client (a server dying mid-transaction).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A connection as a script sees it.
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A line-oriented view of a connection for scripts.
pub struct Script {
    reader: BufReader<Box<dyn Stream>>,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Script")
    }
}

impl Script {
    /// Writes `text` and flushes (errors ignored: the client may be gone).
    pub fn say(&mut self, text: &str) {
        let stream = self.reader.get_mut();
        let _ = stream.write_all(text.as_bytes());
        let _ = stream.flush();
    }

    /// Writes raw bytes.
    pub fn say_bytes(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let stream = self.reader.get_mut();
        stream.write_all(bytes)?;
        stream.flush()
    }

    /// Reads one line (without its end); `None` when the client is gone.
    pub fn hear(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end().to_string()),
        }
    }

    /// Takes the literal announced at the end of `command` (an IMAP
    /// `APPEND ... {n}`, or `{n+}` with LITERAL+, which needs no go-ahead),
    /// then the command's final line; returns its size.
    pub fn take_literal(&mut self, command: &str) -> usize {
        self.literal(command).len()
    }

    /// The bytes of the literal announced at the end of `command` (see
    /// [`Script::take_literal`]), as many as the client sent of them.
    pub fn literal(&mut self, command: &str) -> Vec<u8> {
        self.literal_and_rest(command).0
    }

    /// The literal announced at the end of `command` and the rest of the
    /// line after it (in a MULTIAPPEND, the next copy's `(\Seen) {n+}`).
    pub fn literal_and_rest(&mut self, command: &str) -> (Vec<u8>, String) {
        let announced = command
            .rsplit_once('{')
            .map(|(_, n)| n.trim_end_matches('}'));
        let size: usize = announced
            .and_then(|n| n.trim_end_matches('+').parse().ok())
            .unwrap_or(0);
        if !announced.is_some_and(|n| n.ends_with('+')) {
            self.say("+ go\r\n");
        }
        let mut literal = Vec::with_capacity(size.min(64 << 20));
        let _ = (&mut self.reader)
            .take(u64::try_from(size).unwrap_or(u64::MAX))
            .read_to_end(&mut literal);
        let rest = self.hear().unwrap_or_default();
        (literal, rest)
    }

    /// The underlying stream, for a TLS upgrade by the script.
    #[must_use]
    pub fn into_inner(self) -> Box<dyn Stream> {
        self.reader.into_inner()
    }
}

/// Starts a server on 127.0.0.1 whose every connection runs `script`;
/// over TLS (the test certificate) when `tls`. Returns the port.
pub fn serve(tls: bool, script: impl Fn(Script) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("its address").port();
    let script = Arc::new(script);
    let config = tls.then(crate::web::server_config);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (script, config) = (script.clone(), config.clone());
            std::thread::spawn(move || {
                let stream: Box<dyn Stream> = match config {
                    Some(config) => match rustls::ServerConnection::new(config) {
                        Ok(c) => Box::new(rustls::StreamOwned::new(c, stream)),
                        Err(_) => return,
                    },
                    None => Box::new(stream),
                };
                script(Script {
                    reader: BufReader::new(stream),
                });
            });
        }
    });
    port
}

/// Upgrades a plain connection to TLS with the test certificate (after a
/// script answered STARTTLS).
#[must_use]
pub fn upgrade(script: Script) -> Script {
    let stream = script.into_inner();
    let connection =
        rustls::ServerConnection::new(crate::web::server_config()).expect("a TLS server");
    Script {
        reader: BufReader::new(Box::new(rustls::StreamOwned::new(connection, stream))),
    }
}

/// A proxy on 127.0.0.1 to `target_port`: each client's connection gets
/// one to the target, and `relay(client, server)` runs on a thread of its
/// own with both. Returns the port.
fn proxy(target_port: u16, relay: impl Fn(TcpStream, TcpStream) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("its address").port();
    let relay = Arc::new(relay);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                continue;
            };
            let relay = relay.clone();
            std::thread::spawn(move || relay(client, server));
        }
    });
    port
}

/// Both halves of each stream, for a thread per direction.
fn halves(client: TcpStream, server: TcpStream) -> (TcpStream, TcpStream, TcpStream, TcpStream) {
    let client_read = client.try_clone().expect("clone");
    let server_write = server.try_clone().expect("clone");
    (client_read, server_write, server, client)
}

/// A proxy on 127.0.0.1 to `target_port` that passes what the client
/// sends at most `bytes_per_second` (a slow uplink), and the server's
/// answers at full speed. Returns the port and a count of the bytes the
/// client sent through it.
#[must_use]
pub fn throttling_proxy(target_port: u16, bytes_per_second: usize) -> (u16, Arc<AtomicUsize>) {
    let sent = Arc::new(AtomicUsize::new(0));
    let total = sent.clone();
    let port = proxy(target_port, move |client, server| {
        let (mut client_read, mut server_write, mut server_read, mut client_write) =
            halves(client, server);
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut server_read, &mut client_write);
            let _ = client_write.shutdown(Shutdown::Both);
        });
        // Ten slices a second, each of a tenth of the rate.
        let slice = (bytes_per_second / 10).max(1);
        let mut buf = vec![0u8; slice];
        let start = std::time::Instant::now();
        let mut passed = 0usize;
        while let Ok(n) = client_read.read(&mut buf) {
            if n == 0 || server_write.write_all(&buf[..n]).is_err() {
                break;
            }
            passed += n;
            total.fetch_add(n, Ordering::SeqCst);
            let due = std::time::Duration::from_micros(
                (passed as u64).saturating_mul(1_000_000) / (bytes_per_second as u64),
            );
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let _ = server_write.shutdown(Shutdown::Both);
    });
    (port, sent)
}

/// A proxy on 127.0.0.1 to `target_port` that forwards both ways until
/// the client has sent `cut_after` bytes, then closes both connections at
/// once (a server dying mid-transaction). Returns the port and a flag set
/// once a cut happened.
#[must_use]
pub fn cutting_proxy(target_port: u16, cut_after: usize) -> (u16, Arc<AtomicBool>) {
    let cut = Arc::new(AtomicBool::new(false));
    let flag = cut.clone();
    let port = proxy(target_port, move |client, server| {
        let (mut client_read, mut server_write, mut server_read, mut client_write) =
            halves(client, server);
        let down = std::thread::spawn(move || {
            let _ = std::io::copy(&mut server_read, &mut client_write);
            let _ = client_write.shutdown(Shutdown::Both);
        });
        let mut passed = 0usize;
        let mut buf = [0u8; 4096];
        while let Ok(n) = client_read.read(&mut buf) {
            if n == 0 {
                break;
            }
            let take = n.min(cut_after.saturating_sub(passed));
            if server_write.write_all(&buf[..take]).is_err() {
                break;
            }
            passed += take;
            if passed >= cut_after {
                flag.store(true, Ordering::SeqCst);
                break;
            }
        }
        let _ = server_write.shutdown(Shutdown::Both);
        let _ = client_read.shutdown(Shutdown::Both);
        let _ = down.join();
    });
    (port, cut)
}

/// A proxy on 127.0.0.1 to `target_port` that forwards both ways until
/// the client has sent `deaf_after` bytes; from then on it still passes
/// what the client sends but drops the server's answers, and `linger`
/// later closes both connections: the server did what was asked (an
/// APPEND, say), the client never hears it. Returns the port and a flag
/// set once answers were dropped.
#[must_use]
pub fn reply_losing_proxy(
    target_port: u16,
    deaf_after: usize,
    linger: std::time::Duration,
) -> (u16, Arc<AtomicBool>) {
    let deaf = Arc::new(AtomicBool::new(false));
    let flag = deaf.clone();
    let port = proxy(target_port, move |client, server| {
        let (mut client_read, mut server_write, mut server_read, mut client_write) =
            halves(client, server);
        // Per connection: only the one that crossed the threshold goes deaf.
        let this_deaf = Arc::new(AtomicBool::new(false));
        let down_deaf = this_deaf.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = server_read.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if !down_deaf.load(Ordering::SeqCst) && client_write.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = client_write.shutdown(Shutdown::Both);
        });
        let mut passed = 0usize;
        let mut buf = [0u8; 4096];
        while let Ok(n) = client_read.read(&mut buf) {
            if n == 0 || server_write.write_all(&buf[..n]).is_err() {
                break;
            }
            passed += n;
            if passed >= deaf_after && !this_deaf.swap(true, Ordering::SeqCst) {
                flag.store(true, Ordering::SeqCst);
                let (server, client) = (
                    server_write.try_clone().expect("clone"),
                    client_read.try_clone().expect("clone"),
                );
                std::thread::spawn(move || {
                    std::thread::sleep(linger);
                    let _ = server.shutdown(Shutdown::Both);
                    let _ = client.shutdown(Shutdown::Both);
                });
            }
        }
        let _ = server_write.shutdown(Shutdown::Both);
    });
    (port, deaf)
}

/// A TCP proxy on 127.0.0.1 to the test server's `port` that delivers
/// every chunk `latency` after it arrived, in each direction, in order.
/// It acknowledges what it reads at once on both sides, as the two ends
/// would over a network: its own delayed ACKs would otherwise hold a
/// server's second small write (Nagle) for 40 ms.
pub async fn delaying_proxy(port: u16, latency: std::time::Duration) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::spawn(delay(client_read, server_write, latency));
            tokio::spawn(delay(server_read, client_write, latency));
        }
    });
    local
}

/// Copies `from` to `to`, each chunk held until `latency` after arrival.
async fn delay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    latency: std::time::Duration,
) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at + latency).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buf = vec![0; 64 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        let _ = socket2::SockRef::from(from.as_ref()).set_tcp_quickack(true);
        if n == 0
            || tx
                .send((tokio::time::Instant::now(), buf[..n].to_vec()))
                .is_err()
        {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}
