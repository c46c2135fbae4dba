//! What a component imports and exports, with WIT types: for `getExports()`, `inspect`,
//! `types`, and for converting values by type. WIT's type names are not kept in a compiled
//! component, so records, variants and the rest are described by their structure; resources
//! are named by the interface that exports (or imports) them.

use serde::Serialize;
use wasmtime::component::types::{ComponentFunc, ComponentInstance, ComponentItem};
use wasmtime::component::{Component, ResourceType};
use wasmtime::Engine;

/// A WIT type, as JS sees its description.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Ty {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    List {
        element: Box<Ty>,
    },
    FixedList {
        element: Box<Ty>,
        length: u32,
    },
    Map {
        key: Box<Ty>,
        value: Box<Ty>,
    },
    Record {
        fields: Vec<Field>,
    },
    Tuple {
        types: Vec<Ty>,
    },
    Variant {
        cases: Vec<Case>,
    },
    Enum {
        names: Vec<String>,
    },
    Option {
        some: Box<Ty>,
    },
    Result {
        ok: Option<Box<Ty>>,
        err: Option<Box<Ty>>,
    },
    Flags {
        names: Vec<String>,
    },
    Own {
        resource: String,
    },
    Borrow {
        resource: String,
    },
    Future,
    Stream,
    ErrorContext,
}

impl Ty {
    /// The first WASI 0.3 `future`, `stream` or `error-context` in this type, if any: values
    /// that cannot cross to JS yet.
    pub fn async_value(&self) -> Option<&'static str> {
        match self {
            Ty::Future => Some("future"),
            Ty::Stream => Some("stream"),
            Ty::ErrorContext => Some("error-context"),
            Ty::List { element } | Ty::FixedList { element, .. } | Ty::Option { some: element } => {
                element.async_value()
            }
            Ty::Map { key, value } => key.async_value().or_else(|| value.async_value()),
            Ty::Record { fields } => fields.iter().find_map(|field| field.ty.async_value()),
            Ty::Tuple { types } => types.iter().find_map(Ty::async_value),
            Ty::Variant { cases } => cases
                .iter()
                .find_map(|case| case.ty.as_ref()?.async_value()),
            Ty::Result { ok, err } => [ok, err]
                .into_iter()
                .find_map(|ty| ty.as_ref()?.async_value()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Ty,
}

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Option<Ty>,
}

/// A function: its parameters by name, its result, and its WIT signature.
#[derive(Debug, Clone, Serialize)]
pub struct Function {
    pub name: String,
    pub params: Vec<Field>,
    pub result: Option<Ty>,
    pub wit: String,
}

impl Function {
    /// Where a value that cannot cross to JS yet (see `Ty::async_value`) is in this function's
    /// signature: "parameter `body` holds a stream", "its result holds a future".
    pub fn async_value_crossing(&self) -> Option<String> {
        let params = self.params.iter().find_map(|param| {
            let what = param.ty.async_value()?;
            Some(format!("parameter `{}` holds a {what}", param.name))
        });
        params.or_else(|| {
            let what = self.result.as_ref()?.async_value()?;
            Some(format!("its result holds a {what}"))
        })
    }
}

/// An import or export of a component.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Item {
    Function(Function),
    Interface {
        name: String,
        functions: Vec<Function>,
        resources: Vec<String>,
    },
    /// Anything else (a core module, a nested component, a type).
    Other {
        name: String,
        what: &'static str,
    },
}

/// A component's world: what it imports and exports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct World {
    pub imports: Vec<Item>,
    pub exports: Vec<Item>,
}

/// Names resources by where they were declared.
#[derive(Default)]
pub struct ResourceNames(Vec<(ResourceType, String)>);

impl ResourceNames {
    fn collect(&mut self, engine: &Engine, instance: &ComponentInstance) {
        for (name, item) in instance.exports(engine) {
            if let ComponentItem::Resource(ty) = item.ty {
                self.0.push((ty, name.to_string()));
            }
        }
    }

    fn name(&self, ty: &ResourceType) -> String {
        self.0
            .iter()
            .find(|(known, _)| known == ty)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| "resource".to_string())
    }
}

/// A component's world and its exported functions by call name (`greet`,
/// `pkg:name/iface#fn`), described once per compiled component.
pub struct Described {
    pub world: std::sync::Arc<World>,
    pub functions: std::collections::HashMap<String, std::sync::Arc<Function>>,
}

