//! The one way into wasm. Every stretch of guest code (an exported function called from JS,
//! by handle or by name, async or `callSync`; a linked import; a start function or
//! `_initialize`) runs inside `enter` (async), `enter_sync` (a store where nothing can wait) or
//! `enter_blocking` (`callSync` on a store that could wait), which
//!
//! 1. arm the store with the plan's limits: fuel allowance, deadline, AbortSignal, the chain
//!    of instances waiting upstream;
//! 2. run the guest, and stop it when a limit is reached whatever it is doing: spinning in
//!    wasm (the epoch callback in `store.rs` checks the same limits) or waiting in the host
//!    (a WASI sleep, input, a JS host function, a re-entrant call): the wait is raced against
//!    the limits and, when they win, dropped, which unwinds the guest's stack;
//! 3. disarm the store, charge the fuel burnt, and classify the outcome in one place
//!    (`classify`).
//!
//! A re-entrant call from a host function back into its own instance (`reenter`) runs under
//! the limits of the call that is waiting for it, and is classified the same way.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use wasmtime::{Caller, Func, Store, Trap, Val};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::budget::{Held, Refusal};
use crate::runtime::coredump;
use crate::runtime::engine::ActiveCall;
use crate::runtime::limits::{interrupted, CancelToken, Interruption, Upstream, UNBOUNDED_FUEL};
use crate::runtime::store::{HostState, FIRST_SLICE_TICKS};

/// What a stretch of guest code is, for its error messages and codes.
#[derive(Clone, Debug)]
pub enum Entering {
    /// A call of the exported (or re-entered) function of this name.
    Call(Arc<str>),
    /// Instantiation, with the module's start function.
    Instantiate,
    /// A WASI reactor's `_initialize`.
    Initialize,
}

impl Entering {
    fn code(&self) -> ErrorCode {
        match self {
            Entering::Call(_) => ErrorCode::CallError,
            Entering::Instantiate | Entering::Initialize => ErrorCode::InstantiateError,
        }
    }

    fn context(&self) -> String {
        match self {
            Entering::Call(name) => format!("call to {name:?} failed"),
            Entering::Instantiate => "instantiation failed".to_string(),
            Entering::Initialize => "_initialize failed".to_string(),
        }
    }
}

/// The limits one entry into wasm runs under.
pub struct Plan {
    pub entering: Entering,
    /// This entry's own fuel allowance (less than the instance's tank, if asked).
    pub fuel: Option<u64>,
    pub deadline: Option<Instant>,
    pub cancel: Option<Arc<CancelToken>>,
    pub upstream: Upstream,
    /// When the entry was asked for; the time limits' errors report time since then.
    pub invoked: Option<Instant>,
    /// Where to tell the outcome of a stop before the guest's stack is unwound, if anyone
    /// listens (see `EarlyOutcome`).
    pub early: Option<Arc<EarlyOutcome>>,
}

/// The outcome of a call stopped while it waits, told as soon as it is known. Unwinding the
/// guest's stack after a stop is quick, except after deep re-entry through JS host functions:
/// then every level's pending `this.call` is answered on the JS thread before the stopped
/// call could be. A listener (the napi edge, for instances with JS host functions) settles
/// the call from here instead, and lets the unwinding finish on the pool.
#[derive(Default)]
pub struct EarlyOutcome(std::sync::Mutex<Option<tokio::sync::oneshot::Sender<WasmError>>>);

impl EarlyOutcome {
    /// Resolves with the outcome if the call is stopped while it waits.
    pub fn listen(&self) -> tokio::sync::oneshot::Receiver<WasmError> {
        let (tell, told) = tokio::sync::oneshot::channel();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(tell);
        told
    }

    fn tell(&self, error: WasmError) {
        if let Some(tell) = self.0.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = tell.send(error);
        }
    }
}

