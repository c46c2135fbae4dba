//! A compiled component: its code for each metering, from the cache when it is there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use once_cell::sync::OnceCell;
use wasmtime::component::{Component, InstancePre};

use crate::cache::{self, CacheKey, Origin, Store};
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::compile_helper::{self, HelperJob};
use crate::runtime::compile_limits::Budget;
use crate::runtime::component::concurrency;
use crate::runtime::component::describe::{self, Described};
use crate::runtime::component::host::ComponentHostImports;
use crate::runtime::component::linker::prelink;
use crate::runtime::engine::{engine_of, EngineKind, Metering};
use crate::runtime::host::UnknownImports;
use crate::runtime::store::HostState;

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
    /// The component linked for each set of host functions (and unknown-import mode) seen.
    linked: Arc<Mutex<HashMap<LinkKey, InstancePre<HostState>>>>,
    described: Arc<OnceCell<Described>>,
}

/// What a link depends on: the host functions' names in order, and `unknownImports`.
type LinkKey = (Vec<(String, String)>, UnknownImports);

/// Links kept per component: a host that gives ever different functions gets no more.
const LINKS_KEPT: usize = 16;

impl Code {
    fn new(component: Arc<Component>, kind: EngineKind, origin: Origin) -> Code {
        Code {
            component,
            kind,
            origin,
            linked: Arc::default(),
            described: Arc::default(),
        }
    }

    /// Its world and exported functions, described (once).
    pub fn described(&self) -> &Described {
        self.described
            .get_or_init(|| describe::described(self.component.engine(), &self.component))
    }

    /// The component linked against WASI and `host`'s functions: made once per set of
    /// functions, then reused (typing a component's imports costs more than instantiating).
    pub fn instance_pre(
        &self,
        host: &ComponentHostImports,
        unknown: UnknownImports,
    ) -> WasmResult<InstancePre<HostState>> {
        let key = (host.functions.clone(), unknown);
        let mut linked = self.linked.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pre) = linked.get(&key) {
            return Ok(pre.clone());
        }
        let pre = prelink(&self.component, self.kind, host, unknown)?;
        if linked.len() >= LINKS_KEPT {
            linked.clear();
        }
        linked.insert(key, pre.clone());
        Ok(pre)
    }
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
    pub fn world(&self) -> Arc<describe::World> {
        self.plain.described().world.clone()
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
        return Ok(Code::new(component, kind, origin));
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
    Ok(Code::new(
        cache::insert(key, component, Store::MemoryAndDisk),
        kind,
        Origin::Compiled,
    ))
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
