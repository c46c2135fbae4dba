//! Which JS environment made each handle, so that a worker's handles end with the worker.
//!
//! Module and instance ids are process-wide: any thread (the main thread or a worker) may use
//! an id another one made. Each handle belongs to the environment that created it, and when
//! that environment is torn down (a worker ends or is terminated, or the process exits) a
//! Node-API cleanup hook drops what it still owns, as `dropModule` / `drop()` would: calls
//! running on its instances stop and their queued operations settle with 5005.
//!
//! Node runs one environment per thread, so the environment is known by a thread-local id.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use napi::Env;
use once_cell::sync::Lazy;

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::{instance, module};

/// JS `Instance` objects whose native finalizer has not run yet (see `watch_instance`).
pub static FINALIZERS_ALIVE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// An environment's handle on the ownership records.
#[derive(Clone, Copy, Debug)]
pub struct Owner(u64);

#[derive(Default)]
struct Owned {
    modules: HashSet<String>,
    instances: HashSet<String>,
    /// The instances (of `instances`) whose JS `Instance` carries the finalizer that drops
    /// them: at most one object per instance, made in this environment.
    watched: HashSet<String>,
}

/// Live environments and what each owns; an environment missing here has ended.
static OWNED: Lazy<Mutex<HashMap<u64, Owned>>> = Lazy::new(Default::default);
static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static CURRENT: Cell<Option<u64>> = const { Cell::new(None) };
}

fn owned() -> std::sync::MutexGuard<'static, HashMap<u64, Owned>> {
    OWNED.lock().unwrap_or_else(|p| p.into_inner())
}

/// The calling environment; the first use on a thread registers its cleanup hook.
pub fn current(env: &Env) -> napi::Result<Owner> {
    if let Some(id) = CURRENT.with(Cell::get) {
        return Ok(Owner(id));
    }
    let id = NEXT_OWNER.fetch_add(1, Ordering::Relaxed);
    owned().insert(id, Owned::default());
    env.add_env_cleanup_hook(id, release)?;
    CURRENT.with(|current| current.set(Some(id)));
    Ok(Owner(id))
}

impl Owner {
    /// Records a new module id; if the environment has ended meanwhile, drops it at once.
    pub fn adopt_module(self, id: String) -> WasmResult<String> {
        match owned().get_mut(&self.0) {
            Some(owned) => {
                owned.modules.insert(id.clone());
                Ok(id)
            }
            None => {
                let _ = module::drop_module(&id);
                Err(ended())
            }
        }
    }

    /// Records a new instance id; if the environment has ended meanwhile, drops it at once.
    pub fn adopt_instance(self, id: String) -> WasmResult<String> {
        match owned().get_mut(&self.0) {
            Some(owned) => {
                owned.instances.insert(id.clone());
                Ok(id)
            }
            None => {
                let _ = instance::drop_instance(&id);
                Err(ended())
            }
        }
    }
}

/// Forgets a handle that was dropped explicitly (by any thread).
pub fn forget(id: &str) {
    for owned in owned().values_mut() {
        if owned.modules.remove(id) || owned.instances.remove(id) {
            owned.watched.remove(id);
            return;
        }
    }
}

/// The cleanup hook: drops everything the ending environment still owns.
fn release(owner: u64) {
    let Some(owned) = owned().remove(&owner) else {
        return;
    };
    CURRENT.with(|current| {
        if current.get() == Some(owner) {
            current.set(None);
        }
    });
    for id in &owned.instances {
        let _ = instance::drop_instance(id);
    }
    for id in &owned.modules {
        let _ = module::drop_module(id);
    }
}

fn ended() -> WasmError {
    WasmError::new(
        ErrorCode::InvalidInstanceHandle,
        "the JS environment that asked for this ended before it was ready",
    )
}

/// Attaches to `owner` a finalizer that drops `instance_id` when the object is collected (or
/// when its environment ends), if the calling environment made the instance and no other
/// object carries that finalizer yet. Only the owner's lifetime may free an instance: an object
/// that wraps an id made by another thread (or a second wrapper) gets no finalizer, else its
/// collection, or its worker's exit, would drop an instance that someone else still uses.
/// Whether the finalizer was attached.
pub fn watch_instance(
    env: &Env,
    owner: &napi::bindgen_prelude::Object,
    instance_id: String,
) -> napi::Result<bool> {
    use napi::JsValue;
    let me = current(env)?;
    {
        let mut all = owned();
        let Some(mine) = all.get_mut(&me.0) else {
            return Ok(false);
        };
        if !mine.instances.contains(&instance_id) || !mine.watched.insert(instance_id.clone()) {
            return Ok(false);
        }
    }
    let unclaim = |id: &str| {
        if let Some(mine) = owned().get_mut(&me.0) {
            mine.watched.remove(id);
        }
    };
    let id = Box::into_raw(Box::new(instance_id));
    // SAFETY: `owner` is a live object of `env`; `id` is handed to the finalizer, which takes
    // it back exactly once (or it is taken back here if the finalizer was not attached).
    let status = unsafe {
        napi::sys::napi_add_finalizer(
            env.raw(),
            owner.raw(),
            id.cast(),
            Some(drop_watched_instance),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if status != napi::sys::Status::napi_ok {
        // SAFETY: not attached, so still ours.
        let id = unsafe { Box::from_raw(id) };
        unclaim(&id);
        return Err(napi::Error::from_reason(
            "cannot watch the instance for collection",
        ));
    }
    FINALIZERS_ALIVE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(true)
}

unsafe extern "C" fn drop_watched_instance(
    _env: napi::sys::napi_env,
    id: *mut std::ffi::c_void,
    _hint: *mut std::ffi::c_void,
) {
    // SAFETY: the Box made in `watch_instance`, finalized exactly once.
    let id = unsafe { Box::from_raw(id.cast::<String>()) };
    FINALIZERS_ALIVE.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    // A panic must not unwind into Node.
    let _ = std::panic::catch_unwind(|| {
        if instance::drop_instance(&id).is_ok() {
            forget(&id);
        }
    });
}
