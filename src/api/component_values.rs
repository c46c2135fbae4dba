//! WIT values <-> JS values, following jco's representations (so `jco types` describes them):
//! bool; integers as Number, 64-bit ones as BigInt (a safe-integer Number is taken too); char
//! and string as string; lists of numbers as typed arrays (a plain array is taken too), other
//! lists as arrays; records as objects with camelCase keys; tuples as arrays; variants as
//! `{ tag, val }`; enums as strings; flags as objects of booleans; `option<T>` as the value or
//! `undefined` (an option whose payload is an option is tagged: `{ tag: "some", val }` /
//! `{ tag: "none" }`, `val` being the inner option);
//! `result` inside a value as `{ tag: "ok" | "err", val }` (a function's own result is unwrapped
//! in JS); resources as objects holding a handle of their instance's resource table.
//! A wrong shape is a 5007 that names where it is (`arg 0 .items[3].name: expected string`).

use napi::bindgen_prelude::{BigInt, JsObjectValue, Object, ToNapiValue};
use napi::{sys, Env, JsValue, Unknown, ValueType};
use wasmtime::component::{Type, Val};

use crate::api::decode::kind_name;
use crate::api::encode::typed_array_copy;
use crate::api::settle::to_unknown;
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::component::resources::ResourceTable;

/// The property of a resource's JS object that holds its handle.
pub const RESOURCE_HANDLE_KEY: &str = "__runtimeWasmResource";

/// The property that holds the number of a resource JS defines (see
/// `runtime::component::host_resources`), in values crossing to and from host functions.
pub const HOST_RESOURCE_KEY: &str = "__runtimeWasmHostResource";

/// Where a value sits inside the arguments, for errors.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    Root(&'a str),
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Root(root) => root.to_string(),
            Path::Field(parent, name) => format!("{} .{name}", parent.render()).replace(" .", "."),
            Path::Index(parent, index) => format!("{}[{index}]", parent.render()),
        }
    }

    fn error(&self, expected: &str, got: &str) -> WasmError {
        WasmError::new(
            ErrorCode::TypeError,
            format!("{}: expected {expected}, got {got}", self.render()),
        )
    }
}

type R<T> = WasmResult<T>;

fn napi_failure(e: napi::Error) -> WasmError {
    WasmError::new(ErrorCode::TypeError, e.reason.clone())
}

fn describe_js(value: &Unknown) -> String {
    match value.get_type() {
        Ok(ValueType::Object) if value.is_array().unwrap_or(false) => "an array".into(),
        Ok(ValueType::Number) => {
            // SAFETY: checked to be a Number.
            let n = unsafe { value.cast::<f64>() }.unwrap_or(f64::NAN);
            format!("the number {n}")
        }
        Ok(kind) => kind_name(kind).to_string(),
        Err(_) => "an unreadable value".into(),
    }
}

