//! Host functions: imports satisfied by the host (JS functions, through a dispatcher) or by
//! another instance's exports.
//!
//! A call into a JS import registers a pending host call, asks the dispatcher to run the JS
//! function on its thread, and waits without holding a thread: the wasm fiber is suspended.
//! While it waits it serves the host's requests on the caller's instance (memory access and
//! re-entrant calls, which cannot take the instance's lock since this call holds it). The wait
//! ends when the host answers, or when the call's limits stop it: `call::enter` races every
//! wait against them and drops it, which unwinds the guest's stack and ends the pending call.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use once_cell::sync::Lazy;
use tokio::sync::oneshot;
use wasmtime::{Caller, Extern, ExternType, FuncType, Linker, Memory, Module, Val, ValType};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::call;
use crate::runtime::exports::ExportFunc;
use crate::runtime::limits::CallLimits;
use crate::runtime::memory;
use crate::runtime::store::HostState;
use crate::runtime::values::{from_wasm, to_wasm_args, ArgValue, ResultValue};

/// Runs JS host functions on their thread; answers come back through `complete`.
pub trait HostDispatcher: Send + Sync {
    /// Asks the host to run function `index` for pending call `call_id`. False when the host
    /// can no longer be reached.
    /// `upstream`: the instances waiting for this call (the caller's own id excluded).
    fn dispatch(
        &self,
        index: u32,
        call_id: u64,
        args: Vec<ResultValue>,
        upstream: &[Arc<str>],
    ) -> bool;

    /// The same for a component's host function `index`, with WIT-typed arguments.
    fn dispatch_component(
        &self,
        index: u32,
        call_id: u64,
        args: ComponentArgs,
        upstream: &[Arc<str>],
    ) -> bool;
}

/// A component host function's arguments, with their types (for converting them to JS).
pub struct ComponentArgs {
    pub values: Vec<wasmtime::component::Val>,
    pub types: Arc<[wasmtime::component::Type]>,
}

/// What a pending host call must be answered with.
#[derive(Clone)]
pub enum Expected {
    /// A core function's results.
    Core(Arc<[ValType]>),
    /// A component function's result, if it has one.
    Component(Option<wasmtime::component::Type>),
}

/// Another instance whose exported functions satisfy imports (an `InstanceEntry`).
pub trait LinkedInstance: Send + Sync {
    /// The exported function `name`.
    fn function(&self, name: &str) -> WasmResult<ExportFunc>;

    /// Calls `func` for an importing instance, queued behind the other operations on this
    /// one.
    fn call_for_import(
        &self,
        func: &ExportFunc,
        params: Vec<Val>,
        limits: CallLimits,
    ) -> WasmResult<LinkedCall>;
}

/// A call into a linked instance, under way.
pub type LinkedCall = Pin<Box<dyn Future<Output = WasmResult<Vec<Val>>> + Send>>;

/// The imports an instantiation gets from the host besides WASI.
#[derive(Default)]
pub struct HostImports {
    /// (module, name) of each JS function, in the dispatcher's index order.
    pub functions: Vec<(String, String)>,
    pub dispatcher: Option<Arc<dyn HostDispatcher>>,
    /// Modules whose function imports are another instance's exports of the same name.
    pub linked: Vec<(String, Arc<dyn LinkedInstance>)>,
    /// What becomes of function imports nothing else provides.
    pub unknown: UnknownImports,
}

impl HostImports {
    /// Nothing beyond WASI: the module's own prelinked `InstancePre` serves.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.linked.is_empty() && self.unknown == UnknownImports::Fail
    }
}

/// instantiate's `unknownImports`: what a function import that neither WASI nor the host
/// provides becomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UnknownImports {
    /// Instantiating fails and names the import.
    #[default]
    Fail,
    /// A function that traps when called, naming the import.
    Trap,
    /// A function that returns zeros (null references).
    Default,
}

