//! Work for the event loop's next turn.

use napi::bindgen_prelude::{Function, JsObjectValue};
use napi::{Env, Unknown};

/// Runs `work` on the event loop's next turn (`setImmediate`), after the timers that are due.
pub fn on_next_turn(env: &Env, name: &str, work: impl Fn() + 'static) -> napi::Result<()> {
    let callback = env.create_function_from_closure::<(), (), _>(name, move |_| {
        work();
        Ok(())
    })?;
    let set_immediate: Function<Function<(), ()>, Unknown> =
        env.get_global()?.get_named_property("setImmediate")?;
    set_immediate.call(callback)?;
    Ok(())
}
