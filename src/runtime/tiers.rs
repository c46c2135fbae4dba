//! A module's code for one metering, in tiers.
//!
//! Cranelift makes the fastest code, but a large module takes it minutes (a 31 MB module,
//! 47 s on two cores). Winch compiles several times faster, into slower code. A
//! module of at least `tiering_min_bytes` that is not in the cache starts on Winch's code; a
//! helper process (`compile_helper`, at a lower priority) compiles the optimized code and puts
//! it in the cache, and instances made from then on run it. Instances already made keep their
//! code: a store belongs to one engine.
//!
//! Without a helper (Node's permission model refuses child processes) or for modules Winch
//! cannot compile (GC, exceptions, tail calls), the optimized code is compiled at once, as for
//! small modules.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use once_cell::sync::OnceCell;
use wasmtime::{InstancePre, Module};

use crate::cache::{self, CacheKey, Origin, Store};
use crate::error::WasmResult;
use crate::runtime::compile_helper::{self, HelperJob};
use crate::runtime::compile_limits::Budget;
use crate::runtime::engine::{engine_of, EngineKind, Metering, Tier};
use crate::runtime::linker::prelink;
use crate::runtime::module::invalid_module;
use crate::runtime::store::HostState;

/// Modules at least this large start on the baseline tier, unless `configure({
/// tieringMinBytes })` says otherwise. Below it Cranelift takes well under a second.
pub const DEFAULT_TIERING_MIN_BYTES: u64 = 1 << 20;

static TIERING_MIN_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_TIERING_MIN_BYTES);

/// `configure({ tieringMinBytes })`; `u64::MAX` turns tiering off.
pub fn set_tiering_min_bytes(bytes: u64) {
    TIERING_MIN_BYTES.store(bytes, Ordering::Relaxed);
}

/// Code compiled by one engine, and its imports resolved once for every instance.
pub struct CompiledModule {
    pub module: Arc<Module>,
    pub kind: EngineKind,
    pub origin: Origin,
    instance_pre: OnceCell<InstancePre<HostState>>,
}

impl CompiledModule {
    fn new(module: Arc<Module>, kind: EngineKind, origin: Origin) -> Arc<CompiledModule> {
        Arc::new(CompiledModule {
            module,
            kind,
            origin,
            instance_pre: OnceCell::new(),
        })
    }

    /// The module linked against WASI, made once and reused.
    pub fn instance_pre(&self) -> WasmResult<InstancePre<HostState>> {
        self.instance_pre
            .get_or_try_init(|| prelink(&self.module, self.kind, None))
            .cloned()
    }
}

/// The state of the optimized tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimization {
    /// The current code is optimized.
    Done,
    /// A helper is compiling it.
    Running,
    /// It could not be made (the helper failed or ran out of the compile budget): the
    /// baseline code stays.
    Failed,
}

/// The code instances of a module get for one metering: baseline code until the optimized
/// code is in.
pub struct Tiered {
    current: RwLock<Arc<CompiledModule>>,
    optimization: Mutex<Optimization>,
    changed: Condvar,
}

impl Tiered {
    fn new(code: Arc<CompiledModule>, optimization: Optimization) -> Arc<Tiered> {
        Arc::new(Tiered {
            current: RwLock::new(code),
            optimization: Mutex::new(optimization),
            changed: Condvar::new(),
        })
    }

    /// The code a new instance gets now.
    pub fn current(&self) -> Arc<CompiledModule> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits until the optimized code is in or cannot be made; tells which. Blocking.
    pub fn wait_optimized(&self) -> Optimization {
        let mut state = self.optimization.lock().unwrap_or_else(|p| p.into_inner());
        while *state == Optimization::Running {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        *state
    }

    fn finish(&self, optimized: Option<Arc<CompiledModule>>) {
        let mut state = self.optimization.lock().unwrap_or_else(|p| p.into_inner());
        *state = match optimized {
            Some(code) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = code;
                Optimization::Done
            }
            None => Optimization::Failed,
        };
        self.changed.notify_all();
    }
}

