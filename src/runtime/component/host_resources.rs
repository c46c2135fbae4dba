//! Resources the host defines: a component that imports a resource type (`resource kv` in an
//! imported interface) gets it from JS, as a class whose objects stand behind the handles.
//! Wasm sees a handle whose representation is the object's number in its instance's table
//! (kept in JS, see lib/components.js); the values crossing to and from JS carry that number
//! as a `u32` where the type says `own<R>` or `borrow<R>`, and become resources again here.

use wasmtime::component::{Resource, ResourceAny, ResourceType, Type, Val};
use wasmtime::StoreContextMut;

use crate::runtime::store::HostState;

/// The host type of every resource JS defines.
pub struct JsResource;

pub fn js_resource_type() -> ResourceType {
    ResourceType::host::<JsResource>()
}

/// Arguments for JS: each handle of a JS-defined resource becomes its number.
pub fn to_numbers(store: &mut StoreContextMut<'_, HostState>, value: Val) -> wasmtime::Result<Val> {
    Ok(match value {
        Val::Resource(resource) if resource.ty() == js_resource_type() => {
            let resource: Resource<JsResource> = resource.try_into_resource(&mut *store)?;
            Val::U32(resource.rep())
        }
        Val::List(items) => Val::List(each(store, items)?),
        Val::FixedLengthList(items) => Val::FixedLengthList(each(store, items)?),
        Val::Tuple(items) => Val::Tuple(each(store, items)?),
        Val::Record(fields) => Val::Record(
            fields
                .into_iter()
                .map(|(name, v)| Ok((name, to_numbers(store, v)?)))
                .collect::<wasmtime::Result<_>>()?,
        ),
        Val::Variant(case, Some(payload)) => {
            Val::Variant(case, Some(Box::new(to_numbers(store, *payload)?)))
        }
        Val::Option(Some(payload)) => Val::Option(Some(Box::new(to_numbers(store, *payload)?))),
        Val::Result(Ok(Some(payload))) => {
            Val::Result(Ok(Some(Box::new(to_numbers(store, *payload)?))))
        }
        Val::Result(Err(Some(payload))) => {
            Val::Result(Err(Some(Box::new(to_numbers(store, *payload)?))))
        }
        other => other,
    })
}

fn each(store: &mut StoreContextMut<'_, HostState>, items: Vec<Val>) -> wasmtime::Result<Vec<Val>> {
    items.into_iter().map(|v| to_numbers(store, v)).collect()
}

/// A JS function's result for wasm: each number where the type has a resource becomes a
/// handle of the JS-defined resource (`own`: the guest takes it over).
pub fn from_numbers(
    store: &mut StoreContextMut<'_, HostState>,
    value: Val,
    ty: &Type,
) -> wasmtime::Result<Val> {
    Ok(match (value, ty) {
        (Val::U32(rep), Type::Own(_)) => Val::Resource(ResourceAny::try_from_resource(
            Resource::<JsResource>::new_own(rep),
            &mut *store,
        )?),
        (Val::U32(rep), Type::Borrow(_)) => Val::Resource(ResourceAny::try_from_resource(
            Resource::<JsResource>::new_borrow(rep),
            &mut *store,
        )?),
        (Val::List(items), Type::List(list)) => {
            let element = list.ty();
            Val::List(
                items
                    .into_iter()
                    .map(|v| from_numbers(store, v, &element))
                    .collect::<wasmtime::Result<_>>()?,
            )
        }
        (Val::Tuple(items), Type::Tuple(tuple)) => Val::Tuple(
            items
                .into_iter()
                .zip(tuple.types())
                .map(|(v, t)| from_numbers(store, v, &t))
                .collect::<wasmtime::Result<_>>()?,
        ),
        (Val::Record(fields), Type::Record(record)) => Val::Record(
            fields
                .into_iter()
                .zip(record.fields())
                .map(|((name, v), field)| Ok((name, from_numbers(store, v, &field.ty)?)))
                .collect::<wasmtime::Result<_>>()?,
        ),
        (Val::Variant(case, Some(payload)), Type::Variant(variant)) => {
            match variant.cases().find(|c| c.name == case).and_then(|c| c.ty) {
                Some(inner) => {
                    Val::Variant(case, Some(Box::new(from_numbers(store, *payload, &inner)?)))
                }
                None => Val::Variant(case, Some(payload)),
            }
        }
        (Val::Option(Some(payload)), Type::Option(option)) => {
            Val::Option(Some(Box::new(from_numbers(store, *payload, &option.ty())?)))
        }
        (Val::Result(Ok(Some(payload))), Type::Result(result)) => match result.ok() {
            Some(inner) => Val::Result(Ok(Some(Box::new(from_numbers(store, *payload, &inner)?)))),
            None => Val::Result(Ok(Some(payload))),
        },
        (Val::Result(Err(Some(payload))), Type::Result(result)) => match result.err() {
            Some(inner) => Val::Result(Err(Some(Box::new(from_numbers(store, *payload, &inner)?)))),
            None => Val::Result(Err(Some(payload))),
        },
        (other, _) => other,
    })
}
