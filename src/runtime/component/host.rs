//! JS functions that implement a component's imports: functions of imported interfaces
//! (`"my:pkg/host": { log(msg) {} }`) and functions the world imports by name. Each call goes
//! to the JS thread through the instance's dispatcher and waits for its answer as a module's
//! host function does (`host::PendingCall`), so the limits of the call stop it while it waits.

use std::sync::Arc;

use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Component, Linker, LinkerInstance, Type, Val};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::component::describe;
use crate::runtime::component::exports::kebab_case;
use crate::runtime::component::host_resources;
use crate::runtime::host::{
    host_gone, refuse_while_holding_js_thread, ComponentArgs, Expected, HostDispatcher, PendingCall,
};
use crate::runtime::store::HostState;

/// The host's functions for a component: (interface, function) of each, in the dispatcher's
/// index order. The interface is empty for a function the world imports by name. The linker
/// knows only the names (see `compiled::Code::instance_pre`); each call finds the dispatcher
/// of its own instance in the store (`HostState::dispatcher`).
#[derive(Default)]
pub struct ComponentHostImports {
    pub functions: Vec<(String, String)>,
    pub dispatcher: Option<Arc<dyn HostDispatcher>>,
}

impl ComponentHostImports {
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }
}

/// Defines the host's functions the component imports; refuses ones it does not import, so a
/// misspelled name is told rather than ignored.
pub fn define_host_imports(
    linker: &mut Linker<HostState>,
    component: &Component,
    host: &ComponentHostImports,
) -> WasmResult<()> {
    let engine = component.engine().clone();
    let ty = component.component_type();
    for (index, (interface, given)) in host.functions.iter().enumerate() {
        let index = index as u32;
        // The function's WIT name: as given, or its kebab-case when given in camelCase.
        let name = &wit_name(&engine, &ty, interface, given);
        let import = if interface.is_empty() {
            name.clone()
        } else {
            format!("{interface}#{name}")
        };
        let func = if interface.is_empty() {
            match ty.get_import(&engine, name).map(|item| item.ty) {
                Some(ComponentItem::ComponentFunc(func)) => func,
                _ => return Err(not_imported(&import)),
            }
        } else {
            let Some(ComponentItem::ComponentInstance(instance)) =
                ty.get_import(&engine, interface).map(|item| item.ty)
            else {
                return Err(not_imported(&import));
            };
            match instance.get_export(&engine, name).map(|item| item.ty) {
                Some(ComponentItem::ComponentFunc(func)) => func,
                _ => return Err(not_imported(&import)),
            }
        };
        let signature = describe::function(name, &func, &Default::default());
        if let Some(crossing) = signature.async_value_crossing() {
            return Err(WasmError::new(
                ErrorCode::InstantiateError,
                format!(
                    "the host function {import} ({}) cannot come from JS: {crossing}, and WASI \
                     0.3's future, stream and error-context values cannot be passed to JS yet",
                    signature.wit
                ),
            ));
        }
        let defined = if interface.is_empty() {
            define_function(&mut linker.root(), name, import.clone(), func, index)
        } else {
            linker.instance(interface).and_then(|mut instance| {
                define_function(&mut instance, name, import.clone(), func, index)
            })
        };
        defined.map_err(|e| {
            WasmError::new(
                ErrorCode::InstantiateError,
                format!("cannot define the host function {import}: {e:#}"),
            )
        })?;
    }
    Ok(())
}

fn wit_name(
    engine: &wasmtime::Engine,
    ty: &wasmtime::component::types::Component,
    interface: &str,
    given: &str,
) -> String {
    let exists = |name: &str| {
        if interface.is_empty() {
            ty.get_import(engine, name).is_some()
        } else {
            matches!(
                ty.get_import(engine, interface).map(|item| item.ty),
                Some(ComponentItem::ComponentInstance(i)) if i.get_export(engine, name).is_some()
            )
        }
    };
    let kebab = kebab_case(given);
    if !exists(given) && exists(&kebab) {
        kebab
    } else {
        given.to_string()
    }
}

fn not_imported(import: &str) -> WasmError {
    WasmError::new(
        ErrorCode::InstantiateError,
        format!(
            "the imports give {import}, which the component does not import (imports name an \
             imported interface, \"pkg:name/interface\", and its functions in kebab-case or \
             camelCase)"
        ),
    )
}

fn define_function(
    linker: &mut LinkerInstance<'_, HostState>,
    name: &str,
    import: String,
    func: ComponentFunc,
    index: u32,
) -> wasmtime::Result<()> {
    let import: Arc<str> = Arc::from(import);
    let types: Arc<[Type]> = func.params().map(|(_, ty)| ty).collect();
    let result = func.results().next();
    linker.func_new_async(name, move |mut store, _, params, results| {
        let import = import.clone();
        let types = types.clone();
        let result = result.clone();
        let expected = Expected::Component(result.clone());
        Box::new(async move {
            refuse_while_holding_js_thread(store.data(), &import)?;
            // The instance's own dispatcher: the linked code is shared by every instance
            // whose host gives the same functions.
            let dispatcher = store.data().dispatcher.clone().ok_or_else(host_gone)?;
            let mut pending = PendingCall::register(import.clone(), expected);
            let upstream = store.data().control.upstream.clone();
            let values = params
                .iter()
                .map(|v| host_resources::to_numbers(&mut store, v.clone()))
                .collect::<wasmtime::Result<Vec<_>>>()?;
            let args = ComponentArgs { values, types };
            if !dispatcher.dispatch_component(index, pending.id, args, &upstream) {
                return Err(wasmtime::Error::new(host_gone()));
            }
            let values: Vec<Val> = pending.wait_for_component().await?;
            if values.len() != results.len() {
                return Err(wasmtime::Error::new(WasmError::new(
                    ErrorCode::CallError,
                    format!("host function {import} returned no value where one was expected"),
                )));
            }
            for ((slot, value), ty) in results.iter_mut().zip(values).zip(&result) {
                *slot = host_resources::from_numbers(&mut store, value, ty)?;
            }
            Ok(())
        })
    })
}
