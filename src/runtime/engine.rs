//! The process-wide wasmtime engines, and the epoch ticker that lets long calls yield.
//!
//! Engines differ in two ways. Metering: code run without a fuel limit comes from an engine
//! that does not count fuel, and pays nothing for it. Tier: the optimizing compiler
//! (Cranelift) makes the fastest code; the baseline compiler (Winch) compiles several times
//! faster, into slower code, and lets a large module start running while the optimized code is
//! compiled in the background (see `module.rs`). A module and the stores of its instances
//! belong to one engine.
//!
//! Every store uses epoch interruption: the ticker advances the engine's epoch once a
//! millisecond while any call is running, and each store's deadline callback decides whether
//! the running code yields to the executor, keeps going, or stops. The ticker sleeps while no
//! call is running, so an idle process pays nothing for it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use once_cell::sync::OnceCell;
use wasmtime::{Config, Engine};

use crate::error::{ErrorCode, WasmError, WasmResult};

pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// What compiled code checks as it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metering {
    /// The epoch only: deadlines, aborts and `drop()` stop it.
    Off,
    /// The epoch and fuel.
    Fuel,
    /// Nothing: code of a module compiled `trusted`, at full speed, that nothing can stop
    /// while it runs (only at a wait for the host).
    Trusted,
}

/// Which compiler makes an engine's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Cranelift: the fastest code.
    Optimized,
    /// Winch: compiled in a fraction of the time; no GC, exceptions or tail calls.
    Baseline,
}

/// One of the process's engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EngineKind {
    pub metering: Metering,
    pub tier: Tier,
    /// Whether its stores run concurrent (async) components, which WASI 0.3 needs. Such a
    /// store takes every component call through wasmtime's concurrent machinery, several
    /// times the cost of a plain call, so only the code of components that use async gets it.
    pub concurrent: bool,
}

impl EngineKind {
    pub const fn optimized(metering: Metering) -> EngineKind {
        EngineKind {
            metering,
            tier: Tier::Optimized,
            concurrent: false,
        }
    }

    /// The name a helper process is told (see `compile_helper`).
    pub fn name(self) -> &'static str {
        let index = self.index();
        KIND_NAMES[index]
    }

    pub fn from_name(name: &str) -> Option<EngineKind> {
        ALL_KINDS.into_iter().find(|kind| kind.name() == name)
    }

    /// 0 to 11: where this engine's things are kept in arrays of `ENGINE_KINDS`.
    pub fn index(self) -> usize {
        (self.metering as usize) * 4 + (self.tier as usize) * 2 + usize::from(self.concurrent)
    }
}

/// How many engines there can be (engines are made when first used).
pub const ENGINE_KINDS: usize = 12;

const ALL_KINDS: [EngineKind; ENGINE_KINDS] = {
    const fn kind(metering: Metering, tier: Tier, concurrent: bool) -> EngineKind {
        EngineKind {
            metering,
            tier,
            concurrent,
        }
    }
    [
        kind(Metering::Off, Tier::Optimized, false),
        kind(Metering::Off, Tier::Optimized, true),
        kind(Metering::Off, Tier::Baseline, false),
        kind(Metering::Off, Tier::Baseline, true),
        kind(Metering::Fuel, Tier::Optimized, false),
        kind(Metering::Fuel, Tier::Optimized, true),
        kind(Metering::Fuel, Tier::Baseline, false),
        kind(Metering::Fuel, Tier::Baseline, true),
        kind(Metering::Trusted, Tier::Optimized, false),
        kind(Metering::Trusted, Tier::Optimized, true),
        kind(Metering::Trusted, Tier::Baseline, false),
        kind(Metering::Trusted, Tier::Baseline, true),
    ]
};

/// Each kind's name, by `EngineKind::index`.
const KIND_NAMES: [&str; ENGINE_KINDS] = [
    "plain",
    "plain-async",
    "plain-baseline",
    "plain-baseline-async",
    "fuel",
    "fuel-async",
    "fuel-baseline",
    "fuel-baseline-async",
    "trusted",
    "trusted-async",
    "trusted-baseline",
    "trusted-baseline-async",
];

static ENGINES: [OnceCell<Engine>; ENGINE_KINDS] = [const { OnceCell::new() }; ENGINE_KINDS];
static TICKER_STARTED: OnceCell<()> = OnceCell::new();
static TICKER: EpochTicker = EpochTicker {
    active_calls: AtomicUsize::new(0),
    parked: AtomicBool::new(false),
    idle: Mutex::new(()),
    wake: Condvar::new(),
};