impl Plan {
    pub fn new(entering: Entering) -> Self {
        Plan {
            entering,
            fuel: None,
            deadline: None,
            cancel: None,
            upstream: Upstream::default(),
            invoked: None,
            early: None,
        }
    }

    fn invoked(&self) -> Instant {
        self.invoked.unwrap_or_else(Instant::now)
    }
}

/// How an entry ended well: with the body's value, or with a WASI exit status of 0 (the
/// program ended; there are no results).
pub enum Finished<T> {
    Returned(T),
    Exited,
}

/// Guest code that an async entry runs: given the store, a future that runs it.
pub trait GuestCode: Send {
    type Output: Send;

    fn run(
        self,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Self::Output>> + Send + '_;
}

/// An exported function, called with these arguments.
pub struct CallExport {
    pub func: Func,
    pub params: Vec<Val>,
    pub result_count: usize,
}

impl GuestCode for CallExport {
    type Output = Vec<Val>;

    fn run(
        self,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Vec<Val>>> + Send + '_ {
        async move {
            let mut results = vec![Val::I32(0); self.result_count];
            self.func
                .call_async(store, &self.params, &mut results)
                .await?;
            Ok(results)
        }
    }
}

/// Runs guest code under `plan`: the one async way into wasm (see the module's doc).
pub async fn enter<G: GuestCode>(
    store: &mut Store<HostState>,
    plan: Plan,
    code: G,
) -> WasmResult<Finished<G::Output>> {
    let _active = ActiveCall::start();
    let mut plan = plan;
    arm(store, &mut plan);
    let outcome = match refuse_up_front(store, &plan) {
        Ok(()) => {
            let control = &store.data().control;
            let stop = Stop {
                deadline: plan.deadline,
                cancel: control.cancel_token(),
                closed: control.closed_token(),
                early: plan.early.take(),
            };
            let (entering, invoked) = (&plan.entering, plan.invoked);
            let mut running = std::pin::pin!(code.run(store));
            // The race is set up only once the guest first waits: a call that finishes at
            // once pays nothing for it.
            let mut stopping: Option<Pin<Box<dyn Future<Output = Interruption> + Send>>> = None;
            let mut stop = Some(stop);
            std::future::poll_fn(|context| {
                if let Poll::Ready(outcome) = running.as_mut().poll(context) {
                    return Poll::Ready(outcome);
                }
                if let Some(stop) = stop.take() {
                    stopping = Some(Box::pin(stop.when_reached(entering.clone(), invoked)));
                }
                match stopping.as_mut() {
                    Some(stopping) => stopping
                        .as_mut()
                        .poll(context)
                        .map(|interruption| Err(wasmtime::Error::new(interruption))),
                    None => Poll::Pending,
                }
            })
            .await
        }
        Err(interruption) => Err(wasmtime::Error::new(interruption)),
    };
    finish(store, plan, outcome)
}

/// What stops an entry whose guest waits in the host.
struct Stop {
    deadline: Option<Instant>,
    cancel: Option<Arc<CancelToken>>,
    closed: Arc<CancelToken>,
    early: Option<Arc<EarlyOutcome>>,
}

impl Stop {
    /// Resolves when a limit is reached (its deadline passes, its signal aborts, or its
    /// instance is dropped), having told an early listener what the outcome is.
    async fn when_reached(self, entering: Entering, invoked: Option<Instant>) -> Interruption {
        let interruption = interrupted(self.deadline, self.cancel, Some(self.closed)).await;
        if let Some(listener) = self.early {
            let stopped = wasmtime::Error::new(interruption);
            let invoked = invoked.unwrap_or_else(Instant::now);
            listener.tell(classify(stopped, &entering, invoked, Spent::default()));
        }
        interruption
    }
}

/// Runs guest code under `plan` on this thread, without a fiber: for stores with no
/// imported function and no fuel, where nothing can wait or yield.
pub fn enter_sync<T>(
    store: &mut Store<HostState>,
    plan: Plan,
    body: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<T>,
) -> WasmResult<Finished<T>> {
    // Epoch ticks only matter to a deadline or an abort: nothing else can stop a call that
    // holds this thread (the instance cannot be dropped meanwhile).
    let _active = (plan.deadline.is_some() || plan.cancel.is_some()).then(ActiveCall::start);
    let mut plan = plan;
    arm(store, &mut plan);
    let outcome = match refuse_up_front(store, &plan) {
        Ok(()) => body(store),
        Err(interruption) => Err(wasmtime::Error::new(interruption)),
    };
    finish(store, plan, outcome)
}

/// Runs an async entry to completion on this thread (`callSync` on a store with imports or
/// fuel). The thread is never blocked on a wait: guest code that would wait for the host
/// (a sleep, input, file I/O on the pool, a host function) fails at that point with 5002.
/// The caller runs it inside the async runtime's context (WASI makes its timers there).
pub fn enter_blocking<G: GuestCode>(
    store: &mut Store<HostState>,
    plan: Plan,
    code: G,
) -> WasmResult<Finished<G::Output>> {
    let woken = Arc::new(WakeFlag::default());
    let waker = Waker::from(woken.clone());
    let mut context = Context::from_waker(&waker);
    let _active = ActiveCall::start();
    let mut plan = plan;
    arm(store, &mut plan);
    let outcome = match refuse_up_front(store, &plan) {
        Ok(()) => {
            let mut running = std::pin::pin!(code.run(store));
            loop {
                woken.0.store(false, Ordering::Relaxed);
                match running.as_mut().poll(&mut context) {
                    Poll::Ready(outcome) => break outcome,
                    // A yield (fuel metering): it woke itself, so go on at once.
                    Poll::Pending if woken.0.load(Ordering::Relaxed) => continue,
                    // A wait for something outside this thread.
                    Poll::Pending => break Err(wasmtime::Error::new(WouldWait)),
                }
            }
        }
        Err(interruption) => Err(wasmtime::Error::new(interruption)),
    };
    finish(store, plan, outcome)
}

/// A call from a host function back into the instance that is waiting for it. It runs under
/// the waiting call's limits (already armed, and raced by that call's `enter`).
pub async fn reenter(
    caller: &mut Caller<'_, HostState>,
    name: &str,
    func: Func,
    params: &[Val],
    result_count: usize,
) -> WasmResult<Vec<Val>> {
    let mut results = vec![Val::I32(0); result_count];
    let called = func.call_async(&mut *caller, params, &mut results).await;
    match called {
        Ok(()) => Ok(results),
        Err(e) => Err(classify(
            e,
            &Entering::Call(Arc::from(name)),
            Instant::now(),
            Spent::default(),
        )),
    }
}

/// A call whose limit was reached before it began does not begin. Instantiation always
/// begins: it runs guest code only if the module has a start function, which is stopped like
/// any other code once it runs or waits.
fn refuse_up_front(store: &Store<HostState>, plan: &Plan) -> Result<(), Interruption> {
    match plan.entering {
        Entering::Instantiate => Ok(()),
        _ => store.data().control.check(),
    }
}

/// Arms the store for an entry: its fuel, deadline, abort signal and upstream chain.
fn arm(store: &mut Store<HostState>, plan: &mut Plan) {
    begin_fuel(store, plan.fuel);
    store.data_mut().take_budget_refusal();
    let control = &mut store.data_mut().control;
    control.begin(plan.deadline, plan.cancel.take());
    control.upstream = std::mem::take(&mut plan.upstream);
    store.set_epoch_deadline(FIRST_SLICE_TICKS);
}

/// Disarms the store and classifies the outcome.
fn finish<T>(
    store: &mut Store<HostState>,
    plan: Plan,
    outcome: wasmtime::Result<T>,
) -> WasmResult<Finished<T>> {
    let spent = Spent {
        fuel: end_fuel(store),
        budget_refused: store.data_mut().take_budget_refusal(),
    };
    let control = &mut store.data_mut().control;
    control.begin(None, None);
    control.upstream = Upstream::default();
    match outcome {
        Ok(value) => Ok(Finished::Returned(value)),
        Err(e) if is_clean_exit(&e) => Ok(Finished::Exited),
        Err(e) => {
            let dumped = coredump::write_if_asked(store, &e);
            let error = classify(e, &plan.entering, plan.invoked(), spent);
            Err(match dumped {
                Some(written) => written.note(error),
                None => error,
            })
        }
    }
}

/// Sets the fuel this entry may burn: the tank, or less if the entry asks for less. An
/// earlier entry that never finished (it was dropped with the call that waited for it, as a
/// linked call is) is charged first.
fn begin_fuel(store: &mut Store<HostState>, per_call: Option<u64>) -> Option<u64> {
    end_fuel(store);
    let tank = store.data().fuel_tank?;
    let allowance = per_call.map_or(tank, |asked| asked.min(tank));
    let _ = store.set_fuel(allowance);
    store.data_mut().fuel_allowance = Some(allowance);
    Some(allowance)
}

/// Charges what the entry burnt to the tank; returns the fuel consumed.
fn end_fuel(store: &mut Store<HostState>) -> Option<u64> {
    let allowance = store.data_mut().fuel_allowance.take()?;
    let left = store.get_fuel().unwrap_or(0);
    let consumed = allowance.saturating_sub(left);
    let tank = store.data_mut().fuel_tank.as_mut()?;
    if *tank != UNBOUNDED_FUEL {
        *tank = tank.saturating_sub(consumed);
    }
    Some(consumed)
}

fn is_clean_exit(error: &wasmtime::Error) -> bool {
    matches!(error.downcast_ref::<wasmtime_wasi::I32Exit>(), Some(exit) if exit.0 == 0)
}

/// Why guest code under `callSync` was stopped: it would have waited for the host.
#[derive(Debug)]
struct WouldWait;

impl std::fmt::Display for WouldWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "callSync cannot wait: the guest waited for the host (a sleep, input, file I/O or a \
             host function), which would block the JS thread; use call()",
        )
    }
}