/// What the host answered.
pub enum HostReply {
    Results(Vec<Val>),
    ComponentResults(Vec<wasmtime::component::Val>),
    Failed(WasmError),
}

/// What the host asks of the waiting call's instance.
pub enum HostRequest {
    Read {
        offset: u64,
        length: u64,
        reply: oneshot::Sender<WasmResult<Vec<u8>>>,
    },
    Write {
        offset: u64,
        bytes: Vec<u8>,
        reply: oneshot::Sender<WasmResult<()>>,
    },
    Size {
        reply: oneshot::Sender<WasmResult<u64>>,
    },
    Call {
        name: String,
        args: Vec<ArgValue>,
        reply: oneshot::Sender<WasmResult<Vec<Val>>>,
    },
}

struct PendingEntry {
    import: Arc<str>,
    expected: Expected,
    inbox: Arc<Mutex<Inbox>>,
}

/// What reaches a waiting host call: its answer, and the host's requests meanwhile.
#[derive(Default)]
struct Inbox {
    reply: Option<HostReply>,
    answered: bool,
    requests: VecDeque<HostRequest>,
    waker: Option<Waker>,
}

/// What a waiting host call takes from its inbox next.
enum Incoming {
    Reply(HostReply),
    Request(HostRequest),
}

static PENDING: Lazy<Mutex<HashMap<u64, PendingEntry>>> = Lazy::new(Default::default);
static NEXT_CALL_ID: AtomicU64 = AtomicU64::new(1);

fn pending_calls() -> std::sync::MutexGuard<'static, HashMap<u64, PendingEntry>> {
    PENDING.lock().unwrap_or_else(|p| p.into_inner())
}

fn open(inbox: &Mutex<Inbox>) -> std::sync::MutexGuard<'_, Inbox> {
    inbox.lock().unwrap_or_else(|p| p.into_inner())
}

/// The inbox of a pending call, if it still waits.
fn inbox_of(call_id: u64) -> Option<Arc<Mutex<Inbox>>> {
    pending_calls().get(&call_id).map(|p| p.inbox.clone())
}

/// What a pending host call must be answered with, and the import's name.
pub fn expected(call_id: u64) -> WasmResult<(Expected, Arc<str>)> {
    pending_calls()
        .get(&call_id)
        .map(|p| (p.expected.clone(), p.import.clone()))
        .ok_or_else(|| finished_error(call_id))
}

/// Delivers the host's answer to a pending call. Answering twice, or after the call stopped
/// waiting, is ignored (the call already settled).
pub fn complete(call_id: u64, reply: HostReply) {
    let Some(inbox) = inbox_of(call_id) else {
        return;
    };
    post(&inbox, |inbox| {
        if inbox.answered {
            return false;
        }
        inbox.answered = true;
        inbox.reply = Some(reply);
        true
    });
}

