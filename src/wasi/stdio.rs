//! A WASI program's standard streams: given input, and output that is inherited, ignored,
//! buffered for the host to drain (with a size cap), or streamed to a callback.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Default cap of a piped stream.
pub const DEFAULT_OUTPUT_LIMIT: usize = 4 << 20;

/// Receives output chunks as the guest writes them (implemented over a JS callback).
pub trait ChunkSink: Send + Sync {
    /// Queues a chunk for the host; false when the host can no longer receive it.
    fn send(&self, chunk: Vec<u8>) -> bool;
}

#[derive(Clone, Default)]
pub enum OutputTarget {
    #[default]
    Ignore,
    Inherit,
    Pipe,
    Callback(Arc<dyn ChunkSink>),
}

impl std::fmt::Debug for OutputTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OutputTarget::Ignore => "ignore",
            OutputTarget::Inherit => "inherit",
            OutputTarget::Pipe => "pipe",
            OutputTarget::Callback(_) => "callback",
        })
    }
}

/// Output buffered for the host, drained by `readStdout()` / `readStderr()`.
pub struct OutputPipe {
    buffer: Mutex<Vec<u8>>,
    /// How many bytes may be written in all; past it the guest's writes fail.
    limit: usize,
    written: Mutex<usize>,
}

impl OutputPipe {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(OutputPipe {
            buffer: Mutex::new(Vec::new()),
            limit,
            written: Mutex::new(0),
        })
    }

    /// Everything written since the last drain.
    pub fn drain(&self) -> Vec<u8> {
        std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn append(&self, bytes: &[u8]) -> io::Result<usize> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.limit.saturating_sub(*written);
        if room == 0 && !bytes.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                format!("output limit of {} bytes reached", self.limit),
            ));
        }
        let accepted = bytes.len().min(room);
        self.buffer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(&bytes[..accepted]);
        *written += accepted;
        Ok(accepted)
    }
}

/// Where a guest's output stream goes when it is neither inherited nor ignored.
#[derive(Clone)]
pub enum GuestOutput {
    Pipe(Arc<OutputPipe>),
    /// A callback, and the count of chunks handed to it (shared by an instance's streams),
    /// so the host can wait until it has seen them all.
    Callback(Arc<dyn ChunkSink>, Arc<AtomicU64>),
}

impl GuestOutput {
    /// The stream for `target` (`None` for inherit and ignore), and the pipe to drain, if any.
    pub fn for_target(
        target: &OutputTarget,
        limit: usize,
        sent_chunks: &Arc<AtomicU64>,
    ) -> (Option<GuestOutput>, Option<Arc<OutputPipe>>) {
        match target {
            OutputTarget::Pipe => {
                let pipe = OutputPipe::new(limit);
                (Some(GuestOutput::Pipe(pipe.clone())), Some(pipe))
            }
            OutputTarget::Callback(sink) => (
                Some(GuestOutput::Callback(sink.clone(), sent_chunks.clone())),
                None,
            ),
            OutputTarget::Ignore | OutputTarget::Inherit => (None, None),
        }
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for GuestOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(match &*self {
            GuestOutput::Pipe(pipe) => pipe.append(buf),
            GuestOutput::Callback(sink, sent_chunks) => {
                if !buf.is_empty() && sink.send(buf.to_vec()) {
                    sent_chunks.fetch_add(1, Ordering::SeqCst);
                }
                Ok(buf.len())
            }
        })
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
