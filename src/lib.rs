//! The native binding: `#[napi]` entry points only. Each one reads its JS arguments, calls the
//! core, and hands the outcome back as a value or a Promise; the logic lives in the modules.

mod buffers;
mod cache;
mod cache_file;
mod capabilities;
mod checked_open;
mod engine;
mod error;
mod exports;
mod host;
mod instance;
mod js;
mod limits;
mod linker;
mod memory;
mod module;
mod preopen;
mod registry;
mod stdio;
mod store;
mod values;
mod wasi;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;

use std::sync::Arc;

use napi::bindgen_prelude::{Object, Uint8Array};
use napi::{Env, Unknown};
use napi_derive::napi;
use tokio::sync::oneshot;

use crate::js::encode::{capabilities_object, JsBytes, JsExports, JsResults};
use crate::js::settle::{settle, settle_large, spawn, spawn_blocking};
use crate::js::{decode, owners};

/// Compiles binary wasm (a Uint8Array) or WAT text (a string); resolves a module id.
#[napi(catch_unwind)]
pub fn compile<'env>(env: &'env Env, source: Unknown<'env>) -> napi::Result<Unknown<'env>> {
    let bytes = decode::source_bytes(&source)?;
    let owner = owners::current(env)?;
    spawn_blocking(env, move || owner.adopt_module(module::compile(bytes)?))
}

/// Where a module's compiled code came from: "memory" (a module made from the same bytes was
/// alive), "disk" (the compiled-code cache) or "compiled". For diagnostics.
#[napi(catch_unwind)]
pub fn module_origin(module_id: String) -> napi::Result<&'static str> {
    Ok(module::get(&module_id)?.origin())
}

/// Reads and compiles a module file off the JS thread; resolves a module id.
#[napi(catch_unwind)]
pub fn compile_file<'env>(env: &'env Env, path: String) -> napi::Result<Unknown<'env>> {
    let owner = owners::current(env)?;
    spawn_blocking(env, move || {
        owner.adopt_module(module::compile_file(&path)?)
    })
}

#[napi(catch_unwind)]
pub fn drop_module(module_id: String) -> napi::Result<()> {
    module::drop_module(&module_id)?;
    owners::forget(&module_id);
    Ok(())
}

/// Instantiates a module with WASI preview 1 linked; resolves an instance id.
#[napi(catch_unwind)]
pub fn instantiate<'env>(
    env: &'env Env,
    module_id: String,
    config: Option<Unknown<'env>>,
    host: Option<Unknown<'env>>,
) -> napi::Result<Unknown<'env>> {
    let module = module::get(&module_id)?;
    let (options, limits) = decode::instantiate_options(config)?;
    let host = decode::host_imports(host)?;
    let ceilings = limits::app_ceilings()?;
    let owner = owners::current(env)?;
    // Data segments copied into memory are at most the module's size: a small module is
    // instantiated at once on this thread (start functions yield at the epoch deadline like
    // calls do), a large one on the pool.
    let copied = module.source_len() as u64;
    let instantiated = instance::instantiate(module, options, limits, ceilings, host);
    settle_large(env, copied, async move {
        owner.adopt_instance(instantiated.await?)
    })
}

/// Answers a pending host call with what the JS host function returned.
#[napi(catch_unwind)]
pub fn host_return(call_id: f64, value: Unknown) -> napi::Result<()> {
    let call_id = call_id as u64;
    let Ok((types, import)) = host::result_types(call_id) else {
        return Ok(()); // the call already stopped waiting
    };
    let reply = decode::host_results(&value, types.len(), &import)
        .and_then(|returned| values::to_wasm_results(&import, &types, &returned));
    host::complete(
        call_id,
        match reply {
            Ok(results) => host::HostReply::Results(results),
            Err(error) => host::HostReply::Failed(error),
        },
    );
    Ok(())
}