impl std::error::Error for WouldWait {}

/// Maps a failed entry to its error: a limit, a drop, an abort, a refused wait, a host
/// function's failure, a WASI exit or a trap. The one classification of guest failures.
pub fn classify(
    error: wasmtime::Error,
    entering: &Entering,
    started: Instant,
    spent: Spent,
) -> WasmError {
    let context = entering.context();
    let error = match error.downcast::<WasmError>() {
        // A host function's failure (it threw, or returned a value that does not convert).
        Ok(mut host_failure) => {
            host_failure.message = format!("{context}: {}", host_failure.message);
            return host_failure;
        }
        Err(error) => error,
    };
    if let Some(interruption) = error.downcast_ref::<Interruption>() {
        let mut classified = interruption_error(*interruption, started);
        classified.message = format!("{context}: {}", classified.message);
        return classified;
    }
    if error.downcast_ref::<WouldWait>().is_some() {
        return WasmError::new(ErrorCode::CallError, format!("{context}: {WouldWait}"));
    }
    if matches!(error.downcast_ref::<Trap>(), Some(Trap::OutOfFuel)) {
        let consumed = spent.fuel.unwrap_or(0);
        let mut classified = WasmError::new(
            ErrorCode::FuelExhausted,
            format!(
                "{context}: execution limit reached: out of fuel after consuming {consumed} units"
            ),
        );
        classified.details.reason = Some("fuel");
        classified.details.fuel_consumed = Some(consumed);
        classified.details.elapsed_ms = Some(elapsed_ms(started));
        return classified;
    }
    let mut classified = WasmError::from_wasm_failure(entering.code(), &context, error);
    if let Some(refusal) = spent.budget_refused {
        budget_spent(&mut classified, entering, refusal, started);
    }
    classified
}