/// A JS value as a WIT value of type `ty`.
pub fn to_val(value: &Unknown, ty: &Type, path: Path, resources: &ResourceTable) -> R<Val> {
    let kind = value.get_type().map_err(napi_failure)?;
    let mismatch = |expected: &str| Err(path.error(expected, &describe_js(value)));
    Ok(match ty {
        Type::Bool => match kind {
            // SAFETY: checked to be a boolean.
            ValueType::Boolean => Val::Bool(unsafe { value.cast::<bool>() }.map_err(napi_failure)?),
            _ => return mismatch("boolean"),
        },
        Type::S8 => Val::S8(integer(value, kind, path, -128.0, 127.0)? as i8),
        Type::U8 => Val::U8(integer(value, kind, path, 0.0, 255.0)? as u8),
        Type::S16 => Val::S16(integer(value, kind, path, -32768.0, 32767.0)? as i16),
        Type::U16 => Val::U16(integer(value, kind, path, 0.0, 65535.0)? as u16),
        Type::S32 => Val::S32(integer(value, kind, path, -2147483648.0, 2147483647.0)? as i32),
        Type::U32 => Val::U32(integer(value, kind, path, 0.0, 4294967295.0)? as u32),
        Type::S64 => Val::S64(wide(value, kind, path, i64::MIN as i128, i64::MAX as i128)? as i64),
        Type::U64 => Val::U64(wide(value, kind, path, 0, u64::MAX as i128)? as u64),
        Type::Float32 => Val::Float32(float(value, kind, path)? as f32),
        Type::Float64 => Val::Float64(float(value, kind, path)?),
        Type::Char => Val::Char(one_char(value, kind, path)?),
        Type::String => Val::String(string(value, kind, path, "string")?),
        Type::List(list) => Val::List(list_items(value, kind, &list.ty(), path, resources)?),
        Type::FixedLengthList(list) => {
            let items = list_items(value, kind, &list.ty(), path, resources)?;
            if items.len() != list.len() as usize {
                return mismatch(&format!("a list of {} items", list.len()));
            }
            Val::FixedLengthList(items)
        }
        Type::Map(map) => {
            let entries = array(value, kind, path, "an array of [key, value] pairs")?;
            let mut pairs = Vec::with_capacity(entries.len());
            for (index, entry) in entries.iter().enumerate() {
                let at = Path::Index(&path, index);
                let kind = entry.get_type().map_err(napi_failure)?;
                let pair = array(entry, kind, at, "a [key, value] pair")?;
                if pair.len() != 2 {
                    return Err(at.error("a [key, value] pair", &describe_js(entry)));
                }
                pairs.push((
                    to_val(&pair[0], &map.key(), Path::Index(&at, 0), resources)?,
                    to_val(&pair[1], &map.value(), Path::Index(&at, 1), resources)?,
                ));
            }
            Val::Map(pairs)
        }
        Type::Record(record) => {
            let object = object(value, kind, path, "an object (a record)")?;
            let mut fields = Vec::new();
            for field in record.fields() {
                let key = camel_case(field.name);
                let at = Path::Field(&path, &key);
                let inner: Unknown = object.get_named_property(&key).map_err(napi_failure)?;
                fields.push((
                    field.name.to_string(),
                    to_val(&inner, &field.ty, at, resources)?,
                ));
            }
            Val::Record(fields)
        }
        Type::Tuple(tuple) => {
            let items = array(value, kind, path, "an array (a tuple)")?;
            let types: Vec<Type> = tuple.types().collect();
            if items.len() != types.len() {
                return mismatch(&format!("an array of {} items (a tuple)", types.len()));
            }
            let values = items
                .iter()
                .zip(&types)
                .enumerate()
                .map(|(i, (item, ty))| to_val(item, ty, Path::Index(&path, i), resources))
                .collect::<R<Vec<_>>>()?;
            Val::Tuple(values)
        }
        Type::Variant(variant) => {
            let (tag, val) = tagged(value, kind, path)?;
            let Some(case) = variant.cases().find(|case| case.name == tag) else {
                let names: Vec<&str> = variant.cases().map(|c| c.name).collect();
                return Err(Path::Field(&path, "tag").error(&one_of(&names), &format!("{tag:?}")));
            };
            let payload = match (&case.ty, val) {
                (Some(ty), Some(val)) => Some(Box::new(to_val(
                    &val,
                    ty,
                    Path::Field(&path, "val"),
                    resources,
                )?)),
                (Some(_), None) => {
                    return Err(Path::Field(&path, "val").error("a value", "nothing"))
                }
                (None, _) => None,
            };
            Val::Variant(tag, payload)
        }
        Type::Enum(e) => {
            let name = string(value, kind, path, "string")?;
            let names: Vec<&str> = e.names().collect();
            if !names.contains(&name.as_str()) {
                return Err(path.error(&one_of(&names), &format!("{name:?}")));
            }
            Val::Enum(name)
        }
        Type::Option(option) => {
            let inner = option.ty();
            if let Type::Option(_) = inner {
                // An option of an option: { tag: "none" } or { tag: "some", val }, `val` being
                // the inner option in its own representation.
                let (tag, val) = tagged(value, kind, path)?;
                match tag.as_str() {
                    "none" => Val::Option(None),
                    "some" => {
                        let at = Path::Field(&path, "val");
                        let content = match val {
                            Some(val) => to_val(&val, &inner, at, resources)?,
                            None => Val::Option(None),
                        };
                        Val::Option(Some(Box::new(content)))
                    }
                    _ => {
                        let at = Path::Field(&path, "tag");
                        return Err(at.error("\"some\" or \"none\"", &format!("{tag:?}")));
                    }
                }
            } else if matches!(kind, ValueType::Undefined | ValueType::Null) {
                Val::Option(None)
            } else {
                Val::Option(Some(Box::new(to_val(value, &inner, path, resources)?)))
            }
        }
        Type::Result(result) => {
            let (tag, val) = tagged(value, kind, path)?;
            let payload = |ty: Option<Type>| -> R<Option<Box<Val>>> {
                match (ty, &val) {
                    (Some(ty), Some(val)) => Ok(Some(Box::new(to_val(
                        val,
                        &ty,
                        Path::Field(&path, "val"),
                        resources,
                    )?))),
                    (Some(_), None) => Err(Path::Field(&path, "val").error("a value", "nothing")),
                    (None, _) => Ok(None),
                }
            };
            match tag.as_str() {
                "ok" => Val::Result(Ok(payload(result.ok())?)),
                "err" => Val::Result(Err(payload(result.err())?)),
                _ => {
                    return Err(
                        Path::Field(&path, "tag").error("\"ok\" or \"err\"", &format!("{tag:?}"))
                    )
                }
            }
        }
        Type::Flags(flags) => {
            let object = object(value, kind, path, "an object of booleans (flags)")?;
            let mut set = Vec::new();
            for name in flags.names() {
                let key = camel_case(name);
                let flag: Unknown = object.get_named_property(&key).map_err(napi_failure)?;
                match flag.get_type().map_err(napi_failure)? {
                    ValueType::Undefined => {}
                    ValueType::Boolean => {
                        // SAFETY: checked to be a boolean.
                        if unsafe { flag.cast::<bool>() }.map_err(napi_failure)? {
                            set.push(name.to_string());
                        }
                    }
                    _ => return Err(Path::Field(&path, &key).error("boolean", &describe_js(&flag))),
                }
            }
            Val::Flags(set)
        }
        Type::Own(_) | Type::Borrow(_) => {
            let take = matches!(ty, Type::Own(_));
            let object = object(value, kind, path, "a resource object")?;
            // A resource JS defines travels as its number (see `host_resources`).
            let host: Unknown = object
                .get_named_property(HOST_RESOURCE_KEY)
                .map_err(napi_failure)?;
            if let Some(number) = crate::api::decode::as_number(&host) {
                return Ok(Val::U32(number as u32));
            }
            let handle: Unknown = object
                .get_named_property(RESOURCE_HANDLE_KEY)
                .map_err(napi_failure)?;
            let Some(number) = crate::api::decode::as_number(&handle) else {
                return mismatch("a resource object");
            };
            let resource = resources.find(number as u32, take).ok_or_else(|| {
                path.error(
                    "a live resource of this instance",
                    "one that was dropped, given away, or made by another instance",
                )
            })?;
            if resource.ty() != resource_type(ty) {
                return mismatch("a resource of another type");
            }
            Val::Resource(resource)
        }
        Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            return Err(path.error(
                "a future, stream or error-context",
                "a JS value (these WASI 0.3 types cannot be passed from JS yet)",
            ));
        }
    })
}

