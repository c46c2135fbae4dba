//! JS callbacks reached from any thread: the host-function dispatcher and output callbacks.

use std::sync::Arc;
use std::thread::ThreadId;

use napi::bindgen_prelude::{FnArgs, Function, ToNapiValue};
use napi::sys;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, Unknown};

use crate::api::component_values::to_js;
use crate::api::encode::{JsBytes, JsValueOut};
use crate::api::inline_host::{self, DispatchFunction};
use crate::api::next_turn::on_next_turn;
use crate::api::shuttle;
use crate::runtime::component::resources::ResourceTable;
use crate::runtime::host::{ComponentArgs, HostDispatcher};
use crate::runtime::values::ResultValue;
use crate::wasi::stdio::{ChunkSink, OutputQueue};

/// `(index, callId, args, upstream)`: see `runHostFunction` in lib/host-calls.js.
pub type DispatchArgs = FnArgs<(u32, f64, HostArgsOut, Vec<String>)>;

/// A host function's arguments, converted on the JS thread.
pub enum HostArgsOut {
    Core(Vec<JsValueOut>),
    Component(ComponentArgs),
}

impl ToNapiValue for HostArgsOut {
    unsafe fn to_napi_value(env: sys::napi_env, args: Self) -> napi::Result<sys::napi_value> {
        match args {
            // SAFETY: `env` is the live env this conversion was called with.
            HostArgsOut::Core(values) => unsafe { Vec::to_napi_value(env, values) },
            HostArgsOut::Component(args) => {
                let js_env = Env::from_raw(env);
                // Resources given to a host function are not kept for it.
                let resources = ResourceTable::default();
                let mut array = js_env.create_array(args.values.len() as u32)?;
                for (i, (value, ty)) in args.values.into_iter().zip(args.types.iter()).enumerate() {
                    array.set(i as u32, to_js(&js_env, value, ty, &resources)?)?;
                }
                // SAFETY: a live array of `env`, made just now.
                unsafe { napi::bindgen_prelude::Array::to_napi_value(env, array) }
            }
        }
    }
}

/// Weak: a waiting host call does not keep the process alive by itself (its pending
/// Promise does).
type Callback<T> = ThreadsafeFunction<T, Unknown<'static>, T, Status, false, true>;

/// Calls the JS dispatcher `(index, callId, args, upstream)` of an instance's host
/// functions: directly during a first slice on the thread that made it (`inline_host`),
/// else through a threadsafe function.
pub struct JsDispatcher {
    queued: Callback<DispatchArgs>,
    direct: Arc<DispatchFunction>,
    thread: ThreadId,
}

impl JsDispatcher {
    pub fn new(function: &Function<'_, DispatchArgs, Unknown<'static>>) -> napi::Result<Self> {
        let queued = function
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsDispatcher {
            queued,
            direct: Arc::new(function.create_ref()?),
            thread: std::thread::current().id(),
        })
    }
}

impl HostDispatcher for JsDispatcher {
    fn dispatch(
        &self,
        index: u32,
        call_id: u64,
        args: Vec<ResultValue>,
        upstream: &[Arc<str>],
    ) -> bool {
        let args: Vec<JsValueOut> = args.into_iter().map(JsValueOut).collect();
        self.send(index, call_id, HostArgsOut::Core(args), upstream)
    }

    fn dispatch_component(
        &self,
        index: u32,
        call_id: u64,
        args: ComponentArgs,
        upstream: &[Arc<str>],
    ) -> bool {
        self.send(index, call_id, HostArgsOut::Component(args), upstream)
    }
}

impl JsDispatcher {
    fn send(&self, index: u32, call_id: u64, args: HostArgsOut, upstream: &[Arc<str>]) -> bool {
        let upstream = upstream.iter().map(|id| id.to_string()).collect();
        let args = FnArgs::from((index, call_id as f64, args, upstream));
        let Err(args) = inline_host::offer(self.thread, &self.direct, call_id, args) else {
            return true;
        };
        let mode = ThreadsafeFunctionCallMode::NonBlocking;
        let status = match shuttle::polling_call() {
            Some(call) => self
                .queued
                .call_with_return_value(args, mode, move |_, env| {
                    shuttle::resume_after(call_id, call, &env);
                    Ok(())
                }),
            None => self.queued.call(args, mode),
        };
        status == Status::Ok
    }
}

/// Hands what a guest writes to a JS callback, as a Uint8Array of everything queued when the
/// callback's turn comes.
pub struct JsChunkSink(Callback<OutputDrain>);

impl JsChunkSink {
    pub fn new(function: &Function<'_, OutputDrain, Unknown<'static>>) -> napi::Result<Self> {
        let tsfn = function
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsChunkSink(tsfn))
    }
}

impl ChunkSink for JsChunkSink {
    fn schedule(&self, queue: Arc<OutputQueue>) -> bool {
        let delivered = queue.clone();
        let status = self.0.call_with_return_value(
            OutputDrain(queue),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |_, env| {
                if release_next_turn(&env, delivered.clone()).is_err() {
                    delivered.delivered();
                }
                Ok(())
            },
        );
        status == Status::Ok
    }
}

/// Gives a delivered chunk's share of the backlog back on the event loop's next turn
/// (`setImmediate`), not at once. Given back at once, a guest flooding a slow callback would
/// queue its next chunk while this one is delivered, and Node would go on delivering chunks
/// for a thousand callbacks before timers (an AbortSignal's, say) got a turn.
fn release_next_turn(env: &Env, queue: Arc<OutputQueue>) -> napi::Result<()> {
    on_next_turn(env, "outputDelivered", move |_| queue.delivered())
}

/// Becomes, on the JS thread, the bytes its queue holds at that moment.
pub struct OutputDrain(Arc<OutputQueue>);

impl ToNapiValue for OutputDrain {
    unsafe fn to_napi_value(env: sys::napi_env, drain: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: called by napi on the JS thread with its live env, as JsBytes expects.
        unsafe { JsBytes::to_napi_value(env, JsBytes(drain.0.take())) }
    }
}
