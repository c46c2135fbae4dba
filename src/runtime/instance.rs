//! Instances: creation, calls and queued store operations, and drop.
//!
//! Each instance's store sits behind a fair (FIFO) async mutex. Every operation asks for the
//! lock when it is first polled, which the binding does on the JS thread at the moment the
//! operation is made, so operations on one instance run one at a time in the order they were
//! made, while different instances run in parallel on the pool.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use once_cell::sync::Lazy;
use tokio::sync::{Mutex, OwnedMutexGuard};
use wasmtime::component::Val as ComponentVal;
use wasmtime::{Instance, InstancePre, Store, TypedFunc, Val, ValRaw};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::call::{
    self, dropped_error, interruption_error, CallExport, EarlyOutcome, Entering, Finished,
    GuestCode, Plan,
};
use crate::runtime::component::exports::{CallComponentExport, ComponentExports, ExportedFn};
use crate::runtime::component::resources::DropResource;
use crate::runtime::coredump;
use crate::runtime::engine::{calls_in_flight, Metering};
use crate::runtime::exports::{ExportFunc, Exports};
use crate::runtime::host::{HostImports, LinkedCall, LinkedInstance};
use crate::runtime::limits::{
    earliest, interrupted, CallLimits, CancelToken, Ceilings, InstanceLimits,
};
use crate::runtime::linker::prelink;
use crate::runtime::module::ModuleEntry;
use crate::runtime::profile;
use crate::runtime::registry::Registry;
use crate::runtime::store::{metering_for, new_store, HostState};
use crate::runtime::values;
use crate::wasi::{build_context, OutputPipes, WasiOptions};

type StoreGuard = OwnedMutexGuard<Option<Store<HostState>>>;

/// Every live instance, by id.
pub static INSTANCES: Lazy<Registry<InstanceEntry>> =
    Lazy::new(|| Registry::new("instance:", ErrorCode::InvalidInstanceHandle));

pub type SharedStore = Arc<Mutex<Option<Store<HostState>>>>;

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
    /// Whether JS host functions are among the imports: their calls tell a stop early (see
    /// `call::EarlyOutcome`).
    js_host_functions: bool,
    /// Whether the last call made with `call` ran longer than a slice: the next one then
    /// starts on the pool.
    last_call_was_long: Arc<AtomicBool>,
    /// The code the instance runs (for its guest profiles); `None` for a component.
    module: Option<Arc<wasmtime::Module>>,
    /// A component instance's exported functions (its `exports` are then empty).
    pub component: Option<Arc<ComponentExports>>,
}

/// What a new instance is made of, besides its store (see `register`).
pub(crate) struct Parts {
    pub closed: Arc<CancelToken>,
    pub pipes: OutputPipes,
    pub exports: Exports,
    pub component: Option<ComponentExports>,
    pub default_timeout: Option<Duration>,
    pub metering: Metering,
    pub needs_async: bool,
    pub ceilings: Ceilings,
    pub js_host_functions: bool,
    pub module: Option<Arc<wasmtime::Module>>,
}

/// Registers a new instance whose store is ready; returns its id.
pub(crate) fn register(mut store: Store<HostState>, parts: Parts) -> String {
    let id = INSTANCES.next_id();
    store.data_mut().instance_id = Some(Arc::from(INSTANCES.format_id(id)));
    let entry = InstanceEntry {
        store: Arc::new(Mutex::new(Some(store))),
        closed: parts.closed,
        pipes: parts.pipes,
        exports: Arc::new(parts.exports),
        default_timeout: parts.default_timeout,
        metering: parts.metering,
        needs_async: parts.needs_async,
        ceilings: parts.ceilings,
        js_host_functions: parts.js_host_functions,
        last_call_was_long: Arc::default(),
        module: parts.module,
        component: parts.component.map(Arc::new),
    };
    INSTANCES.insert(id, Arc::new(entry))
}

pub fn get(id: &str) -> WasmResult<Arc<InstanceEntry>> {
    INSTANCES.get(id)
}

/// The instance behind the number in its id, for the hot call path.
pub fn get_numbered(id: u64) -> WasmResult<Arc<InstanceEntry>> {
    INSTANCES.get_numbered(id)
}