fn resource_type(ty: &Type) -> wasmtime::component::ResourceType {
    match ty {
        Type::Own(r) | Type::Borrow(r) => *r,
        _ => unreachable!("only called for resources"),
    }
}

fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("one of {}", quoted.join(", "))
}

fn integer(value: &Unknown, kind: ValueType, path: Path, min: f64, max: f64) -> R<f64> {
    if kind != ValueType::Number {
        return Err(path.error(
            &format!("an integer from {min} to {max}"),
            &describe_js(value),
        ));
    }
    // SAFETY: checked to be a Number.
    let n = unsafe { value.cast::<f64>() }.map_err(napi_failure)?;
    if n.fract() != 0.0 || !(min..=max).contains(&n) {
        return Err(path.error(
            &format!("an integer from {min} to {max}"),
            &describe_js(value),
        ));
    }
    Ok(n)
}

fn wide(value: &Unknown, kind: ValueType, path: Path, min: i128, max: i128) -> R<i128> {
    let expected = || format!("a BigInt from {min} to {max}");
    let n = match kind {
        ValueType::BigInt => {
            // SAFETY: checked to be a BigInt.
            let big = unsafe { value.cast::<BigInt>() }.map_err(napi_failure)?;
            let (n, lossless) = big.get_i128();
            if !lossless {
                return Err(path.error(&expected(), "a larger BigInt"));
            }
            n
        }
        ValueType::Number => {
            // SAFETY: checked to be a Number.
            let n = unsafe { value.cast::<f64>() }.map_err(napi_failure)?;
            if n.fract() != 0.0 || n.abs() > 9007199254740991.0 {
                return Err(path.error(&expected(), &describe_js(value)));
            }
            n as i128
        }
        _ => return Err(path.error(&expected(), &describe_js(value))),
    };
    if !(min..=max).contains(&n) {
        return Err(path.error(&expected(), &format!("{n}")));
    }
    Ok(n)
}

