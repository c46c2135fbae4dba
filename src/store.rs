//! The per-instance wasmtime `Store` and what it carries: WASI state and the drop flag that
//! the epoch callback checks, so that dropping an instance also stops a running call.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::engine::engine;
use crate::error::WasmResult;

/// Epoch ticks a call may run before its first yield (2 so that a tick falling right after
/// the deadline is set does not yield at once).
pub const FIRST_SLICE_TICKS: u64 = 2;

pub struct HostState {
    pub wasi: WasiP1Ctx,
    closed: Arc<AtomicBool>,
}

/// The error a call stops with when its instance is dropped under it.
#[derive(Debug)]
pub struct InstanceDropped;

impl std::fmt::Display for InstanceDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the instance was dropped")
    }
}

impl std::error::Error for InstanceDropped {}

pub fn new_store(wasi: WasiP1Ctx, closed: Arc<AtomicBool>) -> WasmResult<Store<HostState>> {
    let mut store = Store::new(engine()?, HostState { wasi, closed });
    store.epoch_deadline_callback(|ctx| {
        if ctx.data().closed.load(Ordering::Acquire) {
            return Err(wasmtime::Error::new(InstanceDropped));
        }
        // Give the executor a turn every tick: other calls on the pool run in between.
        Ok(UpdateDeadline::Yield(1))
    });
    store.set_epoch_deadline(FIRST_SLICE_TICKS);
    Ok(store)
}
