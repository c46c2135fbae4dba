//! A component instance's exported functions, by name, and the guest code that calls one.
//!
//! Names: a function the world exports is called by its own name (`greet`); a function of an
//! exported interface by the interface's name, `#`, and the function's name
//! (`my:pkg/api@1.0.0#transform`), resources' functions included
//! (`my:pkg/api#[method]counter.increment`, `[constructor]counter`, `[static]counter.merge`).
//! The function part may also be given in camelCase (`my:pkg/api#echoString`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Func, Instance, Type, Val};
use wasmtime::Store;

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::call::GuestCode;
use crate::runtime::component::describe::{self, Function, ResourceNames};
use crate::runtime::component::resources::ResourceTable;
use crate::runtime::store::HostState;

/// An exported function, with its WIT types.
#[derive(Clone)]
pub struct ExportedFn {
    pub name: Arc<str>,
    pub func: Func,
    pub params: Arc<[Type]>,
    pub result: Option<Type>,
    pub description: Arc<Function>,
}

#[derive(Default)]
pub struct ComponentExports {
    functions: HashMap<String, ExportedFn>,
    /// The resources JS holds of this instance.
    pub resources: Arc<ResourceTable>,
    /// Every export (functions and interfaces), described, in the component's order.
    pub items: Vec<describe::Item>,
}

impl ComponentExports {
    pub fn collect(
        store: &mut Store<HostState>,
        instance: &Instance,
        component: &wasmtime::component::Component,
    ) -> Self {
        let engine = store.engine().clone();
        let world = describe::world(&engine, component);
        let mut names = ResourceNames::default();
        let ty = component.component_type();
        for (_, item) in ty.imports(&engine).chain(ty.exports(&engine)) {
            if let ComponentItem::ComponentInstance(inner) = &item.ty {
                names.collect(&engine, inner);
            }
        }
        let mut functions = HashMap::new();
        for (name, item) in ty.exports(&engine) {
            match item.ty {
                ComponentItem::ComponentFunc(ty) => {
                    if let Some(func) = instance.get_func(&mut *store, name) {
                        let exported = exported(store, name.to_string(), func, &ty, &names);
                        functions.insert(name.to_string(), exported);
                    }
                }
                ComponentItem::ComponentInstance(inner) => {
                    let Some(index) = instance.get_export_index(&mut *store, None, name) else {
                        continue;
                    };
                    for (fname, item) in inner.exports(&engine) {
                        let ComponentItem::ComponentFunc(ty) = item.ty else {
                            continue;
                        };
                        let func = instance
                            .get_export_index(&mut *store, Some(&index), fname)
                            .and_then(|f| instance.get_func(&mut *store, &f));
                        if let Some(func) = func {
                            let full = format!("{name}#{fname}");
                            functions
                                .insert(full.clone(), exported(store, full, func, &ty, &names));
                        }
                    }
                }
                _ => {}
            }
        }
        ComponentExports {
            functions,
            resources: Arc::default(),
            items: world.exports,
        }
    }

    /// The function called `name` (see the module's doc for the names).
    pub fn function(&self, name: &str) -> WasmResult<&ExportedFn> {
        if let Some(found) = self.functions.get(name) {
            return Ok(found);
        }
        let kebab = kebab_case_function(name);
        self.functions.get(&kebab).ok_or_else(|| {
            let mut known: Vec<&str> = self.functions.keys().map(String::as_str).collect();
            known.sort_unstable();
            let shown = known
                .iter()
                .take(12)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            WasmError::new(
                ErrorCode::ExportNotFound,
                format!(
                    "the component exports no function named {name:?} (its functions: {shown}{})",
                    if known.len() > 12 { ", ..." } else { "" }
                ),
            )
        })
    }
}

/// An exported function: described by the component's type (which names its resources),
/// converted by its instance's own type (whose resource types are this instance's).
fn exported(
    store: &Store<HostState>,
    name: String,
    func: Func,
    ty: &wasmtime::component::types::ComponentFunc,
    names: &ResourceNames,
) -> ExportedFn {
    let own = func.ty(store);
    let params = own.params().map(|(_, ty)| ty).collect();
    let result = own.results().next();
    ExportedFn {
        description: Arc::new(describe::function(&name, ty, names)),
        name: Arc::from(name),
        func,
        params,
        result,
    }
}

/// `echoString` -> `echo-string`.
pub fn kebab_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `pkg:a/b#echoString` -> `pkg:a/b#echo-string` (only the part after the last `#`, or the
/// whole name when there is none).
fn kebab_case_function(name: &str) -> String {
    let (prefix, function) = match name.rfind('#') {
        Some(at) => name.split_at(at + 1),
        None => ("", name),
    };
    format!("{prefix}{}", kebab_case(function))
}

/// A component's exported function, called with these arguments.
pub struct CallComponentExport {
    pub func: Func,
    pub params: Vec<Val>,
    pub result_count: usize,
}

impl GuestCode for CallComponentExport {
    type Output = Vec<Val>;

    fn run(
        self,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Vec<Val>>> + Send + '_ {
        async move {
            let mut results = vec![Val::Bool(false); self.result_count];
            self.func
                .call_async(&mut *store, &self.params, &mut results)
                .await?;
            Ok(results)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::kebab_case_function;

    #[test]
    fn camel_case_function_names_become_kebab_case() {
        assert_eq!(kebab_case_function("greet"), "greet");
        assert_eq!(kebab_case_function("echoString"), "echo-string");
        assert_eq!(kebab_case_function("a:b/c#echoString"), "a:b/c#echo-string");
        assert_eq!(kebab_case_function("a:b/c@1.0.0#x"), "a:b/c@1.0.0#x");
    }
}
