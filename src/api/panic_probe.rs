//! `panicProbe(at)`: panics on purpose at `at`, the proof (checked by the tests, in release
//! builds as in debug ones) that a panic on each path from JS into Rust becomes an error.
//!
//! A test hook, not part of the API: it acts only in a process started with
//! `RUNTIME_WASM_PANIC_PROBE=1` (read once, at its first use) and otherwise throws.

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