fn float(value: &Unknown, kind: ValueType, path: Path) -> R<f64> {
    if kind != ValueType::Number {
        return Err(path.error("number", &describe_js(value)));
    }
    // SAFETY: checked to be a Number.
    unsafe { value.cast::<f64>() }.map_err(napi_failure)
}

/// A string of exactly one Unicode scalar value, read as UTF-16 so that a lone surrogate is
/// refused rather than turned into U+FFFD.
fn one_char(value: &Unknown, kind: ValueType, path: Path) -> R<char> {
    const EXPECTED: &str = "a string of one character";
    if kind != ValueType::String {
        return Err(path.error(EXPECTED, &describe_js(value)));
    }
    let raw = value.value();
    let mut total = 0usize;
    // SAFETY: a live string of its env (checked above); with no buffer napi only reports the
    // string's length in UTF-16 code units.
    let status = unsafe {
        sys::napi_get_value_string_utf16(raw.env, raw.value, std::ptr::null_mut(), 0, &mut total)
    };
    if status != sys::Status::napi_ok || total == 0 || total > 2 {
        return Err(path.error(EXPECTED, &describe_js(value)));
    }
    let mut units = [0u16; 3];
    let mut length = 0usize;
    // SAFETY: as above; napi writes at most `units.len() - 1` code units and a terminator
    // into the buffer, and the length of what it wrote.
    let status = unsafe {
        sys::napi_get_value_string_utf16(
            raw.env,
            raw.value,
            units.as_mut_ptr(),
            units.len(),
            &mut length,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(path.error(EXPECTED, &describe_js(value)));
    }
    let mut decoded = char::decode_utf16(units[..length.min(2)].iter().copied());
    match (decoded.next(), decoded.next()) {
        (Some(Ok(c)), None) => Ok(c),
        (Some(Err(_)), _) => Err(path.error(EXPECTED, "a lone surrogate")),
        _ => Err(path.error(EXPECTED, "a longer or empty string")),
    }
}

fn string(value: &Unknown, kind: ValueType, path: Path, expected: &str) -> R<String> {
    if kind != ValueType::String {
        return Err(path.error(expected, &describe_js(value)));
    }
    // SAFETY: checked to be a string.
    unsafe { value.cast::<String>() }.map_err(napi_failure)
}

fn object<'env>(
    value: &Unknown<'env>,
    kind: ValueType,
    path: Path,
    expected: &str,
) -> R<Object<'env>> {
    if kind != ValueType::Object || value.is_array().map_err(napi_failure)? {
        return Err(path.error(expected, &describe_js(value)));
    }
    // SAFETY: checked to be an object.
    unsafe { value.cast::<Object>() }.map_err(napi_failure)
}

