//! Instances: creation, calls and queued store operations, and drop.
//!
//! Each instance's store sits behind a fair (FIFO) async mutex. Every operation asks for the
//! lock when it is first polled, which the binding does on the JS thread at the moment the
//! operation is made, so operations on one instance run one at a time in the order they were
//! made, while different instances run in parallel on the pool.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, OwnedMutexGuard};
use wasmtime::{Store, Trap, Val, ValRaw};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::engine::{calls_in_flight, ActiveCall, Metering};
use crate::runtime::exports::{ExportFunc, Exports};
use crate::runtime::host::HostImports;
use crate::runtime::limits::{
    earliest, interrupted, CallLimits, CancelToken, Ceilings, InstanceLimits, Interruption,
    Upstream, UNBOUNDED_FUEL,
};
use crate::runtime::linker::prelink;
use crate::runtime::module::ModuleEntry;
use crate::runtime::registry::INSTANCES;
use crate::runtime::store::{metering_for, new_store, HostState, FIRST_SLICE_TICKS};
use crate::runtime::values;
use crate::wasi::{build_context, OutputPipes, WasiOptions};

type SharedStore = Arc<Mutex<Option<Store<HostState>>>>;
type StoreGuard = OwnedMutexGuard<Option<Store<HostState>>>;

pub struct InstanceEntry {
    store: SharedStore,
    closed: Arc<CancelToken>,
    pipes: OutputPipes,
    pub exports: Arc<Exports>,
    /// The deadline of every call, unless the call asks for an earlier one.
    default_timeout: Option<Duration>,
    metering: Metering,
    /// Whether the store needs wasmtime's async entry points: it has imported functions
    /// (WASI and JS host functions suspend the call) or meters fuel (which yields).
    /// `callSync` on any other instance is a plain call, without a fiber.
    needs_async: bool,
    ceilings: Ceilings,
    /// Whether the last call made with `call` ran longer than a slice: the next one then
    /// starts on the pool.
    last_call_was_long: Arc<AtomicBool>,
}

pub fn get(id: &str) -> WasmResult<Arc<InstanceEntry>> {
    INSTANCES.get(id)
}

/// The instance behind the number in its id, for the hot call path.
pub fn get_numbered(id: u64) -> WasmResult<Arc<InstanceEntry>> {
    INSTANCES.get_numbered(id)
}

/// Drops an instance at once: later uses fail with 5005, a running call stops at its next
/// epoch tick, and queued operations settle with 5005.
pub fn drop_instance(id: &str) -> WasmResult<()> {
    let entry = INSTANCES.remove(id)?;
    entry.closed.cancel();
    if let Ok(mut idle_store) = entry.store.try_lock() {
        idle_store.take();
    }
    Ok(())
}

pub async fn instantiate(
    module: Arc<ModuleEntry>,
    options: WasiOptions,
    asked: InstanceLimits,
    ceilings: Ceilings,
    host: HostImports,
) -> WasmResult<String> {
    check_instance_count(&ceilings)?;
    let limits = ceilings.apply_to_instance(asked);
    let metering = metering_for(&limits);
    let imports_functions = module.imports_functions();
    let needs_async = metering == Metering::Fuel || imports_functions;
    let instance_pre = if host.is_empty() {
        module.instance_pre(metering)?.clone()
    } else {
        prelink(module.module(metering)?, metering, Some(&host))?
    };
    let closed = Arc::new(CancelToken::default());
    // A module that imports no function can never reach WASI: with no options to check,
    // its context is not built.
    let (wasi, pipes) = if imports_functions || !options.is_empty_sandbox() {
        let (context, pipes) = build_context(&options)?;
        (Some(context), pipes)
    } else {
        (None, OutputPipes::default())
    };
    let mut store = new_store(wasi, closed.clone(), &limits)?;
    let started = Instant::now();
    store
        .data_mut()
        .control
        .begin(limits.timeout.and_then(|t| started.checked_add(t)), None);
    let _active = ActiveCall::start();
    let fail = |e, context, store: &Store<HostState>| {
        let spent = fuel_spent(store, limits.fuel);
        classify_failure(e, ErrorCode::InstantiateError, context, started, spent)
    };
    let instantiated = if !needs_async && !module.runs_code_when_instantiated() {
        // Nothing can run or wait: a plain synchronous instantiation, without a fiber.
        instance_pre.instantiate(&mut store)
    } else {
        instance_pre.instantiate_async(&mut store).await
    };
    let instance = instantiated.map_err(|e| fail(e, "instantiation failed", &store))?;
    let exports = Exports::collect(&mut store, &instance);
    store.data_mut().memory = exports.memory;
    // A plain lookup first: asking for a typed function that is not there builds an error.
    let initializer = instance.get_func(&mut store, "_initialize");
    let typed = initializer.and_then(|f| f.typed::<(), ()>(&store).ok());
    if let Some(initialize) = typed {
        store.set_epoch_deadline(FIRST_SLICE_TICKS);
        let initialized = initialize.call_async(&mut store, ()).await;
        initialized.map_err(|e| fail(e, "_initialize failed", &store))?;
    }
    sync_fuel_tank(&mut store);
    store.data_mut().control.begin(None, None);
    let id = INSTANCES.next_id();
    store.data_mut().instance_id = Some(Arc::from(INSTANCES.format_id(id)));
    let entry = InstanceEntry {
        store: Arc::new(Mutex::new(Some(store))),
        closed,
        pipes,
        exports: Arc::new(exports),
        default_timeout: limits.timeout,
        metering,
        needs_async,
        ceilings,
        last_call_was_long: Arc::default(),
    };
    Ok(INSTANCES.insert(id, Arc::new(entry)))
}

