//! The stream under lettre's SMTP connection, ours: it hands lettre at most
//! one line per read, so lettre's own buffer never holds bytes past the
//! reply it parsed. What the server sent beyond that stays here, where we
//! can see it: a server that answered twice, or said something before being
//! asked, is out of step, and its connection must not carry another
//! message ([`Wire::unread`]). It also keeps what the server said while
//! connecting (the EHLO reply, for the `SIZE` and `AUTH` lettre does not
//! keep) and can start with a stand-in greeting (after our own STARTTLS).

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes read from the socket at a time; also the most kept unread.
const READ: usize = 4096;

/// At most this much of what lettre reads while connecting is kept.
const MAX_KEPT: usize = 65_536;

#[derive(Debug)]
struct State<S> {
    /// Given to lettre first (a stand-in greeting), then the socket's bytes.
    prefix: &'static [u8],
    inner: S,
    /// Read from the socket, not yet given to lettre.
    pending: Vec<u8>,
    /// What lettre read, while [`Wire::keep`] is on.
    kept: Option<Vec<u8>>,
}

/// The stream lettre reads, one line at a time; clones share it.
#[derive(Debug)]
pub(crate) struct Wire<S> {
    state: Arc<Mutex<State<S>>>,
}

impl<S> Wire<S> {
    /// Over `inner`, starting with `prefix`.
    pub(crate) fn new(prefix: &'static [u8], inner: S) -> Wire<S> {
        Wire {
            state: Arc::new(Mutex::new(State {
                prefix,
                inner,
                pending: Vec::new(),
                kept: None,
            })),
        }
    }

    /// Another handle on the same stream (one for lettre, one for us).
    pub(crate) fn handle(&self) -> Wire<S> {
        Wire {
            state: self.state.clone(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State<S>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts keeping what lettre reads (bounded).
    pub(crate) fn keep(&self) {
        self.state().kept = Some(Vec::new());
    }

    /// What lettre read since [`Wire::keep`]; stops keeping.
    pub(crate) fn kept(&self) -> Vec<u8> {
        self.state().kept.take().unwrap_or_default()
    }
}

/// What waits on a connection between two commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unread {
    /// Nothing: the server is in step.
    Nothing,
    /// The server sent this (its first line, cut) without being asked.
    Data(String),
    /// The server closed the connection (or it broke).
    Closed,
}

impl<S: AsyncRead + Unpin> Wire<S> {
    /// Whether the server sent anything that was not read, without waiting:
    /// what was received is looked at, nothing more is awaited.
    pub(crate) fn unread(&self) -> Unread {
        let mut state = self.state();
        if state.pending.is_empty() {
            let mut bytes = [0u8; READ];
            let mut buf = ReadBuf::new(&mut bytes);
            let mut cx = Context::from_waker(Waker::noop());
            match Pin::new(&mut state.inner).poll_read(&mut cx, &mut buf) {
                Poll::Pending => return Unread::Nothing,
                Poll::Ready(Err(_)) => return Unread::Closed,
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Unread::Closed,
                Poll::Ready(Ok(())) => {
                    let filled = buf.filled().to_vec();
                    state.pending.extend_from_slice(&filled);
                }
            }
        }
        let line = state.pending.split(|b| *b == b'\n').next().unwrap_or(&[]);
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end();
        Unread::Data(match line.char_indices().nth(80) {
            Some((at, _)) => format!("{}...", &line[..at]),
            None => line.to_string(),
        })
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Wire<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let mut guard = self.state();
        let state = &mut *guard;
        let given = if state.prefix.is_empty() {
            if state.pending.is_empty() {
                let mut bytes = [0u8; READ];
                let mut read = ReadBuf::new(&mut bytes);
                match Pin::new(&mut state.inner).poll_read(cx, &mut read) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(())) => state.pending.extend_from_slice(read.filled()),
                }
            }
            // Up to the end of the first line, never past it.
            let line = state
                .pending
                .iter()
                .position(|b| *b == b'\n')
                .map_or(state.pending.len(), |at| at + 1);
            let n = line.min(buf.remaining());
            buf.put_slice(&state.pending[..n]);
            state.pending.drain(..n);
            n
        } else {
            let n = state.prefix.len().min(buf.remaining());
            buf.put_slice(&state.prefix[..n]);
            state.prefix = &state.prefix[n..];
            n
        };
        if let Some(kept) = state.kept.as_mut()
            && kept.len() < MAX_KEPT
        {
            let filled = buf.filled();
            kept.extend_from_slice(&filled[filled.len() - given..]);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Wire<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.state().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.state().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.state().inner).poll_shutdown(cx)
    }
}

impl lettre::transport::smtp::client::AsyncTokioStream
    for Wire<tokio_rustls::client::TlsStream<courriel_net::AckedStream>>
{
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.state().inner.get_ref().0.get_ref().peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    #[tokio::test]
    async fn lettre_gets_one_line_at_a_time_and_the_rest_stays_visible() {
        let (client, mut server) = tokio::io::duplex(1024);
        let wire = Wire::new(b"220 stand-in\r\n", client);
        let ours = wire.handle();
        ours.keep();
        let mut lettre = BufReader::new(wire);
        server
            .write_all(b"250-first\r\n250 end\r\n250 again\r\n")
            .await
            .unwrap();
        let mut line = String::new();
        lettre.read_line(&mut line).await.unwrap();
        assert_eq!(line, "220 stand-in\r\n");
        assert_eq!(ours.unread(), Unread::Data("250-first".into()));
        for expected in ["250-first\r\n", "250 end\r\n"] {
            line.clear();
            lettre.read_line(&mut line).await.unwrap();
            assert_eq!(line, expected);
        }
        assert_eq!(
            String::from_utf8(ours.kept()).unwrap(),
            "220 stand-in\r\n250-first\r\n250 end\r\n"
        );
        // lettre's buffer holds nothing more: the extra reply is ours to see.
        assert!(lettre.buffer().is_empty());
        assert_eq!(ours.unread(), Unread::Data("250 again".into()));
        line.clear();
        lettre.read_line(&mut line).await.unwrap();
        assert_eq!(ours.unread(), Unread::Nothing);
        drop(server);
        assert_eq!(ours.unread(), Unread::Closed);
    }
}
