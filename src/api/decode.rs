//! Reading JS arguments into core types, with errors that name what was wrong.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::Function;

use napi::bindgen_prelude::{BigInt, JsObjectValue, Object};
use napi::{JsValue, Unknown, ValueType};

use std::time::Duration;

use crate::api::dispatch::{JsChunkSink, JsDispatcher};
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::compile_limits::CompileLimits;
use crate::runtime::component::host::ComponentHostImports;
use crate::runtime::host::{HostDispatcher, HostImports, LinkedInstance, UnknownImports};
use crate::runtime::instance;
use crate::runtime::limits::{CallLimits, InstanceLimits};
use crate::runtime::values::{ArgValue, BigIntValue};
use crate::wasi::preopen::Preopen;
use crate::wasi::stdio::{ChunkSink, OutputTarget};
use crate::wasi::WasiOptions;

pub fn arg_values(args: &[Unknown]) -> napi::Result<Vec<ArgValue>> {
    args.iter().map(arg_value).collect()
}

pub fn arg_value(value: &Unknown) -> napi::Result<ArgValue> {
    if let Some(number) = as_number(value) {
        return Ok(ArgValue::Number(number));
    }
    Ok(match value.get_type()? {
        ValueType::Number => ArgValue::Number(number(value)?),
        ValueType::BigInt => ArgValue::BigInt(bigint(value)?),
        ValueType::Null => ArgValue::Null,
        ValueType::Object => tagged(value)?,
        other => ArgValue::Other(kind_name(other)),
    })
}

/// A Number read with one Node-API call, without asking the value's type first (most
/// arguments are Numbers); `None` for anything else.
pub fn as_number(value: &Unknown) -> Option<f64> {
    let raw = value.value();
    let mut number = 0.0;
    // SAFETY: a live value of its env; for a value that is not a Number the call fails
    // without throwing.
    let status = unsafe { napi::sys::napi_get_value_double(raw.env, raw.value, &mut number) };
    (status == napi::sys::Status::napi_ok).then_some(number)
}

/// `{ type, value }` objects become tagged values; any other object is just "an object".
fn tagged(value: &Unknown) -> napi::Result<ArgValue> {
    // SAFETY: the value was checked to be an object.
    let object: Object = unsafe { value.cast()? };
    if !object.has_named_property("type")? || !object.has_named_property("value")? {
        return Ok(ArgValue::Other("an object"));
    }
    let ty: Unknown = object.get_named_property("type")?;
    if ty.get_type()? != ValueType::String {
        return Ok(ArgValue::Other("an object"));
    }
    // SAFETY: checked to be a string.
    let ty: String = unsafe { ty.cast()? };
    let inner: Unknown = object.get_named_property("value")?;
    let inner = match inner.get_type()? {
        ValueType::Number => ArgValue::Number(number(&inner)?),
        ValueType::BigInt => ArgValue::BigInt(bigint(&inner)?),
        ValueType::Null => ArgValue::Null,
        other => ArgValue::Other(kind_name(other)),
    };
    Ok(ArgValue::Tagged {
        ty,
        value: Box::new(inner),
    })
}

fn number(value: &Unknown) -> napi::Result<f64> {
    // SAFETY: callers checked the type is Number.
    unsafe { value.cast::<f64>() }
}

fn bigint(value: &Unknown) -> napi::Result<BigIntValue> {
    // SAFETY: callers checked the type is BigInt.
    let big: BigInt = unsafe { value.cast()? };
    let (negative, magnitude, lossless) = big.get_u128();
    Ok(BigIntValue {
        negative,
        magnitude: lossless.then_some(magnitude),
    })
}

pub fn kind_name(kind: ValueType) -> &'static str {
    match kind {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external",
        ValueType::BigInt => "a bigint",
        _ => "a value of unknown type",
    }
}

/// The options of `instantiate`: a WasiConfig object, plus `limits` and `unknownImports`.
pub struct InstantiateOptions {
    pub wasi: WasiOptions,
    pub limits: InstanceLimits,
    pub unknown_imports: UnknownImports,
}

