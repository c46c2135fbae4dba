//! A WASI program's standard streams: given input, and output that is inherited, ignored,
//! buffered for the host to drain (with a size cap), or streamed to a callback.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use tokio::sync::Notify;
use wasmtime_wasi::async_trait;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

/// Default cap of a piped stream.
pub const DEFAULT_OUTPUT_LIMIT: usize = 4 << 20;

/// Output handed to a callback may be this far ahead of the callback (in bytes, per
/// instance) before the guest's writes wait: a flooding guest cannot outrun a slow host.
pub const MAX_UNDELIVERED_OUTPUT: usize = 1 << 20;

/// Delivers an output stream's queued bytes to the host (implemented over a JS callback).
pub trait ChunkSink: Send + Sync {
    /// Asks the host, in order with earlier requests, to take a chunk of what `queue` holds
    /// (`OutputQueue::take`) and, once it has received it (not necessarily at once), to call
    /// `OutputQueue::delivered`. False when the host can no longer be reached.
    fn schedule(&self, queue: Arc<OutputQueue>) -> bool;
}

/// Bytes written to an instance's output callbacks that they have not received yet.
#[derive(Default)]
pub struct Backlog {
    bytes: AtomicUsize,
    drained: Notify,
}

impl Backlog {
    /// How many more bytes may be written now.
    fn room(&self) -> usize {
        MAX_UNDELIVERED_OUTPUT.saturating_sub(self.bytes.load(Ordering::Acquire))
    }

    /// Resolves once there is room to write more.
    async fn wait_for_room(&self) {
        loop {
            let drained = self.drained.notified();
            if self.room() > 0 {
                return;
            }
            drained.await;
        }
    }

    fn release(&self, bytes: usize) {
        self.bytes.fetch_sub(bytes, Ordering::AcqRel);
        self.drained.notify_waiters();
    }
}

/// The most one callback receives at once. Small chunks are plain heap arrays to the host,
/// which its garbage collector reclaims quickly, and a backlog of them drains in a few turns.
const MAX_CHUNK: usize = 60 << 10;

/// Deliveries handed to the host and not yet received, per stream. The rest of the backlog
/// waits here rather than in the host's queue, so that what the host must get through before
/// anything else (the settling of a stopped call, say) is at most this many chunks.
const MAX_IN_FLIGHT: usize = 2;

/// One output stream's bytes on their way to its callback. Writes made while the host is
/// busy pile up here and reach it together, up to `MAX_CHUNK` at a time: a guest writing a
/// byte at a time cannot queue a million callbacks. The deliveries that will carry what is
/// queued are counted as the bytes are written (so that when a call ends the host knows every
/// delivery its output needs), and handed to the host `MAX_IN_FLIGHT` at a time.
pub struct OutputQueue {
    state: Mutex<QueueState>,
    backlog: Arc<Backlog>,
    sink: Arc<dyn ChunkSink>,
    /// Deliveries counted so far (shared by an instance's streams).
    sent_chunks: Arc<AtomicU64>,
}

#[derive(Default)]
struct QueueState {
    buffer: Vec<u8>,
    /// Deliveries counted and not yet handed to the host.
    owed: usize,
    /// Deliveries handed to the host and not yet taken.
    scheduled: usize,
    /// Deliveries handed to the host and not yet received.
    in_flight: usize,
    /// Bytes taken by the delivery in progress.
    delivering: usize,
}

impl OutputQueue {
    fn state(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds bytes, counts the deliveries they need, and hands out what may be.
    fn push(self: &Arc<Self>, bytes: &[u8]) {
        self.backlog.bytes.fetch_add(bytes.len(), Ordering::AcqRel);
        let mut state = self.state();
        state.buffer.extend_from_slice(bytes);
        let needed = state.buffer.len().div_ceil(MAX_CHUNK);
        let more = needed.saturating_sub(state.owed + state.scheduled);
        state.owed += more;
        self.sent_chunks.fetch_add(more as u64, Ordering::SeqCst);
        drop(state);
        self.hand_out();
    }

    /// Hands owed deliveries to the host, while fewer than `MAX_IN_FLIGHT` are out.
    fn hand_out(self: &Arc<Self>) {
        loop {
            {
                let mut state = self.state();
                if state.owed == 0 || state.in_flight >= MAX_IN_FLIGHT {
                    return;
                }
                state.owed -= 1;
                state.scheduled += 1;
                state.in_flight += 1;
            }
            if !self.sink.schedule(self.clone()) {
                // The host is gone: this delivery's share is dropped.
                self.take();
                self.delivered();
            }
        }
    }

    /// What the host receives now: the oldest bytes queued, up to `MAX_CHUNK`.
    pub fn take(&self) -> Vec<u8> {
        let mut state = self.state();
        let len = state.buffer.len().min(MAX_CHUNK);
        let taken: Vec<u8> = state.buffer.drain(..len).collect();
        state.scheduled = state.scheduled.saturating_sub(1);
        state.delivering += taken.len();
        taken
    }

    /// The host has received what it took: its share of the backlog is free, and the next
    /// owed delivery goes out.
    pub fn delivered(self: &Arc<Self>) {
        let released = {
            let mut state = self.state();
            state.in_flight = state.in_flight.saturating_sub(1);
            std::mem::take(&mut state.delivering)
        };
        self.backlog.release(released);
        self.hand_out();
    }
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
    /// Whether a write did not fit (the guest saw it fail, or cut short).
    refused: std::sync::atomic::AtomicBool,
}

impl OutputPipe {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(OutputPipe {
            buffer: Mutex::new(Vec::new()),
            limit,
            written: Mutex::new(0),
            refused: Default::default(),
        })
    }

