//! The hot call path: `callFast(target, ...args)` and `callSyncFast(target, ...args)`, where
//! `target` is `instance * FUNCTION_SLOTS + function`: the number in an instance id and a
//! function handle from `resolveFunction`, packed into one safe integer so that a call reads
//! one number for both. No strings are read or looked up per call, and the arguments are read
//! straight from the call's argument list.
//!
//! These are raw Node-API callbacks because napi-rs entry points take a fixed list of
//! parameters, and collecting the arguments into a JS array first costs more than the call.
//!
//! Results: `undefined` for none, the value itself for one, an array for several
//! (lib/fast-calls.js turns each into the array the public API returns).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use napi::bindgen_prelude::{JsObjectValue, Object, ToNapiValue, Undefined};
use napi::JsValue;
use napi::{sys, Env, JsError, Unknown};
use wasmtime::Val;

use crate::api::decode;
use crate::api::encode::{JsResults, JsValueOut};
use crate::api::panic::internal_error;
use crate::api::settle::settle_call;
use crate::error::{ErrorCode, WasmError};
use crate::runtime::exports::ExportFunc;
use crate::runtime::instance::{self, InstanceEntry};
use crate::runtime::limits::CallLimits;
use crate::runtime::values::{self, from_wasm};

/// Arguments read without allocating; longer argument lists are read a second time.
const INLINE_ARGS: usize = 8;

/// Function handles per instance in a packed target (lib/fast-calls.js reads it through
/// `constants()`). More than any module can export.
pub(crate) const FUNCTION_SLOTS: u64 = 1 << 20;

/// Adds `callFast` and `callSyncFast` to the binding's exports.
pub fn register(env: &Env, exports: &mut Object) -> napi::Result<()> {
    define(env, exports, "callFast", call_fast)?;
    define(env, exports, "callSyncFast", call_sync_fast)
}

type RawCallback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

fn define(env: &Env, exports: &mut Object, name: &str, callback: RawCallback) -> napi::Result<()> {
    let mut function = ptr::null_mut();
    // SAFETY: a plain function without data, created in the module's own env.
    let status = unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
            Some(callback),
            ptr::null_mut(),
            &mut function,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason(format!("cannot create {name}")));
    }
    // SAFETY: `function` was just created in this env, on this thread.
    let function = unsafe { Unknown::from_raw_unchecked(env.raw(), function) };
    exports.set_named_property(name, function)
}

/// Calls and settles as `call` does: the value when done in the first slice, else a Promise.
///
/// # Safety
/// Node calls it, on the JS thread, with a live env and the call's own callback info.
unsafe extern "C" fn call_fast(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: `env` and `info` are the live ones Node called us with, and `args` are this
    // call's arguments, valid until it returns.
    unsafe {
        guarded(env, || {
            with_call(env, info, |entry, func, args| {
                let mut params = vec![Val::I32(0); args.len()];
                convert_args(env, func, args, &mut params)?;
                let (pending, early) = entry.call(func, params, CallLimits::default())?;
                let env = Env::from_raw(env);
                let results = async move { pending.await.map(FastResults) };
                settle_call(&env, early, results).map(|value| value.raw())
            })
        })
    }
}

/// Calls to completion on the JS thread, as `callSync` does. Arguments and results stay on
/// the stack unless there are many.
///
/// # Safety
/// As `call_fast`.
unsafe extern "C" fn call_sync_fast(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: as in `call_fast`.
    unsafe {
        guarded(env, || {
            with_call(env, info, |entry, func, args| {
                let mut params_inline = [Val::I32(0); INLINE_ARGS];
                let mut params_spilled = Vec::new();
                let params = slots(&mut params_inline, &mut params_spilled, args.len());
                convert_args(env, func, args, params)?;
                let mut results_inline = [Val::I32(0); INLINE_ARGS];
                let mut results_spilled = Vec::new();
                let results = slots(
                    &mut results_inline,
                    &mut results_spilled,
                    func.results.len(),
                );
                let returned = crate::api::settle::call_sync(entry, func, params, results)?;
                results_to_js(env, &results[..returned])
            })
        })
    }
}

/// `len` values: in `inline` when they fit, else in `spilled`.
fn slots<'a>(inline: &'a mut [Val], spilled: &'a mut Vec<Val>, len: usize) -> &'a mut [Val] {
    if len <= inline.len() {
        &mut inline[..len]
    } else {
        spilled.resize(len, Val::I32(0));
        spilled
    }
}

/// Reads `(target, ...args)` and hands the instance, the function and the
/// arguments, still as JS values, to `body`.
///
/// # Safety
/// `env` and `info` must be the live ones of a callback Node is running now, on its thread.
unsafe fn with_call<R>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    body: impl FnOnce(&InstanceEntry, &ExportFunc, &[sys::napi_value]) -> napi::Result<R>,
) -> napi::Result<R> {
    let mut inline = [ptr::null_mut(); INLINE_ARGS + 1];
    let mut count = inline.len();
    // SAFETY: the caller's contract; Node writes at most `count` (the array's length) values
    // into `inline`, then sets `count` to the number of arguments the call had.
    check(unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut count,
            inline.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    })?;
    let mut spilled = Vec::new();
    let args: &[sys::napi_value] = if count <= inline.len() {
        &inline[..count]
    } else {
        spilled.resize(count, ptr::null_mut());
        // SAFETY: as above, with room for every argument in `spilled`.
        check(unsafe {
            sys::napi_get_cb_info(
                env,
                info,
                &mut count,
                spilled.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        })?;
        &spilled[..count.min(spilled.len())]
    };
    let [target, values @ ..] = args else {
        return Err(bad_handle("a call target is required"));
    };
    // SAFETY: `target` is one of this call's arguments, read just now.
    let target = unsafe { handle_number(env, *target) }?;
    let entry = instance::get_numbered(target / FUNCTION_SLOTS)?;
    let position = usize::try_from(target % FUNCTION_SLOTS).unwrap_or(usize::MAX);
    let func = entry.exports.function_at(position)?;
    body(&entry, func, values)
}

