//! A Rust panic at the JS boundary becomes a rejected operation, never an abort of Node.
//!
//! Every path from JS into Rust is covered: the synchronous body of each entry point (napi's
//! `catch_unwind` attribute), a future's first slice on the JS thread (`settle`), a future on
//! the pool (`CatchPanic`) and work on the blocking pool (its `JoinError`). A panic is a bug;
//! it reaches JS as a 5002 WasmError whose message starts with "internal error".

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::{ErrorCode, WasmError, WasmResult};

/// The error a caught panic becomes.
pub fn internal_error(payload: Box<dyn Any + Send>) -> WasmError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    // A payload whose own Drop panics must not unwind from here.
    std::mem::forget(payload);
    WasmError::new(
        ErrorCode::CallError,
        format!("internal error in runtime-wasm (please report it): {message}"),
    )
}

/// Polls `inner` and turns a panic in it into `Err(internal_error)`.
pub struct CatchPanic<F> {
    inner: Option<Pin<Box<F>>>,
}

impl<F> CatchPanic<F> {
    pub fn new(inner: Pin<Box<F>>) -> Self {
        CatchPanic { inner: Some(inner) }
    }
}

impl<T, F: Future<Output = WasmResult<T>>> Future for CatchPanic<F> {
    type Output = WasmResult<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Err(WasmError::new(
                ErrorCode::CallError,
                "internal error in runtime-wasm: polled after it panicked",
            )));
        };
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                // Dropping a future that panicked may panic again: leak it instead.
                if let Some(inner) = self.inner.take() {
                    std::mem::forget(inner);
                }
                Poll::Ready(Err(internal_error(payload)))
            }
        }
    }
}