/// Drops an instance at once: later uses fail with 5005, a running call stops at its next
/// epoch tick, and queued operations settle with 5005. A trusted instance's running call has
/// no epoch ticks: it runs to its end (or to its next wait for the host), which the returned
/// future waits for before it frees the store; for other instances it is ready at once.
pub fn drop_instance(id: &str) -> WasmResult<impl Future<Output = ()> + Send + 'static> {
    let entry = INSTANCES.remove(id)?;
    entry.closed.cancel();
    if let Ok(mut idle_store) = entry.store.try_lock() {
        idle_store.take();
    }
    let running = (entry.metering == Metering::Trusted).then(|| entry.store.clone());
    Ok(async move {
        if let Some(store) = running {
            store.lock_owned().await.take();
        }
    })
}

pub async fn instantiate(
    module: Arc<ModuleEntry>,
    options: WasiOptions,
    asked: InstanceLimits,
    ceilings: Ceilings,
    host: HostImports,
) -> WasmResult<String> {
    check_instance_count(&ceilings)?;
    let js_host_functions = !host.functions.is_empty();
    let limits = ceilings.apply_to_instance(asked);
    let metering = metering_of(module.trusted(), &limits)?;
    let imports_functions = module.imports_functions();
    let needs_async = metering == Metering::Fuel || imports_functions;
    let code = module.code(metering)?;
    let instance_pre = if host.is_empty() {
        code.instance_pre()?
    } else {
        prelink(&code.module, code.kind, Some(&host))?
    };
    let closed = Arc::new(CancelToken::default());
    // A module that imports no function can never reach WASI: with no options to check,
    // its context is not built.
    if options.network.is_some() {
        return Err(WasmError::new(
            ErrorCode::InstantiateError,
            "network is for components: WASI preview 1 has no sockets or HTTP (see the README, \
             Network)",
        ));
    }
    let (wasi, pipes) = if imports_functions || !options.is_empty_sandbox() {
        let context = build_context(&options)?;
        (Some(context.wasi), context.pipes)
    } else {
        (None, OutputPipes::default())
    };
    let coredump_target = options
        .coredump_on_trap
        .as_deref()
        .map(|asked| coredump::target(asked, &options.preopens))
        .transpose()?;
    let mut store = new_store(code.module.engine(), wasi, closed.clone(), &limits)?;
    store.data_mut().coredump = coredump_target;
    let invoked = Instant::now();
    let plan = |entering| Plan {
        deadline: limits.timeout.and_then(|t| invoked.checked_add(t)),
        invoked: Some(invoked),
        ..Plan::new(entering)
    };
    let instantiated = if !needs_async && !module.runs_code_when_instantiated() {
        // Nothing can run or wait: a plain synchronous instantiation, without a fiber.
        call::enter_sync(&mut store, plan(Entering::Instantiate), |store| {
            instance_pre.instantiate(store)
        })
    } else {
        call::enter(
            &mut store,
            plan(Entering::Instantiate),
            Instantiate(instance_pre),
        )
        .await
    };
    let Finished::Returned(instance) = instantiated? else {
        return Err(exited_while_instantiating());
    };
    let exports = Exports::collect(&mut store, &instance);
    store.data_mut().memory = exports.memory;
    // A plain lookup first: asking for a typed function that is not there builds an error.
    let initializer = instance.get_func(&mut store, "_initialize");
    if let Some(initialize) = initializer.and_then(|f| f.typed::<(), ()>(&store).ok()) {
        let initialized = call::enter(
            &mut store,
            plan(Entering::Initialize),
            Initialize(initialize),
        );
        if let Finished::Exited = initialized.await? {
            return Err(exited_while_instantiating());
        }
    }
    let parts = Parts {
        closed,
        pipes,
        exports,
        component: None,
        default_timeout: limits.timeout,
        metering,
        needs_async,
        ceilings,
        js_host_functions,
        module: Some(code.module.clone()),
    };
    Ok(register(store, parts))
}

/// The metering of a new instance: none for trusted code (which refuses limits that need
/// checks), fuel when it has fuel, else the epoch only.
pub(crate) fn metering_of(trusted: bool, limits: &InstanceLimits) -> WasmResult<Metering> {
    if trusted {
        refuse_stopping_limits(limits)?;
        Ok(Metering::Trusted)
    } else {
        Ok(metering_for(limits))
    }
}

