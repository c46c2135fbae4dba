//! Core results -> JS values.

use napi::bindgen_prelude::{BigInt, JsObjectValue, Null, Object, ToNapiValue};
use napi::{sys, Env};

use crate::runtime::exports::ExportInfo;
use crate::runtime::module_types::{Item, ItemType};
use crate::runtime::values::{from_wasm, ResultValue};
use crate::sandbox::Snapshot;

/// A call's results, converted on the JS thread.
pub struct JsResults(pub Vec<wasmtime::Val>);

impl ToNapiValue for JsResults {
    unsafe fn to_napi_value(env: sys::napi_env, results: Self) -> napi::Result<sys::napi_value> {
        let values: Vec<JsValueOut> = results.0.iter().map(|v| JsValueOut(from_wasm(v))).collect();
        // SAFETY: `env` is the live env this conversion was called with (the trait's contract).
        unsafe { Vec::to_napi_value(env, values) }
    }
}

pub struct JsValueOut(pub ResultValue);

impl ToNapiValue for JsValueOut {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: `env` is the live env this conversion was called with, on its own thread
        // (the trait's contract); every value converted is an owned Rust value or, for the
        // object, one made in this env just now.
        unsafe {
            match value.0 {
                ResultValue::Number(n) => f64::to_napi_value(env, n),
                ResultValue::BigInt(n) => BigInt::to_napi_value(env, BigInt::from(n)),
                ResultValue::V128(bits) => BigInt::to_napi_value(env, BigInt::from(bits)),
                ResultValue::Null => Null::to_napi_value(env, Null),
                ResultValue::OpaqueRef(kind) => {
                    let env = Env::from_raw(env);
                    let mut object = Object::new(&env)?;
                    object.set_named_property("type", kind)?;
                    Object::to_napi_value(env.raw(), object)
                }
            }
        }
    }
}

pub struct JsExports(pub Vec<ExportInfo>);

impl ToNapiValue for JsExports {
    unsafe fn to_napi_value(env: sys::napi_env, exports: Self) -> napi::Result<sys::napi_value> {
        let js_env = Env::from_raw(env);
        let objects = exports
            .0
            .into_iter()
            .map(|info| export_object(&js_env, info))
            .collect::<napi::Result<Vec<_>>>()?;
        // SAFETY: `env` is the live env this conversion was called with, and the objects were
        // made in it just now.
        unsafe { Vec::to_napi_value(env, objects) }
    }
}

fn export_object(env: &Env, info: ExportInfo) -> napi::Result<Object<'_>> {
    let mut object = Object::new(env)?;
    match info {
        ExportInfo::Function {
            name,
            params,
            results,
        } => {
            object.set_named_property("name", name)?;
            object.set_named_property("kind", "function")?;
            object.set_named_property("params", params)?;
            object.set_named_property("results", results)?;
        }
        ExportInfo::Memory {
            name,
            pages,
            minimum,
            maximum,
        } => {
            object.set_named_property("name", name)?;
            object.set_named_property("kind", "memory")?;
            object.set_named_property("pages", pages as f64)?;
            object.set_named_property("minimum", minimum as f64)?;
            object.set_named_property("maximum", maximum.map(|m| m as f64))?;
        }
        ExportInfo::Table {
            name,
            element,
            size,
            minimum,
            maximum,
        } => {
            object.set_named_property("name", name)?;
            object.set_named_property("kind", "table")?;
            object.set_named_property("element", element)?;
            object.set_named_property("size", size as f64)?;
            object.set_named_property("minimum", minimum as f64)?;
            object.set_named_property("maximum", maximum.map(|m| m as f64))?;
        }
        ExportInfo::Global {
            name,
            value_type,
            mutable,
            value,
        } => {
            object.set_named_property("name", name)?;
            object.set_named_property("kind", "global")?;
            object.set_named_property("type", value_type)?;
            object.set_named_property("mutable", mutable)?;
            object.set_named_property("value", JsValueOut(value))?;
        }
        ExportInfo::Tag { name } => {
            object.set_named_property("name", name)?;
            object.set_named_property("kind", "tag")?;
        }
    }
    Ok(object)
}