/// What an entry spent, for its error.
#[derive(Debug, Default, Clone, Copy)]
pub struct Spent {
    pub fuel: Option<u64>,
    /// A growth the instance's memory or table budget refused during the entry.
    pub budget_refused: Option<Refusal>,
}

/// A failure after the memory or table budget refused a growth. Memories or tables too large
/// for the budget at instantiation are the whole story; a GC allocation that failed for it is
/// the limit itself (5011, `reason: "memory"`); any other failure (a program that traps once
/// `malloc` fails) says that the budget was spent, in bytes.
fn budget_spent(error: &mut WasmError, entering: &Entering, refusal: Refusal, started: Instant) {
    let context = entering.context();
    let budget = describe_budget(refusal);
    if error.details.trap.as_deref() == Some("GC heap out of memory") {
        error.code = ErrorCode::FuelExhausted;
        error.message = format!(
            "{context}: execution limit reached: {budget} refused to grow its memory to {}, \
             so a GC allocation did not fit",
            quantity(refusal.what, refusal.wanted)
        );
        error.details.reason = Some("memory");
        error.details.trap = None;
        error.details.elapsed_ms = Some(elapsed_ms(started));
    } else if matches!(entering, Entering::Instantiate) && error.details.trap.is_none() {
        // wasmtime's own words speak of pages and "limits": say what the budget is instead.
        let needs = match refusal.what {
            Held::Memory => "its memories need",
            Held::Tables => "its tables need",
        };
        error.message = format!(
            "{context}: {needs} {} at start, more than {budget}",
            quantity(refusal.what, refusal.wanted)
        );
    } else if error.details.exit_code.is_none() {
        error.note_on_first_line(&format!(
            "after {budget} refused to grow it to {}",
            quantity(refusal.what, refusal.wanted)
        ));
    }
}