/// Fails a pending host call: its JS function threw `token`'s value.
#[napi(catch_unwind)]
pub fn host_throw(call_id: f64, token: f64) -> napi::Result<()> {
    let call_id = call_id as u64;
    if let Ok((_, import)) = host::result_types(call_id) {
        let mut error = error::WasmError::new(
            error::ErrorCode::CallError,
            format!("host function {import} threw"),
        );
        error.details.host_error = Some(token);
        host::complete(call_id, host::HostReply::Failed(error));
    }
    Ok(())
}

#[napi(catch_unwind)]
pub fn host_memory_read<'env>(
    env: &'env Env,
    call_id: f64,
    offset: f64,
    length: f64,
) -> napi::Result<Unknown<'env>> {
    let (offset, length) = (
        decode::index("offset", offset)?,
        decode::index("length", length)?,
    );
    let (reply, answer) = oneshot::channel();
    host::request(
        call_id as u64,
        host::HostRequest::Read {
            offset,
            length,
            reply,
        },
    )?;
    spawn(env, async move { host::answer(answer).await.map(JsBytes) })
}

#[napi(catch_unwind)]
pub fn host_memory_write<'env>(
    env: &'env Env,
    call_id: f64,
    offset: f64,
    data: Uint8Array,
) -> napi::Result<Unknown<'env>> {
    let offset = decode::index("offset", offset)?;
    let (reply, answer) = oneshot::channel();
    host::request(
        call_id as u64,
        host::HostRequest::Write {
            offset,
            bytes: data.to_vec(),
            reply,
        },
    )?;
    spawn(env, host::answer(answer))
}

#[napi(catch_unwind)]
pub fn host_memory_size<'env>(env: &'env Env, call_id: f64) -> napi::Result<Unknown<'env>> {
    let (reply, answer) = oneshot::channel();
    host::request(call_id as u64, host::HostRequest::Size { reply })?;
    spawn(env, async move {
        host::answer(answer).await.map(|pages| pages as f64)
    })
}

/// A re-entrant call from a host function into the instance that is waiting for it.
#[napi(catch_unwind)]
pub fn host_call<'env>(
    env: &'env Env,
    call_id: f64,
    name: String,
    args: Vec<Unknown<'env>>,
) -> napi::Result<Unknown<'env>> {
    let args = decode::arg_values(&args)?;
    let (reply, answer) = oneshot::channel();
    host::request(
        call_id as u64,
        host::HostRequest::Call { name, args, reply },
    )?;
    spawn(
        env,
        async move { host::answer(answer).await.map(JsResults) },
    )
}

/// Output chunks handed to the instance's stdout/stderr callbacks so far.
#[napi(catch_unwind)]
pub fn sent_chunks(instance_id: String) -> napi::Result<f64> {
    Ok(instance::get(&instance_id)?.sent_chunks() as f64)
}

/// What the program wrote to its piped stdout since the last read.
#[napi(catch_unwind)]
pub fn read_stdout(instance_id: String) -> napi::Result<Uint8Array> {
    Ok(instance::get(&instance_id)?.read_output(false)?.into())
}

/// What the program wrote to its piped stderr since the last read.
#[napi(catch_unwind)]
pub fn read_stderr(instance_id: String) -> napi::Result<Uint8Array> {
    Ok(instance::get(&instance_id)?.read_output(true)?.into())
}

/// Stops a call when its AbortSignal fires.
#[napi]
pub struct CancelHandle {
    token: Arc<limits::CancelToken>,
}

#[napi]
impl CancelHandle {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelHandle {
            token: Arc::default(),
        }
    }

    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

/// Drops the instance `instance_id` when the garbage collector frees `owner` (the JS
/// `Instance`), so an Instance that becomes unreachable without `drop()` is freed. (A native
/// finalizer on the object itself: a FinalizationRegistry's bookkeeping made V8's heap grow
/// over hundreds of thousands of instances, and a separate wrapped object cost more.)
#[napi(catch_unwind)]
pub fn watch_instance(env: Env, owner: Object, instance_id: String) -> napi::Result<()> {
    owners::watch_instance(&env, &owner, instance_id)
}