/// A module's imports or exports (`moduleImports` / `moduleExports`).
pub struct JsModuleItems(pub Vec<Item>);

impl ToNapiValue for JsModuleItems {
    unsafe fn to_napi_value(env: sys::napi_env, items: Self) -> napi::Result<sys::napi_value> {
        let js_env = Env::from_raw(env);
        let objects = items
            .0
            .into_iter()
            .map(|item| module_item_object(&js_env, item))
            .collect::<napi::Result<Vec<_>>>()?;
        // SAFETY: `env` is the live env this conversion was called with, and the objects were
        // made in it just now.
        unsafe { Vec::to_napi_value(env, objects) }
    }
}

fn module_item_object(env: &Env, item: Item) -> napi::Result<Object<'_>> {
    let mut object = Object::new(env)?;
    if let Some(module) = item.module {
        object.set_named_property("module", module)?;
    }
    object.set_named_property("name", item.name)?;
    let size = |value: u64| value as f64;
    match item.ty {
        ItemType::Function { params, results } => {
            object.set_named_property("kind", "function")?;
            object.set_named_property("params", params)?;
            object.set_named_property("results", results)?;
        }
        ItemType::Memory {
            minimum,
            maximum,
            shared,
            memory64,
        } => {
            object.set_named_property("kind", "memory")?;
            object.set_named_property("minimum", size(minimum))?;
            object.set_named_property("maximum", maximum.map(size))?;
            object.set_named_property("shared", shared)?;
            object.set_named_property("memory64", memory64)?;
        }
        ItemType::Table {
            element,
            minimum,
            maximum,
        } => {
            object.set_named_property("kind", "table")?;
            object.set_named_property("element", element)?;
            object.set_named_property("minimum", size(minimum))?;
            object.set_named_property("maximum", maximum.map(size))?;
        }
        ItemType::Global {
            value_type,
            mutable,
        } => {
            object.set_named_property("kind", "global")?;
            object.set_named_property("type", value_type)?;
            object.set_named_property("mutable", mutable)?;
        }
        ItemType::Tag => object.set_named_property("kind", "tag")?,
    }
    Ok(object)
}

/// Bytes copied out of linear memory, handed to JS as a Uint8Array without another copy.
/// Bytes handed to JS as a Uint8Array. Large ones stay where they are (no copy), and when the
/// garbage collector frees the array their buffer goes back to `buffers` for reuse; small ones,
/// and any where external memory is not allowed (Electron's memory cage), are copied into a
/// V8 buffer.
pub struct JsBytes(pub Vec<u8>);

impl ToNapiValue for JsBytes {
    unsafe fn to_napi_value(env: sys::napi_env, bytes: Self) -> napi::Result<sys::napi_value> {
        let len = bytes.0.len();
        if len < EXTERNAL_MIN {
            // SAFETY: `env` is the live env this conversion was called with (the trait's
            // contract), on its own thread.
            return unsafe { copied_to_js(env, bytes.0) };
        }
        let data = bytes.0.as_ptr().cast_mut().cast::<std::ffi::c_void>();
        // Moving the Vec into the box leaves its heap buffer, which `data` points to, in place.
        let owner = Box::into_raw(Box::new(bytes.0));
        let mut array_buffer = std::ptr::null_mut();
        // SAFETY: `data` is `len` initialized bytes owned by `owner`, which stays alive and
        // unchanged until `give_back` takes it back: V8 gets the only pointer to it.
        let status = unsafe {
            sys::napi_create_external_arraybuffer(
                env,
                data,
                len,
                Some(give_back),
                owner.cast(),
                &mut array_buffer,
            )
        };
        match status {
            // SAFETY: V8 took the buffer; its finalizer owns `owner` from now on.
            sys::Status::napi_ok => unsafe { uint8_array(env, array_buffer, len) },
            // Refused before anything was made from `owner` (no finalizer exists, so it is
            // still ours): external memory is not allowed (Electron's memory cage), or JS
            // cannot run now. Copy instead.
            sys::Status::napi_no_external_buffers_allowed
            | sys::Status::napi_pending_exception
            | sys::Status::napi_cannot_run_js => {
                // SAFETY: `owner` came from `Box::into_raw` above and nothing else holds it.
                let bytes = unsafe { Box::from_raw(owner) };
                // SAFETY: as for the first `copied_to_js`.
                unsafe { copied_to_js(env, *bytes) }
            }
            // Any other failure may come after Node made the finalizer, which may already have
            // run (freeing the bytes) or run later: `owner` is no longer ours to free or read.
            // At worst it leaks; never freed twice.
            _ => Err(napi::Error::from_reason(format!(
                "cannot hand {len} bytes to JavaScript as an ArrayBuffer"
            ))),
        }
    }
}