/// "the instance's memory budget (maxMemoryBytes) of 4194304 bytes (4 MiB)".
fn describe_budget(refusal: Refusal) -> String {
    let (kind, option) = match refusal.what {
        Held::Memory => ("memory", "maxMemoryBytes"),
        Held::Tables => ("table", "maxTableElements"),
    };
    let limit = quantity(refusal.what, refusal.limit);
    format!("the instance's {kind} budget ({option}) of {limit}")
}

/// Bytes of memory with their size in binary units, or a count of table elements.
fn quantity(what: Held, amount: u64) -> String {
    match what {
        Held::Memory => format!("{amount} bytes ({})", binary_size(amount)),
        Held::Tables => format!("{amount} elements"),
    }
}

/// 4194304 -> "4 MiB", 13762560 -> "13.1 MiB".
fn binary_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// The error of an entry stopped from outside (or of a call stopped while queued).
pub fn interruption_error(interruption: Interruption, started: Instant) -> WasmError {
    let elapsed = elapsed_ms(started);
    match interruption {
        Interruption::InstanceDropped => dropped_error(),
        Interruption::Aborted => {
            let mut error = WasmError::new(ErrorCode::CallError, "the operation was aborted");
            error.details.aborted = Some(true);
            error
        }
        Interruption::TimedOut => {
            let mut error = WasmError::new(
                ErrorCode::FuelExhausted,
                format!("execution limit reached: deadline passed after {elapsed:.1} ms"),
            );
            error.details.reason = Some("timeout");
            error.details.elapsed_ms = Some(elapsed);
            error
        }
    }
}

pub fn dropped_error() -> WasmError {
    WasmError::new(
        ErrorCode::InvalidInstanceHandle,
        "the instance was dropped before the operation could finish",
    )
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// A waker that records whether it was woken (for `enter_blocking`).
#[derive(Default)]
struct WakeFlag(AtomicBool);

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}