fn check_instance_count(ceilings: &Ceilings) -> WasmResult<()> {
    match ceilings.max_instances {
        Some(max) if INSTANCES.len() as u64 >= max => Err(WasmError::new(
            ErrorCode::InstantiateError,
            format!("the manifest allows at most {max} live instances (max_instances)"),
        )),
        _ => Ok(()),
    }
}

impl InstanceEntry {
    /// Calls an exported function; resolves its results. Exit status 0 of a WASI program
    /// resolves with no results.
    pub fn call(
        &self,
        func: &ExportFunc,
        params: Vec<Val>,
        limits: CallLimits,
    ) -> WasmResult<impl Future<Output = WasmResult<Vec<Val>>> + Send + 'static> {
        let plan = self.plan_call(func, limits)?.into_owned();
        let was_long = self.last_call_was_long.clone();
        // A call's first slice runs on the JS thread, which is right for tiny calls but only
        // delays the event loop when long calls are about: then the call starts on the pool.
        // (It still takes its place in the queue here, on the JS thread.)
        let start_on_pool =
            calls_in_flight() > 0 || self.last_call_was_long.load(Ordering::Relaxed);
        let lock = self.lock();
        Ok(async move {
            let cancel = plan.cancel.clone();
            let mut guard = wait_for_turn(lock, plan.deadline, cancel, plan.invoked()).await?;
            if start_on_pool {
                YieldOnce(false).await;
            }
            let store = guard.as_mut().ok_or_else(dropped_error)?;
            let outcome = plan.run(store, params, &was_long).await;
            if matches!(&outcome, Err(e) if e.code == ErrorCode::InvalidInstanceHandle) {
                guard.take();
            }
            outcome
        })
    }

    /// Calls an exported function to completion on this thread (`callSync`), writing its
    /// results into `results` (as many as the function has); returns how many it wrote (none
    /// when a WASI program exited with status 0). The instance must be idle; host functions
    /// cannot run, since they would wait for this thread.
    pub fn call_sync(
        &self,
        func: &ExportFunc,
        params: &[Val],
        results: &mut [Val],
    ) -> WasmResult<usize> {
        let plan = self.plan_call(func, CallLimits::default())?;
        let mut guard = self.store.try_lock().map_err(|_| busy_error())?;
        if self.closed.is_cancelled() {
            guard.take();
        }
        let store = guard.as_mut().ok_or_else(dropped_error)?;
        store.data_mut().control.may_yield = false;
        let outcome = if self.needs_async {
            let running = plan.run(store, params.to_vec(), &self.last_call_was_long);
            run_to_completion(running).map(|values| {
                results.iter_mut().zip(&values).for_each(|(r, v)| *r = *v);
                values.len()
            })
        } else {
            plan.run_sync(store, params, results)
        };
        match guard.as_mut() {
            Some(store)
                if outcome.as_ref().err().map(|e| e.code)
                    != Some(ErrorCode::InvalidInstanceHandle) =>
            {
                store.data_mut().control.may_yield = true;
            }
            _ => {
                guard.take();
            }
        }
        outcome
    }

    fn plan_call<'f>(&self, func: &'f ExportFunc, limits: CallLimits) -> WasmResult<CallPlan<'f>> {
        let limits = self.ceilings.apply_to_call(limits);
        if limits.fuel.is_some() && self.metering == Metering::Off {
            return Err(unmetered_error());
        }
        let timeout = earliest(limits.timeout, self.default_timeout);
        // The clock is read only for a call that a deadline, an abort or fuel can stop: only
        // their errors report the time taken.
        let timed = timeout.is_some() || limits.cancel.is_some() || self.metering == Metering::Fuel;
        let invoked = timed.then(Instant::now);
        Ok(CallPlan {
            func: Cow::Borrowed(func),
            fuel: limits.fuel,
            deadline: invoked.zip(timeout).and_then(|(at, t)| at.checked_add(t)),
            cancel: limits.cancel,
            upstream: limits.upstream,
            invoked,
        })
    }

    /// Runs `op` on the store, queued behind earlier operations on this instance.
    pub fn with_store<R, F>(&self, op: F) -> impl Future<Output = WasmResult<R>> + Send + 'static
    where
        R: Send + 'static,
        F: FnOnce(&mut Store<HostState>, &Exports) -> WasmResult<R> + Send + 'static,
    {
        let lock = self.lock();
        let exports = self.exports.clone();
        async move {
            let mut guard = lock.await?;
            let store = guard.as_mut().ok_or_else(dropped_error)?;
            op(store, &exports)
        }
    }

    /// Runs `op` at once if nothing is queued or running on this instance; `None` if the
    /// operation has to wait its turn (then use `with_store`).
    pub fn with_idle_store<R>(
        &self,
        op: impl FnOnce(&mut Store<HostState>, &Exports) -> WasmResult<R>,
    ) -> Option<WasmResult<R>> {
        let mut guard = self.store.try_lock().ok()?;
        if self.closed.is_cancelled() {
            guard.take();
        }
        let Some(store) = guard.as_mut() else {
            return Some(Err(dropped_error()));
        };
        Some(op(store, &self.exports))
    }

    /// Fuel left, or `None` for an instance without fuel metering.
    pub fn fuel(&self) -> impl Future<Output = WasmResult<Option<u64>>> + Send + 'static {
        self.with_store(|store, _| Ok(store.data().fuel_tank))
    }

    /// Refills the fuel tank (clamped to the manifest's ceiling).
    pub fn set_fuel(
        &self,
        fuel: u64,
    ) -> WasmResult<impl Future<Output = WasmResult<()>> + Send + 'static> {
        if self.metering == Metering::Off {
            return Err(unmetered_error());
        }
        let fuel = self.ceilings.clamp_fuel(fuel);
        Ok(self.with_store(move |store, _| {
            store.data_mut().fuel_tank = Some(fuel);
            let _ = store.set_fuel(fuel);
            Ok(())
        }))
    }

    /// How many output chunks have been handed to stdout/stderr callbacks so far.
    pub fn sent_chunks(&self) -> u64 {
        self.pipes
            .sent_chunks
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// What the program wrote to a piped stdout (or stderr) since the last read.
    pub fn read_output(&self, stderr: bool) -> WasmResult<Vec<u8>> {
        let pipe = if stderr {
            &self.pipes.stderr
        } else {
            &self.pipes.stdout
        };
        let stream = if stderr { "stderr" } else { "stdout" };
        pipe.as_ref().map(|p| p.drain()).ok_or_else(|| {
            WasmError::new(
                ErrorCode::WasiError,
                format!(
                    "{stream} is not piped: instantiate with {{ {stream}: \"pipe\" }} to read it"
                ),
            )
        })
    }

    /// Takes this instance's place in its queue. A store found after the instance was
    /// dropped is freed here, by whichever operation sees it first.
    fn lock(&self) -> impl Future<Output = WasmResult<StoreGuard>> + Send + 'static {
        let store = self.store.clone();
        let closed = self.closed.clone();
        async move {
            let mut guard = store.lock_owned().await;
            if closed.is_cancelled() {
                guard.take();
                return Err(dropped_error());
            }
            Ok(guard)
        }
    }
}