pub fn described(engine: &Engine, component: &Component) -> Described {
    let world = world(engine, component);
    let mut functions = std::collections::HashMap::new();
    for item in &world.exports {
        match item {
            Item::Function(f) => {
                functions.insert(f.name.clone(), std::sync::Arc::new(f.clone()));
            }
            Item::Interface {
                name,
                functions: inner,
                ..
            } => {
                for f in inner {
                    let full = format!("{name}#{}", f.name);
                    let described = Function {
                        name: full.clone(),
                        ..f.clone()
                    };
                    functions.insert(full, std::sync::Arc::new(described));
                }
            }
            Item::Other { .. } => {}
        }
    }
    Described {
        world: std::sync::Arc::new(world),
        functions,
    }
}

pub fn world(engine: &Engine, component: &Component) -> World {
    let ty = component.component_type();
    let mut names = ResourceNames::default();
    for (_, item) in ty.imports(engine).chain(ty.exports(engine)) {
        if let ComponentItem::ComponentInstance(instance) = &item.ty {
            names.collect(engine, instance);
        }
    }
    let imports = ty
        .imports(engine)
        .map(|(name, item)| describe_item(engine, name, &item.ty, &names))
        .collect();
    let exports = ty
        .exports(engine)
        .map(|(name, item)| describe_item(engine, name, &item.ty, &names))
        .collect();
    World { imports, exports }
}

fn describe_item(engine: &Engine, name: &str, item: &ComponentItem, names: &ResourceNames) -> Item {
    match item {
        ComponentItem::ComponentFunc(func) => Item::Function(function(name, func, names)),
        ComponentItem::ComponentInstance(instance) => {
            let mut functions = Vec::new();
            let mut resources = Vec::new();
            for (export, item) in instance.exports(engine) {
                match item.ty {
                    ComponentItem::ComponentFunc(func) => {
                        functions.push(function(export, &func, names))
                    }
                    ComponentItem::Resource(_) => resources.push(export.to_string()),
                    _ => {}
                }
            }
            Item::Interface {
                name: name.to_string(),
                functions,
                resources,
            }
        }
        ComponentItem::CoreFunc(_) => other(name, "core function"),
        ComponentItem::Module(_) => other(name, "core module"),
        ComponentItem::Component(_) => other(name, "component"),
        ComponentItem::Resource(_) => other(name, "resource"),
        ComponentItem::Type(_) => other(name, "type"),
    }
}

fn other(name: &str, what: &'static str) -> Item {
    Item::Other {
        name: name.to_string(),
        what,
    }
}

pub fn function(name: &str, func: &ComponentFunc, names: &ResourceNames) -> Function {
    let params: Vec<Field> = func
        .params()
        .map(|(param, ty)| Field {
            name: param.to_string(),
            ty: describe(&ty, names),
        })
        .collect();
    let result = func.results().next().map(|ty| describe(&ty, names));
    let wit = signature(&params, result.as_ref());
    Function {
        name: name.to_string(),
        params,
        result,
        wit,
    }
}

pub fn describe(ty: &wasmtime::component::Type, names: &ResourceNames) -> Ty {
    use wasmtime::component::Type as T;
    let boxed = |ty: &T| Box::new(describe(ty, names));
    match ty {
        T::Bool => Ty::Bool,
        T::S8 => Ty::S8,
        T::U8 => Ty::U8,
        T::S16 => Ty::S16,
        T::U16 => Ty::U16,
        T::S32 => Ty::S32,
        T::U32 => Ty::U32,
        T::S64 => Ty::S64,
        T::U64 => Ty::U64,
        T::Float32 => Ty::F32,
        T::Float64 => Ty::F64,
        T::Char => Ty::Char,
        T::String => Ty::String,
        T::List(list) => Ty::List {
            element: boxed(&list.ty()),
        },
        T::FixedLengthList(list) => Ty::FixedList {
            element: boxed(&list.ty()),
            length: list.len(),
        },
        T::Map(map) => Ty::Map {
            key: boxed(&map.key()),
            value: boxed(&map.value()),
        },
        T::Record(record) => Ty::Record {
            fields: record
                .fields()
                .map(|field| Field {
                    name: field.name.to_string(),
                    ty: describe(&field.ty, names),
                })
                .collect(),
        },
        T::Tuple(tuple) => Ty::Tuple {
            types: tuple.types().map(|ty| describe(&ty, names)).collect(),
        },
        T::Variant(variant) => Ty::Variant {
            cases: variant
                .cases()
                .map(|case| Case {
                    name: case.name.to_string(),
                    ty: case.ty.as_ref().map(|ty| describe(ty, names)),
                })
                .collect(),
        },
        T::Enum(e) => Ty::Enum {
            names: e.names().map(str::to_string).collect(),
        },
        T::Option(option) => Ty::Option {
            some: boxed(&option.ty()),
        },
        T::Result(result) => Ty::Result {
            ok: result.ok().map(|ty| boxed(&ty)),
            err: result.err().map(|ty| boxed(&ty)),
        },
        T::Flags(flags) => Ty::Flags {
            names: flags.names().map(str::to_string).collect(),
        },
        T::Own(resource) => Ty::Own {
            resource: names.name(resource),
        },
        T::Borrow(resource) => Ty::Borrow {
            resource: names.name(resource),
        },
        T::Future(_) => Ty::Future,
        T::Stream(_) => Ty::Stream,
        T::ErrorContext => Ty::ErrorContext,
    }
}