/// Converts JS arguments to `func`'s parameter types, into `params` (one slot per argument).
///
/// # Safety
/// `env` must be a live env on its thread and `args` values of it that are still alive.
unsafe fn convert_args(
    env: sys::napi_env,
    func: &ExportFunc,
    args: &[sys::napi_value],
    params: &mut [Val],
) -> napi::Result<()> {
    values::check_arity(&func.name, &func.params, args.len())?;
    for (index, ((&raw, ty), param)) in args.iter().zip(func.params.iter()).zip(params).enumerate()
    {
        // SAFETY: the caller's contract. Nothing is assumed about the value's type: the
        // readers below ask Node what it is.
        let arg = unsafe { Unknown::from_raw_unchecked(env, raw) };
        // Most arguments are Numbers that fit their parameter: those skip the general rules.
        let quick = decode::as_number(&arg).and_then(|n| values::number_to_wasm(n, ty));
        *param = match quick {
            Some(value) => value,
            None => values::to_wasm_arg(&func.name, index, ty, &decode::arg_value(&arg)?)?,
        };
    }
    Ok(())
}

/// # Safety
/// `env` must be a live env, used on its own thread.
unsafe fn results_to_js(env: sys::napi_env, results: &[Val]) -> napi::Result<sys::napi_value> {
    // SAFETY: the caller's contract; the values converted are owned Rust values.
    unsafe {
        match results {
            [] => Undefined::to_napi_value(env, ()),
            [single] => JsValueOut::to_napi_value(env, JsValueOut(from_wasm(single))),
            _ => JsResults::to_napi_value(env, JsResults(results.to_vec())),
        }
    }
}

/// A packed call target: a Number holding a non-negative safe integer. Anything else (a
/// fraction, NaN, an infinity, a negative number, a BigInt, a string...) is a 5005, never
/// truncated or wrapped into some other instance's number.
///
/// # Safety
/// `env` must be a live env on its thread and `value` a live value of it.
unsafe fn handle_number(env: sys::napi_env, value: sys::napi_value) -> napi::Result<u64> {
    let mut number = f64::NAN;
    // SAFETY: the caller's contract; for a value that is not a Number the call fails with
    // `napi_number_expected` and throws nothing.
    let status = unsafe { sys::napi_get_value_double(env, value, &mut number) };
    if status != sys::Status::napi_ok {
        return Err(bad_handle("a call target must be a Number"));
    }
    packed_target(number).ok_or_else(|| bad_handle("handles are non-negative integers"))
}

/// `number` as a packed target, if it is a non-negative safe integer.
fn packed_target(number: f64) -> Option<u64> {
    const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;
    (number.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&number)).then_some(number as u64)
}

fn bad_handle(problem: &str) -> napi::Error {
    WasmError::new(ErrorCode::InvalidInstanceHandle, problem).into()
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_reason("cannot read the call's arguments"))
    }
}

/// Results as the fast path returns them (see the module comment).
struct FastResults(Vec<Val>);

impl ToNapiValue for FastResults {
    unsafe fn to_napi_value(env: sys::napi_env, results: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: `env` is the live env this conversion was called with (the trait's contract).
        unsafe { results_to_js(env, &results.0) }
    }
}

/// Runs a callback's body, throwing its error (or a caught panic) as a JS exception.
///
/// # Safety
/// `env` must be the live env of the callback running now, on its thread.
unsafe fn guarded(
    env: sys::napi_env,
    body: impl FnOnce() -> napi::Result<sys::napi_value>,
) -> sys::napi_value {
    let outcome = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(internal_error(payload).into()));
    match outcome {
        Ok(value) => value,
        Err(error) => {
            // SAFETY: the caller's contract.
            unsafe { JsError::from(error).throw_into(env) };
            ptr::null_mut()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_targets_are_non_negative_safe_integers() {
        assert_eq!(packed_target(0.0), Some(0));
        assert_eq!(packed_target(-0.0), Some(0));
        assert_eq!(packed_target(42.0), Some(42));
        let instance_3_function_5 = (3 * FUNCTION_SLOTS + 5) as f64;
        assert_eq!(
            packed_target(instance_3_function_5),
            Some(3 * FUNCTION_SLOTS + 5)
        );
        assert_eq!(packed_target(9007199254740991.0), Some(9007199254740991));
    }

    #[test]
    fn anything_else_is_not_a_target() {
        // Node's int64 reading truncates fractions (instance 1's function 2 plus 0.5 called
        // that function) and makes NaN and infinities 0; a target must be exact.
        for number in [
            -1.0,
            0.5,
            (FUNCTION_SLOTS as f64) + 0.5,
            9007199254740992.0,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -f64::MIN_POSITIVE,
        ] {
            assert_eq!(packed_target(number), None, "{number}");
        }
    }
}
