//! A call past its first slice: run by its task on the pool, and taken up by the JS thread
//! right after a host function it waited for has answered there.
//!
//! Without this, every host call of a call on the pool costs two cross-thread hand-offs: the
//! call to the JS thread, the answer back to the pool. Instead, once a host function has
//! answered on the JS thread, the JS thread polls the guest itself (`Resume::resume`): its
//! further host calls run there directly (`inline_host`), until it waits for anything else or
//! its epoch slice ends (it yields at every epoch tick), and the pool task takes it up again.
//! One hand-off per run of host calls, rather than two per call.
//!
//! Two bounds keep the JS thread for JS: it goes on with guests for at most `TURN_BUDGET` per
//! turn of the event loop (answers that come in one batch would otherwise hold it a slice
//! each, and timers would wait for all of them), and a guest that went on computing after its
//! host calls (its last poll ran longer than `COMPUTE_TAIL`) is left to the pool for its next
//! few host calls, more each time it does so again.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use napi::Env;

use crate::api::inline_host::poll_here;
use crate::api::next_turn::{after_promise_jobs, on_next_turn};
use crate::api::panic::CatchPanic;
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::host::answered;

const TURN_BUDGET: Duration = Duration::from_millis(1);
const COMPUTE_TAIL: Duration = Duration::from_micros(200);
const MAX_RESUMES_SKIPPED: u32 = 64;

thread_local! {
    /// The call a pool thread is polling now, for the host calls it makes to carry.
    static POLLING: RefCell<Option<Arc<dyn Resume>>> = const { RefCell::new(None) };

    /// The time this JS thread has spent going on with guests in this turn of its event
    /// loop, if any (a `setImmediate` clears it).
    static THIS_TURN: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// A call that the JS thread may go on with (a `Shuttle`).
pub trait Resume: Send + Sync {
    /// Polls the call on this JS thread, if nothing else is polling it.
    fn resume(&self, env: &Env);
}

/// The call the pool is polling on this thread now, if any.
pub fn polling_call() -> Option<Arc<dyn Resume>> {
    POLLING.with(|polling| polling.borrow().clone())
}

/// After host call `call_id` ran on the JS thread: once it has answered, the guest goes on
/// here, within this thread's budget. A host function that returned a Promise answers in a
/// promise job at the earliest (an `async` one that awaits nothing, in the next one): it is
/// looked at again once the jobs queued so far have run, and left to wake the pool if it has
/// not answered by then.
pub fn resume_after(call_id: u64, call: Arc<dyn Resume>, env: &Env) {
    if answered(call_id) {
        resume_within_budget(&*call, env);
        return;
    }
    let _ = after_promise_jobs(env, "hostCallAnswered", move |env| {
        if answered(call_id) {
            resume_within_budget(&*call, env);
        }
    });
}

fn resume_within_budget(call: &dyn Resume, env: &Env) {
    let spent = match THIS_TURN.get() {
        Some(spent) if spent >= TURN_BUDGET => return,
        Some(spent) => spent,
        None => match clear_next_turn(env) {
            Ok(()) => Duration::ZERO,
            Err(_) => return,
        },
    };
    let started = Instant::now();
    call.resume(env);
    THIS_TURN.set(Some(spent + started.elapsed()));
}

/// Clears this turn's time on the event loop's next turn (`setImmediate`).
fn clear_next_turn(env: &Env) -> napi::Result<()> {
    on_next_turn(env, "nextTurn", |_| THIS_TURN.set(None))?;
    THIS_TURN.set(Some(Duration::ZERO));
    Ok(())
}

/// A call's future, polled by whoever holds the lock; the other side never waits for it.
struct Shuttle<T, F> {
    state: Mutex<ShuttleState<T, F>>,
}

struct ShuttleState<T, F> {
    future: Option<CatchPanic<F>>,
    /// The outcome, when the JS thread finished the call: the task takes it.
    output: Option<WasmResult<T>>,
    /// The pool task's waker: the JS thread polls with it, so that whatever the guest then
    /// waits for wakes the task, and wakes it when it lets go.
    waker: Option<Waker>,
    /// Host calls after which the JS thread leaves the guest to the pool, and how many the
    /// next computing tail makes it.
    skip: u32,
    backoff: u32,
}

/// `future`, as its task on the pool runs it: a call the JS thread may go on with.
pub fn shuttle<T, F>(future: Pin<Box<F>>) -> impl Future<Output = WasmResult<T>> + Send + 'static
where
    T: Send + 'static,
    F: Future<Output = WasmResult<T>> + Send + 'static,
{
    let shuttle = Arc::new(Shuttle {
        state: Mutex::new(ShuttleState {
            future: Some(CatchPanic::new(future)),
            output: None,
            waker: None,
            skip: 0,
            backoff: 0,
        }),
    });
    std::future::poll_fn(move |context| shuttle.poll_on_pool(&shuttle, context))
}

impl<T, F> Shuttle<T, F>
where
    T: Send + 'static,
    F: Future<Output = WasmResult<T>> + Send + 'static,
{
    fn poll_on_pool(&self, this: &Arc<Self>, context: &mut Context<'_>) -> Poll<WasmResult<T>> {
        // Held by the JS thread, which wakes this task when it lets go.
        let Ok(mut state) = self.state.try_lock() else {
            return Poll::Pending;
        };
        if let Some(output) = state.output.take() {
            return Poll::Ready(output);
        }
        if !state
            .waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(context.waker()))
        {
            state.waker = Some(context.waker().clone());
        }
        let Some(future) = state.future.as_mut() else {
            return Poll::Ready(Err(polled_after_finishing()));
        };
        let outer = POLLING.with(|polling| polling.replace(Some(this.clone())));
        let polled = Pin::new(future).poll(context);
        POLLING.with(|polling| *polling.borrow_mut() = outer);
        if polled.is_ready() {
            state.future = None;
        }
        polled
    }
}