pub(crate) fn check_instance_count(ceilings: &Ceilings) -> WasmResult<()> {
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
    /// resolves with no results. Also returns, for an instance with JS host functions, where
    /// a stop is told early (see `call::EarlyOutcome`).
    #[allow(clippy::type_complexity)]
    pub fn call(
        &self,
        func: &ExportFunc,
        params: Vec<Val>,
        limits: CallLimits,
    ) -> WasmResult<(
        impl Future<Output = WasmResult<Vec<Val>>> + Send + 'static,
        Option<Arc<EarlyOutcome>>,
    )> {
        let code = CallExport {
            func: func.func,
            params,
            result_count: func.results.len(),
        };
        self.run_call(&func.name, code, limits)
    }

    /// Calls a component's exported function; as `call`.
    #[allow(clippy::type_complexity)]
    pub fn call_component(
        &self,
        func: &ExportedFn,
        params: Vec<ComponentVal>,
        limits: CallLimits,
    ) -> WasmResult<(
        impl Future<Output = WasmResult<Vec<ComponentVal>>> + Send + 'static,
        Option<Arc<EarlyOutcome>>,
    )> {
        let code = CallComponentExport {
            func: func.func,
            params,
            result_count: usize::from(func.result.is_some()),
        };
        self.run_call(&func.name, code, limits)
    }

    /// Hands an HTTP request to this component instance's HTTP handler, as a call (its turn in
    /// the queue, its limits); the response goes to `sink` as it comes.
    pub fn handle_http(
        &self,
        request: crate::runtime::component::http_handler::IncomingRequest,
        sink: crate::runtime::component::http_handler::ResponseSink,
        limits: CallLimits,
    ) -> WasmResult<(
        impl Future<Output = WasmResult<Vec<()>>> + Send + 'static,
        Option<Arc<EarlyOutcome>>,
    )> {
        use crate::runtime::component::http_handler::HandleRequest;
        let component = self.component.as_ref().ok_or_else(|| {
            WasmError::new(ErrorCode::CallError, "this instance is not a component's")
        })?;
        let (name, handler) = component.http_handler()?;
        let code = HandleRequest::new(handler, request, sink)?;
        self.run_call(&name, code, limits)
    }

    /// Drops a resource JS holds of this component instance, running its destructor in the
    /// guest (in its turn, like a call). A handle already dropped or given away is a no-op.
    pub fn drop_resource(
        &self,
        handle: u32,
    ) -> WasmResult<impl Future<Output = WasmResult<()>> + Send + 'static> {
        let component = self.component.as_ref().ok_or_else(|| {
            WasmError::new(ErrorCode::CallError, "this instance is not a component's")
        })?;
        let running = match component.resources.find(handle, true) {
            Some(resource) => {
                let name: Arc<str> = Arc::from("[resource-drop]");
                Some(
                    self.run_call(&name, DropResource(resource), CallLimits::default())?
                        .0,
                )
            }
            None => None,
        };
        Ok(async move {
            match running {
                Some(running) => running.await.map(|_| ()),
                None => Ok(()),
            }
        })
    }

    /// Runs a call's guest code in its turn, under its plan (the one way every call goes).
    #[allow(clippy::type_complexity)]
    fn run_call<V, G>(
        &self,
        name: &Arc<str>,
        code: G,
        limits: CallLimits,
    ) -> WasmResult<(
        impl Future<Output = WasmResult<Vec<V>>> + Send + 'static,
        Option<Arc<EarlyOutcome>>,
    )>
    where
        V: Send + 'static,
        G: GuestCode<Output = Vec<V>> + 'static,
    {
        let mut plan = self.plan_call(name, limits)?;
        let early = self.js_host_functions.then(Arc::<EarlyOutcome>::default);
        plan.early = early.clone();
        let was_long = self.last_call_was_long.clone();
        // A call's first slice runs on the JS thread, which is right for tiny calls but only
        // delays the event loop when long calls are about: then the call starts on the pool.
        // (It still takes its place in the queue here, on the JS thread.)
        // Trusted code never yields: it always starts on the pool.
        let start_on_pool = self.metering == Metering::Trusted
            || calls_in_flight() > 0
            || self.last_call_was_long.load(Ordering::Relaxed);
        let lock = self.lock();
        let closed = self.closed.clone();
        let pipes = self.pipes.clone();
        let running = async move {
            let invoked = plan.invoked.unwrap_or_else(Instant::now);
            let queued = wait_for_turn(lock, plan.deadline, plan.cancel.clone(), invoked);
            let mut guard = queued.await?;
            if start_on_pool {
                YieldOnce(false).await;
            }
            let store = guard.as_mut().ok_or_else(dropped_error)?;
            let started = Instant::now();
            let finished = call::enter(store, plan, code)
                .await
                .map_err(|e| pipes.explain(e));
            was_long.store(started.elapsed() > LONG_CALL, Ordering::Relaxed);
            // Dropped during the call: the store is freed here. (A 5005 from elsewhere, such
            // as a linked instance that was dropped, leaves this instance alone.)
            if closed.is_cancelled() {
                guard.take();
            }
            match finished? {
                Finished::Returned(results) => Ok(results),
                Finished::Exited => Ok(Vec::new()),
            }
        };
        Ok((running, early))
    }

    /// Calls an exported function to completion on this thread (`callSync`), writing its
    /// results into `results` (as many as the function has); returns how many it wrote (none
    /// when a WASI program exited with status 0). The instance must be idle, and the call
    /// never waits for the host: one that would fails (see `call::enter_blocking`).
    pub fn call_sync(
        &self,
        func: &ExportFunc,
        params: &[Val],
        results: &mut [Val],
    ) -> WasmResult<usize> {
        let plan = self.plan_call(&func.name, CallLimits::default())?;
        let mut guard = self.store.try_lock().map_err(|_| busy_error())?;
        if self.closed.is_cancelled() {
            guard.take();
        }
        let store = guard.as_mut().ok_or_else(dropped_error)?;
        store.data_mut().control.may_yield = false;
        let finished = if self.needs_async {
            let (wasm_func, result_count) = (func.func, func.results.len());
            let code = CallExport {
                func: wasm_func,
                params: params.to_vec(),
                result_count,
            };
            call::enter_blocking(store, plan, code).map(|finished| match finished {
                Finished::Returned(values) => {
                    results.iter_mut().zip(&values).for_each(|(r, v)| *r = *v);
                    Finished::Returned(())
                }
                Finished::Exited => Finished::Exited,
            })
        } else {
            call::enter_sync(store, plan, |store| {
                call_plain(func, store, params, results)
            })
        };
        store.data_mut().control.may_yield = true;
        if self.closed.is_cancelled() {
            guard.take();
        }
        match finished.map_err(|e| self.pipes.explain(e))? {
            Finished::Returned(()) => Ok(func.results.len()),
            Finished::Exited => Ok(0),
        }
    }

    /// Whether calls on this instance can wait or yield (it imports functions or meters
    /// fuel), so that `call_sync` must run inside the async runtime's context.
    pub fn needs_async(&self) -> bool {
        self.needs_async
    }

    fn plan_call(&self, name: &Arc<str>, limits: CallLimits) -> WasmResult<Plan> {
        let limits = self.ceilings.apply_to_call(limits);
        if self.metering == Metering::Trusted {
            refuse_stopping_call(&limits)?;
        } else if limits.fuel.is_some() && self.metering == Metering::Off {
            return Err(unmetered_error());
        }
        let timeout = earliest(limits.timeout, self.default_timeout);
        // The clock is read only for a call that a deadline, an abort or fuel can stop: only
        // their errors report the time taken.
        let timed = timeout.is_some() || limits.cancel.is_some() || self.metering == Metering::Fuel;
        let invoked = timed.then(Instant::now);
        Ok(Plan {
            entering: Entering::Call(name.clone()),
            fuel: limits.fuel,
            deadline: invoked.zip(timeout).and_then(|(at, t)| at.checked_add(t)),
            cancel: limits.cancel,
            upstream: limits.upstream,
            invoked,
            early: None,
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
        match self.metering {
            Metering::Fuel => {}
            Metering::Off => return Err(unmetered_error()),
            Metering::Trusted => return Err(trusted_call_error("fuel")),
        }
        let fuel = self.ceilings.clamp_fuel(fuel);
        Ok(self.with_store(move |store, _| {
            store.data_mut().fuel_tank = Some(fuel);
            let _ = store.set_fuel(fuel);
            Ok(())
        }))
    }

    /// Starts sampling the instance's wasm stack every `interval` while its code runs.
    pub fn start_profile(
        &self,
        interval: Duration,
    ) -> WasmResult<impl Future<Output = WasmResult<()>> + Send + 'static> {
        if self.metering == Metering::Trusted {
            return Err(WasmError::new(
                ErrorCode::CallError,
                "a trusted instance cannot be profiled: its code has no epoch checks to take \
                 samples at",
            ));
        }
        let Some(module) = self.module.clone() else {
            return Err(WasmError::new(
                ErrorCode::CallError,
                "guest profiles are taken of module instances only, not of components",
            ));
        };
        Ok(self.with_store(move |store, _| profile::start(store, &module, interval)))
    }

    /// Stops the profile; resolves its Firefox Profiler JSON.
    pub fn stop_profile(&self) -> impl Future<Output = WasmResult<Vec<u8>>> + Send + 'static {
        self.with_store(|store, _| profile::finish(store))
    }

    /// Which piped streams lost output past `outputLimitBytes`: (stdout, stderr).
    pub fn output_truncated(&self) -> (bool, bool) {
        self.pipes.truncated()
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

impl LinkedInstance for InstanceEntry {
    fn function(&self, name: &str) -> WasmResult<ExportFunc> {
        self.exports.function(name).cloned()
    }

    fn call_for_import(
        &self,
        func: &ExportFunc,
        params: Vec<Val>,
        limits: CallLimits,
    ) -> WasmResult<LinkedCall> {
        let (call, _) = self.call(func, params, limits)?;
        Ok(Box::pin(call))
    }
}

/// A synchronous call. Numbers go through wasmtime's unchecked entry point: the arguments
/// were converted to the function's own parameter types, so instead of wasmtime's checks
/// (which cost more than a tiny call) each value's type is compared with its parameter's.
fn call_plain(
    func: &ExportFunc,
    store: &mut Store<HostState>,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let slots = func.params.len().max(func.results.len());
    let fits = slots <= RAW_SLOTS && results.len() == func.results.len();
    let typed = params.len() == func.params.len()
        && params
            .iter()
            .zip(func.params.iter())
            .all(|(value, ty)| values::is_plain_of(value, ty));
    if !func.plain_bits || !fits || !typed {
        return func.func.call(&mut *store, params, results);
    }
    let mut raw = [ValRaw::i32(0); RAW_SLOTS];
    for (slot, value) in raw.iter_mut().zip(params) {
        *slot = values::to_raw(value);
    }
    // SAFETY: `raw` has room for every parameter and result; the parameters are plain bits
    // of exactly the function's parameter types (each checked just above, so a slot is never
    // read as a wider type than was written); the function belongs to this store, whose calls
    // need no async entry point (the caller checked), and this is not a call from inside
    // another call.
    unsafe { func.func.call_unchecked(&mut *store, &mut raw[..slots]) }?;
    for ((result, slot), ty) in results.iter_mut().zip(raw.iter()).zip(func.results.iter()) {
        *result = values::from_raw(*slot, ty);
    }
    Ok(())
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

/// Instantiation, with the module's start function.
struct Instantiate(InstancePre<HostState>);

impl GuestCode for Instantiate {
    type Output = Instance;

    fn run(
        self,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Instance>> + Send + '_ {
        async move { self.0.instantiate_async(store).await }
    }
}

/// A WASI reactor's `_initialize`.
struct Initialize(TypedFunc<(), ()>);

impl GuestCode for Initialize {
    type Output = ();

    fn run(
        self,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<()>> + Send + '_ {
        async move { self.0.call_async(store, ()).await }
    }
}

/// A start function that ended its program with exit status 0 leaves no instance.
pub(crate) fn exited_while_instantiating() -> WasmError {
    WasmError::new(
        ErrorCode::InstantiateError,
        "instantiation failed: the start function ended the program (exit status 0)",
    )
}

/// What a trusted module's instance cannot have: nothing can stop its code while it runs.
fn refuse_stopping_limits(limits: &InstanceLimits) -> WasmResult<()> {
    let refused = match (limits.fuel, limits.timeout) {
        (Some(_), _) => "fuel (limits.fuel, or the manifest's max_fuel)",
        (_, Some(_)) => "a deadline (limits.timeoutMs, or the manifest's max_timeout_ms)",
        _ => return Ok(()),
    };
    Err(WasmError::new(
        ErrorCode::InstantiateError,
        format!(
            "the module was compiled trusted, without interruption checks, so nothing can stop \
             its code while it runs: it cannot have {refused}; compile it without trusted to \
             bound it"
        ),
    ))
}

/// What a call on a trusted module's instance cannot have.
fn refuse_stopping_call(limits: &CallLimits) -> WasmResult<()> {
    let refused = if limits.fuel.is_some() {
        "fuel"
    } else if limits.timeout.is_some() {
        "a deadline (timeoutMs, or the manifest's max_timeout_ms)"
    } else if limits.cancel.is_some() {
        "an AbortSignal"
    } else {
        return Ok(());
    };
    Err(trusted_call_error(refused))
}

/// A trusted instance's refusal of `refused` (fuel, a deadline, a signal).
fn trusted_call_error(refused: &str) -> WasmError {
    WasmError::new(
        ErrorCode::CallError,
        format!(
            "this instance's module was compiled trusted, without interruption checks, so \
             nothing can stop a call while it runs: it cannot have {refused}"
        ),
    )
}

fn unmetered_error() -> WasmError {
    WasmError::new(
        ErrorCode::CallError,
        "this instance has no fuel metering, so fuel cannot be given to it: pass limits.fuel to \
         instantiate() to meter it (fuel: Infinity meters without a limit)",
    )
}