/// One call, with its limits worked out, ready to run once the store is ours. A call run
/// at once borrows its function; a queued one owns a copy.
struct CallPlan<'f> {
    func: Cow<'f, ExportFunc>,
    fuel: Option<u64>,
    deadline: Option<Instant>,
    cancel: Option<Arc<CancelToken>>,
    upstream: Upstream,
    /// When the call was made, for a call that can be stopped by a deadline, an abort or fuel.
    invoked: Option<Instant>,
}

impl CallPlan<'_> {
    fn invoked(&self) -> Instant {
        self.invoked.unwrap_or_else(Instant::now)
    }

    fn into_owned(self) -> CallPlan<'static> {
        CallPlan {
            func: Cow::Owned(self.func.into_owned()),
            fuel: self.fuel,
            deadline: self.deadline,
            cancel: self.cancel,
            upstream: self.upstream,
            invoked: self.invoked,
        }
    }

    /// Runs the call; `was_long` learns whether it ran longer than a slice.
    async fn run(
        mut self,
        store: &mut Store<HostState>,
        params: Vec<Val>,
        was_long: &AtomicBool,
    ) -> WasmResult<Vec<Val>> {
        let _active = ActiveCall::start();
        let started = Instant::now();
        let allowance = self.begin(store);
        let mut results = vec![Val::I32(0); self.func.results.len()];
        let outcome = match store.data().control.check() {
            Ok(()) => {
                self.func
                    .func
                    .call_async(&mut *store, &params, &mut results)
                    .await
            }
            Err(interruption) => Err(wasmtime::Error::new(interruption)),
        };
        was_long.store(started.elapsed() > LONG_CALL, Ordering::Relaxed);
        let returned = self.finish(store, outcome, allowance)?;
        results.truncate(returned);
        Ok(results)
    }

    /// `run` for a store that needs no async entry points: the same call, without a fiber,
    /// writing into `results`. Nothing can yield, so the call runs to completion here.
    fn run_sync(
        mut self,
        store: &mut Store<HostState>,
        params: &[Val],
        results: &mut [Val],
    ) -> WasmResult<usize> {
        // Epoch ticks only matter to a deadline or an abort: nothing else can stop a call
        // that holds this thread (the instance cannot be dropped meanwhile).
        let _active = (self.deadline.is_some() || self.cancel.is_some()).then(ActiveCall::start);
        let allowance = self.begin(store);
        let outcome = match store.data().control.check() {
            Ok(()) => self.call_plain(store, params, results),
            Err(interruption) => Err(wasmtime::Error::new(interruption)),
        };
        self.finish(store, outcome, allowance)
    }

    /// A synchronous call. Numbers go through wasmtime's unchecked entry point: the
    /// arguments were converted to the function's own parameter types, so checking them
    /// again (which costs more than a tiny call) proves nothing.
    fn call_plain(
        &self,
        store: &mut Store<HostState>,
        params: &[Val],
        results: &mut [Val],
    ) -> wasmtime::Result<()> {
        let func = &self.func;
        let slots = func.params.len().max(func.results.len());
        let fits = slots <= RAW_SLOTS && results.len() == func.results.len();
        if !func.plain_bits || !fits || params.len() != func.params.len() {
            return func.func.call(&mut *store, params, results);
        }
        let mut raw = [ValRaw::i32(0); RAW_SLOTS];
        for (slot, value) in raw.iter_mut().zip(params) {
            *slot = values::to_raw(value);
        }
        // SAFETY: `raw` has room for every parameter and result; the parameters are plain
        // bits of exactly the function's parameter types (checked above and by conversion);
        // the function belongs to this store, whose calls need no async entry point (the
        // caller checked), and this is not a call from inside another call.
        unsafe { func.func.call_unchecked(&mut *store, &mut raw[..slots]) }?;
        for ((result, slot), ty) in results.iter_mut().zip(raw.iter()).zip(func.results.iter()) {
            *result = values::from_raw(*slot, ty);
        }
        Ok(())
    }

    /// Arms the store for this call: its fuel, deadline, abort signal and upstream chain.
    /// Returns the fuel allowance.
    fn begin(&mut self, store: &mut Store<HostState>) -> Option<u64> {
        let allowance = begin_fuel(store, self.fuel);
        store
            .data_mut()
            .control
            .begin(self.deadline, self.cancel.take());
        store.data_mut().control.upstream = std::mem::take(&mut self.upstream);
        store.set_epoch_deadline(FIRST_SLICE_TICKS);
        allowance
    }

    /// Disarms the store and turns the outcome into how many results the call returned (all
    /// of them, or none when a WASI program exited with status 0) or the call's error.
    fn finish(
        self,
        store: &mut Store<HostState>,
        outcome: wasmtime::Result<()>,
        allowance: Option<u64>,
    ) -> WasmResult<usize> {
        let consumed = end_fuel(store, allowance);
        store.data_mut().control.begin(None, None);
        store.data_mut().control.upstream = Upstream::default();
        match outcome {
            Ok(()) => Ok(self.func.results.len()),
            Err(e) if is_clean_exit(&e) => Ok(0),
            Err(e) => {
                let context = format!("call to {:?} failed", self.func.name);
                Err(classify_failure(
                    e,
                    ErrorCode::CallError,
                    &context,
                    self.invoked(),
                    consumed,
                ))
            }
        }
    }
}