/// Calls an exported function; resolves (or returns, when done in its first slice) its
/// results. `fuel`, `timeout_ms` and `cancel` are the call's own limits.
#[napi(catch_unwind)]
pub fn call<'env>(
    env: &'env Env,
    instance_id: String,
    name: String,
    args: Vec<Unknown<'env>>,
    fuel: Option<Unknown<'env>>,
    timeout_ms: Option<Unknown<'env>>,
    cancel: Option<&CancelHandle>,
    upstream: Option<Vec<String>>,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let func = entry.exports.function(&name)?;
    let params = values::to_wasm_args(&name, &func.params, &decode::arg_values(&args)?)?;
    let mut call_limits = decode::call_limits(fuel, timeout_ms)?;
    call_limits.cancel = cancel.map(|handle| handle.token.clone());
    call_limits.upstream = upstream
        .unwrap_or_default()
        .into_iter()
        .map(Arc::from)
        .collect();
    let call = entry.call(func, params, call_limits)?;
    settle(env, async move { call.await.map(JsResults) })
}

/// The handle of an exported function, for `callFast` / `callSyncFast`: calls by handle read
/// no strings. Fails with 5003 when there is no such function.
#[napi(catch_unwind)]
pub fn resolve_function(instance_id: String, name: String) -> napi::Result<u32> {
    let entry = instance::get(&instance_id)?;
    let position = entry.exports.function_position(&name)?;
    Ok(u32::try_from(position).unwrap_or(u32::MAX))
}

/// Adds the raw hot-path callbacks (`callFast`, `callSyncFast`; see js/fast_call.rs).
#[napi(module_exports)]
pub fn register_fast_calls(mut exports: Object, env: Env) -> napi::Result<()> {
    js::fast_call::register(&env, &mut exports)
}

/// Calls an exported function to completion on the JS thread (for hot paths).
#[napi(catch_unwind)]
pub fn call_sync<'env>(
    env: &'env Env,
    instance_id: String,
    name: String,
    args: Vec<Unknown<'env>>,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let func = entry.exports.function(&name)?;
    let params = values::to_wasm_args(&name, &func.params, &decode::arg_values(&args)?)?;
    let mut results = vec![wasmtime::Val::I32(0); func.results.len()];
    let returned = entry.call_sync(func, &params, &mut results)?;
    results.truncate(returned);
    js::settle::to_unknown(env, JsResults(results))
}

/// Sets the compiled-code cache: `enabled` false turns caching to disk off; `dir` moves it.
#[napi(catch_unwind)]
pub fn configure_cache(enabled: Option<bool>, dir: Option<String>) {
    cache::configure(enabled, dir.map(std::path::PathBuf::from));
}

/// The compiled-code cache directory in use, or null when caching to disk is off.
#[napi(catch_unwind)]
pub fn cache_dir() -> Option<String> {
    cache::disk_dir().map(|d| d.display().to_string())
}

/// Fuel left in an instance's tank, or null when it has no fuel metering.
#[napi(catch_unwind)]
pub fn instance_fuel<'env>(env: &'env Env, instance_id: String) -> napi::Result<Unknown<'env>> {
    let fuel = instance::get(&instance_id)?.fuel();
    let shown = |fuel: u64| match fuel {
        limits::UNBOUNDED_FUEL => f64::INFINITY,
        fuel => fuel as f64,
    };
    settle(env, async move { Ok(fuel.await?.map(shown)) })
}

#[napi(catch_unwind)]
pub fn set_instance_fuel<'env>(
    env: &'env Env,
    instance_id: String,
    fuel: Unknown<'env>,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let fuel = decode::count(&fuel)
        .map_err(|m| error::WasmError::new(error::ErrorCode::TypeError, format!("fuel {m}")))?;
    settle(env, entry.set_fuel(fuel)?)
}

#[napi(catch_unwind)]
pub fn get_exports<'env>(env: &'env Env, instance_id: String) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    settle(
        env,
        entry.with_store(|store, exports| Ok(JsExports(exports.describe(store)))),
    )
}

#[napi(catch_unwind)]
pub fn drop_instance(instance_id: String) -> napi::Result<()> {
    instance::drop_instance(&instance_id)?;
    owners::forget(&instance_id);
    Ok(())
}