/// `func(name: string) -> string`.
fn signature(params: &[Field], result: Option<&Ty>) -> String {
    let params = params
        .iter()
        .map(|p| format!("{}: {}", p.name, wit(&p.ty)))
        .collect::<Vec<_>>()
        .join(", ");
    match result {
        Some(result) => format!("func({params}) -> {}", wit(result)),
        None => format!("func({params})"),
    }
}

/// A type in WIT's own spelling (anonymous records and the like spelled out).
pub fn wit(ty: &Ty) -> String {
    let list = |items: Vec<String>| items.join(", ");
    match ty {
        Ty::List { element } => format!("list<{}>", wit(element)),
        Ty::FixedList { element, length } => format!("list<{}, {length}>", wit(element)),
        Ty::Map { key, value } => format!("map<{}, {}>", wit(key), wit(value)),
        Ty::Record { fields } => format!(
            "record {{ {} }}",
            list(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, wit(&f.ty)))
                    .collect()
            )
        ),
        Ty::Tuple { types } => format!("tuple<{}>", list(types.iter().map(wit).collect())),
        Ty::Variant { cases } => format!(
            "variant {{ {} }}",
            list(
                cases
                    .iter()
                    .map(|c| match &c.ty {
                        Some(ty) => format!("{}({})", c.name, wit(ty)),
                        None => c.name.clone(),
                    })
                    .collect()
            )
        ),
        Ty::Enum { names } => format!("enum {{ {} }}", names.join(", ")),
        Ty::Flags { names } => format!("flags {{ {} }}", names.join(", ")),
        Ty::Option { some } => format!("option<{}>", wit(some)),
        Ty::Result { ok, err } => match (ok, err) {
            (None, None) => "result".to_string(),
            (Some(ok), None) => format!("result<{}>", wit(ok)),
            (None, Some(err)) => format!("result<_, {}>", wit(err)),
            (Some(ok), Some(err)) => format!("result<{}, {}>", wit(ok), wit(err)),
        },
        Ty::Own { resource } => resource.clone(),
        Ty::Borrow { resource } => format!("borrow<{resource}>"),
        simple => serde_json::to_value(simple)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, ty: Ty) -> Field {
        Field {
            name: name.to_string(),
            ty,
        }
    }

    #[test]
    fn futures_and_streams_are_found_wherever_they_nest() {
        assert_eq!(Ty::Stream.async_value(), Some("stream"));
        let nested = Ty::Result {
            ok: Some(Box::new(Ty::U32)),
            err: Some(Box::new(Ty::Tuple {
                types: vec![Ty::String, Ty::Future],
            })),
        };
        assert_eq!(nested.async_value(), Some("future"));
        let record = Ty::Record {
            fields: vec![field("title", Ty::String), field("body", Ty::Stream)],
        };
        let listed = Ty::List {
            element: Box::new(Ty::Option {
                some: Box::new(record),
            }),
        };
        assert_eq!(listed.async_value(), Some("stream"));
        let variant = Ty::Variant {
            cases: vec![
                Case {
                    name: "none".into(),
                    ty: None,
                },
                Case {
                    name: "failed".into(),
                    ty: Some(Ty::ErrorContext),
                },
            ],
        };
        assert_eq!(variant.async_value(), Some("error-context"));
        let plain = Ty::Map {
            key: Box::new(Ty::String),
            value: Box::new(Ty::List {
                element: Box::new(Ty::U8),
            }),
        };
        assert_eq!(plain.async_value(), None);
    }

    #[test]
    fn a_signature_names_the_parameter_or_the_result_that_holds_one() {
        let function = |params: Vec<Field>, result: Option<Ty>| Function {
            name: "f".into(),
            params,
            result,
            wit: String::new(),
        };
        let by_param = function(
            vec![field("x", Ty::U32), field("ready", Ty::Future)],
            Some(Ty::Stream),
        );
        assert_eq!(
            by_param.async_value_crossing().as_deref(),
            Some("parameter `ready` holds a future")
        );
        let by_result = function(vec![field("x", Ty::U32)], Some(Ty::Stream));
        assert_eq!(
            by_result.async_value_crossing().as_deref(),
            Some("its result holds a stream")
        );
        assert_eq!(
            function(vec![field("x", Ty::U32)], None).async_value_crossing(),
            None
        );
    }
}
