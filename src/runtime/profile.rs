//! Guest profiles: while an instance is being profiled, its epoch callback (which runs every
//! tick of running wasm) samples the wasm stack at the asked interval into wasmtime's
//! `GuestProfiler`, which writes the Firefox Profiler's JSON format (open it at
//! profiler.firefox.com). Not profiling costs one check of an empty `Option` per tick.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{GuestProfiler, Module, Store, StoreContextMut};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::store::HostState;

/// A profile being taken.
pub struct Profiling {
    profiler: GuestProfiler,
    interval: Duration,
    last: Instant,
}

/// Starts profiling the instance whose store this is (its code is `module`).
pub fn start(
    store: &mut Store<HostState>,
    module: &Arc<Module>,
    interval: Duration,
) -> WasmResult<()> {
    if store.data().profiling.is_some() {
        return Err(profile_error(
            "a profile is already being taken of this instance",
        ));
    }
    let name = module.name().unwrap_or("wasm").to_string();
    let profiler = GuestProfiler::new(
        store.engine(),
        &name,
        interval,
        [(name.clone(), Module::clone(module))],
    )
    .map_err(|e| profile_error(&format!("cannot start profiling: {e:#}")))?;
    store.data_mut().profiling = Some(Box::new(Profiling {
        profiler,
        interval,
        last: Instant::now(),
    }));
    Ok(())
}

/// Takes a sample if the interval has passed (from the epoch callback).
pub fn sample(ctx: &mut StoreContextMut<HostState>) {
    let Some(mut profiling) = ctx.data_mut().profiling.take() else {
        return;
    };
    let since = profiling.last.elapsed();
    if since >= profiling.interval {
        profiling.profiler.sample(&*ctx, since);
        profiling.last = Instant::now();
    }
    ctx.data_mut().profiling = Some(profiling);
}

/// Stops profiling; returns the profile as Firefox Profiler JSON.
pub fn finish(store: &mut Store<HostState>) -> WasmResult<Vec<u8>> {
    let profiling = store
        .data_mut()
        .profiling
        .take()
        .ok_or_else(|| profile_error("no profile is being taken of this instance"))?;
    let mut json = Vec::new();
    profiling
        .profiler
        .finish(&mut json)
        .map_err(|e| profile_error(&format!("cannot write the profile: {e:#}")))?;
    Ok(json)
}

fn profile_error(message: &str) -> WasmError {
    WasmError::new(ErrorCode::CallError, message.to_string())
}
