//! Runs an operation's future: first on the JS thread for one short slice, then, if it is not
//! done, on the pool, behind a Promise. A quick call pays no thread hop, and the JS thread is
//! never held for longer than one epoch slice (wasm yields at its epoch deadline).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll, Waker};

use napi::bindgen_prelude::{within_runtime_if_available, ToNapiValue};
use napi::{Env, JsValue, Unknown};

use crate::api::panic::{internal_error, CatchPanic};
use crate::error::WasmResult;

/// Resolves `future` as a value when it completes in its first slice, else as a Promise.
pub fn settle<'env, T, F>(env: &'env Env, future: F) -> napi::Result<Unknown<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = WasmResult<T>> + Send + 'static,
{
    let mut future = Box::pin(future);
    let first_poll = within_runtime_if_available(|| {
        let mut context = Context::from_waker(Waker::noop());
        catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut context)))
    });
    let first_poll = match first_poll {
        Ok(poll) => poll,
        Err(payload) => {
            std::mem::forget(future); // dropping what panicked may panic again
            return Err(internal_error(payload).into());
        }
    };
    match first_poll {
        Poll::Ready(outcome) => to_unknown(env, outcome?),
        Poll::Pending => spawn(env, future),
    }
}

/// Runs `future` on the pool behind a Promise, without a first slice on the JS thread.
pub fn spawn<'env, T, F>(env: &'env Env, future: F) -> napi::Result<Unknown<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = WasmResult<T>> + Send + 'static,
{
    let guarded = CatchPanic::new(Box::pin(future));
    let promise = env.spawn_future(async move { guarded.await.map_err(napi::Error::from) })?;
    Ok(promise.to_unknown())
}

/// Runs blocking work (compiling, reading files) on the blocking pool behind a Promise.
pub fn spawn_blocking<'env, T, F>(env: &'env Env, work: F) -> napi::Result<Unknown<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce() -> WasmResult<T> + Send + 'static,
{
    spawn(env, async move {
        tokio::task::spawn_blocking(work)
            .await
            .unwrap_or_else(|join_error| {
                if join_error.is_panic() {
                    return Err(internal_error(join_error.into_panic()));
                }
                Err(crate::error::WasmError::new(
                    crate::error::ErrorCode::CompileError,
                    format!("the background task failed: {join_error}"),
                ))
            })
    })
}

pub fn to_unknown<T: ToNapiValue>(env: &Env, value: T) -> napi::Result<Unknown<'_>> {
    // SAFETY: `to_napi_value` returns a live value of `env`'s current scope.
    unsafe {
        let raw = T::to_napi_value(env.raw(), value)?;
        Ok(Unknown::from_raw_unchecked(env.raw(), raw))
    }
}

/// Operations that copy more than this (memory transfers, instantiating a module whose data
/// segments may be this large) go straight to the pool, so that copying never holds the JS
/// thread.
const INLINE_TRANSFER_LIMIT: u64 = 1 << 20;

/// `settle` for an operation that moves `bytes` bytes.
pub fn settle_large<'env, T, F>(
    env: &'env Env,
    bytes: u64,
    future: F,
) -> napi::Result<Unknown<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = WasmResult<T>> + Send + 'static,
{
    if bytes > INLINE_TRANSFER_LIMIT {
        spawn(env, future)
    } else {
        settle(env, future)
    }
}
