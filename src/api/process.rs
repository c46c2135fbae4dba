//! Process-wide things: the capability policy, value checks, live-handle counts, the panic probe and the Node-API version.

use napi::bindgen_prelude::Object;
use napi::{Env, Unknown};
use napi_derive::napi;

use crate::api::encode::capabilities_object;
use crate::api::{decode, owners};
use crate::runtime::{instance, module, values};
use crate::sandbox;

/// Validates a `types.*` value; throws a 5007 error when it is not representable.
#[napi(catch_unwind)]
pub fn check_value(value_type: String, value: Unknown) -> napi::Result<()> {
    Ok(values::check_tagged(
        &value_type,
        &decode::arg_value(&value)?,
    )?)
}

/// A test hook, not API (kept out of the typings): panics on purpose at `at` ("sync",
/// "first-slice", "pool", "after-yield" or "blocking") to prove that a panic at the boundary
/// becomes an error. Throws unless the process was started with RUNTIME_WASM_PANIC_PROBE=1.
#[napi(catch_unwind, skip_typescript)]
pub fn panic_probe<'env>(env: &'env Env, at: String) -> napi::Result<Unknown<'env>> {
    crate::api::panic_probe::run(env, &at)
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
        modules: module::MODULES.len() as u32,
        instances: instance::INSTANCES.len() as u32,
        finalizers: owners::FINALIZERS_ALIVE.load(std::sync::atomic::Ordering::Relaxed),
    }
}

/// Puts the capability manifest at `manifest` in force (see `capabilities`).
#[napi(catch_unwind)]
pub fn configure_manifest(manifest: String) -> napi::Result<()> {
    sandbox::configure(&manifest)?;
    Ok(())
}

/// The capability policy in force (settled now if nothing has asked before).
#[napi(catch_unwind, js_name = "capabilities")]
pub fn capabilities_in_force(env: &Env) -> napi::Result<Object<'_>> {
    let policy = sandbox::policy()?;
    capabilities_object(env, policy.snapshot())
}

/// Declares the Node-API version this addon is built for (as `NAPI_MODULE_INIT` does in C), so
/// Node, Electron and worker threads load it with exactly that contract.
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    8
}

/// Errors in wasm code are plentiful (every trap, every stopped call) and are reported with
/// wasm backtraces. With RUST_BACKTRACE=1 in the environment, Rust would also capture a
/// native backtrace for each one, walking every stack of a deeply re-entered call: seconds
/// for a call stopped at a depth of a thousand. So unless the process chose otherwise with
/// RUST_LIB_BACKTRACE, library errors capture none (panics still print theirs).
#[napi_derive::module_init]
fn no_native_backtraces_in_errors() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
}