/// Reads the options of `instantiate`. `undefined` or `null` is the empty sandbox without
/// limits.
pub fn instantiate_options(config: Option<Unknown>) -> napi::Result<InstantiateOptions> {
    let mut options = WasiOptions::default();
    let nothing = |options| InstantiateOptions {
        wasi: options,
        limits: InstanceLimits::default(),
        unknown_imports: UnknownImports::Fail,
    };
    let Some(config) = config else {
        return Ok(nothing(options));
    };
    match config.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(nothing(options)),
        ValueType::Object => {}
        other => {
            return Err(wasi_error(format!(
                "the WASI config must be an object, got {}",
                kind_name(other)
            )))
        }
    }
    // SAFETY: checked to be an object.
    let config: Object = unsafe { config.cast()? };
    options.preopens = preopens(&config)?;
    options.env = string_record(&config, "env")?;
    options.args = string_list(&config, "args")?;
    options.inherit_stdin = flag(&config, "inheritStdin")?;
    options.stdin = optional_property(&config, "stdin")?
        .map(|value| input_bytes(&value))
        .transpose()?;
    options.coredump_on_trap = optional_property(&config, "coredumpOnTrap")?
        .map(|value| path_string(&value, "coredumpOnTrap"))
        .transpose()?;
    options.stdout = output_target(&config, "stdout", flag(&config, "inheritStdout")?)?;
    options.stderr = output_target(&config, "stderr", flag(&config, "inheritStderr")?)?;
    if let Some(limit) = optional_property(&config, "outputLimitBytes")? {
        let limit = count(&limit).map_err(|m| wasi_error(format!("outputLimitBytes {m}")))?;
        options.output_limit = usize::try_from(limit).unwrap_or(usize::MAX);
    }
    options.network = crate::api::network::network_options(&config)?;
    let limits = match optional_property(&config, "limits")? {
        Some(limits) if !is_nullish(&limits)? => instance_limits(&limits)?,
        _ => InstanceLimits::default(),
    };
    Ok(InstantiateOptions {
        wasi: options,
        limits,
        unknown_imports: unknown_imports(&config)?,
    })
}

/// `unknownImports`: "trap" | "default"; absent (or null) fails on an unknown import.
fn unknown_imports(config: &Object) -> napi::Result<UnknownImports> {
    let Some(value) = optional_property(config, "unknownImports")? else {
        return Ok(UnknownImports::Fail);
    };
    let refused = |got: String| -> napi::Error {
        WasmError::new(
            ErrorCode::InstantiateError,
            format!("unknownImports must be \"trap\" or \"default\", got {got}"),
        )
        .into()
    };
    match value.get_type()? {
        ValueType::Null => Ok(UnknownImports::Fail),
        // SAFETY: checked to be a string.
        ValueType::String => match unsafe { value.cast::<String>()? }.as_str() {
            "trap" => Ok(UnknownImports::Trap),
            "default" => Ok(UnknownImports::Default),
            other => Err(refused(format!("{other:?}"))),
        },
        other => Err(refused(kind_name(other).to_string())),
    }
}

fn instance_limits(value: &Unknown) -> napi::Result<InstanceLimits> {
    let limits_error = |message: String| -> napi::Error {
        WasmError::new(ErrorCode::InstantiateError, format!("limits: {message}")).into()
    };
    if value.get_type()? != ValueType::Object {
        return Err(limits_error("must be an object".into()));
    }
    // SAFETY: checked to be an object.
    let limits: Object = unsafe { value.cast()? };
    let read = |key: &str| -> napi::Result<Option<u64>> {
        match optional_property(&limits, key)? {
            Some(value) => count(&value)
                .map(Some)
                .map_err(|m| limits_error(format!("{key} {m}"))),
            None => Ok(None),
        }
    };
    Ok(InstanceLimits {
        fuel: read("fuel")?,
        timeout: match optional_property(&limits, "timeoutMs")? {
            Some(value) => {
                milliseconds(&value).map_err(|m| limits_error(format!("timeoutMs {m}")))?
            }
            None => None,
        },
        max_memory_bytes: read("maxMemoryBytes")?,
        max_table_elements: read("maxTableElements")?,
    })
}

