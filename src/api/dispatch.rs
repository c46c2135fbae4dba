//! JS callbacks reached from any thread: the host-function dispatcher and output callbacks.

use std::sync::Arc;

use napi::bindgen_prelude::{FnArgs, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Status, Unknown};

use crate::api::encode::{JsBytes, JsValueOut};
use crate::runtime::host::HostDispatcher;
use crate::runtime::values::ResultValue;
use crate::wasi::stdio::ChunkSink;

type DispatchArgs = FnArgs<(u32, f64, Vec<JsValueOut>, Vec<String>)>;

/// Weak: a waiting host call does not keep the process alive by itself (its pending
/// Promise does).
type Callback<T> = ThreadsafeFunction<T, Unknown<'static>, T, Status, false, true>;

/// Calls the JS dispatcher `(index, callId, args)` of an instance's host functions.
pub struct JsDispatcher(Callback<DispatchArgs>);

impl JsDispatcher {
    pub fn new(function: &Function<'_, DispatchArgs, Unknown<'static>>) -> napi::Result<Self> {
        let tsfn = function
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsDispatcher(tsfn))
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
        let upstream = upstream.iter().map(|id| id.to_string()).collect();
        let status = self.0.call(
            FnArgs::from((index, call_id as f64, args, upstream)),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
        status == Status::Ok
    }
}

/// Hands each chunk a guest writes to a JS callback, as a Uint8Array.
pub struct JsChunkSink(Callback<JsBytes>);

impl JsChunkSink {
    pub fn new(function: &Function<'_, JsBytes, Unknown<'static>>) -> napi::Result<Self> {
        let tsfn = function
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsChunkSink(tsfn))
    }
}

impl ChunkSink for JsChunkSink {
    fn send(&self, chunk: Vec<u8>) -> bool {
        let status = self
            .0
            .call(JsBytes(chunk), ThreadsafeFunctionCallMode::NonBlocking);
        status == Status::Ok
    }
}
