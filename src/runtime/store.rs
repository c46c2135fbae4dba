//! The per-instance wasmtime `Store` and what it carries: WASI state, the resource budget,
//! the fuel tank, and the call control that the epoch callback checks.

use std::sync::Arc;

use wasmtime::{Memory, Store, UpdateDeadline};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::error::WasmResult;
use crate::runtime::budget::Budget;
use crate::runtime::engine::Metering;
use crate::runtime::limits::{CallControl, CancelToken, InstanceLimits};
use crate::wasi::http::HttpHooks;
use crate::wasi::network::NetworkAccess;
use wasmtime_wasi_http::WasiHttpCtx;

/// Epoch ticks a call may run before its first yield (2 so that a tick falling right after
/// the deadline is set does not yield at once).
pub const FIRST_SLICE_TICKS: u64 = 2;

/// Fuel between two yields of metered code (about a millisecond of work or less).
pub const FUEL_YIELD_INTERVAL: u64 = 1_000_000;

pub struct HostState {
    /// `None` for an instance whose module imports no function (see `wasi::unused_context`).
    pub wasi: Option<WasiP1Ctx>,
    pub control: CallControl,
    budget: Budget,
    /// Fuel left for this instance; `None` when it is not metered.
    pub fuel_tank: Option<u64>,
    /// The fuel allowance of the entry into wasm in progress (see `call::arm`).
    pub fuel_allowance: Option<u64>,
    /// The memory host functions see, once the instance exists.
    pub memory: Option<Memory>,
    /// The instance's id, once it exists.
    pub instance_id: Option<Arc<str>>,
    /// Where a trap writes its core dump (`coredumpOnTrap`), checked when the instance was made.
    pub coredump: Option<crate::runtime::coredump::Target>,
    /// The guest profile being taken, if any (see `profile.rs`).
    pub profiling: Option<Box<crate::runtime::profile::Profiling>>,
    /// Where a component's JS host functions are run (see `component::host`).
    pub dispatcher: Option<Arc<dyn crate::runtime::host::HostDispatcher>>,
    /// What a component may reach on the network (nothing unless `network` granted it).
    pub network: Arc<NetworkAccess>,
    http: WasiHttpCtx,
    http_hooks: HttpHooks,
}

impl HostState {
    /// Grants the instance `network`, for its sockets, name lookups and HTTP requests.
    pub fn set_network(&mut self, network: Arc<NetworkAccess>) {
        self.http_hooks.access = network.clone();
        self.network = network;
    }

    /// The last growth the budget refused since the last time this was asked.
    pub fn take_budget_refusal(&mut self) -> Option<crate::runtime::budget::Refusal> {
        self.budget.take_refusal()
    }
}

/// Components reach WASI 0.2 through this view of the same context a module's WASI uses.
impl wasmtime_wasi::WasiView for HostState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        self.wasi
            .get_or_insert_with(crate::wasi::unused_context)
            .ctx()
    }
}

impl crate::wasi::network::NetworkView for HostState {
    fn network(&self) -> &Arc<NetworkAccess> {
        &self.network
    }
}

/// Components reach wasi:http through this view: the WASI context's table, and hooks that
/// check every outgoing request against the grants and stop it with the call.
impl wasmtime_wasi_http::WasiHttpView for HostState {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        let watch = self.control.stop_watch();
        self.http_hooks.stop = Some(Box::new(move || {
            let stopped = watch.clone().stopped();
            Box::pin(async move {
                stopped.await;
            })
        }));
        let wasi =
            wasmtime_wasi::WasiView::ctx(self.wasi.get_or_insert_with(crate::wasi::unused_context));
        wasmtime_wasi_http::WasiHttpCtxView {
            ctx: &mut self.http,
            table: wasi.table,
            hooks: &mut self.http_hooks,
        }
    }
}

pub fn metering_for(limits: &InstanceLimits) -> Metering {
    if limits.fuel.is_some() {
        Metering::Fuel
    } else {
        Metering::Off
    }
}

/// A store for instances of modules compiled by `engine` (the engine of the `limits`'
/// metering, at either tier).
pub fn new_store(
    engine: &wasmtime::Engine,
    wasi: Option<WasiP1Ctx>,
    closed: Arc<CancelToken>,
    limits: &InstanceLimits,
) -> WasmResult<Store<HostState>> {
    let state = HostState {
        wasi,
        control: CallControl::new(closed),
        budget: Budget::new(limits.max_memory_bytes, limits.max_table_elements),
        fuel_tank: limits.fuel,
        fuel_allowance: None,
        memory: None,
        instance_id: None,
        coredump: None,
        profiling: None,
        dispatcher: None,
        network: NetworkAccess::denied(),
        http: WasiHttpCtx::new(),
        http_hooks: HttpHooks {
            access: NetworkAccess::denied(),
            stop: None,
        },
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.budget);
    if let Some(fuel) = limits.fuel {
        // Fuel is only spent by calls, each of which sets its own allowance; instantiation
        // (start functions) draws from the tank the same way.
        let _ = store.set_fuel(fuel);
        // Compiled code keeps its fuel count in a register and stores it only at these
        // yields: without them a call stopped by its deadline or an abort would be charged
        // nothing. So the count is never more than one interval behind.
        let _ = store.fuel_async_yield_interval(Some(FUEL_YIELD_INTERVAL));
    }
    store.epoch_deadline_callback(|mut ctx| {
        if ctx.data().profiling.is_some() {
            crate::runtime::profile::sample(&mut ctx);
        }
        let control = &ctx.data().control;
        control.check().map_err(wasmtime::Error::new)?;
        // Give the executor a turn every tick, so other calls on the pool run in between.
        Ok(if control.may_yield {
            UpdateDeadline::Yield(1)
        } else {
            UpdateDeadline::Continue(1)
        })
    });
    store.set_epoch_deadline(FIRST_SLICE_TICKS);
    Ok(store)
}