fn array<'env>(
    value: &Unknown<'env>,
    kind: ValueType,
    path: Path,
    expected: &str,
) -> R<Vec<Unknown<'env>>> {
    if kind != ValueType::Object || !value.is_array().map_err(napi_failure)? {
        return Err(path.error(expected, &describe_js(value)));
    }
    // SAFETY: checked to be an array.
    let object = unsafe { value.cast::<Object>() }.map_err(napi_failure)?;
    let length = object.get_array_length().map_err(napi_failure)?;
    (0..length)
        .map(|i| object.get_element::<Unknown>(i).map_err(napi_failure))
        .collect()
}

/// `{ tag, val }`: the tag, and the value if the property is there.
fn tagged<'env>(
    value: &Unknown<'env>,
    kind: ValueType,
    path: Path,
) -> R<(String, Option<Unknown<'env>>)> {
    let object = object(value, kind, path, "an object { tag, val }")?;
    let tag: Unknown = object.get_named_property("tag").map_err(napi_failure)?;
    let tag_kind = tag.get_type().map_err(napi_failure)?;
    let tag = string(&tag, tag_kind, Path::Field(&path, "tag"), "string")?;
    let has_val = object.has_named_property("val").map_err(napi_failure)?;
    let val = if has_val {
        Some(
            object
                .get_named_property::<Unknown>("val")
                .map_err(napi_failure)?,
        )
    } else {
        None
    };
    Ok((tag, val))
}

/// The items of a list: a typed array of the element's kind, or an array.
fn list_items(
    value: &Unknown,
    kind: ValueType,
    element: &Type,
    path: Path,
    resources: &ResourceTable,
) -> R<Vec<Val>> {
    if kind == ValueType::Object && value.is_typedarray().map_err(napi_failure)? {
        if let Some(items) = typed_array_items(value, element) {
            return Ok(items);
        }
        return Err(path.error(
            &format!(
                "an array or a typed array of {}",
                crate::runtime::component::describe::wit(
                    &crate::runtime::component::describe::describe(element, &Default::default())
                )
            ),
            "a typed array of another kind",
        ));
    }
    let items = array(value, kind, path, "an array")?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| to_val(item, element, Path::Index(&path, i), resources))
        .collect()
}

/// The values of a typed array whose element type matches `element`; `None` if it does not.
fn typed_array_items(value: &Unknown, element: &Type) -> Option<Vec<Val>> {
    let raw = value.value();
    let mut kind = 0;
    let mut length = 0usize;
    let mut data = std::ptr::null_mut();
    let mut buffer = std::ptr::null_mut();
    let mut offset = 0usize;
    // SAFETY: a live typed array of its env (checked by the caller).
    let status = unsafe {
        sys::napi_get_typedarray_info(
            raw.env,
            raw.value,
            &mut kind,
            &mut length,
            &mut data,
            &mut buffer,
            &mut offset,
        )
    };
    if status != sys::Status::napi_ok || (data.is_null() && length > 0) {
        return None;
    }
    macro_rules! read {
        ($t:ty, $variant:ident) => {{
            // SAFETY: napi says `data` points at `length` elements of this typed array's kind,
            // which is `$t` (matched below); they are read on the JS thread, copied at once.
            let slice = unsafe { std::slice::from_raw_parts(data as *const $t, length) };
            Some(slice.iter().map(|v| Val::$variant(*v)).collect())
        }};
    }
    use sys::TypedarrayType as K;
    match (kind, element) {
        (K::uint8_array | K::uint8_clamped_array, Type::U8) => read!(u8, U8),
        (K::int8_array, Type::S8) => read!(i8, S8),
        (K::uint16_array, Type::U16) => read!(u16, U16),
        (K::int16_array, Type::S16) => read!(i16, S16),
        (K::uint32_array, Type::U32) => read!(u32, U32),
        (K::int32_array, Type::S32) => read!(i32, S32),
        (K::float32_array, Type::Float32) => read!(f32, Float32),
        (K::float64_array, Type::Float64) => read!(f64, Float64),
        (K::bigint64_array, Type::S64) => read!(i64, S64),
        (K::biguint64_array, Type::U64) => read!(u64, U64),
        _ => None,
    }
}

