//! An instance's exports: looked up once at instantiation, described for `getExports`.

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::{Extern, Func, Instance, Memory, Mutability, Store, ValType};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::store::HostState;
use crate::runtime::values::{all_plain_bits, from_wasm, type_name, ResultValue};

#[derive(Clone)]
pub struct ExportFunc {
    pub name: Arc<str>,
    pub func: Func,
    pub params: Arc<[ValType]>,
    pub results: Arc<[ValType]>,
    /// Whether every parameter and result is a number or vector (see `all_plain_bits`).
    pub plain_bits: bool,
}

#[derive(Default)]
pub struct Exports {
    /// Exported functions in declaration order; their positions are the function handles
    /// that `resolve_function` hands out.
    functions: Vec<ExportFunc>,
    function_index: HashMap<String, usize>,
    /// Every export in declaration order.
    all: Vec<(String, Extern)>,
    /// The memory `instance.memory` works on: "memory", else the first exported one.
    pub memory: Option<Memory>,
}

pub enum ExportInfo {
    Function {
        name: String,
        params: Vec<String>,
        results: Vec<String>,
    },
    Memory {
        name: String,
        pages: u64,
        minimum: u64,
        maximum: Option<u64>,
    },
    Table {
        name: String,
        element: String,
        size: u64,
        minimum: u64,
        maximum: Option<u64>,
    },
    Global {
        name: String,
        value_type: String,
        mutable: bool,
        value: ResultValue,
    },
    Tag {
        name: String,
    },
}

impl Exports {
    pub fn collect(store: &mut Store<HostState>, instance: &Instance) -> Self {
        let all: Vec<(String, Extern)> = instance
            .exports(&mut *store)
            .map(|export| (export.name().to_string(), export.into_extern()))
            .collect();
        let mut functions = Vec::new();
        let mut function_index = HashMap::new();
        for (name, item) in &all {
            if let Extern::Func(func) = item {
                let ty = func.ty(&*store);
                let params: Arc<[ValType]> = ty.params().collect();
                let results: Arc<[ValType]> = ty.results().collect();
                let export = ExportFunc {
                    name: Arc::from(name.as_str()),
                    func: *func,
                    plain_bits: all_plain_bits(&params) && all_plain_bits(&results),
                    params,
                    results,
                };
                function_index.insert(name.clone(), functions.len());
                functions.push(export);
            }
        }
        let memories = || {
            all.iter()
                .filter_map(|(n, e)| e.clone().into_memory().map(|m| (n, m)))
        };
        let memory = memories()
            .find(|(name, _)| name.as_str() == "memory")
            .or_else(|| memories().next())
            .map(|(_, memory)| memory);
        Exports {
            functions,
            function_index,
            all,
            memory,
        }
    }

    pub fn function(&self, name: &str) -> WasmResult<&ExportFunc> {
        self.function_position(name)
            .and_then(|at| self.function_at(at))
    }

    /// Where the function `name` sits among the exported functions (its handle).
    pub fn function_position(&self, name: &str) -> WasmResult<usize> {
        if let Some(&at) = self.function_index.get(name) {
            return Ok(at);
        }
        let what = match self.all.iter().find(|(n, _)| n == name) {
            Some((_, item)) => format!("export {name:?} is a {}, not a function", kind(item)),
            None => format!("no export named {name:?}"),
        };
        let mut available: Vec<&str> = self.functions.iter().map(|f| &*f.name).collect();
        available.sort_unstable();
        let listed = if available.is_empty() {
            "the module exports no functions".to_string()
        } else {
            format!("exported functions: {}", available.join(", "))
        };
        Err(WasmError::new(
            ErrorCode::ExportNotFound,
            format!("{what}; {listed}"),
        ))
    }

    /// The function behind a handle from `function_position`.
    pub fn function_at(&self, position: usize) -> WasmResult<&ExportFunc> {
        self.functions.get(position).ok_or_else(|| {
            WasmError::new(
                ErrorCode::ExportNotFound,
                format!("no exported function with handle {position}"),
            )
        })
    }

    pub fn describe(&self, store: &mut Store<HostState>) -> Vec<ExportInfo> {
        self.all
            .iter()
            .map(|(name, item)| describe_one(store, name.clone(), item))
            .collect()
    }
}

fn kind(item: &Extern) -> &'static str {
    match item {
        Extern::Func(_) => "function",
        Extern::Memory(_) | Extern::SharedMemory(_) => "memory",
        Extern::Table(_) => "table",
        Extern::Global(_) => "global",
        Extern::Tag(_) => "tag",
    }
}

fn describe_one(store: &mut Store<HostState>, name: String, item: &Extern) -> ExportInfo {
    match item {
        Extern::Func(func) => {
            let ty = func.ty(&*store);
            ExportInfo::Function {
                name,
                params: ty.params().map(|t| type_name(&t)).collect(),
                results: ty.results().map(|t| type_name(&t)).collect(),
            }
        }
        Extern::Memory(memory) => {
            let ty = memory.ty(&*store);
            ExportInfo::Memory {
                name,
                pages: memory.size(&*store),
                minimum: ty.minimum(),
                maximum: ty.maximum(),
            }
        }
        Extern::SharedMemory(memory) => {
            let ty = memory.ty();
            ExportInfo::Memory {
                name,
                pages: memory.size(),
                minimum: ty.minimum(),
                maximum: ty.maximum(),
            }
        }
        Extern::Table(table) => {
            let ty = table.ty(&*store);
            ExportInfo::Table {
                name,
                element: type_name(&ValType::Ref(ty.element().clone())),
                size: table.size(&*store),
                minimum: ty.minimum(),
                maximum: ty.maximum(),
            }
        }
        Extern::Global(global) => {
            let ty = global.ty(&*store);
            ExportInfo::Global {
                name,
                value_type: type_name(ty.content()),
                mutable: ty.mutability() == Mutability::Var,
                value: from_wasm(&global.get(&mut *store)),
            }
        }
        Extern::Tag(_) => ExportInfo::Tag { name },
    }
}