/// Reads a compile budget: the `limits` of compile, compileFile and run, or configure's
/// `compileLimits` (`what` names it in errors; `keys` are those it may hold). A key that is
/// not one of them is refused: a misspelt bound must not leave a compile unbounded.
pub fn compile_limits(
    value: Option<Unknown>,
    what: &str,
    keys: &[&str],
) -> napi::Result<CompileLimits> {
    let limits_error = |message: String| -> napi::Error {
        WasmError::new(ErrorCode::CompileError, format!("{what}{message}")).into()
    };
    let Some(value) = value else {
        return Ok(CompileLimits::default());
    };
    if is_nullish(&value)? {
        return Ok(CompileLimits::default());
    }
    if value.get_type()? != ValueType::Object {
        return Err(limits_error(" must be an object".into()));
    }
    // SAFETY: checked to be an object.
    let limits: Object = unsafe { value.cast()? };
    if let Some(unknown) = Object::keys(&limits)?
        .into_iter()
        .find(|key| !keys.contains(&key.as_str()))
    {
        return Err(limits_error(format!(
            " has no {unknown:?} (it takes {})",
            keys.join(", ")
        )));
    }
    let read = |key: &str| -> napi::Result<Option<u64>> {
        match optional_property(&limits, key)? {
            Some(value) if !is_nullish(&value)? => count(&value)
                .map(Some)
                .map_err(|m| limits_error(format!(".{key} {m}"))),
            _ => Ok(None),
        }
    };
    Ok(CompileLimits {
        max_bytes: read("maxBytes")?,
        max_functions: read("maxFunctions")?,
        max_function_bytes: read("maxFunctionBytes")?,
        timeout_ms: read("timeoutMs")?,
    })
}

/// Reads a call's `fuel` and `timeoutMs` options.
pub fn call_limits(fuel: Option<Unknown>, timeout_ms: Option<Unknown>) -> napi::Result<CallLimits> {
    let option_error =
        |message: String| -> napi::Error { WasmError::new(ErrorCode::TypeError, message).into() };
    let fuel = match fuel {
        Some(value) if !is_nullish(&value)? => {
            Some(count(&value).map_err(|m| option_error(format!("fuel {m}")))?)
        }
        _ => None,
    };
    let timeout = match timeout_ms {
        Some(value) if !is_nullish(&value)? => {
            milliseconds(&value).map_err(|m| option_error(format!("timeoutMs {m}")))?
        }
        _ => None,
    };
    Ok(CallLimits {
        fuel,
        timeout,
        ..CallLimits::default()
    })
}

fn is_nullish(value: &Unknown) -> napi::Result<bool> {
    Ok(matches!(
        value.get_type()?,
        ValueType::Undefined | ValueType::Null
    ))
}

/// A non-negative whole number (Number or BigInt); Infinity means "no limit" in practice.
pub fn count(value: &Unknown) -> Result<u64, String> {
    const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;
    let kind = value.get_type().map_err(|e| e.reason.clone())?;
    match kind {
        ValueType::Number => {
            let n = number(value).map_err(|e| e.reason.clone())?;
            if n == f64::INFINITY {
                Ok(u64::MAX)
            } else if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&n) {
                Ok(n as u64)
            } else {
                Err(format!("must be a non-negative integer, got {n}"))
            }
        }
        ValueType::BigInt => match bigint(value).map_err(|e| e.reason.clone())? {
            BigIntValue {
                negative: false,
                magnitude: Some(m),
            } if m <= u64::MAX as u128 => Ok(m as u64),
            _ => Err("must be a BigInt from 0 to 2^64-1".into()),
        },
        other => Err(format!(
            "must be a non-negative integer, got {}",
            kind_name(other)
        )),
    }
}

/// Milliseconds as a Duration; Infinity (or anything past 2^53 ms, some 285,000 years, which
/// a Duration or an Instant may not hold) means no deadline.
fn milliseconds(value: &Unknown) -> Result<Option<Duration>, String> {
    const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;
    if value.get_type().map_err(|e| e.reason.clone())? != ValueType::Number {
        return Err("must be a number of milliseconds".into());
    }
    let ms = number(value).map_err(|e| e.reason.clone())?;
    if ms > MAX_SAFE_INTEGER {
        return Ok(None);
    }
    if !(ms >= 0.0 && ms.is_finite()) {
        return Err(format!(
            "must be a non-negative number of milliseconds, got {ms}"
        ));
    }
    Ok(Some(Duration::from_secs_f64(ms / 1000.0)))
}

/// A non-empty string without NUL characters, as a path.
fn path_string(value: &Unknown, key: &str) -> napi::Result<PathBuf> {
    if value.get_type()? != ValueType::String {
        return Err(wasi_error(format!(
            "{key} must be a string (a file path), got {}",
            kind_name(value.get_type()?)
        )));
    }
    // SAFETY: checked to be a string.
    let text = unsafe { value.cast::<String>()? };
    if text.is_empty() || text.contains('\0') {
        return Err(wasi_error(format!(
            "{key} must be a non-empty path without NUL characters"
        )));
    }
    Ok(PathBuf::from(text))
}