/// `label-text` -> `labelText`.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A WIT value of type `ty` as a JS value.
pub fn to_js<'env>(
    env: &'env Env,
    val: Val,
    ty: &Type,
    resources: &ResourceTable,
) -> napi::Result<Unknown<'env>> {
    Ok(match (val, ty) {
        (Val::Bool(b), _) => to_unknown(env, b)?,
        (Val::S8(n), _) => to_unknown(env, n as f64)?,
        (Val::U8(n), _) => to_unknown(env, n as f64)?,
        (Val::S16(n), _) => to_unknown(env, n as f64)?,
        (Val::U16(n), _) => to_unknown(env, n as f64)?,
        (Val::S32(n), _) => to_unknown(env, n as f64)?,
        (Val::U32(number), Type::Own(_) | Type::Borrow(_)) => {
            let mut object = Object::new(env)?;
            object.set_named_property(HOST_RESOURCE_KEY, number as f64)?;
            object.to_unknown()
        }
        (Val::U32(n), _) => to_unknown(env, n as f64)?,
        (Val::S64(n), _) => to_unknown(env, BigInt::from(n))?,
        (Val::U64(n), _) => to_unknown(env, BigInt::from(n))?,
        (Val::Float32(n), _) => to_unknown(env, n as f64)?,
        (Val::Float64(n), _) => to_unknown(env, n)?,
        (Val::Char(c), _) => to_unknown(env, c.to_string())?,
        (Val::String(s), _) => to_unknown(env, s)?,
        (
            Val::List(items) | Val::FixedLengthList(items),
            Type::List(_) | Type::FixedLengthList(_),
        ) => {
            let element = match ty {
                Type::List(list) => list.ty(),
                Type::FixedLengthList(list) => list.ty(),
                _ => unreachable!("matched above"),
            };
            list_to_js(env, items, &element, resources)?
        }
        (Val::Map(pairs), Type::Map(map)) => {
            let mut array = env.create_array(pairs.len() as u32)?;
            for (i, (key, value)) in pairs.into_iter().enumerate() {
                let mut pair = env.create_array(2)?;
                pair.set(0, to_js(env, key, &map.key(), resources)?)?;
                pair.set(1, to_js(env, value, &map.value(), resources)?)?;
                array.set(i as u32, pair)?;
            }
            to_unknown(env, array)?
        }
        (Val::Record(fields), Type::Record(record)) => {
            let mut object = Object::new(env)?;
            for ((name, value), field) in fields.into_iter().zip(record.fields()) {
                object.set_named_property(
                    &camel_case(&name),
                    to_js(env, value, &field.ty, resources)?,
                )?;
            }
            object.to_unknown()
        }
        (Val::Tuple(items), Type::Tuple(tuple)) => {
            let mut array = env.create_array(items.len() as u32)?;
            for (i, (item, ty)) in items.into_iter().zip(tuple.types()).enumerate() {
                array.set(i as u32, to_js(env, item, &ty, resources)?)?;
            }
            to_unknown(env, array)?
        }
        (Val::Variant(tag, payload), Type::Variant(variant)) => {
            let case_ty = variant.cases().find(|c| c.name == tag).and_then(|c| c.ty);
            tagged_js(env, &tag, payload.zip(case_ty), resources)?
        }
        (Val::Enum(name), _) => to_unknown(env, name)?,
        (Val::Option(inner), Type::Option(option)) => {
            let inner_ty = option.ty();
            match (inner, &inner_ty) {
                // An option of an option: the outer one is tagged (as jco does).
                (None, Type::Option(_)) => tagged_js(env, "none", None, resources)?,
                (Some(value), Type::Option(_)) => {
                    tagged_js(env, "some", Some((value, inner_ty.clone())), resources)?
                }
                (None, _) => to_unknown(env, ())?,
                (Some(value), _) => to_js(env, *value, &inner_ty, resources)?,
            }
        }
        (Val::Result(outcome), Type::Result(result)) => match outcome {
            Ok(value) => tagged_js(env, "ok", value.zip(result.ok()), resources)?,
            Err(value) => tagged_js(env, "err", value.zip(result.err()), resources)?,
        },
        (Val::Flags(set), Type::Flags(flags)) => {
            let mut object = Object::new(env)?;
            for name in flags.names() {
                object.set_named_property(&camel_case(name), set.iter().any(|s| s == name))?;
            }
            object.to_unknown()
        }
        (Val::Resource(resource), _) => {
            let handle = resources.keep(resource);
            let mut object = Object::new(env)?;
            object.set_named_property(RESOURCE_HANDLE_KEY, handle as f64)?;
            object.to_unknown()
        }
        (_, _) => to_unknown(env, ())?,
    })
}