pub fn engine_of(kind: EngineKind) -> WasmResult<&'static Engine> {
    let engine = ENGINES[kind.index()].get_or_try_init(|| {
        Engine::new(&engine_config(kind)).map_err(|e| {
            WasmError::new(
                ErrorCode::CompileError,
                format!("cannot create the wasmtime engine: {e:#}"),
            )
        })
    })?;
    TICKER_STARTED.get_or_try_init(start_ticker)?;
    Ok(engine)
}

/// An engine that could not be made, seen by an instantiation rather than a compile.
pub fn instantiating(mut error: WasmError) -> WasmError {
    error.code = ErrorCode::InstantiateError;
    error
}

fn engine_config(kind: EngineKind) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(kind.metering != Metering::Trusted);
    // File and line in backtraces for modules that carry DWARF (read only for those).
    config.wasm_backtrace_details(wasmtime::WasmBacktraceDetails::Enable);
    config.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(crate::error::MAX_FRAMES));
    // A trap keeps what a core dump needs (handles to the store's memories and globals, the
    // stack); only an instance with coredumpOnTrap serializes it.
    config.coredump_on_trap(true);
    if perf_map_asked() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config.consume_fuel(kind.metering == Metering::Fuel);
    if kind.tier == Tier::Baseline {
        config.strategy(wasmtime::Strategy::Winch);
    }
    config.concurrency_support(kind.concurrent);
    if kind.concurrent {
        config.wasm_component_model_async(true);
    }
    config
}

/// `RUNTIME_WASM_PERFMAP=1` (or `runtime-wasm run --perfmap`): compiled functions are listed
/// in /tmp/perf-PID.map, so that `perf` shows wasm function names.
pub const PERF_MAP_ENV_VAR: &str = "RUNTIME_WASM_PERFMAP";

fn perf_map_asked() -> bool {
    std::env::var(PERF_MAP_ENV_VAR).is_ok_and(|value| value.trim() == "1")
}

struct EpochTicker {
    active_calls: AtomicUsize,
    /// Set while the ticker sleeps on `wake`; only then does a new call need to wake it.
    parked: AtomicBool,
    idle: Mutex<()>,
    wake: Condvar,
}

/// Ticks without calls before the ticker parks: calls made back to back never wake it.
const IDLE_TICKS_BEFORE_PARKING: u32 = 100;

fn start_ticker() -> WasmResult<()> {
    std::thread::Builder::new()
        .name("runtime-wasm-epoch".into())
        .spawn(|| {
            let mut idle_ticks = 0;
            loop {
                if TICKER.active_calls.load(Ordering::SeqCst) == 0 {
                    idle_ticks += 1;
                    if idle_ticks > IDLE_TICKS_BEFORE_PARKING {
                        TICKER.park_until_active();
                        idle_ticks = 0;
                    }
                } else {
                    idle_ticks = 0;
                }
                std::thread::sleep(EPOCH_TICK);
                for engine in ENGINES.iter().filter_map(OnceCell::get) {
                    engine.increment_epoch();
                }
            }
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
    fn park_until_active(&self) {
        let mut guard = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        self.parked.store(true, Ordering::SeqCst);
        while self.active_calls.load(Ordering::SeqCst) == 0 {
            guard = self.wake.wait(guard).unwrap_or_else(|p| p.into_inner());
        }
        self.parked.store(false, Ordering::SeqCst);
    }
}

/// Calls running now (on the JS thread's first slice, on the pool, or waiting on the host).
pub fn calls_in_flight() -> usize {
    TICKER.active_calls.load(Ordering::SeqCst)
}

/// Keeps the epoch ticking for as long as it lives; held by every running call.
pub struct ActiveCall(());

impl ActiveCall {
    pub fn start() -> Self {
        // With SeqCst, either this sees `parked` or the parking ticker sees the new count.
        if TICKER.active_calls.fetch_add(1, Ordering::SeqCst) == 0
            && TICKER.parked.load(Ordering::SeqCst)
        {
            // Taking the lock orders this wake-up after the ticker's check, so none is lost.
            let _guard = TICKER.idle.lock().unwrap_or_else(|p| p.into_inner());
            TICKER.wake.notify_one();
        }
        ActiveCall(())
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        TICKER.active_calls.fetch_sub(1, Ordering::SeqCst);
    }
}
