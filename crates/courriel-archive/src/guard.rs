//! The bounded framing guard under async-imap: an [`AsyncRead`] adapter
//! that follows the server's IMAP framing (lines, and the literals a line
//! announces with `{n}`) as the bytes pass, and fails the read as soon as a
//! response line, a literal or a whole response grows past our bounds.
//!
//! async-imap buffers a response until it parses whole, and lets that
//! buffer grow to 512 MiB before it gives up; under this guard a hostile
//! server cannot make it hold more than one response of [`MAX_RESPONSE`]
//! bytes. The guard never changes a byte the server sent: what it lets
//! through is exactly what came.
//!
//! It also writes the one secret async-imap must not see (it logs every
//! command it sends): LOGIN's password, in place of a stand-in
//! ([`StandIn`]).

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The longest response line we accept (a long LIST line is a few KiB).
pub(crate) const MAX_LINE: usize = 256 * 1024;
/// The largest literal we accept in a response (we never fetch bodies).
pub(crate) const MAX_LITERAL: usize = 1024 * 1024;
/// The largest response, its lines and literals together.
pub(crate) const MAX_RESPONSE: usize = MAX_LINE + MAX_LITERAL;

/// How many bytes of a line's end are kept to find a literal's `{n+}`.
const TAIL: usize = 24;

/// A byte stream: plain TCP before STARTTLS, TLS after.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Why the guard stopped a read: the server sent more than we accept.
/// Carried inside the [`io::Error`] the read fails with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Oversized(pub(crate) String);

impl fmt::Display for Oversized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Oversized {}

impl Oversized {
    /// The guard's reason, when `e` is a read the guard stopped.
    pub(crate) fn of(e: &io::Error) -> Option<&Oversized> {
        e.get_ref()?.downcast_ref::<Oversized>()
    }
}

/// Where the server is in its framing.
#[derive(Debug, Default)]
struct Framing {
    /// Bytes of the current line so far, without its LF.
    line: usize,
    /// Bytes of the current response so far (lines and literals).
    response: usize,
    /// Bytes of an announced literal still to come.
    literal: usize,
    /// The last bytes of the current line.
    tail: Vec<u8>,
}

impl Framing {
    /// Follows `bytes`; the reason when they break a bound.
    fn scan(&mut self, mut bytes: &[u8]) -> Result<(), Oversized> {
        while !bytes.is_empty() {
            if self.literal > 0 {
                let n = self.literal.min(bytes.len());
                self.literal -= n;
                self.response += n;
                bytes = &bytes[n..];
                continue;
            }
            let Some(end) = bytes.iter().position(|&b| b == b'\n') else {
                self.extend_line(bytes)?;
                return Ok(());
            };
            self.extend_line(&bytes[..end])?;
            bytes = &bytes[end + 1..];
            let tail = self.tail.strip_suffix(b"\r").unwrap_or(&self.tail);
            match literal_size(tail) {
                Some(size) if size > MAX_LITERAL => {
                    return Err(Oversized(format!(
                        "a literal of {size} bytes, more than the {MAX_LITERAL} accepted"
                    )));
                }
                Some(size) if self.response + size > MAX_RESPONSE => {
                    return Err(Oversized(format!(
                        "a response of more than {MAX_RESPONSE} bytes"
                    )));
                }
                // The response goes on after the literal.
                Some(size) => self.literal = size,
                None => self.response = 0,
            }
            self.line = 0;
            self.tail.clear();
        }
        Ok(())
    }

    fn extend_line(&mut self, part: &[u8]) -> Result<(), Oversized> {
        self.line += part.len();
        self.response += part.len();
        // The line's CR is counted until its LF comes.
        if self.line > MAX_LINE + 1 {
            return Err(Oversized(format!(
                "a response line longer than {MAX_LINE} bytes"
            )));
        }
        if self.response > MAX_RESPONSE {
            return Err(Oversized(format!(
                "a response of more than {MAX_RESPONSE} bytes"
            )));
        }
        self.tail
            .extend_from_slice(&part[part.len().saturating_sub(TAIL)..]);
        if self.tail.len() > TAIL {
            self.tail.drain(..self.tail.len() - TAIL);
        }
        Ok(())
    }
}

