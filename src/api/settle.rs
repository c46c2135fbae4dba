//! Runs an operation's future: first on the JS thread for one short slice, then, if it is not
//! done, on the pool, behind a Promise. A quick call pays no thread hop, and the JS thread is
//! never held for longer than one epoch slice (wasm yields at its epoch deadline).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, Waker};

use napi::bindgen_prelude::{within_runtime_if_available, ToNapiValue};
use napi::{Env, JsValue, Unknown};
use tokio::task::JoinError;

use crate::api::inline_host;
use crate::api::panic::{internal_error, CatchPanic};
use crate::api::shuttle;
use wasmtime::Val;

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::call::EarlyOutcome;
use crate::runtime::exports::ExportFunc;
use crate::runtime::instance::InstanceEntry;

/// Resolves `future` as a value when it completes in its first slice, else as a Promise.
pub fn settle<'env, T, F>(env: &'env Env, future: F) -> napi::Result<Unknown<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = WasmResult<T>> + Send + 'static,
{
    match first_slice(env, Box::pin(future))? {
        FirstSlice::Done(outcome) => to_unknown(env, outcome?),
        FirstSlice::GoesOn(future) => spawn(env, shuttle::shuttle(future)),
    }
}

/// `settle` for a call whose stop is told early (see `EarlyOutcome`): once it is past its
/// first slice, it runs as a task of its own, and its Promise settles with whichever comes
/// first, its outcome or the early word of a stop. The stopped call's unwinding then goes on
/// in its task, after its Promise has settled.
pub fn settle_call<'env, T, F>(
    env: &'env Env,
    early: Option<Arc<EarlyOutcome>>,
    future: F,
) -> napi::Result<Unknown<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = WasmResult<T>> + Send + 'static,
{
    let Some(early) = early else {
        return settle(env, future);
    };
    let future = match first_slice(env, Box::pin(future))? {
        FirstSlice::Done(outcome) => return to_unknown(env, outcome?),
        FirstSlice::GoesOn(future) => future,
    };
    let told = early.listen();
    let future = Box::pin(shuttle::shuttle(future));
    let running = within_runtime_if_available(|| tokio::spawn(CatchPanic::new(future)));
    spawn(env, async move {
        tokio::select! {
            biased;
            joined = running => {
                joined.unwrap_or_else(|failed| Err(task_failure(failed, ErrorCode::CallError)))
            }
            Ok(stopped) = told => Err(stopped),
        }
    })
}

/// How an operation's first slice went: it finished, or it goes on.
enum FirstSlice<T, F> {
    Done(WasmResult<T>),
    GoesOn(Pin<Box<F>>),
}

/// Polls an operation on this thread, inside the async runtime's context, until it is done
/// or waits for something other than a host function that answered at once: the host calls
/// it makes meanwhile run here between polls (`inline_host`). Its wasm yields at the end of
/// its first epoch slice, which ends this too.
fn first_slice<T, F>(env: &Env, mut future: Pin<Box<F>>) -> napi::Result<FirstSlice<T, F>>
where
    F: Future<Output = WasmResult<T>>,
{
    let polled = catch_unwind(AssertUnwindSafe(|| {
        inline_host::poll_here(env, Waker::noop(), |context| future.as_mut().poll(context))
    }));
    match polled {
        Ok(Poll::Ready(outcome)) => Ok(FirstSlice::Done(outcome)),
        Ok(Poll::Pending) => Ok(FirstSlice::GoesOn(future)),
        Err(payload) => {
            std::mem::forget(future); // dropping what panicked may panic again
            Err(internal_error(payload).into())
        }
    }
}

/// The error of a background task that did not finish: it panicked, or the runtime is
/// shutting down.
fn task_failure(failed: JoinError, code: ErrorCode) -> WasmError {
    if failed.is_panic() {
        return internal_error(failed.into_panic());
    }
    WasmError::new(
        code,
        format!("the background task did not finish: {failed}"),
    )
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

/// `callSync`: runs the call on this thread, inside the async runtime's context when the
/// guest can reach WASI (whose sleeps make timers there, which then fail the call).
pub fn call_sync(
    entry: &InstanceEntry,
    func: &ExportFunc,
    params: &[Val],
    results: &mut [Val],
) -> WasmResult<usize> {
    if entry.needs_async() {
        within_runtime_if_available(|| entry.call_sync(func, params, results))
    } else {
        entry.call_sync(func, params, results)
    }
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
            .unwrap_or_else(|failed| Err(task_failure(failed, ErrorCode::CompileError)))
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