fn tagged_js<'env>(
    env: &'env Env,
    tag: &str,
    val: Option<(Box<Val>, Type)>,
    resources: &ResourceTable,
) -> napi::Result<Unknown<'env>> {
    let mut object = Object::new(env)?;
    object.set_named_property("tag", tag)?;
    if let Some((value, ty)) = val {
        object.set_named_property("val", to_js(env, *value, &ty, resources)?)?;
    }
    Ok(object.to_unknown())
}

fn list_to_js<'env>(
    env: &'env Env,
    items: Vec<Val>,
    element: &Type,
    resources: &ResourceTable,
) -> napi::Result<Unknown<'env>> {
    macro_rules! typed {
        ($kind:ident, $variant:ident) => {{
            let values = items
                .into_iter()
                .map(|v| match v {
                    Val::$variant(n) => n,
                    _ => Default::default(),
                })
                .collect::<Vec<_>>();
            let array = typed_array_copy(env, &values, sys::TypedarrayType::$kind)?;
            // SAFETY: a live value of `env`, made just now.
            Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), array) })
        }};
    }
    match element {
        Type::U8 => typed!(uint8_array, U8),
        Type::S8 => typed!(int8_array, S8),
        Type::U16 => typed!(uint16_array, U16),
        Type::S16 => typed!(int16_array, S16),
        Type::U32 => typed!(uint32_array, U32),
        Type::S32 => typed!(int32_array, S32),
        Type::U64 => typed!(biguint64_array, U64),
        Type::S64 => typed!(bigint64_array, S64),
        Type::Float32 => typed!(float32_array, Float32),
        Type::Float64 => typed!(float64_array, Float64),
        _ => {
            let mut array = env.create_array(items.len() as u32)?;
            for (i, item) in items.into_iter().enumerate() {
                array.set(i as u32, to_js(env, item, element, resources)?)?;
            }
            to_unknown(env, array)
        }
    }
}

/// A component call's results, converted on the JS thread: `{ value }` for a function that
/// returns one, `{}` for one that returns nothing.
pub struct JsComponentResults {
    pub values: Vec<Val>,
    pub ty: Option<Type>,
    pub resources: std::sync::Arc<ResourceTable>,
}

impl ToNapiValue for JsComponentResults {
    unsafe fn to_napi_value(env: sys::napi_env, results: Self) -> napi::Result<sys::napi_value> {
        let js_env = Env::from_raw(env);
        let value = match (results.values.into_iter().next(), &results.ty) {
            (Some(value), Some(ty)) => to_js(&js_env, value, ty, &results.resources)?,
            _ => to_unknown(&js_env, ())?,
        };
        // SAFETY: a live value of `env`, made just now.
        unsafe { Unknown::to_napi_value(env, value) }
    }
}