    /// The limit, if a write went past it: what the program wrote from then on was lost.
    pub fn refused_past(&self) -> Option<usize> {
        self.refused
            .load(std::sync::atomic::Ordering::Relaxed)
            .then_some(self.limit)
    }

    /// Everything written since the last drain.
    pub fn drain(&self) -> Vec<u8> {
        std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn append(&self, bytes: &[u8]) -> io::Result<usize> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.limit.saturating_sub(*written);
        if room < bytes.len() {
            self.refused
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
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
    Callback(Arc<OutputQueue>),
}

/// What an instance's callback streams share: the count of deliveries (so the host can wait
/// until it has received them all) and the backlog.
#[derive(Clone, Default)]
pub struct CallbackShared {
    pub sent_chunks: Arc<AtomicU64>,
    pub backlog: Arc<Backlog>,
}

impl GuestOutput {
    /// The stream for `target` (`None` for inherit and ignore), and the pipe to drain, if any.
    pub fn for_target(
        target: &OutputTarget,
        limit: usize,
        shared: &CallbackShared,
    ) -> (Option<GuestOutput>, Option<Arc<OutputPipe>>) {
        match target {
            OutputTarget::Pipe => {
                let pipe = OutputPipe::new(limit);
                (Some(GuestOutput::Pipe(pipe.clone())), Some(pipe))
            }
            OutputTarget::Callback(sink) => {
                let queue = OutputQueue {
                    state: Mutex::default(),
                    backlog: shared.backlog.clone(),
                    sink: sink.clone(),
                    sent_chunks: shared.sent_chunks.clone(),
                };
                (Some(GuestOutput::Callback(Arc::new(queue))), None)
            }
            OutputTarget::Ignore | OutputTarget::Inherit => (None, None),
        }
    }

    fn backlog(&self) -> Option<&Backlog> {
        match self {
            GuestOutput::Callback(queue) => Some(&queue.backlog),
            GuestOutput::Pipe(_) => None,
        }
    }

    /// Takes `bytes` at once; returns how many were taken.
    fn write_now(&self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            GuestOutput::Pipe(pipe) => pipe.append(bytes),
            GuestOutput::Callback(queue) => {
                if !bytes.is_empty() {
                    queue.push(bytes);
                }
                Ok(bytes.len())
            }
        }
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// Writes never block a thread: a pipe takes what fits under its cap; a callback takes what
/// fits under the backlog, and `ready` waits (as the guest's write does) for the rest.
impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            // A pipe takes what fits under its cap, then fails on the remainder.
            let taken = self
                .write_now(rest)
                .map_err(|e| StreamError::LastOperationFailed(e.into()))?;
            rest = &rest[taken..];
        }
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(self.backlog().map_or(MAX_UNDELIVERED_OUTPUT, Backlog::room))
    }
}

#[async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {
        if let Some(backlog) = self.backlog() {
            backlog.wait_for_room().await;
        }
    }
}

/// The same streams for tokio's writers (wasmtime-wasi asks for both kinds).
impl AsyncWrite for GuestOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(backlog) = self.backlog() {
            let waiting = backlog.wait_for_room();
            tokio::pin!(waiting);
            if waiting.poll(context).is_pending() {
                return Poll::Pending;
            }
            let room = backlog.room().max(1);
            return Poll::Ready(self.write_now(&buf[..buf.len().min(room)]));
        }
        Poll::Ready(self.write_now(buf))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