/// `{12}` or `{12+}` at the end of a line (without its line end).
pub(crate) fn literal_size(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The stream async-imap reads from: `inner` with its reads guarded.
/// Writes pass through untouched, but for a secret's stand-in.
pub(crate) struct Guarded {
    inner: Box<dyn Io>,
    framing: Framing,
    /// Set once a bound is broken: every later read fails the same way.
    stopped: Option<Oversized>,
    /// A secret to write in place of its stand-in, once.
    secret: Option<StandIn>,
    /// A write with the secret in place, partly sent: its bytes, how many
    /// are sent, and the length of the write it stands for.
    substituted: Option<(Vec<u8>, usize, usize)>,
}

/// A secret async-imap must not see: async-imap logs every command it
/// sends (at trace level, `encode: input: ...`), LOGIN's password
/// included, so it is given a stand-in, and the stream writes the secret
/// in its place.
pub(crate) struct StandIn {
    /// What async-imap writes: unique, plain letters and digits (so that
    /// IMAP quoting leaves it as it is).
    pub(crate) stand_in: String,
    /// What the server gets instead.
    pub(crate) secret: secrecy::SecretString,
}

impl StandIn {
    /// A fresh stand-in for `secret`, written by the stream as it comes
    /// (already quoted or encoded as the command needs it).
    pub(crate) fn new(secret: secrecy::SecretString) -> StandIn {
        use sha2::Digest as _;
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let digest = sha2::Sha256::digest(format!(
            "{nanos}.{}.{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        StandIn {
            stand_in: format!("courrielStandIn{}", courriel_net::hex(&digest[..16])),
            secret,
        }
    }
}

impl Guarded {
    pub(crate) fn new(inner: Box<dyn Io>) -> Guarded {
        Guarded {
            inner,
            framing: Framing::default(),
            stopped: None,
            secret: None,
            substituted: None,
        }
    }

    /// Writes `stand_in.secret` in place of the next write holding
    /// `stand_in.stand_in`.
    pub(crate) fn arm(&mut self, stand_in: StandIn) {
        self.secret = Some(stand_in);
    }

    /// Forgets a secret not written (the command failed before).
    pub(crate) fn disarm(&mut self) {
        self.secret = None;
    }

    /// The stream, for a STARTTLS upgrade (the framing starts again over
    /// TLS).
    pub(crate) fn into_inner(self) -> Box<dyn Io> {
        self.inner
    }
}

impl fmt::Debug for Guarded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guarded")
            .field("framing", &self.framing)
            .field("stopped", &self.stopped)
            .field("armed", &self.secret.is_some())
            .finish_non_exhaustive()
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(reason) = &this.stopped {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                reason.clone(),
            )));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if let Err(reason) = this.framing.scan(&buf.filled()[before..]) {
            // Nothing of a read that broke a bound is handed up.
            buf.set_filled(before);
            this.stopped = Some(reason.clone());
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, reason)));
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        use secrecy::ExposeSecret as _;
        let this = self.get_mut();
        if this.substituted.is_none()
            && let Some(armed) = &this.secret
            && let Some(at) = buf
                .windows(armed.stand_in.len())
                .position(|w| w == armed.stand_in.as_bytes())
        {
            let mut bytes = Vec::with_capacity(buf.len() + armed.secret.expose_secret().len());
            bytes.extend_from_slice(&buf[..at]);
            bytes.extend_from_slice(armed.secret.expose_secret().as_bytes());
            bytes.extend_from_slice(&buf[at + armed.stand_in.len()..]);
            this.substituted = Some((bytes, 0, buf.len()));
            this.secret = None;
        }
        let Some((bytes, sent, stands_for)) = &mut this.substituted else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        // The whole write with the secret, then the length of the one it
        // stands for: a caller retrying after `Pending` gives the same
        // bytes again.
        while *sent < bytes.len() {
            match ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[*sent..])) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => *sent += n,
                Err(e) => {
                    this.substituted = None;
                    return Poll::Ready(Err(e));
                }
            }
        }
        let stands_for = *stands_for;
        if let Some((mut bytes, ..)) = this.substituted.take() {
            bytes.fill(0);
        }
        Poll::Ready(Ok(stands_for))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.secret.is_some() || self.substituted.is_some() {
            let first = bufs
                .iter()
                .find(|b| !b.is_empty())
                .map_or(&[][..], |b| &**b);
            return self.poll_write(cx, first);
        }
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        // Vectored writes would pass a stand-in through untouched.
        self.secret.is_none() && self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy as _;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[test]
    fn literal_sizes() {
        assert_eq!(literal_size(b"* LIST () \"/\" {12}"), Some(12));
        assert_eq!(literal_size(b"* LIST () \"/\" {3+}"), Some(3));
        assert_eq!(literal_size(b"* OK {not}"), None);
        assert_eq!(literal_size(b"* OK {}"), None);
        assert_eq!(literal_size(b"* OK {99999999999999999}"), None);
    }

    /// What the guard lets through of `sent`, read in small pieces, and the
    /// reason it stopped, if it did.
    async fn through(sent: Vec<u8>) -> (Vec<u8>, Option<String>) {
        let (client, mut server) = tokio::io::duplex(1024);
        tokio::spawn(async move {
            let _ = server.write_all(&sent).await;
        });
        let mut guarded = Guarded::new(Box::new(client));
        let mut got = Vec::new();
        let mut piece = [0u8; 700];
        loop {
            match guarded.read(&mut piece).await {
                Ok(0) => return (got, None),
                Ok(n) => got.extend_from_slice(&piece[..n]),
                Err(e) => {
                    let reason = Oversized::of(&e).expect("the guard's own error").0.clone();
                    // Stopped for good.
                    assert!(guarded.read(&mut piece).await.is_err());
                    return (got, Some(reason));
                }
            }
        }
    }

    #[tokio::test]
    async fn responses_within_bounds_pass_untouched() {
        let mut sent = b"* OK hello\r\n* LIST () \"/\" {5}\r\nab\r\nc\r\n".to_vec();
        // A literal of the largest size, holding what looks like lines.
        sent.extend_from_slice(format!("* 1 FETCH (BODY[] {{{MAX_LITERAL}}}\r\n").as_bytes());
        sent.extend((0..MAX_LITERAL).map(|i| if i % 100 == 0 { b'\n' } else { b'x' }));
        sent.extend_from_slice(b")\r\n");
        sent.extend_from_slice(&vec![b'y'; MAX_LINE]);
        sent.extend_from_slice(b"\r\nA0001 OK done\r\n");
        let (got, stopped) = through(sent.clone()).await;
        assert_eq!(stopped, None);
        assert_eq!(got, sent);
    }

    #[tokio::test]
    async fn a_long_line_is_stopped() {
        let (got, stopped) = through(vec![b'x'; MAX_LINE + 5000]).await;
        assert!(stopped.unwrap().contains("line longer"));
        assert!(got.len() <= MAX_LINE, "{}", got.len());
    }

    #[tokio::test]
    async fn a_huge_literal_is_stopped_at_its_announcement() {
        let (got, stopped) = through(b"* LIST () \"/\" {104857600}\r\naaaa".to_vec()).await;
        assert!(stopped.unwrap().contains("literal of 104857600 bytes"));
        assert!(got.is_empty(), "the announcing line is not handed up");
    }

    #[tokio::test]
    async fn many_literals_in_one_response_are_stopped() {
        let mut sent = Vec::new();
        for _ in 0..3 {
            sent.extend_from_slice(format!("* X {{{}}}\r\n", MAX_LITERAL / 2).as_bytes());
            sent.extend(std::iter::repeat_n(b'z', MAX_LITERAL / 2));
        }
        let (_, stopped) = through(sent).await;
        assert!(stopped.unwrap().contains("a response of more than"));
    }

    #[tokio::test]
    async fn lines_end_the_response_count() {
        // Many responses, each below the bounds, add up to far more.
        let line = format!("* LIST () \"/\" \"{}\"\r\n", "n".repeat(MAX_LINE / 2));
        let sent = line.repeat(20).into_bytes();
        let (got, stopped) = through(sent.clone()).await;
        assert_eq!(stopped, None);
        assert_eq!(got.len(), sent.len());
    }

    #[tokio::test]
    async fn a_stand_in_is_written_as_its_secret_once() {
        let (client, mut server) = tokio::io::duplex(8);
        let mut guarded = Guarded::new(Box::new(client));
        let stand_in = StandIn::new("p\\\"w".to_string().into());
        let shown = stand_in.stand_in.clone();
        assert!(shown.chars().all(|c| c.is_ascii_alphanumeric()), "{shown}");
        assert_ne!(shown, StandIn::new(String::new().into()).stand_in, "unique");
        guarded.arm(stand_in);
        let command = format!("A0001 LOGIN \"u\" \"{shown}\"\r\n");
        let again = command.clone();
        let reader = tokio::spawn(async move {
            let mut heard = Vec::new();
            server.read_to_end(&mut heard).await.unwrap();
            heard
        });
        // Through a pipe of 8 bytes: the write is resumed many times.
        guarded.write_all(command.as_bytes()).await.unwrap();
        guarded.write_all(again.as_bytes()).await.unwrap();
        guarded.shutdown().await.unwrap();
        drop(guarded);
        let heard = String::from_utf8(reader.await.unwrap()).unwrap();
        assert_eq!(
            heard,
            format!("A0001 LOGIN \"u\" \"p\\\"w\"\r\n{again}"),
            "the secret in place of the first stand-in only"
        );
    }

    /// The verdict on `bytes` fed in the pieces `cuts` makes.
    fn verdict(bytes: &[u8], cuts: &[usize]) -> Result<(), Oversized> {
        let mut framing = Framing::default();
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.sort_unstable();
        points.push(bytes.len());
        let mut start = 0;
        for point in points {
            framing.scan(&bytes[start..point])?;
            start = point;
        }
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Where the reads happen to split the server's bytes never changes
        /// the verdict: a literal's `{n}`, a CR and its LF, or a long line
        /// cut anywhere are judged as if read whole.
        #[test]
        fn reads_split_anywhere_give_the_same_verdict(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => proptest::strategy::Just(b"\r\n".to_vec()),
                    3 => proptest::strategy::Just(b"{".to_vec()),
                    3 => proptest::strategy::Just(b"}".to_vec()),
                    1 => proptest::strategy::Just(b"+".to_vec()),
                    4 => "[0-9]{1,8}".prop_map(String::into_bytes),
                    4 => proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
                    1 => (1usize..400_000).prop_map(|n| vec![b'x'; n]),
                ],
                0..60,
            ),
            cuts in proptest::collection::vec(proptest::prelude::any::<usize>(), 0..30),
        ) {
            let bytes = parts.concat();
            proptest::prop_assert_eq!(verdict(&bytes, &cuts), verdict(&bytes, &[]));
        }
    }
}
