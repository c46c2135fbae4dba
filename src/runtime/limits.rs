//! Execution limits: fuel, deadlines, memory and table budgets, cancellation, and the
//! ceilings an app may set for all of them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::error::WasmResult;

/// A fuel tank of this size is never drawn down: the instance is metered (so calls may set
/// their own fuel) but has no limit of its own. Asked for with `fuel: Infinity`.
pub const UNBOUNDED_FUEL: u64 = u64::MAX;

/// Limits asked for at instantiation (`limits` in the instantiate options).
#[derive(Debug, Default, Clone, Copy)]
pub struct InstanceLimits {
    /// Fuel the instance starts with; `Some` makes the instance metered.
    pub fuel: Option<u64>,
    /// The default deadline of each call.
    pub timeout: Option<Duration>,
    pub max_memory_bytes: Option<u64>,
    pub max_table_elements: Option<u64>,
}

/// Limits of one call (`invoke(name, args, { fuel, timeoutMs, signal })`).
#[derive(Debug, Default, Clone)]
pub struct CallLimits {
    pub fuel: Option<u64>,
    pub timeout: Option<Duration>,
    pub cancel: Option<Arc<CancelToken>>,
    pub upstream: Upstream,
}

/// Instance ids waiting upstream of a call (see `CallControl::upstream`).
pub type Upstream = Arc<[Arc<str>]>;

/// App-wide ceilings; a request above one is clamped to it, and an absent request gets it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ceilings {
    pub max_fuel: Option<u64>,
    pub max_timeout: Option<Duration>,
    pub max_memory_bytes: Option<u64>,
    pub max_instances: Option<u64>,
}

impl Ceilings {
    pub fn apply_to_instance(&self, asked: InstanceLimits) -> InstanceLimits {
        InstanceLimits {
            fuel: clamp(asked.fuel, self.max_fuel),
            timeout: clamp(asked.timeout, self.max_timeout),
            max_memory_bytes: clamp(asked.max_memory_bytes, self.max_memory_bytes),
            max_table_elements: asked.max_table_elements,
        }
    }

    pub fn apply_to_call(&self, asked: CallLimits) -> CallLimits {
        CallLimits {
            fuel: clamp(asked.fuel, self.max_fuel),
            timeout: clamp(asked.timeout, self.max_timeout),
            cancel: asked.cancel,
            upstream: asked.upstream,
        }
    }

    pub fn clamp_fuel(&self, fuel: u64) -> u64 {
        self.max_fuel.map_or(fuel, |max| fuel.min(max))
    }
}

fn clamp<T: Ord + Copy>(asked: Option<T>, ceiling: Option<T>) -> Option<T> {
    match (asked, ceiling) {
        (Some(asked), Some(ceiling)) => Some(asked.min(ceiling)),
        (asked, ceiling) => asked.or(ceiling),
    }
}

/// The earlier of two optional deadlines (or the shorter of two optional timeouts).
pub fn earliest<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Set from JS when a call's AbortSignal fires.
#[derive(Debug, Default)]
pub struct CancelToken {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelToken {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Resolves once the token is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Resolves when a waiting call must stop: its deadline passes, its signal aborts, or (when
/// given) its instance is dropped. Running wasm is stopped by the epoch callback instead; this
/// is for calls that wait (in their instance's queue, or for the host).
pub async fn interrupted(
    deadline: Option<Instant>,
    cancel: Option<Arc<CancelToken>>,
    closed: Option<Arc<CancelToken>>,
) -> Interruption {
    let timer = async {
        match deadline {
            Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
            None => std::future::pending().await,
        }
    };
    let token = |token: Option<Arc<CancelToken>>| async move {
        match token {
            Some(token) => token.cancelled().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = token(closed) => Interruption::InstanceDropped,
        _ = token(cancel) => Interruption::Aborted,
        _ = timer => Interruption::TimedOut,
    }
}

/// Why running wasm code was stopped from the outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    InstanceDropped,
    Aborted,
    TimedOut,
}

impl std::fmt::Display for Interruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interruption::InstanceDropped => "the instance was dropped",
            Interruption::Aborted => "the call was aborted",
            Interruption::TimedOut => "the call ran past its deadline",
        })
    }
}

impl std::error::Error for Interruption {}

/// What the epoch callback checks while a call runs.
#[derive(Debug)]
pub struct CallControl {
    closed: Arc<CancelToken>,
    deadline: Option<Instant>,
    cancel: Option<Arc<CancelToken>>,
    /// Instances waiting, further up, for the host function that made this call (directly,
    /// or through linked imports). Host functions get it, so a call back into one of them
    /// is refused instead of waiting forever.
    pub upstream: Upstream,
    /// Whether a long call may yield to the executor (false for calls run to completion on
    /// the JS thread).
    pub may_yield: bool,
}

impl CallControl {
    pub fn new(closed: Arc<CancelToken>) -> Self {
        CallControl {
            closed,
            deadline: None,
            cancel: None,
            upstream: Upstream::default(),
            may_yield: true,
        }
    }

    pub fn begin(&mut self, deadline: Option<Instant>, cancel: Option<Arc<CancelToken>>) {
        self.deadline = deadline;
        self.cancel = cancel;
    }

    pub fn check(&self) -> Result<(), Interruption> {
        if self.closed.is_cancelled() {
            return Err(Interruption::InstanceDropped);
        }
        if self.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return Err(Interruption::Aborted);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Interruption::TimedOut);
        }
        Ok(())
    }

    pub fn cancel_token(&self) -> Option<Arc<CancelToken>> {
        self.cancel.clone()
    }

    /// Cancelled when the instance is dropped.
    pub fn closed_token(&self) -> Arc<CancelToken> {
        self.closed.clone()
    }

    /// What stops the call in progress, for work the host does for it off the store (an
    /// outgoing HTTP request).
    pub fn stop_watch(&self) -> StopWatch {
        StopWatch {
            deadline: self.deadline,
            cancel: self.cancel.clone(),
            closed: Some(self.closed.clone()),
        }
    }
}

/// The deadline, abort and instance drop of one call, apart from its store.
#[derive(Clone, Default)]
pub struct StopWatch {
    deadline: Option<Instant>,
    cancel: Option<Arc<CancelToken>>,
    closed: Option<Arc<CancelToken>>,
}

impl StopWatch {
    /// Resolves when the call reaches its deadline or is aborted, or the instance is dropped.
    pub fn stopped(self) -> impl std::future::Future<Output = Interruption> + Send + 'static {
        interrupted(self.deadline, self.cancel, self.closed)
    }
}

/// The app-wide ceilings in force: the manifest's `max_*` keys. A broken manifest is an
/// error here too, never "no ceilings".
pub fn app_ceilings() -> WasmResult<Ceilings> {
    let declared = crate::sandbox::policy()?.ceilings();
    Ok(Ceilings {
        max_fuel: declared.max_fuel,
        max_timeout: declared.max_timeout_ms.map(Duration::from_millis),
        max_memory_bytes: declared.max_memory,
        max_instances: declared.max_instances,
    })
}
