//! A compiled module's imports and exports with their types, read before any instance exists
//! (`moduleImports` / `moduleExports`).

use wasmtime::{ExternType, Module, Mutability, ValType};

use crate::runtime::values::type_name;

/// An import or an export of a module.
pub struct Item {
    /// The module an import comes from; `None` for an export.
    pub module: Option<String>,
    pub name: String,
    pub ty: ItemType,
}

pub enum ItemType {
    Function {
        params: Vec<String>,
        results: Vec<String>,
    },
    Memory {
        minimum: u64,
        maximum: Option<u64>,
        shared: bool,
        memory64: bool,
    },
    Table {
        element: String,
        minimum: u64,
        maximum: Option<u64>,
    },
    Global {
        value_type: String,
        mutable: bool,
    },
    Tag,
}

pub fn imports(module: &Module) -> Vec<Item> {
    module
        .imports()
        .map(|import| Item {
            module: Some(import.module().to_string()),
            name: import.name().to_string(),
            ty: describe(import.ty()),
        })
        .collect()
}

pub fn exports(module: &Module) -> Vec<Item> {
    module
        .exports()
        .map(|export| Item {
            module: None,
            name: export.name().to_string(),
            ty: describe(export.ty()),
        })
        .collect()
}

fn describe(ty: ExternType) -> ItemType {
    match ty {
        ExternType::Func(func) => ItemType::Function {
            params: func.params().map(|t| type_name(&t)).collect(),
            results: func.results().map(|t| type_name(&t)).collect(),
        },
        ExternType::Memory(memory) => ItemType::Memory {
            minimum: memory.minimum(),
            maximum: memory.maximum(),
            shared: memory.is_shared(),
            memory64: memory.is_64(),
        },
        ExternType::Table(table) => ItemType::Table {
            element: type_name(&ValType::Ref(table.element().clone())),
            minimum: table.minimum(),
            maximum: table.maximum(),
        },
        ExternType::Global(global) => ItemType::Global {
            value_type: type_name(global.content()),
            mutable: global.mutability() == Mutability::Var,
        },
        ExternType::Tag(_) => ItemType::Tag,
    }
}
