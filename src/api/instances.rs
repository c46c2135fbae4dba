//! Instantiating, inspecting and dropping instances, and their WASI output.

use napi::bindgen_prelude::{Object, Uint8Array};
use napi::{Env, Unknown};
use napi_derive::napi;

use crate::api::encode::JsExports;
use crate::api::settle::{settle, settle_large};
use crate::api::{decode, owners};
use crate::error;
use crate::runtime::host::HostImports;
use crate::runtime::{instance, limits, module};

/// Instantiates a module with WASI preview 1 linked; resolves an instance id.
#[napi(catch_unwind)]
pub fn instantiate<'env>(
    env: &'env Env,
    module_id: String,
    config: Option<Unknown<'env>>,
    host: Option<Unknown<'env>>,
) -> napi::Result<Unknown<'env>> {
    let compiled = module::get(&module_id)?;
    let decode::InstantiateOptions {
        wasi: options,
        limits,
        unknown_imports,
    } = decode::instantiate_options(config)?;
    let module = match &*compiled {
        module::Compiled::Module(module) => module.clone(),
        module::Compiled::Component(component) => {
            let host = decode::component_host_imports(host)?;
            let ceilings = limits::app_ceilings()?;
            let owner = owners::current(env)?;
            let instantiated = crate::runtime::component::instantiate::instantiate(
                component.clone(),
                options,
                limits,
                ceilings,
                host,
                unknown_imports,
            );
            return settle_large(env, u64::MAX, async move {
                owner.adopt_instance(instantiated.await?)
            });
        }
    };
    let host = HostImports {
        unknown: unknown_imports,
        ..decode::host_imports(host)?
    };
    let ceilings = limits::app_ceilings()?;
    let owner = owners::current(env)?;
    // Data segments copied into memory are at most the module's size: a small module is
    // instantiated at once on this thread (start functions yield at the epoch deadline like
    // calls do), a large one on the pool.
    let copied = module.source_len() as u64;
    // Trusted code cannot yield: its start function or `_initialize` runs on the pool.
    let copied = if module.trusted() && module.runs_code_when_instantiated() {
        u64::MAX
    } else {
        copied
    };
    let instantiated = instance::instantiate(module, options, limits, ceilings, host);
    settle_large(env, copied, async move {
        owner.adopt_instance(instantiated.await?)
    })
}

/// Output chunks handed to the instance's stdout/stderr callbacks so far.
#[napi(catch_unwind)]
pub fn sent_chunks(instance_id: String) -> napi::Result<f64> {
    Ok(instance::get(&instance_id)?.sent_chunks() as f64)
}

/// What the program wrote to its piped stdout since the last read.
/// Starts a guest profile of the instance, sampling every `interval_ms` (JS checked it is a
/// number of at least 1).
#[napi(catch_unwind)]
pub fn instance_start_profile<'env>(
    env: &'env Env,
    instance_id: String,
    interval_ms: f64,
) -> napi::Result<Unknown<'env>> {
    let interval = std::time::Duration::from_secs_f64(interval_ms.max(1.0) / 1000.0);
    let started = instance::get(&instance_id)?.start_profile(interval)?;
    settle(env, started)
}

/// Stops the instance's guest profile; resolves its Firefox Profiler JSON text.
#[napi(catch_unwind)]
pub fn instance_stop_profile<'env>(
    env: &'env Env,
    instance_id: String,
) -> napi::Result<Unknown<'env>> {
    let stopped = instance::get(&instance_id)?.stop_profile();
    settle(env, async move {
        let json = stopped.await?;
        Ok(String::from_utf8_lossy(&json).into_owned())
    })
}

/// Which piped streams lost output past `outputLimitBytes`: `[stdout, stderr]`.
#[napi(catch_unwind)]
pub fn output_truncated(instance_id: String) -> napi::Result<Vec<bool>> {
    let (stdout, stderr) = instance::get(&instance_id)?.output_truncated();
    Ok(vec![stdout, stderr])
}

#[napi(catch_unwind)]
pub fn read_stdout(instance_id: String) -> napi::Result<Uint8Array> {
    Ok(instance::get(&instance_id)?.read_output(false)?.into())
}

/// What the program wrote to its piped stderr since the last read.
#[napi(catch_unwind)]
pub fn read_stderr(instance_id: String) -> napi::Result<Uint8Array> {
    Ok(instance::get(&instance_id)?.read_output(true)?.into())
}

/// Drops the instance `instance_id` when the garbage collector frees `owner` (the JS
/// `Instance`), so an Instance that becomes unreachable without `drop()` is freed. (A native
/// finalizer on the object itself: a FinalizationRegistry's bookkeeping made V8's heap grow
/// over hundreds of thousands of instances, and a separate wrapped object cost more.)
///
/// Only for an instance this environment made, and only one object per instance (see
/// `owners::watch_instance`); resolves whether the finalizer was attached.
#[napi(catch_unwind)]
pub fn watch_instance(env: Env, owner: Object, instance_id: String) -> napi::Result<bool> {
    owners::watch_instance(&env, &owner, instance_id)
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

/// Drops an instance; resolves once its store is freed (at once, except for a trusted
/// instance with a call still running: then when that call ends).
#[napi(catch_unwind)]
pub fn drop_instance<'env>(env: &'env Env, instance_id: String) -> napi::Result<Unknown<'env>> {
    let released = instance::drop_instance(&instance_id)?;
    owners::forget(&instance_id);
    settle(env, async move {
        released.await;
        Ok(())
    })
}