/// Puts something in a waiting call's inbox (`put` says whether it did) and wakes the call.
fn post(inbox: &Mutex<Inbox>, put: impl FnOnce(&mut Inbox) -> bool) {
    let waker = {
        let mut inbox = open(inbox);
        if !put(&mut inbox) {
            return;
        }
        inbox.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Whether a pending call has been answered and has yet to take the answer.
pub fn answered(call_id: u64) -> bool {
    inbox_of(call_id).is_some_and(|inbox| open(&inbox).reply.is_some())
}

/// Sends a request to the instance a pending host call is waiting in.
pub fn request(call_id: u64, request: HostRequest) -> WasmResult<()> {
    let inbox = inbox_of(call_id).ok_or_else(|| finished_error(call_id))?;
    post(&inbox, |inbox| {
        inbox.requests.push_back(request);
        true
    });
    Ok(())
}

/// The instance's answer to a host request, once the waiting call has served it.
pub async fn answer<T>(answer: oneshot::Receiver<WasmResult<T>>) -> WasmResult<T> {
    answer.await.unwrap_or_else(|_| {
        Err(WasmError::new(
            ErrorCode::CallError,
            "the host call returned before this request was served",
        ))
    })
}

fn finished_error(call_id: u64) -> WasmError {
    WasmError::new(
        ErrorCode::CallError,
        format!(
            "host call {call_id} has already returned: its caller context can no longer be used"
        ),
    )
}

/// Removes a pending call from the registry when its wait ends, however it ends.
pub(crate) struct PendingCall {
    pub(crate) id: u64,
    inbox: Arc<Mutex<Inbox>>,
}

impl PendingCall {
    pub(crate) fn register(import: Arc<str>, expected: Expected) -> Self {
        let id = NEXT_CALL_ID.fetch_add(1, Ordering::Relaxed);
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let entry = PendingEntry {
            import,
            expected,
            inbox: inbox.clone(),
        };
        pending_calls().insert(id, entry);
        PendingCall { id, inbox }
    }

    /// The answer, or else the next request; the answer first when both have come.
    fn next(&self) -> impl Future<Output = Incoming> + '_ {
        std::future::poll_fn(|context| {
            let mut inbox = open(&self.inbox);
            if let Some(reply) = inbox.reply.take() {
                return Poll::Ready(Incoming::Reply(reply));
            }
            if let Some(request) = inbox.requests.pop_front() {
                return Poll::Ready(Incoming::Request(request));
            }
            if !inbox
                .waker
                .as_ref()
                .is_some_and(|waker| waker.will_wake(context.waker()))
            {
                inbox.waker = Some(context.waker().clone());
            }
            Poll::Pending
        })
    }

    /// Waits for the host's answer, serving its requests meanwhile.
    async fn wait(&mut self, caller: &mut Caller<'_, HostState>) -> wasmtime::Result<Vec<Val>> {
        loop {
            match self.next().await {
                Incoming::Reply(HostReply::Results(values)) => return Ok(values),
                Incoming::Reply(HostReply::ComponentResults(_)) => {
                    return Err(wasmtime::Error::new(host_gone()))
                }
                Incoming::Reply(HostReply::Failed(error)) => {
                    return Err(wasmtime::Error::new(error))
                }
                Incoming::Request(request) => serve(caller, request).await,
            }
        }
    }

    /// Waits for a component host function's answer. Its requests are refused: a component
    /// keeps its memory to itself, and cannot be re-entered while it waits.
    pub(crate) async fn wait_for_component(
        &mut self,
    ) -> wasmtime::Result<Vec<wasmtime::component::Val>> {
        loop {
            match self.next().await {
                Incoming::Reply(HostReply::ComponentResults(values)) => return Ok(values),
                Incoming::Reply(HostReply::Failed(error)) => {
                    return Err(wasmtime::Error::new(error))
                }
                Incoming::Reply(HostReply::Results(_)) => {
                    return Err(wasmtime::Error::new(host_gone()))
                }
                Incoming::Request(request) => refuse_for_component(request),
            }
        }
    }
}

fn refuse_for_component(request: HostRequest) {
    let refused = || {
        WasmError::new(
            ErrorCode::CallError,
            "a component's host function cannot reach its caller's memory or call back into it \
             (the component model allows neither while the component waits)",
        )
    };
    match request {
        HostRequest::Read { reply, .. } => drop(reply.send(Err(refused()))),
        HostRequest::Write { reply, .. } => drop(reply.send(Err(refused()))),
        HostRequest::Size { reply } => drop(reply.send(Err(refused()))),
        HostRequest::Call { reply, .. } => drop(reply.send(Err(refused()))),
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        pending_calls().remove(&self.id);
    }
}

pub(crate) fn host_gone() -> WasmError {
    WasmError::new(
        ErrorCode::CallError,
        "the host function's JS environment is gone (its thread ended)",
    )
}

/// Serves one request of the host on the waiting call's instance.
async fn serve(caller: &mut Caller<'_, HostState>, request: HostRequest) {
    match request {
        HostRequest::Read {
            offset,
            length,
            reply,
        } => {
            let result =
                caller_memory(caller).and_then(|m| memory::read(&*caller, m, offset, length));
            let _ = reply.send(result);
        }
        HostRequest::Write {
            offset,
            bytes,
            reply,
        } => {
            let result =
                caller_memory(caller).and_then(|m| memory::write(&mut *caller, m, offset, &bytes));
            let _ = reply.send(result);
        }
        HostRequest::Size { reply } => {
            let _ = reply.send(caller_memory(caller).map(|m| memory::size(&*caller, m)));
        }
        HostRequest::Call { name, args, reply } => {
            let _ = reply.send(call_back(caller, &name, &args).await);
        }
    }
}

fn caller_memory(caller: &mut Caller<'_, HostState>) -> WasmResult<Memory> {
    caller
        .data()
        .memory
        .or_else(|| caller.get_export("memory").and_then(Extern::into_memory))
        .ok_or_else(|| {
            WasmError::new(
                ErrorCode::MemoryError,
                "the calling instance exports no memory",
            )
        })
}

/// A re-entrant call from a host function into the instance that called it.
async fn call_back(
    caller: &mut Caller<'_, HostState>,
    name: &str,
    args: &[ArgValue],
) -> WasmResult<Vec<Val>> {
    let func = caller
        .get_export(name)
        .and_then(Extern::into_func)
        .ok_or_else(|| {
            WasmError::new(
                ErrorCode::ExportNotFound,
                format!("no function export named {name:?}"),
            )
        })?;
    let ty = func.ty(&*caller);
    let params: Vec<ValType> = ty.params().collect();
    let result_count = ty.results().len();
    let values = to_wasm_args(name, &params, args)?;
    call::reenter(caller, name, func, &values, result_count).await
}

/// Defines the module's host imports on `linker` (a copy of the WASI linker).
pub fn define(
    linker: &mut Linker<HostState>,
    module: &Module,
    imports: &HostImports,
) -> WasmResult<()> {
    linker.allow_shadowing(true);
    for import in module.imports() {
        let (module_name, name) = (import.module(), import.name());
        let from_js = imports
            .functions
            .iter()
            .position(|(m, n)| m == module_name && n == name);
        let linked = imports.linked.iter().find(|(m, _)| m == module_name);
        if from_js.is_none() && linked.is_none() {
            continue;
        }
        let ExternType::Func(ty) = import.ty() else {
            return Err(import_error(format!(
                "import {module_name}::{name} is not a function: only functions can come from the host or another instance"
            )));
        };
        let defined = match (from_js, linked, &imports.dispatcher) {
            (Some(index), _, Some(dispatcher)) => define_js_function(
                linker,
                module_name,
                name,
                ty,
                index as u32,
                dispatcher.clone(),
            ),
            (_, Some((_, instance)), _) => {
                define_linked_function(linker, module_name, name, ty, instance.clone())
            }
            _ => continue,
        };
        defined.map_err(|e| {
            import_error(format!("cannot define import {module_name}::{name}: {e:#}"))
        })?;
    }
    Ok(())
}

fn import_error(message: String) -> WasmError {
    WasmError::new(ErrorCode::InstantiateError, message)
}

fn define_js_function(
    linker: &mut Linker<HostState>,
    module: &str,
    name: &str,
    ty: FuncType,
    index: u32,
    dispatcher: Arc<dyn HostDispatcher>,
) -> wasmtime::Result<()> {
    let import: Arc<str> = Arc::from(format!("{module}::{name}"));
    let result_types = Expected::Core(ty.results().collect());
    linker.func_new_async(module, name, ty, move |mut caller, params, results| {
        let dispatcher = dispatcher.clone();
        let import = import.clone();
        let result_types = result_types.clone();
        Box::new(async move {
            refuse_during_sync_call(&caller, &import)?;
            let args = params.iter().map(from_wasm).collect();
            let mut pending = PendingCall::register(import, result_types);
            let upstream = caller.data().control.upstream.clone();
            if !dispatcher.dispatch(index, pending.id, args, &upstream) {
                return Err(wasmtime::Error::new(host_gone()));
            }
            let values = pending.wait(&mut caller).await?;
            results.clone_from_slice(&values);
            Ok(())
        })
    })?;
    Ok(())
}

fn define_linked_function(
    linker: &mut Linker<HostState>,
    module: &str,
    name: &str,
    ty: FuncType,
    instance: Arc<dyn LinkedInstance>,
) -> wasmtime::Result<()> {
    let export = instance.function(name).map_err(|e| {
        wasmtime::Error::msg(format!(
            "the linked instance has no such function ({})",
            e.message
        ))
    })?;
    let wanted: (Vec<ValType>, Vec<ValType>) = (ty.params().collect(), ty.results().collect());
    if !same_types(&wanted.0, &export.params) || !same_types(&wanted.1, &export.results) {
        return Err(wasmtime::Error::msg(format!(
            "the linked instance's {name:?} has type {}, the import wants {ty}",
            describe_signature(&export)
        )));
    }
    linker.func_new_async(module, name, ty, move |caller, params, results| {
        let instance = instance.clone();
        let export = export.clone();
        Box::new(async move {
            refuse_during_sync_call(&caller, &export.name)?;
            // The caller waits for this call, and so does everything waiting for the caller.
            let data = caller.data();
            let upstream = data.control.upstream.iter().cloned().chain(data.instance_id.clone()).collect();
            let limits = CallLimits {
                upstream,
                ..CallLimits::default()
            };
            let call = instance.call_for_import(&export, params.to_vec(), limits)?;
            let values = call.await.map_err(|e| linked_failure(e, &export.name))?;
            // A linked program that ends with exit status 0 returns no results.
            if values.len() != results.len() {
                return Err(wasmtime::Error::new(WasmError::new(
                    ErrorCode::CallError,
                    format!(
                        "the linked function {:?} ended its program (exit status 0) instead of returning",
                        export.name
                    ),
                )));
            }
            results.clone_from_slice(&values);
            Ok(())
        })
    })?;
    Ok(())
}

/// A linked instance's failure as its caller sees it: one that was dropped is named as the
/// linked instance (still 5005), so the caller's own error does not read as if the caller
/// were gone; the caller itself stays usable.
fn linked_failure(mut error: WasmError, name: &str) -> WasmError {
    if error.code == ErrorCode::InvalidInstanceHandle {
        error.message = format!("the instance linked to provide {name:?} was dropped");
    }
    error
}

/// During `callSync` the JS thread is held, so a host function (which runs there, or waits
/// on another instance that may) would wait forever: it fails at once instead.
fn refuse_during_sync_call(caller: &Caller<'_, HostState>, import: &str) -> wasmtime::Result<()> {
    refuse_while_holding_js_thread(caller.data(), import)
}

/// The check of `refuse_during_sync_call`, on a store's state.
pub(crate) fn refuse_while_holding_js_thread(
    state: &HostState,
    import: &str,
) -> wasmtime::Result<()> {
    if state.control.may_yield {
        return Ok(());
    }
    Err(wasmtime::Error::new(WasmError::new(
        ErrorCode::CallError,
        format!("host function {import} cannot run during callSync, which holds the JS thread; use call()"),
    )))
}

fn same_types(a: &[ValType], b: &[ValType]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| ValType::eq(x, y))
}

fn describe_signature(export: &ExportFunc) -> String {
    let names = |types: &[ValType]| {
        types
            .iter()
            .map(crate::runtime::values::type_name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "({}) -> ({})",
        names(&export.params),
        names(&export.results)
    )
}