fn input_bytes(value: &Unknown) -> napi::Result<Vec<u8>> {
    match value.get_type()? {
        // SAFETY: checked to be a string.
        ValueType::String => Ok(unsafe { value.cast::<String>()? }.into_bytes()),
        ValueType::Object if value.is_typedarray()? => {
            // SAFETY: `&[u8]`'s conversion checks that the value is a Uint8Array (another
            // typed array is an error); the bytes are copied before any JS can run.
            Ok(unsafe { value.cast::<&[u8]>()? }.to_vec())
        }
        other => Err(wasi_error(format!(
            "stdin must be a string or a Uint8Array, got {}",
            kind_name(other)
        ))),
    }
}

/// `stdout` / `stderr`: "inherit" | "ignore" | "pipe" | a callback; absent means the
/// `inheritStdout` / `inheritStderr` flag decides.
fn output_target(config: &Object, key: &str, inherit: bool) -> napi::Result<OutputTarget> {
    let Some(value) = optional_property(config, key)? else {
        return Ok(if inherit {
            OutputTarget::Inherit
        } else {
            OutputTarget::Ignore
        });
    };
    match value.get_type()? {
        // SAFETY: checked to be a string.
        ValueType::String => match unsafe { value.cast::<String>()? }.as_str() {
            "inherit" => Ok(OutputTarget::Inherit),
            "ignore" => Ok(OutputTarget::Ignore),
            "pipe" => Ok(OutputTarget::Pipe),
            other => Err(wasi_error(format!(
                "{key} must be \"inherit\", \"ignore\", \"pipe\" or a function, got {other:?}"
            ))),
        },
        ValueType::Function => {
            // SAFETY: checked to be a function.
            let function: Function<crate::api::dispatch::OutputDrain, Unknown<'static>> =
                unsafe { value.cast()? };
            let sink: Arc<dyn ChunkSink> = Arc::new(JsChunkSink::new(&function)?);
            Ok(OutputTarget::Callback(sink))
        }
        other => Err(wasi_error(format!(
            "{key} must be \"inherit\", \"ignore\", \"pipe\" or a function, got {}",
            kind_name(other)
        ))),
    }
}

/// The host imports prepared by lib/host-calls.js: `{ functions: [[module, name]], dispatch, linked:
/// [[module, instanceId]] }`.
pub fn host_imports(host: Option<Unknown>) -> napi::Result<HostImports> {
    let mut imports = HostImports::default();
    let Some(host) = host else {
        return Ok(imports);
    };
    match host.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(imports),
        ValueType::Object => {}
        other => {
            return Err(WasmError::new(
                ErrorCode::InstantiateError,
                format!("imports must be an object, got {}", kind_name(other)),
            )
            .into())
        }
    }
    // SAFETY: checked to be an object just above (not assumed from what lib/ passes).
    let host: Object = unsafe { host.cast()? };
    let functions: Vec<Vec<String>> = host.get_named_property("functions")?;
    imports.functions = functions.into_iter().filter_map(pair).collect();
    if !imports.functions.is_empty() {
        let dispatch: Function<_, Unknown<'static>> = host.get_named_property("dispatch")?;
        let dispatcher: Arc<dyn HostDispatcher> = Arc::new(JsDispatcher::new(&dispatch)?);
        imports.dispatcher = Some(dispatcher);
    }
    let linked: Vec<Vec<String>> = host.get_named_property("linked")?;
    for (module, instance_id) in linked.into_iter().filter_map(pair) {
        let linked: Arc<dyn LinkedInstance> = instance::get(&instance_id)?;
        imports.linked.push((module, linked));
    }
    Ok(imports)
}

/// A component's host imports: the same shape, without linked instances (a component's
/// imports are typed interfaces, which another instance's core exports cannot provide).
pub fn component_host_imports(host: Option<Unknown>) -> napi::Result<ComponentHostImports> {
    let imports = host_imports(host)?;
    if !imports.linked.is_empty() {
        return Err(WasmError::new(
            ErrorCode::InstantiateError,
            "a component's imports come from JS functions, not from another instance",
        )
        .into());
    }
    Ok(ComponentHostImports {
        functions: imports.functions,
        dispatcher: imports.dispatcher,
    })
}

fn pair(mut items: Vec<String>) -> Option<(String, String)> {
    let second = items.pop()?;
    let first = items.pop()?;
    Some((first, second))
}