/// Below this, bytes are copied into a V8 buffer: cheaper than an external one, whose
/// finalizer Node runs later on the event loop.
const EXTERNAL_MIN: usize = 64 << 10;

/// A Uint8Array over a V8 buffer holding a copy of `bytes`; the buffer is given back.
///
/// # Safety
/// `env` must be a live env, used on its own thread.
unsafe fn copied_to_js(env: sys::napi_env, bytes: Vec<u8>) -> napi::Result<sys::napi_value> {
    let mut array_buffer = std::ptr::null_mut();
    let mut copy = std::ptr::null_mut();
    // SAFETY: a live env (the caller's contract) and out-pointers to locals.
    let status =
        unsafe { sys::napi_create_arraybuffer(env, bytes.len(), &mut copy, &mut array_buffer) };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("cannot create an ArrayBuffer"));
    }
    if !bytes.is_empty() {
        // SAFETY: V8 just allocated `bytes.len()` writable bytes at `copy` (non-null, since
        // the length is not zero), in a buffer no one else can see yet.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), copy.cast::<u8>(), bytes.len()) };
    }
    let len = bytes.len();
    crate::runtime::buffers::recycle(bytes);
    // SAFETY: a live env, and an ArrayBuffer of `len` bytes made in it.
    unsafe { uint8_array(env, array_buffer, len) }
}

/// # Safety
/// `env` must be a live env, used on its own thread, and `array_buffer` an ArrayBuffer of it
/// holding at least `len` bytes.
unsafe fn uint8_array(
    env: sys::napi_env,
    array_buffer: sys::napi_value,
    len: usize,
) -> napi::Result<sys::napi_value> {
    // SAFETY: the caller's contract.
    unsafe { typed_array(env, array_buffer, sys::TypedarrayType::uint8_array, len) }
}

/// # Safety
/// `env` must be a live env, used on its own thread, and `array_buffer` an ArrayBuffer of it
/// holding at least `len` elements of `kind`.
unsafe fn typed_array(
    env: sys::napi_env,
    array_buffer: sys::napi_value,
    kind: sys::napi_typedarray_type,
    len: usize,
) -> napi::Result<sys::napi_value> {
    let mut typed = std::ptr::null_mut();
    // SAFETY: the caller's contract; Node checks `len` against the buffer's length.
    let status =
        unsafe { sys::napi_create_typedarray(env, kind, len, array_buffer, 0, &mut typed) };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("cannot create a typed array"));
    }
    Ok(typed)
}

