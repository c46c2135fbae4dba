//! Components' own entry points: their exports described, resources dropped, and the
//! arguments of a call converted by WIT type (calls themselves: `callComponent` in calls.rs).

use std::sync::Arc;

use napi::{Env, Unknown};
use napi_derive::napi;

use crate::api::component_values::{to_val, Path};
use crate::api::settle::settle;
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::component::exports::{ComponentExports, ExportedFn};
use crate::runtime::component::resources::ResourceTable;
use crate::runtime::instance::{self, InstanceEntry};

pub fn component_of(entry: &InstanceEntry) -> WasmResult<Arc<ComponentExports>> {
    entry.component.clone().ok_or_else(|| {
        WasmError::new(
            ErrorCode::CallError,
            "this is an instance of a core module, not of a component",
        )
    })
}

/// A call's arguments converted by the function's parameter types.
pub fn arguments(
    func: &ExportedFn,
    args: &[Unknown],
    resources: &ResourceTable,
) -> WasmResult<Vec<wasmtime::component::Val>> {
    if let Some(what) = func
        .description
        .result
        .as_ref()
        .and_then(|result| result.async_value())
    {
        return Err(WasmError::new(
            ErrorCode::TypeError,
            format!(
                "{:?} ({}) cannot be called from JS: its result holds a {what}, and WASI 0.3's \
                 future, stream and error-context values cannot be passed to JS yet",
                &*func.name, func.description.wit
            ),
        ));
    }
    if args.len() != func.params.len() {
        return Err(WasmError::new(
            ErrorCode::TypeError,
            format!(
                "{:?} takes {} argument(s) ({}), got {}",
                &*func.name,
                func.params.len(),
                func.description.wit,
                args.len()
            ),
        ));
    }
    args.iter()
        .zip(func.params.iter())
        .enumerate()
        .map(|(i, (arg, ty))| {
            let root = format!("arg {i}");
            to_val(arg, ty, Path::Root(&root), resources)
        })
        .collect()
}

/// "module" or "component": what the instance was made from.
#[napi(catch_unwind)]
pub fn instance_kind(instance_id: String) -> napi::Result<&'static str> {
    let entry = instance::get(&instance_id)?;
    Ok(if entry.component.is_some() {
        "component"
    } else {
        "module"
    })
}

/// A component instance's exports (functions and interfaces, with WIT types), as JSON.
#[napi(catch_unwind)]
pub fn component_exports(instance_id: String) -> napi::Result<String> {
    let component = component_of(&*instance::get(&instance_id)?)?;
    json(&component.world.exports)
}

/// One exported function's description, as JSON.
#[napi(catch_unwind)]
pub fn component_function(instance_id: String, name: String) -> napi::Result<String> {
    let component = component_of(&*instance::get(&instance_id)?)?;
    let func = component.function(&name)?;
    json(&*func.description)
}

/// Drops a resource JS holds, running its destructor in the guest.
#[napi(catch_unwind)]
pub fn drop_component_resource<'env>(
    env: &'env Env,
    instance_id: String,
    handle: u32,
) -> napi::Result<Unknown<'env>> {
    let dropped = instance::get(&instance_id)?.drop_resource(handle)?;
    settle(env, dropped)
}

fn json<T: serde::Serialize>(value: &T) -> napi::Result<String> {
    serde_json::to_string(value).map_err(|e| napi::Error::from_reason(e.to_string()))
}