#[napi(catch_unwind)]
pub fn memory_read<'env>(
    env: &'env Env,
    instance_id: String,
    offset: f64,
    length: f64,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let offset = decode::index("offset", offset)?;
    let length = decode::index("length", length)?;
    let read = entry.with_store(move |store, exports| {
        let memory = memory::exported_memory(exports)?;
        memory::read(store, memory, offset, length).map(JsBytes)
    });
    settle_large(env, length, read)
}

#[napi(catch_unwind)]
pub fn memory_write<'env>(
    env: &'env Env,
    instance_id: String,
    offset: f64,
    data: Uint8Array,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let offset = decode::index("offset", offset)?;
    // An idle instance is written straight from the caller's bytes, without a copy between.
    let written_now = entry.with_idle_store(|store, exports| {
        let memory = memory::exported_memory(exports)?;
        memory::write(store, memory, offset, &data)
    });
    if let Some(written) = written_now {
        written?;
        return js::settle::to_unknown(env, ());
    }
    let bytes = data.to_vec();
    let length = bytes.len() as u64;
    let write = entry.with_store(move |store, exports| {
        let memory = memory::exported_memory(exports)?;
        memory::write(store, memory, offset, &bytes)
    });
    settle_large(env, length, write)
}

#[napi(catch_unwind)]
pub fn memory_size<'env>(env: &'env Env, instance_id: String) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    settle(
        env,
        entry.with_store(|store, exports| {
            let memory = memory::exported_memory(exports)?;
            Ok(memory::size(store, memory) as f64)
        }),
    )
}

#[napi(catch_unwind)]
pub fn memory_grow<'env>(
    env: &'env Env,
    instance_id: String,
    pages: f64,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let pages = decode::index("pages", pages)?;
    settle(
        env,
        entry.with_store(move |store, exports| {
            let memory = memory::exported_memory(exports)?;
            memory::grow(store, memory, pages).map(|previous| previous as f64)
        }),
    )
}

/// Validates a `types.*` value; throws a 5007 error when it is not representable.
#[napi(catch_unwind)]
pub fn check_value(value_type: String, value: Unknown) -> napi::Result<()> {
    Ok(values::check_tagged(
        &value_type,
        &decode::arg_value(&value)?,
    )?)
}

/// Panics on purpose at `at` ("sync", "first-slice", "pool", "after-yield" or "blocking"), to
/// prove that a panic at the boundary becomes an error. Only in debug builds.
#[cfg(debug_assertions)]
#[napi(catch_unwind)]
pub fn debug_panic<'env>(env: &'env Env, at: String) -> napi::Result<Unknown<'env>> {
    js::panic::probe::run(env, &at)
}

/// Live handle counts, for leak checks. `finalizers`: JS `Instance` objects' native
/// finalizers not yet run (the objects are alive, or freed with their finalizer queued).
#[napi(object)]
pub struct LiveHandles {
    pub modules: u32,
    pub instances: u32,
    pub finalizers: u32,
}

#[napi(catch_unwind)]
pub fn live_handles() -> LiveHandles {
    LiveHandles {
        modules: registry::MODULES.len() as u32,
        instances: registry::INSTANCES.len() as u32,
        finalizers: owners::FINALIZERS_ALIVE.load(std::sync::atomic::Ordering::Relaxed),
    }
}

/// Puts the capability manifest at `manifest` in force (see `capabilities`).
#[napi(catch_unwind)]
pub fn configure_manifest(manifest: String) -> napi::Result<()> {
    capabilities::configure(&manifest)?;
    Ok(())
}

/// The capability policy in force (settled now if nothing has asked before).
#[napi(catch_unwind, js_name = "capabilities")]
pub fn capabilities_in_force(env: &Env) -> napi::Result<Object<'_>> {
    let policy = capabilities::policy()?;
    capabilities_object(env, policy.snapshot())
}

/// Declares the Node-API version this addon is built for (as `NAPI_MODULE_INIT` does in C), so
/// Node, Electron and worker threads load it with exactly that contract.
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    8
}