pub(super) fn optional_property<'env>(
    config: &Object<'env>,
    key: &str,
) -> napi::Result<Option<Unknown<'env>>> {
    let value: Unknown = config.get_named_property(key)?;
    Ok(match value.get_type()? {
        ValueType::Undefined => None,
        _ => Some(value),
    })
}

fn flag(config: &Object, key: &str) -> napi::Result<bool> {
    let Some(value) = optional_property(config, key)? else {
        return Ok(false);
    };
    if value.get_type()? != ValueType::Boolean {
        return Err(wasi_error(format!(
            "{key} must be a boolean, got {}",
            kind_name(value.get_type()?)
        )));
    }
    // SAFETY: checked to be a boolean.
    unsafe { value.cast::<bool>() }
}

pub(super) fn string_of(value: &Unknown, what: impl FnOnce() -> String) -> napi::Result<String> {
    if value.get_type()? != ValueType::String {
        return Err(wasi_error(format!(
            "{} must be a string, got {}",
            what(),
            kind_name(value.get_type()?)
        )));
    }
    // SAFETY: checked to be a string.
    unsafe { value.cast::<String>() }
}

fn string_record(config: &Object, key: &str) -> napi::Result<Vec<(String, String)>> {
    let Some(value) = optional_property(config, key)? else {
        return Ok(Vec::new());
    };
    if value.get_type()? != ValueType::Object || value.is_array()? {
        return Err(wasi_error(format!(
            "{key} must be an object of strings, like {{ \"NAME\": \"value\" }}"
        )));
    }
    // SAFETY: checked to be an object.
    let record: Object = unsafe { value.cast()? };
    let names = record.get_property_names()?;
    let count = names.get_array_length()?;
    let mut entries = Vec::with_capacity(count as usize);
    for index in 0..count {
        let name: Unknown = names.get_element(index)?;
        let name = string_of(&name, || format!("a key of {key}"))?;
        if name.contains('\0') {
            return Err(wasi_error(format!(
                "{key}: the key {name:?} contains a NUL character"
            )));
        }
        let entry: Unknown = record.get_named_property(&name)?;
        let entry = string_of(&entry, || format!("{key}[{name:?}]"))?;
        entries.push((name, entry));
    }
    Ok(entries)
}

/// `preopens`: guest path -> host path, where a host path is a string or
/// `{ path: string, readonly?: boolean }`. Unknown keys in the object form are errors, so a
/// misspelt `readOnly` cannot silently grant write access.
fn preopens(config: &Object) -> napi::Result<Vec<Preopen>> {
    let key = "preopens";
    let Some(value) = optional_property(config, key)? else {
        return Ok(Vec::new());
    };
    if value.get_type()? != ValueType::Object || value.is_array()? {
        return Err(wasi_error(format!(
            "{key} must be an object like {{ \"/data\": \"./data\" }} or \
             {{ \"/data\": {{ path: \"./data\", readonly: true }} }}"
        )));
    }
    // SAFETY: checked to be an object.
    let record: Object = unsafe { value.cast()? };
    let names = record.get_property_names()?;
    let count = names.get_array_length()?;
    let mut entries = Vec::with_capacity(count as usize);
    for index in 0..count {
        let guest: Unknown = names.get_element(index)?;
        let guest = string_of(&guest, || format!("a key of {key}"))?;
        if guest.contains('\0') {
            return Err(wasi_error(format!(
                "{key}: the guest path {guest:?} contains a NUL character"
            )));
        }
        let entry: Unknown = record.get_named_property(&guest)?;
        let what = || format!("{key}[{guest:?}]");
        let (host, readonly) = match entry.get_type()? {
            ValueType::String => (string_of(&entry, what)?, false),
            ValueType::Object if !entry.is_array()? => {
                // SAFETY: checked to be an object.
                let entry: Object = unsafe { entry.cast()? };
                preopen_object(&entry, &what())?
            }
            other => {
                return Err(wasi_error(format!(
                    "{} must be a host path string or {{ path, readonly }}, got {}",
                    what(),
                    kind_name(other)
                )))
            }
        };
        entries.push(Preopen {
            guest,
            host: PathBuf::from(host),
            readonly,
        });
    }
    Ok(entries)
}