/// Compiles `binary` for `metering` under `budget`: from the cache when it is there, else
/// baseline code now and optimized code in the background (large modules), else optimized
/// code now.
pub fn compile(binary: &Arc<[u8]>, metering: Metering, budget: &Budget) -> WasmResult<Arc<Tiered>> {
    let optimized = EngineKind::optimized(metering);
    let engine = engine_of(optimized)?;
    let key = CacheKey::new(engine, optimized, binary);
    if let Some((module, origin)) = cache::lookup(engine, &key) {
        return Ok(Tiered::new(
            CompiledModule::new(module, optimized, origin),
            Optimization::Done,
        ));
    }
    if binary.len() as u64 >= TIERING_MIN_BYTES.load(Ordering::Relaxed)
        && compile_helper::available()
    {
        if let Some(baseline) = compile_baseline(binary, metering, budget)? {
            let tiered = Tiered::new(baseline, Optimization::Running);
            optimize_in_background(tiered.clone(), binary.clone(), key, budget.clone());
            return Ok(tiered);
        }
    }
    let module = compile_now(optimized, binary, budget, false)?;
    let module = cache::insert(key, module, Store::MemoryAndDisk);
    Ok(Tiered::new(
        CompiledModule::new(module, optimized, Origin::Compiled),
        Optimization::Done,
    ))
}

/// Baseline code, or `None` when Winch cannot compile this module (Cranelift then will, or
/// will say what is wrong with it). Only a budget's refusal is an error.
fn compile_baseline(
    binary: &[u8],
    metering: Metering,
    budget: &Budget,
) -> WasmResult<Option<Arc<CompiledModule>>> {
    let kind = EngineKind {
        tier: Tier::Baseline,
        ..EngineKind::optimized(metering)
    };
    match compile_now(kind, binary, budget, false) {
        Ok(module) => Ok(Some(CompiledModule::new(
            Arc::new(module),
            kind,
            Origin::Compiled,
        ))),
        Err(error) if error.details.limit.is_some() => Err(error),
        Err(_) => Ok(None),
    }
}

/// Compiles here, or in a helper under a time budget or in the `background`.
fn compile_now(
    kind: EngineKind,
    binary: &[u8],
    budget: &Budget,
    background: bool,
) -> WasmResult<Module> {
    let time = budget.time_limit();
    if time.is_none() && !background {
        return Module::new(engine_of(kind)?, binary)
            .map_err(|e| invalid_module(&format!("{e:#}")));
    }
    compile_helper::compile(HelperJob {
        kind,
        binary,
        time,
        background,
    })
}

/// Compiles the optimized code in a helper process at a lower priority, which also writes it
/// to the cache (and, when no time budget bounds it, finishes that even if this process ends
/// first: the next run of the module starts on the optimized code).
fn optimize_in_background(tiered: Arc<Tiered>, binary: Arc<[u8]>, key: CacheKey, budget: Budget) {
    let optimized = EngineKind::optimized(tiered.current().kind.metering);
    let waiting = tiered.clone();
    let spawned = std::thread::Builder::new()
        .name("runtime-wasm-optimize".into())
        .spawn(move || {
            let code = optimize(optimized, &binary, &budget, key)
                .map(|module| CompiledModule::new(module, optimized, Origin::Compiled));
            waiting.finish(code.ok());
        });
    if spawned.is_err() {
        // No thread, no optimization: the baseline code stays.
        tiered.finish(None);
    }
}

/// The optimized code, compiled by a background helper: through the cache directory when
/// caching to disk is on (the helper writes it there, and it is loaded from there, checked
/// like any cache file), else sent back by the helper.
fn optimize(
    kind: EngineKind,
    binary: &[u8],
    budget: &Budget,
    key: CacheKey,
) -> WasmResult<Arc<Module>> {
    let Some(dir) = cache::disk_dir() else {
        let module = compile_now(kind, binary, budget, true)?;
        return Ok(cache::insert(key, module, Store::Memory));
    };
    compile_helper::optimize_into_cache(kind, binary, budget.time_limit(), &dir)?;
    cache::lookup(engine_of(kind)?, &key)
        .map(|(module, _)| module)
        .ok_or_else(|| {
            crate::error::WasmError::new(
                crate::error::ErrorCode::CompileError,
                "the optimized code the helper compiled is not in the cache",
            )
        })
}