impl<T, F> Resume for Shuttle<T, F>
where
    T: Send + 'static,
    F: Future<Output = WasmResult<T>> + Send + 'static,
{
    fn resume(&self, env: &Env) {
        let Ok(mut guard) = self.state.try_lock() else {
            return; // the pool is polling it
        };
        // The pool task may have found the lock taken while this held it, and gone to sleep
        // counting on this to wake it: every way out wakes it.
        let Some(waker) = guard.waker.clone() else {
            return; // never polled by the pool: nothing can have been missed
        };
        self.go_on_here(env, &mut guard, &waker);
        drop(guard);
        waker.wake();
    }
}

impl<T, F> Shuttle<T, F>
where
    T: Send + 'static,
    F: Future<Output = WasmResult<T>> + Send + 'static,
{
    /// Polls the call on this JS thread, unless it is to be left to the pool this time.
    fn go_on_here(&self, env: &Env, state: &mut ShuttleState<T, F>, waker: &Waker) {
        if state.skip > 0 {
            state.skip -= 1;
            return;
        }
        let Some(future) = state.future.as_mut() else {
            return;
        };
        let mut last_poll = Duration::ZERO;
        let polled = poll_here(env, waker, |context| {
            let started = Instant::now();
            let polled = Pin::new(&mut *future).poll(context);
            last_poll = started.elapsed();
            polled
        });
        match polled {
            Poll::Ready(output) => {
                state.future = None;
                state.output = Some(output);
            }
            Poll::Pending if last_poll > COMPUTE_TAIL => {
                state.backoff = (state.backoff * 2 + 1).min(MAX_RESUMES_SKIPPED);
                state.skip = state.backoff;
            }
            Poll::Pending => state.backoff = 0,
        }
    }
}

fn polled_after_finishing() -> WasmError {
    WasmError::new(
        ErrorCode::CallError,
        "internal error in runtime-wasm: a finished call was polled again",
    )
}