/// Drives a call on this thread: one poll, which finishes any call that does not wait, then
/// blocking on the runtime for one that waits on WASI I/O.
fn run_to_completion<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => napi::bindgen_prelude::block_on(future),
    }
}

/// Values passed to `call_unchecked` from the stack; larger signatures take the checked call.
const RAW_SLOTS: usize = 16;

/// A call that ran this long is "long": the next call on its instance starts on the pool.
const LONG_CALL: Duration = Duration::from_millis(1);

/// Returns to the executor once, so that the rest of the call runs on the pool.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        context.waker().wake_by_ref();
        Poll::Pending
    }
}

fn busy_error() -> WasmError {
    WasmError::new(
        ErrorCode::CallError,
        "callSync needs an idle instance, but another operation on it is queued or running; use call()",
    )
}

/// Waits for the instance to be free, unless the call's deadline passes or it is aborted
/// first. (Once running, wasm code is stopped by the epoch callback instead.)
async fn wait_for_turn(
    lock: impl Future<Output = WasmResult<StoreGuard>>,
    deadline: Option<Instant>,
    cancel: Option<Arc<CancelToken>>,
    invoked: Instant,
) -> WasmResult<StoreGuard> {
    tokio::select! {
        biased;
        guard = lock => guard,
        stop = interrupted(deadline, cancel, None) => Err(interruption_error(stop, invoked)),
    }
}

