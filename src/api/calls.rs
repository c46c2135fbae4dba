//! Calls into an instance's exports, by name (`call`, `callSync`) and by handle (see `fast_call`).

use std::sync::Arc;

use napi::bindgen_prelude::Object;
use napi::{Env, Unknown};
use napi_derive::napi;

use crate::api::decode;
use crate::api::encode::JsResults;
use crate::api::settle::settle_call;
use crate::runtime::{instance, limits, values};

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
    let call_limits = call_limits(fuel, timeout_ms, cancel, upstream)?;
    let (call, early) = entry.call(func, params, call_limits)?;
    settle_call(env, early, async move { call.await.map(JsResults) })
}

/// A call's own limits, as `call` and `callComponent` take them.
pub(super) fn call_limits(
    fuel: Option<Unknown>,
    timeout_ms: Option<Unknown>,
    cancel: Option<&CancelHandle>,
    upstream: Option<Vec<String>>,
) -> napi::Result<limits::CallLimits> {
    let mut call_limits = decode::call_limits(fuel, timeout_ms)?;
    call_limits.cancel = cancel.map(|handle| handle.token.clone());
    call_limits.upstream = upstream
        .unwrap_or_default()
        .into_iter()
        .map(Arc::from)
        .collect();
    Ok(call_limits)
}

/// Calls a component's exported function with JS values converted by its WIT types; resolves
/// (or returns, when done in its first slice) its result converted back.
#[napi(catch_unwind)]
pub fn call_component<'env>(
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
    let component = crate::api::components::component_of(&entry)?;
    let func = component.function(&name)?;
    let params = crate::api::components::arguments(&func, &args, &component.resources)?;
    let call_limits = call_limits(fuel, timeout_ms, cancel, upstream)?;
    let (call, early) = entry.call_component(func, params, call_limits)?;
    let ty = func.result.clone();
    let resources = component.resources.clone();
    settle_call(env, early, async move {
        call.await
            .map(|values| crate::api::component_values::JsComponentResults {
                values,
                ty,
                resources,
            })
    })
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
    crate::api::fast_call::register(&env, &mut exports)
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
    let returned = crate::api::settle::call_sync(&entry, func, &params, &mut results)?;
    results.truncate(returned);
    crate::api::settle::to_unknown(env, JsResults(results))
}
