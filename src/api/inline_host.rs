//! Host calls run on the JS thread where it already is, rather than handed to it.
//!
//! A guest polled on the JS thread (its first slice, `settle::first_slice`) that calls a JS
//! host function would otherwise hand the call to the JS thread's queue (a threadsafe
//! function) and, since the guest now waits, move to the pool: two cross-thread hand-offs per
//! host call. Instead, while a slice polls on the JS thread, the dispatcher of an instance
//! made on this thread queues the call here (`offer`); the slice takes the queue once the
//! guest is suspended, runs each host function on this thread (the same JS dispatcher, so the
//! same `this`, re-entry rules and answers by call id), and polls the guest again
//! (`poll_here`). A host function that answers at once is a direct call; one that returns a
//! Promise leaves its call waiting, and the slice ends as it would have.
//!
//! A call past its first slice goes on the same way after its host calls (see `shuttle.rs`).
//!
//! The JS function is never called from the guest's own stack (a wasmtime fiber, which V8's
//! stack checks do not know): only between polls, on the thread's own stack.

use std::cell::RefCell;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};

use napi::bindgen_prelude::{within_runtime_if_available, FunctionRef};
use napi::{sys, Env, Unknown};

use crate::api::dispatch::DispatchArgs;
use crate::error::{ErrorCode, WasmError};
use crate::runtime::host::{complete, HostReply};

/// The JS dispatcher of an instance's host functions, callable on the thread that made it.
pub type DispatchFunction = FunctionRef<DispatchArgs, Unknown<'static>>;

/// A host call queued by a first slice, to be run once the guest is suspended.
pub struct InlineCall {
    function: Arc<DispatchFunction>,
    call_id: u64,
    args: DispatchArgs,
}

thread_local! {
    /// The calls queued during the first slice now polling on this thread, if one is.
    static QUEUED: RefCell<Option<Vec<InlineCall>>> = const { RefCell::new(None) };
}

/// Queues a host call if a first slice is polling on this thread, the one `owner` (the
/// dispatcher's JS thread) names; else gives the call back, for the threadsafe function.
pub fn offer(
    owner: ThreadId,
    function: &Arc<DispatchFunction>,
    call_id: u64,
    args: DispatchArgs,
) -> Result<(), DispatchArgs> {
    QUEUED.with(|queued| {
        let mut queued = queued.borrow_mut();
        match queued.as_mut() {
            Some(calls) if thread::current().id() == owner => {
                calls.push(InlineCall {
                    function: function.clone(),
                    call_id,
                    args,
                });
                Ok(())
            }
            _ => Err(args),
        }
    })
}

/// Polls on this thread, inside the async runtime's context, until the future is done or
/// waits for something other than a host function that answered at once; the host calls it
/// makes meanwhile run here between polls.
pub fn poll_here<O>(
    env: &Env,
    waker: &Waker,
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<O>,
) -> Poll<O> {
    loop {
        let (polled, host_calls) =
            collecting(|| within_runtime_if_available(|| poll(&mut Context::from_waker(waker))));
        match polled {
            Poll::Ready(output) => return Poll::Ready(output),
            Poll::Pending if host_calls.is_empty() => return Poll::Pending,
            Poll::Pending => run(env, host_calls),
        }
    }
}

/// Lets host calls queue on this thread while `poll` runs; returns what it returned and the
/// calls it queued. A slice polled inside another's host function has a queue of its own.
fn collecting<R>(poll: impl FnOnce() -> R) -> (R, Vec<InlineCall>) {
    struct Restore(Option<Vec<InlineCall>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            QUEUED.with(|queued| *queued.borrow_mut() = outer);
        }
    }
    let outer = QUEUED.with(|queued| queued.borrow_mut().replace(Vec::new()));
    let restore = Restore(outer);
    let polled = poll();
    let calls = QUEUED
        .with(|queued| queued.borrow_mut().take())
        .unwrap_or_default();
    drop(restore);
    (polled, calls)
}

/// Runs queued host calls on this thread, each in a handle scope of its own. A dispatcher
/// that cannot be called fails its call rather than leave it waiting.
fn run(env: &Env, calls: Vec<InlineCall>) {
    for call in calls {
        let call_id = call.call_id;
        if let Err(error) = run_one(env, call) {
            let failed = WasmError::new(
                ErrorCode::CallError,
                format!("the host function could not be called: {error}"),
            );
            complete(call_id, HostReply::Failed(failed));
        }
    }
}

fn run_one(env: &Env, call: InlineCall) -> napi::Result<()> {
    let mut scope = std::ptr::null_mut();
    // SAFETY: `env` is the live env of this thread's current napi call.
    let status = unsafe { sys::napi_open_handle_scope(env.raw(), &mut scope) };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("cannot open a handle scope"));
    }
    let called = call
        .function
        .borrow_back(env)
        .and_then(|function| function.call(call.args).map(drop));
    // SAFETY: `scope` was opened above on this env, and nothing made inside it is used after.
    unsafe { sys::napi_close_handle_scope(env.raw(), scope) };
    called
}