/// A typed array of `kind` over a V8 buffer holding a copy of `values` (V8's own memory, not
/// an external buffer: cheaper for small arrays, and allowed in Electron's memory cage).
/// `T` must be the element type of `kind`.
pub fn typed_array_copy<T: Copy>(
    env: &Env,
    values: &[T],
    kind: sys::napi_typedarray_type,
) -> napi::Result<sys::napi_value> {
    let bytes = std::mem::size_of_val(values);
    let mut array_buffer = std::ptr::null_mut();
    let mut copy = std::ptr::null_mut();
    // SAFETY: a live env (an `Env` is only had on its thread) and out-pointers to locals.
    let status =
        unsafe { sys::napi_create_arraybuffer(env.raw(), bytes, &mut copy, &mut array_buffer) };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("cannot create an ArrayBuffer"));
    }
    if bytes > 0 {
        // SAFETY: V8 just allocated `bytes` writable bytes at `copy` (non-null, since the
        // length is not zero), suitably aligned for any element type, in a buffer no one else
        // can see yet; `values` is `bytes` bytes of plain `Copy` data.
        unsafe {
            std::ptr::copy_nonoverlapping(values.as_ptr().cast::<u8>(), copy.cast::<u8>(), bytes)
        };
    }
    // SAFETY: a live env, and an ArrayBuffer of `values.len()` elements of `kind` made in it.
    unsafe { typed_array(env.raw(), array_buffer, kind, values.len()) }
}

/// Finalizer of an external ArrayBuffer made by `JsBytes`.
unsafe extern "C" fn give_back(
    _env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    owner: *mut std::ffi::c_void,
) {
    // SAFETY: `owner` is the Box made in `to_napi_value` and handed to V8 with this
    // finalizer, which V8 runs exactly once, after the last use of the buffer.
    let owned = unsafe { Box::from_raw(owner.cast::<Vec<u8>>()) };
    // A panic must not unwind into Node; the buffer is then simply freed.
    let _ = std::panic::catch_unwind(move || crate::runtime::buffers::recycle(*owned));
}

/// The policy `capabilities()` reports; absent values are `null`.
pub fn capabilities_object(env: &Env, snapshot: Snapshot) -> napi::Result<Object<'_>> {
    let mut object = Object::new(env)?;
    object.set_named_property("mode", snapshot.mode)?;
    object.set_named_property("source", snapshot.source)?;
    object.set_named_property("origin", snapshot.origin)?;
    object.set_named_property("load", snapshot.load)?;
    object.set_named_property("preopens", snapshot.preopens)?;
    object.set_named_property("preopensReadonly", snapshot.preopens_readonly)?;
    let ceilings = snapshot.ceilings;
    // Ceilings are at most 2^53 - 1 (checked when the manifest is read): exact as numbers.
    let number = |value: Option<u64>| value.map(|v| v as f64);
    object.set_named_property("maxFuel", number(ceilings.max_fuel))?;
    object.set_named_property("maxTimeoutMs", number(ceilings.max_timeout_ms))?;
    object.set_named_property("maxMemory", number(ceilings.max_memory))?;
    object.set_named_property("maxInstances", number(ceilings.max_instances))?;
    object.set_named_property("maxModuleSize", number(ceilings.max_module_size))?;
    object.set_named_property("maxFunctions", number(ceilings.max_functions))?;
    object.set_named_property("maxFunctionSize", number(ceilings.max_function_size))?;
    object.set_named_property("maxCompileTimeMs", number(ceilings.max_compile_time_ms))?;
    let net = match snapshot.net {
        None => None,
        Some(grants) => Some(
            grants
                .iter()
                .map(|grant| grant_object(env, grant))
                .collect::<napi::Result<Vec<_>>>()?,
        ),
    };
    object.set_named_property("net", net)?;
    Ok(object)
}

/// A network grant as `network.allow` takes it: `{ host, ports, protocols, directions }`
/// (`ports` null for every port).
fn grant_object<'env>(
    env: &'env Env,
    grant: &crate::sandbox::network::Grant,
) -> napi::Result<Object<'env>> {
    let mut object = Object::new(env)?;
    object.set_named_property("host", grant.host_text())?;
    object.set_named_property("ports", grant.port_texts())?;
    object.set_named_property("protocols", grant.protocol_names())?;
    object.set_named_property("directions", grant.direction_names())?;
    Ok(object)
}
