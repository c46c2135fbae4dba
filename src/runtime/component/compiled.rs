//! A compiled component: its code for each metering, from the cache when it is there.

use std::sync::Arc;

use once_cell::sync::OnceCell;
use wasmtime::component::Component;

use crate::cache::{self, CacheKey, Origin, Store};
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::compile_helper::{self, HelperJob};
use crate::runtime::compile_limits::Budget;
use crate::runtime::component::concurrency;
use crate::runtime::engine::{engine_of, EngineKind, Metering};

/// A component in the module registry (see `module::Compiled`).
pub struct ComponentEntry {
    source: Arc<[u8]>,
    budget: Budget,
    /// Compiled without interruption checks (`trusted`).
    trusted: bool,
    /// Its code for instances without fuel (checking the epoch, or nothing when trusted).
    plain: Code,
    metered: OnceCell<Code>,
}

/// Code compiled by one engine.
#[derive(Clone)]
pub struct Code {
    pub component: Arc<Component>,
    pub kind: EngineKind,
    pub origin: Origin,
}

impl ComponentEntry {
    /// Compiles `binary` (already checked against `budget`'s size and function bounds).
    pub fn compile(
        binary: Arc<[u8]>,
        budget: Budget,
        trusted: bool,
        fuel: bool,
    ) -> WasmResult<Self> {
        let metering = if trusted {
            Metering::Trusted
        } else {
            Metering::Off
        };
        let plain = compile(&binary, metering, &budget)?;
        let entry = ComponentEntry {
            source: binary,
            budget,
            trusted,
            plain,
            metered: OnceCell::new(),
        };
        if fuel && !trusted {
            entry.code(Metering::Fuel)?;
        }
        Ok(entry)
    }

    /// The code instances of `metering` run.
    pub fn code(&self, metering: Metering) -> WasmResult<Code> {
        match (metering, self.trusted) {
            (Metering::Off, false) | (Metering::Trusted, true) => Ok(self.plain.clone()),
            (Metering::Fuel, false) => self
                .metered
                .get_or_try_init(|| compile(&self.source, Metering::Fuel, &self.budget))
                .cloned(),
            _ => Err(WasmError::new(
                ErrorCode::InstantiateError,
                "a component compiled trusted runs only without fuel, and one compiled without \
                 trusted never runs unchecked",
            )),
        }
    }

    /// What the component imports and exports, with WIT types.
    pub fn world(&self) -> WasmResult<crate::runtime::component::describe::World> {
        let component = &self.plain.component;
        Ok(crate::runtime::component::describe::world(
            component.engine(),
            component,
        ))
    }

    pub fn trusted(&self) -> bool {
        self.trusted
    }

    pub fn origin(&self) -> Origin {
        self.plain.origin
    }
}

/// Optimized code for `metering`: from the cache, else compiled here (or in a helper under a
/// time budget) and cached. Components get no baseline tier. A component that uses async
/// gets the concurrent engine; one the scan took for plain, but that needs it, too.
fn compile(binary: &Arc<[u8]>, metering: Metering, budget: &Budget) -> WasmResult<Code> {
    let plain = EngineKind::optimized(metering);
    if concurrency::uses_async(binary) {
        return compile_for(
            binary,
            EngineKind {
                concurrent: true,
                ..plain
            },
            budget,
        );
    }
    compile_for(binary, plain, budget).or_else(|error| {
        if error.details.limit.is_some() {
            return Err(error);
        }
        compile_for(
            binary,
            EngineKind {
                concurrent: true,
                ..plain
            },
            budget,
        )
        .map_err(|_| error)
    })
}

fn compile_for(binary: &Arc<[u8]>, kind: EngineKind, budget: &Budget) -> WasmResult<Code> {
    let engine = engine_of(kind)?;
    let key = CacheKey::new(engine, kind, binary);
    if let Some((component, origin)) = cache::lookup::<Component>(engine, &key) {
        return Ok(Code {
            component,
            kind,
            origin,
        });
    }
    let component = match budget.time_limit() {
        None => Component::new(engine, binary).map_err(|e| invalid_component(&format!("{e:#}")))?,
        time => compile_helper::compile_component(HelperJob {
            kind,
            binary,
            time,
            background: false,
        })?,
    };
    Ok(Code {
        component: cache::insert(key, component, Store::MemoryAndDisk),
        kind,
        origin: Origin::Compiled,
    })
}

fn invalid_component(detail: &str) -> WasmError {
    let mut error = crate::runtime::module::invalid_module(detail);
    error.message = error.message.replacen(
        "invalid WebAssembly module",
        "invalid WebAssembly component",
        1,
    );
    error
}
