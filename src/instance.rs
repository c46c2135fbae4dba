//! Instances: creation, calls and queued store operations, and drop.
//!
//! Each instance's store sits behind a fair (FIFO) async mutex. Every operation asks for the
//! lock when it is first polled, which the binding does on the JS thread at the moment the
//! operation is made, so operations on one instance run one at a time in the order they were
//! made, while different instances run in parallel on the pool.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};
use wasmtime::{Store, Val};

use crate::engine::ActiveCall;
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::exports::{ExportFunc, Exports};
use crate::module::ModuleEntry;
use crate::registry::INSTANCES;
use crate::store::{new_store, HostState, InstanceDropped, FIRST_SLICE_TICKS};
use crate::wasi::{build_context, WasiOptions};

type SharedStore = Arc<Mutex<Option<Store<HostState>>>>;

pub struct InstanceEntry {
    store: SharedStore,
    closed: Arc<AtomicBool>,
    pub exports: Arc<Exports>,
}

pub fn get(id: &str) -> WasmResult<Arc<InstanceEntry>> {
    INSTANCES.get(id)
}

/// Drops an instance at once: later uses fail with 5005, a running call stops at its next
/// epoch tick, and queued operations settle with 5005.
pub fn drop_instance(id: &str) -> WasmResult<()> {
    let entry = INSTANCES.remove(id)?;
    entry.closed.store(true, Ordering::Release);
    if let Ok(mut idle_store) = entry.store.try_lock() {
        idle_store.take();
    }
    Ok(())
}

pub async fn instantiate(module: Arc<ModuleEntry>, options: WasiOptions) -> WasmResult<String> {
    let instance_pre = module.instance_pre()?.clone();
    let closed = Arc::new(AtomicBool::new(false));
    let mut store = new_store(build_context(&options)?, closed.clone())?;
    let _active = ActiveCall::start();
    let instance = instance_pre
        .instantiate_async(&mut store)
        .await
        .map_err(|e| WasmError::from_wasm_failure(ErrorCode::InstantiateError, "start function failed", e))?;
    let exports = Exports::collect(&mut store, &instance);
    if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
        store.set_epoch_deadline(FIRST_SLICE_TICKS);
        initialize.call_async(&mut store, ()).await.map_err(|e| {
            WasmError::from_wasm_failure(ErrorCode::InstantiateError, "_initialize failed", e)
        })?;
    }
    let entry = InstanceEntry {
        store: Arc::new(Mutex::new(Some(store))),
        closed,
        exports: Arc::new(exports),
    };
    let id = INSTANCES.next_id();
    Ok(INSTANCES.insert(id, Arc::new(entry)))
}

impl InstanceEntry {
    /// Calls an exported function; resolves its results. Exit status 0 of a WASI program
    /// resolves with no results.
    pub fn call(&self, func: &ExportFunc, params: Vec<Val>) -> impl Future<Output = WasmResult<Vec<Val>>> + Send + 'static {
        let lock = self.lock();
        let function = func.func;
        let name = func.name.clone();
        let result_count = func.results.len();
        async move {
            let mut guard = lock.await?;
            let _active = ActiveCall::start();
            let Some(store) = guard.as_mut() else {
                return Err(dropped_error());
            };
            store.set_epoch_deadline(FIRST_SLICE_TICKS);
            let mut results = vec![Val::I32(0); result_count];
            let outcome = function.call_async(&mut *store, &params, &mut results).await;
            match outcome {
                Ok(()) => Ok(results),
                Err(e) if e.downcast_ref::<InstanceDropped>().is_some() => {
                    guard.take();
                    Err(dropped_error())
                }
                Err(e) if matches!(e.downcast_ref::<wasmtime_wasi::I32Exit>(), Some(exit) if exit.0 == 0) => {
                    Ok(Vec::new())
                }
                Err(e) => Err(WasmError::from_wasm_failure(
                    ErrorCode::CallError,
                    &format!("call to {name:?} failed"),
                    e,
                )),
            }
        }
    }

    /// Runs `op` on the store, queued behind earlier operations on this instance.
    pub fn with_store<R, F>(&self, op: F) -> impl Future<Output = WasmResult<R>> + Send + 'static
    where
        R: Send + 'static,
        F: FnOnce(&mut Store<HostState>, &Exports) -> WasmResult<R> + Send + 'static,
    {
        let lock = self.lock();
        let exports = self.exports.clone();
        async move {
            let mut guard = lock.await?;
            let store = guard.as_mut().ok_or_else(dropped_error)?;
            op(store, &exports)
        }
    }

    /// Takes this instance's place in its queue. A store found after the instance was
    /// dropped is freed here, by whichever operation sees it first.
    fn lock(&self) -> impl Future<Output = WasmResult<OwnedMutexGuard<Option<Store<HostState>>>>> + Send + 'static {
        let store = self.store.clone();
        let closed = self.closed.clone();
        async move {
            let mut guard = store.lock_owned().await;
            if closed.load(Ordering::Acquire) {
                guard.take();
                return Err(dropped_error());
            }
            Ok(guard)
        }
    }
}

fn dropped_error() -> WasmError {
    WasmError::new(
        ErrorCode::InvalidInstanceHandle,
        "the instance was dropped before the operation could finish",
    )
}
