//! The one process-wide wasmtime `Engine`, and the epoch ticker that lets long calls yield.
//!
//! Every store uses epoch interruption: the ticker advances the engine's epoch once a
//! millisecond while any call is running, and each store's deadline callback decides whether
//! the running code yields to the executor, keeps going, or stops. The ticker sleeps while no
//! call is running, so an idle process pays nothing for it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use once_cell::sync::OnceCell;
use wasmtime::{Config, Engine};

use crate::error::{ErrorCode, WasmError, WasmResult};

pub const EPOCH_TICK: Duration = Duration::from_millis(1);

static ENGINE: OnceCell<Engine> = OnceCell::new();
static TICKER: EpochTicker = EpochTicker {
    active_calls: AtomicUsize::new(0),
    idle: Mutex::new(()),
    wake: Condvar::new(),
};

pub fn engine() -> WasmResult<&'static Engine> {
    ENGINE.get_or_try_init(|| {
        let engine = Engine::new(&engine_config()).map_err(|e| {
            WasmError::new(
                ErrorCode::CompileError,
                format!("cannot create the wasmtime engine: {e:#}"),
            )
        })?;
        start_ticker(engine.clone())?;
        Ok(engine)
    })
}

fn engine_config() -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config
}

struct EpochTicker {
    active_calls: AtomicUsize,
    idle: Mutex<()>,
    wake: Condvar,
}

fn start_ticker(engine: Engine) -> WasmResult<()> {
    std::thread::Builder::new()
        .name("runtime-wasm-epoch".into())
        .spawn(move || loop {
            TICKER.wait_for_activity();
            std::thread::sleep(EPOCH_TICK);
            engine.increment_epoch();
        })
        .map(|_| ())
        .map_err(|e| {
            WasmError::new(
                ErrorCode::CompileError,
                format!("cannot start the epoch thread: {e}"),
            )
        })
}

impl EpochTicker {
    fn wait_for_activity(&self) {
        let mut guard = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while self.active_calls.load(Ordering::Acquire) == 0 {
            guard = self.wake.wait(guard).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Keeps the epoch ticking for as long as it lives; held by every running call.
pub struct ActiveCall(());

impl ActiveCall {
    pub fn start() -> Self {
        if TICKER.active_calls.fetch_add(1, Ordering::AcqRel) == 0 {
            // Taking the lock orders this wake-up after the ticker's check, so none is lost.
            let _guard = TICKER.idle.lock().unwrap_or_else(|p| p.into_inner());
            TICKER.wake.notify_one();
        }
        ActiveCall(())
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        TICKER.active_calls.fetch_sub(1, Ordering::AcqRel);
    }
}
