//! The bounded framing guard under async-imap: an [`AsyncRead`] adapter
//! that follows the server's IMAP framing (lines, and the literals a line
//! announces with `{n}`) as the bytes pass, and fails the read as soon as a
//! response line, a literal or a whole response grows past our bounds.
//!
//! async-imap buffers a response until it parses whole, and lets that
//! buffer grow to 512 MiB before it gives up; under this guard a hostile
//! server cannot make it hold more than one response of [`MAX_RESPONSE`]
//! bytes. The guard never changes a byte: what it lets through is exactly
//! what the server sent.

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
/// Writes pass through untouched.
pub(crate) struct Guarded {
    inner: Box<dyn Io>,
    framing: Framing,
    /// Set once a bound is broken: every later read fails the same way.
    stopped: Option<Oversized>,
}

impl Guarded {
    pub(crate) fn new(inner: Box<dyn Io>) -> Guarded {
        Guarded {
            inner,
            framing: Framing::default(),
            stopped: None,
        }
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
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
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
}