/// Sets the fuel this call may burn: the tank, or less if the call asks for less.
fn begin_fuel(store: &mut Store<HostState>, per_call: Option<u64>) -> Option<u64> {
    let tank = store.data().fuel_tank?;
    let allowance = per_call.map_or(tank, |asked| asked.min(tank));
    let _ = store.set_fuel(allowance);
    Some(allowance)
}

/// Charges what the call burnt to the tank; returns the fuel consumed.
fn end_fuel(store: &mut Store<HostState>, allowance: Option<u64>) -> Option<u64> {
    let allowance = allowance?;
    let left = store.get_fuel().unwrap_or(0);
    let consumed = allowance.saturating_sub(left);
    let tank = store.data_mut().fuel_tank.as_mut()?;
    if *tank != UNBOUNDED_FUEL {
        *tank = tank.saturating_sub(consumed);
    }
    Some(consumed)
}

/// After instantiation, the tank holds what the start functions left.
fn sync_fuel_tank(store: &mut Store<HostState>) {
    if matches!(store.data().fuel_tank, Some(tank) if tank != UNBOUNDED_FUEL) {
        let left = store.get_fuel().unwrap_or(0);
        store.data_mut().fuel_tank = Some(left);
    }
}

/// Fuel burnt since the tank was filled with `filled`, for instantiation failures.
fn fuel_spent(store: &Store<HostState>, filled: Option<u64>) -> Option<u64> {
    filled.map(|filled| filled.saturating_sub(store.get_fuel().unwrap_or(0)))
}

fn is_clean_exit(error: &wasmtime::Error) -> bool {
    matches!(error.downcast_ref::<wasmtime_wasi::I32Exit>(), Some(exit) if exit.0 == 0)
}

/// Maps a failed call or instantiation to its error: a limit, a drop, an abort, a WASI
/// exit or a trap.
pub fn classify_failure(
    error: wasmtime::Error,
    code: ErrorCode,
    context: &str,
    started: Instant,
    fuel_consumed: Option<u64>,
) -> WasmError {
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
    if matches!(error.downcast_ref::<Trap>(), Some(Trap::OutOfFuel)) {
        let consumed = fuel_consumed.unwrap_or(0);
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
    WasmError::from_wasm_failure(code, context, error)
}

fn interruption_error(interruption: Interruption, started: Instant) -> WasmError {
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

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn unmetered_error() -> WasmError {
    WasmError::new(
        ErrorCode::FuelExhausted,
        "this instance has no fuel metering: pass limits.fuel to instantiate() to meter it",
    )
}

fn dropped_error() -> WasmError {
    WasmError::new(
        ErrorCode::InvalidInstanceHandle,
        "the instance was dropped before the operation could finish",
    )
}
