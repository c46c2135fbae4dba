//! Links components against WASI 0.2 (wasi:cli, filesystem, clocks, random, io, sockets,
//! http) and WASI 0.3 (the same: wasmtime-wasi's implementation, which it calls
//! experimental), and the host's imports. Sockets, name lookups and HTTP requests reach only
//! what the instance's `network` grants (`wasi::network`, `wasi::name_lookup`, `wasi::http`).

use once_cell::sync::OnceCell;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, InstancePre, Linker, ResourceType};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::component::exports::kebab_case;
use crate::runtime::component::host::{define_host_imports, ComponentHostImports};
use crate::runtime::component::host_resources::js_resource_type;
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
            .and_then(|()| wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker))
            .and_then(|()| crate::wasi::special_files::add_to_component_linker(&mut linker))
            .and_then(|()| crate::wasi::name_lookup::add_to_component_linker(&mut linker))
            .and_then(|()| {
                // WASI 0.3 is async: only concurrent engines' components can import it.
                if !kind.concurrent {
                    return Ok(());
                }
                wasmtime_wasi::p3::add_to_linker(&mut linker)?;
                wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
                crate::wasi::special_files::add_to_component_linker_p3(&mut linker)?;
                crate::wasi::name_lookup::add_to_component_linker_p3(&mut linker)
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
        define_host_resources(&mut linker, component, kind, host)?;
        if unknown == UnknownImports::Trap {
            define_unknown_as_traps(&mut linker, component, kind, host)?;
        }
        &linker
    };
    linker
        .instantiate_pre(component)
        .map_err(|e| link_error(&e))
}

/// Makes every import that neither WASI nor the host gives trap when called: its functions,
/// and stand-ins for its resources. A resource such an interface takes from WASI (wasi:http's
/// `input-stream` is wasi:io's) gets WASI's own type. (wasmtime's own
/// `define_unknown_imports_as_traps` also redefines what the WASI linker has, which then fails
/// to type-check.)
fn define_unknown_as_traps(
    linker: &mut Linker<HostState>,
    component: &Component,
    kind: EngineKind,
    host: &ComponentHostImports,
) -> WasmResult<()> {
    let engine = component.engine();
    let given = |interface: &str, name: &str| {
        host.functions
            .iter()
            .any(|(i, n)| i == interface && (n == name || kebab_case(n) == name))
    };
    let imports = component.component_type();
    let from_wasi = wasi_resources(component, kind);
    for (name, item) in imports.imports(engine) {
        if wasi_provides(name, kind) {
            continue;
        }
        let defined = match item.ty {
            ComponentItem::ComponentFunc(_) if !given("", name) => {
                linker.root().func_new(name, trap_for(name.to_string()))
            }
            ComponentItem::ComponentInstance(instance) => {
                linker.instance(name).and_then(|mut stubs| {
                    for (export, item) in instance.exports(engine) {
                        match item.ty {
                            ComponentItem::ComponentFunc(_) if !given(name, export) => {
                                stubs.func_new(export, trap_for(format!("{name}#{export}")))?
                            }
                            ComponentItem::Resource(ty) => {
                                let host = from_wasi
                                    .iter()
                                    .find(|(wasi, _)| *wasi == ty)
                                    .map_or(ResourceType::host::<UnknownResource>(), |(_, h)| *h);
                                stubs.resource(export, host, |_, _| Ok(()))?
                            }
                            _ => {}
                        }
                    }
                    Ok(())
                })
            }
            _ => Ok(()),
        };
        defined.map_err(|e| link_error(&e))?;
    }
    Ok(())
}

