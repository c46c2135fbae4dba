//! Work for later on the JS thread: after the promise jobs queued so far, or on the event
//! loop's next turn.

use napi::bindgen_prelude::{Function, JsObjectValue};
use napi::{Env, Unknown};

/// Runs `work` on the event loop's next turn (`setImmediate`), after the timers that are due.
pub fn on_next_turn(env: &Env, name: &str, work: impl Fn(&Env) + 'static) -> napi::Result<()> {
    schedule(env, "setImmediate", name, work)
}

/// Runs `work` once the promise jobs queued so far have run (`queueMicrotask`), before the
/// event loop goes on.
pub fn after_promise_jobs(
    env: &Env,
    name: &str,
    work: impl Fn(&Env) + 'static,
) -> napi::Result<()> {
    schedule(env, "queueMicrotask", name, work)
}

fn schedule(
    env: &Env,
    scheduler: &str,
    name: &str,
    work: impl Fn(&Env) + 'static,
) -> napi::Result<()> {
    let callback = env.create_function_from_closure::<(), (), _>(name, move |context| {
        work(context.env);
        Ok(())
    })?;
    let schedule: Function<Function<(), ()>, Unknown> =
        env.get_global()?.get_named_property(scheduler)?;
    schedule.call(callback)?;
    Ok(())
}
