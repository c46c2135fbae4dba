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

use wasmtime::component::{Func, Instance, Type, Val};
use wasmtime::Store;

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::call::GuestCode;
use crate::runtime::component::describe::{self, Described, Function};
use crate::runtime::component::http_handler::HttpHandler;
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
    /// What the component imports and exports, described.
    pub world: Arc<describe::World>,
    /// The instance itself (for bindings that look up their exports, as wasi:http's do).
    pub instance: Option<Instance>,
}

impl ComponentExports {
    /// The instance's exported functions, described as `described` says (worked out once per
    /// compiled component), typed by the instance's own types.
    pub fn collect(
        store: &mut Store<HostState>,
        instance: &Instance,
        described: &Described,
    ) -> Self {
        let mut functions = HashMap::with_capacity(described.functions.len());
        for (name, description) in &described.functions {
            let func = match name.rsplit_once('#') {
                Some((interface, function)) => instance
                    .get_export_index(&mut *store, None, interface)
                    .and_then(|index| {
                        instance.get_export_index(&mut *store, Some(&index), function)
                    })
                    .and_then(|index| instance.get_func(&mut *store, &index)),
                None => instance.get_func(&mut *store, name.as_str()),
            };
            if let Some(func) = func {
                let exported = exported(store, name, func, description.clone());
                functions.insert(name.clone(), exported);
            }
        }
        ComponentExports {
            functions,
            resources: Arc::default(),
            world: described.world.clone(),
            instance: Some(*instance),
        }
    }

    /// The HTTP handler the component exports: WASI 0.2's `wasi:http/incoming-handler`, or
    /// WASI 0.3's `wasi:http/handler`.
    pub fn http_handler(&self) -> WasmResult<(Arc<str>, HttpHandler)> {
        use crate::runtime::component::http_handler::handler_of;
        let of = |version| {
            self.functions
                .values()
                .find_map(|f| handler_of(f, version, self.instance))
        };
        of(2).or_else(|| of(3)).ok_or_else(|| {
            WasmError::new(
                ErrorCode::ExportNotFound,
                "the component serves no HTTP: it exports neither wasi:http/incoming-handler \
                 (WASI 0.2) nor wasi:http/handler (WASI 0.3)",
            )
        })
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
            let name: String = name.chars().take(200).collect();
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
    name: &str,
    func: Func,
    description: Arc<Function>,
) -> ExportedFn {
    let own = func.ty(store);
    let params = own.params().map(|(_, ty)| ty).collect();
    let result = own.results().next();
    ExportedFn {
        description,
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