/// Defines the resources of the interfaces the host gives functions for: JS objects stand
/// behind them (see `host_resources`), except those the interface shares with WASI.
fn define_host_resources(
    linker: &mut Linker<HostState>,
    component: &Component,
    kind: EngineKind,
    host: &ComponentHostImports,
) -> WasmResult<()> {
    let engine = component.engine();
    let from_wasi = wasi_resources(component, kind);
    let mut interfaces: Vec<&str> = host.functions.iter().map(|(i, _)| i.as_str()).collect();
    interfaces.sort_unstable();
    interfaces.dedup();
    for interface in interfaces.into_iter().filter(|i| !i.is_empty()) {
        let Some(ComponentItem::ComponentInstance(instance)) = component
            .component_type()
            .get_import(engine, interface)
            .map(|item| item.ty)
        else {
            continue;
        };
        let defined = linker.instance(interface).and_then(|mut resources| {
            for (export, item) in instance.exports(engine) {
                if let ComponentItem::Resource(ty) = item.ty {
                    let host_type = from_wasi
                        .iter()
                        .find(|(wasi, _)| *wasi == ty)
                        .map_or_else(js_resource_type, |(_, h)| *h);
                    resources.resource(export, host_type, |_, _| Ok(()))?;
                }
            }
            Ok(())
        });
        defined.map_err(|e| link_error(&e))?;
    }
    Ok(())
}

/// The resources of the WASI interfaces the component imports, with the host types the WASI
/// linker gives them.
fn wasi_resources(component: &Component, kind: EngineKind) -> Vec<(ResourceType, ResourceType)> {
    use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable, IoError};
    let engine = component.engine();
    let mut found = Vec::new();
    for (name, item) in component.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        if !wasi_provides(name, kind) {
            continue;
        }
        let interface = name.split('@').next().unwrap_or(name);
        for (export, item) in instance.exports(engine) {
            let ComponentItem::Resource(ty) = item.ty else {
                continue;
            };
            let host = match (interface, export) {
                ("wasi:io/poll", "pollable") => ResourceType::host::<DynPollable>(),
                ("wasi:io/streams", "input-stream") => ResourceType::host::<DynInputStream>(),
                ("wasi:io/streams", "output-stream") => ResourceType::host::<DynOutputStream>(),
                ("wasi:io/error", "error") => ResourceType::host::<IoError>(),
                ("wasi:filesystem/types", "descriptor") => {
                    ResourceType::host::<wasmtime_wasi::filesystem::Descriptor>()
                }
                _ => continue,
            };
            found.push((ty, host));
        }
    }
    found
}

/// The stand-in type of a resource nobody gives (none is ever made: its functions trap).
struct UnknownResource;

/// Whether `name` is an interface of the WASI this engine's linker has.
fn wasi_provides(name: &str, kind: EngineKind) -> bool {
    let Some(rest) = name.strip_prefix("wasi:") else {
        return false;
    };
    let (package, version) = match (rest.split_once('/'), rest.split_once('@')) {
        (Some((package, _)), Some((_, version))) => (package, version),
        _ => return false,
    };
    let linked = ["cli", "filesystem", "clocks", "random", "io", "sockets"];
    // Of wasi:http, the interfaces a component imports to make requests (its handler is an
    // export).
    let http = [
        "wasi:http/types@",
        "wasi:http/outgoing-handler@0.2.",
        "wasi:http/client@0.3.",
    ];
    (linked.contains(&package) || http.iter().any(|prefix| name.starts_with(prefix)))
        && (version.starts_with("0.2.") || (kind.concurrent && version.starts_with("0.3.")))
}

fn trap_for(
    import: String,
) -> impl Fn(
    wasmtime::StoreContextMut<'_, HostState>,
    wasmtime::component::types::ComponentFunc,
    &[wasmtime::component::Val],
    &mut [wasmtime::component::Val],
) -> wasmtime::Result<()>
       + Send
       + Sync
       + 'static {
    move |_, _, _, _| {
        Err(wasmtime::Error::msg(format!(
            "the component called {import}, an import nothing provides (unknownImports: \"trap\")"
        )))
    }
}

fn link_error(e: &wasmtime::Error) -> WasmError {
    WasmError::new(
        ErrorCode::InstantiateError,
        format!(
            "cannot link the component's imports: {} (give it from the host: \
             instantiate(id, {{ imports: {{ \"pkg:name/interface\": {{ fn() {{}} }} }} }}), or \
             make what nobody gives trap with unknownImports: \"trap\")",
            one_line(&format!("{e:#}"))
        ),
    )
}

fn one_line(text: &str) -> String {
    text.split('\n').collect::<Vec<_>>().join(": ")
}
