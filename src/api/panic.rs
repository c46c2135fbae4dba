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

/// `panicProbe(at)`: panics on purpose at `at`, the proof (checked by the tests, in release
/// builds as in debug ones) that a panic on each path from JS into Rust becomes an error.
///
/// A test hook, not part of the API: it acts only in a process started with
/// `RUNTIME_WASM_PANIC_PROBE=1` (read once, at its first use) and otherwise throws.
pub mod probe {
    use napi::{Env, Unknown};
    use once_cell::sync::Lazy;

    use crate::api::settle::{settle, spawn, spawn_blocking};
    use crate::error::{ErrorCode, WasmError, WasmResult};

    /// The environment variable that arms the probe.
    pub const ENV_VAR: &str = "RUNTIME_WASM_PANIC_PROBE";

    static ARMED: Lazy<bool> = Lazy::new(|| std::env::var_os(ENV_VAR).is_some_and(|v| v == "1"));

    /// Where `run` panics, in order.
    pub const PATHS: [&str; 5] = ["sync", "first-slice", "pool", "after-yield", "blocking"];

    fn deliberate(at: &str) -> WasmResult<bool> {
        panic!("deliberate panic {at} (panicProbe)")
    }

    /// Whether the probe may panic; the error to throw when it may not.
    fn armed() -> WasmResult<()> {
        if *ARMED {
            return Ok(());
        }
        Err(WasmError::new(
            ErrorCode::CallError,
            format!(
                "panicProbe is a test hook and is off: it acts only in a process started \
                 with {ENV_VAR}=1"
            ),
        ))
    }

    pub fn run<'env>(env: &'env Env, at: &str) -> napi::Result<Unknown<'env>> {
        armed()?;
        match at {
            "sync" => {
                deliberate("in the body of an entry point")?;
                settle(env, async { Ok(true) })
            }
            "first-slice" => settle(env, async { deliberate("while polled on the JS thread") }),
            "pool" => spawn(env, async {
                tokio::task::yield_now().await;
                deliberate("in a future on the pool")
            }),
            "after-yield" => settle(env, async {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                deliberate("after the first slice, on the pool")
            }),
            "blocking" => spawn_blocking(env, || deliberate("on the blocking pool")),
            _ => Err(WasmError::new(
                ErrorCode::TypeError,
                format!(
                    "panicProbe: unknown path {at:?} (the paths are {})",
                    PATHS.join(", ")
                ),
            )
            .into()),
        }
    }
}
