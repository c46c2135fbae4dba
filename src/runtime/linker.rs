//! Links modules against WASI preview 1 and reports imports nothing can satisfy.

use once_cell::sync::OnceCell;
use wasmtime::{InstancePre, Linker, Module, UnknownImportError, Val};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::engine::{engine_of, instantiating, EngineKind, ENGINE_KINDS};
use crate::runtime::host::{define, HostImports, UnknownImports};
use crate::runtime::store::HostState;
use crate::wasi::{exit, special_files, unused_context};

/// The WASI linker of each engine, by `EngineKind::index`.
static LINKERS: [OnceCell<Linker<HostState>>; ENGINE_KINDS] =
    [const { OnceCell::new() }; ENGINE_KINDS];

fn wasi_linker(kind: EngineKind) -> WasmResult<&'static Linker<HostState>> {
    LINKERS[kind.index()].get_or_try_init(|| {
        let mut linker = Linker::new(engine_of(kind).map_err(instantiating)?);
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, wasi_of)
            .and_then(|()| special_files::add_to_linker(&mut linker, wasi_of))
            .and_then(|()| exit::add_to_linker(&mut linker))
            .map_err(|e| {
                WasmError::new(
                    ErrorCode::InstantiateError,
                    format!("cannot link WASI: {e:#}"),
                )
            })?;
        Ok(linker)
    })
}

/// The WASI context of a store (an empty sandbox's, made on first use, for an instance
/// built without one).
fn wasi_of(state: &mut HostState) -> &mut WasiP1Ctx {
    state.wasi.get_or_insert_with(unused_context)
}

/// Resolves every import of `module` (compiled by the engine of `kind`): WASI, plus the
/// host's imports when given.
pub fn prelink(
    module: &Module,
    kind: EngineKind,
    host: Option<&HostImports>,
) -> WasmResult<InstancePre<HostState>> {
    let wasi = wasi_linker(kind)?;
    let with_host;
    let linker = match host {
        Some(imports) => {
            let mut linker = wasi.clone();
            define(&mut linker, module, imports)?;
            define_unknown(&mut linker, module, imports.unknown)?;
            with_host = linker;
            &with_host
        }
        None => wasi,
    };
    linker.instantiate_pre(module).map_err(|e| {
        let message = match e.downcast_ref::<UnknownImportError>() {
            Some(unknown) => format!(
                "unsatisfied import {}::{} ({}): no such host function or WASI import",
                unknown.module(),
                unknown.name(),
                describe_extern_type(unknown.ty()),
            ),
            None => format!("cannot link the module's imports: {e:#}"),
        };
        WasmError::new(ErrorCode::InstantiateError, message)
    })
}

/// Defines each function import `linker` lacks as `unknown` says; other kinds of imports stay
/// unsatisfied (instantiating names them). The linker tells which import is missing one at a
/// time, so this asks until none is (a few lookups per import; only with `unknownImports`).
fn define_unknown(
    linker: &mut Linker<HostState>,
    module: &Module,
    unknown: UnknownImports,
) -> WasmResult<()> {
    if unknown == UnknownImports::Fail {
        return Ok(());
    }
    for _ in module.imports() {
        let Err(e) = linker.instantiate_pre(module) else {
            return Ok(());
        };
        let Some(missing) = e.downcast_ref::<UnknownImportError>() else {
            return Ok(()); // another failure: `prelink` reports it
        };
        let wasmtime::ExternType::Func(ty) = missing.ty() else {
            return Ok(());
        };
        let (from, name) = (missing.module().to_string(), missing.name().to_string());
        let defined = match unknown {
            UnknownImports::Trap => {
                let what = format!("{from}::{name}");
                linker.func_new(&from, &name, ty, move |_, _, _| {
                    Err(wasmtime::Error::msg(format!(
                        "the module called {what}, an import nothing provides \
                         (unknownImports: \"trap\")"
                    )))
                })
            }
            _ => linker.func_new(&from, &name, ty.clone(), move |_, _, results| {
                for (result, ty) in results.iter_mut().zip(ty.results()) {
                    *result = Val::default_for_ty(&ty).unwrap_or(Val::I32(0));
                }
                Ok(())
            }),
        };
        defined.map_err(|e| {
            WasmError::new(
                ErrorCode::InstantiateError,
                format!("cannot define the unknown import {from}::{name}: {e:#}"),
            )
        })?;
    }
    Ok(())
}

fn describe_extern_type(ty: wasmtime::ExternType) -> String {
    match ty {
        wasmtime::ExternType::Func(f) => format!("function {f}"),
        wasmtime::ExternType::Global(_) => "global".into(),
        wasmtime::ExternType::Table(_) => "table".into(),
        wasmtime::ExternType::Memory(_) => "memory".into(),
        wasmtime::ExternType::Tag(_) => "tag".into(),
    }
}