/// A 5010 for a key of `object` that is not one of `known` (a misspelt option must never
/// silently fall back to a default, which may grant more).
pub(super) fn refuse_unknown_keys(object: &Object, what: &str, known: &[&str]) -> napi::Result<()> {
    let names = object.get_property_names()?;
    for index in 0..names.get_array_length()? {
        let name: Unknown = names.get_element(index)?;
        let name = string_of(&name, || format!("a key of {what}"))?;
        if !known.contains(&name.as_str()) {
            return Err(wasi_error(format!(
                "{what}: unknown key {name:?} (the keys are {})",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

fn preopen_object(entry: &Object, what: &str) -> napi::Result<(String, bool)> {
    refuse_unknown_keys(entry, what, &["path", "readonly"])?;
    let Some(path) = optional_property(entry, "path")? else {
        return Err(wasi_error(format!("{what}.path is missing")));
    };
    let path = string_of(&path, || format!("{what}.path"))?;
    let readonly = match optional_property(entry, "readonly")? {
        None => false,
        Some(value) if value.get_type()? == ValueType::Boolean => {
            // SAFETY: checked to be a boolean.
            unsafe { value.cast::<bool>()? }
        }
        Some(value) => {
            return Err(wasi_error(format!(
                "{what}.readonly must be a boolean, got {}",
                kind_name(value.get_type()?)
            )))
        }
    };
    Ok((path, readonly))
}

fn string_list(config: &Object, key: &str) -> napi::Result<Vec<String>> {
    Ok(optional_string_list(config, key, key)?.unwrap_or_default())
}

/// The array of strings at `object[key]` (`what` names it in errors); `None` when absent.
pub(super) fn optional_string_list(
    object: &Object,
    key: &str,
    what: &str,
) -> napi::Result<Option<Vec<String>>> {
    let Some(value) = optional_property(object, key)? else {
        return Ok(None);
    };
    if !value.is_array()? {
        return Err(wasi_error(format!("{what} must be an array of strings")));
    }
    // SAFETY: checked to be an array.
    let list: Object = unsafe { value.cast()? };
    (0..list.get_array_length()?)
        .map(|index| {
            let item: Unknown = list.get_element(index)?;
            string_of(&item, || format!("{what}[{index}]"))
        })
        .collect::<napi::Result<Vec<_>>>()
        .map(Some)
}

pub(super) fn wasi_error(message: String) -> napi::Error {
    WasmError::new(ErrorCode::WasiError, message).into()
}

/// What a host function returned, as one value per result of its import.
pub fn host_results(value: &Unknown, count: usize, import: &str) -> WasmResult<Vec<ArgValue>> {
    let wrong = |what: String| {
        WasmError::new(
            ErrorCode::TypeError,
            format!("host function {import} {what}"),
        )
    };
    let unreadable = |e: napi::Error| {
        wrong(format!(
            "returned a value that cannot be read: {}",
            e.reason
        ))
    };
    match count {
        0 => Ok(Vec::new()),
        1 => Ok(vec![arg_value(value).map_err(unreadable)?]),
        _ => {
            if !value.is_array().map_err(unreadable)? {
                return Err(wrong(format!("must return an array of {count} values")));
            }
            // SAFETY: checked to be an array.
            let array: Object = unsafe { value.cast().map_err(unreadable)? };
            // The length first: an array of 2^32-1 holes must not be read into memory.
            let length = array.get_array_length().map_err(unreadable)?;
            if length as usize != count {
                return Err(wrong(format!(
                    "must return {count} values, returned {length}"
                )));
            }
            let items = (0..length)
                .map(|index| array.get_element::<Unknown>(index))
                .collect::<napi::Result<Vec<_>>>()
                .map_err(unreadable)?;
            arg_values(&items).map_err(unreadable)
        }
    }
}

/// A JS number that must be an offset, length or page count.
pub fn index(what: &str, value: f64) -> WasmResult<u64> {
    crate::runtime::memory::to_index(what, value)
}

/// The source of `compile`: WAT text, or the bytes of a Uint8Array (copied, since the
/// caller may change them while the compile runs).
pub fn source_bytes(source: &Unknown) -> napi::Result<Vec<u8>> {
    match source.get_type()? {
        // SAFETY: checked to be a string.
        ValueType::String => Ok(unsafe { source.cast::<String>()? }.into_bytes()),
        // SAFETY: `&[u8]`'s conversion checks that the value is a Uint8Array (anything else
        // is an error); the bytes are copied before any JS can run.
        ValueType::Object => Ok(crate::runtime::buffers::copy_of(unsafe {
            source.cast::<&[u8]>()?
        })),
        other => Err(napi::Error::new(
            napi::Status::InvalidArg,
            format!(
                "compile expects a Uint8Array or a string, got {}",
                kind_name(other)
            ),
        )),
    }
}
