//! Links components against WASI 0.2 (wasi:cli, filesystem, clocks, random, io) and WASI 0.3
//! (wasi:cli, filesystem, clocks, random: wasmtime-wasi's implementation, which it calls
//! experimental), and the host's imports. Sockets are linked but every address and name
//! lookup is refused: the context grants none.

use once_cell::sync::OnceCell;
use wasmtime::component::{Component, InstancePre, Linker};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::component::host::{define_host_imports, ComponentHostImports};
use crate::runtime::engine::{engine_of, instantiating, EngineKind, ENGINE_KINDS};
use crate::runtime::host::UnknownImports;
use crate::runtime::store::HostState;

/// The WASI linker of each engine, by `EngineKind::index`.
static LINKERS: [OnceCell<Linker<HostState>>; ENGINE_KINDS] =
    [const { OnceCell::new() }; ENGINE_KINDS];

fn wasi_linker(kind: EngineKind) -> WasmResult<&'static Linker<HostState>> {
    LINKERS[kind.index()].get_or_try_init(|| {
        let mut linker = Linker::new(engine_of(kind).map_err(instantiating)?);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .and_then(|()| crate::wasi::special_files::add_to_component_linker(&mut linker))
            .and_then(|()| {
                // WASI 0.3 is async: only concurrent engines' components can import it.
                if !kind.concurrent {
                    return Ok(());
                }
                wasmtime_wasi::p3::add_to_linker(&mut linker)?;
                crate::wasi::special_files::add_to_component_linker_p3(&mut linker)
            })
            .map_err(|e| {
                WasmError::new(
                    ErrorCode::InstantiateError,
                    format!("cannot link WASI 0.2 and 0.3: {e:#}"),
                )
            })?;
        Ok(linker)
    })
}

/// Resolves every import of `component` (compiled by the engine of `kind`): WASI 0.2, then the
/// host's imports, then, if asked, traps for whatever is left.
pub fn prelink(
    component: &Component,
    kind: EngineKind,
    host: &ComponentHostImports,
    unknown: UnknownImports,
) -> WasmResult<InstancePre<HostState>> {
    if unknown == UnknownImports::Default {
        return Err(WasmError::new(
            ErrorCode::InstantiateError,
            "unknownImports: \"default\" is for modules: a component's imports return typed \
             values (strings, records, resources) that have no zero; use \"trap\"",
        ));
    }
    let wasi = wasi_linker(kind)?;
    let mut linker;
    let linker = if host.is_empty() && unknown == UnknownImports::Fail {
        wasi
    } else {
        linker = wasi.clone();
        linker.allow_shadowing(true);
        define_host_imports(&mut linker, component, host)?;
        if unknown != UnknownImports::Fail {
            linker
                .define_unknown_imports_as_traps(component)
                .map_err(|e| link_error(&e))?;
        }
        &linker
    };
    linker
        .instantiate_pre(component)
        .map_err(|e| link_error(&e))
}

fn link_error(e: &wasmtime::Error) -> WasmError {
    WasmError::new(
        ErrorCode::InstantiateError,
        format!(
            "cannot link the component's imports: {} (give it from the host: \
             instantiate(id, config, {{ \"pkg:name/interface\": {{ fn() {{}} }} }}))",
            one_line(&format!("{e:#}"))
        ),
    )
}

fn one_line(text: &str) -> String {
    text.split('\n').collect::<Vec<_>>().join(": ")
}
