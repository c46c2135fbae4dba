//! JS values <-> wasm values, driven by the function's signature (see DESIGN.md's value rules).

use wasmtime::{HeapType, Val, ValRaw, ValType, V128};

use crate::error::{ErrorCode, WasmError, WasmResult};

/// A JS argument as read on the JS thread, before the signature is applied.
#[derive(Debug, Clone)]
pub enum ArgValue {
    Number(f64),
    BigInt(BigIntValue),
    Null,
    /// `{ type, value }`, as made by `types.i32(...)` and friends.
    Tagged {
        ty: String,
        value: Box<ArgValue>,
    },
    /// Any other JS value; the string names its kind ("string", "boolean", ...).
    Other(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct BigIntValue {
    pub negative: bool,
    /// `None` when the magnitude does not fit in 128 bits.
    pub magnitude: Option<u128>,
}

/// A wasm result as it will be shown to JS.
#[derive(Debug, Clone)]
pub enum ResultValue {
    Number(f64),
    BigInt(i64),
    V128(u128),
    Null,
    /// A non-null reference, which JS cannot hold; shown as `{ type }`.
    OpaqueRef(&'static str),
}

const TWO_POW_31: f64 = 2147483648.0;
const TWO_POW_32: f64 = 4294967296.0;
const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;

pub fn type_name(ty: &ValType) -> String {
    match ty {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        ValType::Ref(r) => match r.heap_type() {
            HeapType::Func if r.is_nullable() => "funcref".into(),
            HeapType::Extern if r.is_nullable() => "externref".into(),
            HeapType::Any if r.is_nullable() => "anyref".into(),
            _ => r.to_string(),
        },
    }
}

/// Converts the arguments of a call to `export`, checking arity and every value.
pub fn to_wasm_args(export: &str, params: &[ValType], args: &[ArgValue]) -> WasmResult<Vec<Val>> {
    check_arity(export, params, args.len())?;
    params
        .iter()
        .zip(args)
        .enumerate()
        .map(|(index, (ty, arg))| to_wasm_arg(export, index, ty, arg))
        .collect()
}

/// Fails unless `export` takes exactly `count` arguments.
pub fn check_arity(export: &str, params: &[ValType], count: usize) -> WasmResult<()> {
    if count == params.len() {
        return Ok(());
    }
    Err(WasmError::new(
        ErrorCode::TypeError,
        format!(
            "{export:?} takes {} argument(s) ({}), got {count}",
            params.len(),
            params.iter().map(type_name).collect::<Vec<_>>().join(", "),
        ),
    ))
}

/// Converts argument `index` (from 0) of a call to `export`.
pub fn to_wasm_arg(export: &str, index: usize, ty: &ValType, arg: &ArgValue) -> WasmResult<Val> {
    to_wasm(arg, ty).map_err(|problem| {
        WasmError::new(
            ErrorCode::TypeError,
            format!("argument {} of {export:?}: {problem}", index + 1),
        )
    })
}

/// Whether values of these types are plain bits (numbers and vectors, no references), which
/// can be passed to wasm without the engine checking or rooting them.
pub fn all_plain_bits(types: &[ValType]) -> bool {
    types.iter().all(|ty| {
        matches!(
            ty,
            ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64 | ValType::V128
        )
    })
}

/// A plain-bits value in wasmtime's raw form (references, which `all_plain_bits` excludes,
/// come out as 0).
pub fn to_raw(val: &Val) -> ValRaw {
    match val {
        Val::I32(n) => ValRaw::i32(*n),
        Val::I64(n) => ValRaw::i64(*n),
        Val::F32(bits) => ValRaw::f32(*bits),
        Val::F64(bits) => ValRaw::f64(*bits),
        Val::V128(v) => ValRaw::v128(v.as_u128()),
        _ => ValRaw::i32(0),
    }
}

/// Reads a plain-bits value of type `ty` from wasmtime's raw form.
pub fn from_raw(raw: ValRaw, ty: &ValType) -> Val {
    match ty {
        ValType::I32 => Val::I32(raw.get_i32()),
        ValType::I64 => Val::I64(raw.get_i64()),
        ValType::F32 => Val::F32(raw.get_f32()),
        ValType::F64 => Val::F64(raw.get_f64()),
        ValType::V128 => Val::V128(V128::from(raw.get_v128())),
        ValType::Ref(_) => Val::I32(0),
    }
}

/// Converts what a host function returned into its import's result types.
pub fn to_wasm_results(
    import: &str,
    results: &[ValType],
    values: &[ArgValue],
) -> WasmResult<Vec<Val>> {
    results
        .iter()
        .zip(values)
        .enumerate()
        .map(|(index, (ty, value))| {
            to_wasm(value, ty).map_err(|problem| {
                WasmError::new(
                    ErrorCode::TypeError,
                    format!("result {} of host function {import}: {problem}", index + 1),
                )
            })
        })
        .collect()
}

/// Checks a `types.*` value on its own, for the helpers that build tagged values.
pub fn check_tagged(ty: &str, value: &ArgValue) -> WasmResult<()> {
    let param = match ty {
        "i32" => ValType::I32,
        "i64" => ValType::I64,
        "f32" => ValType::F32,
        "f64" => ValType::F64,
        "v128" => ValType::V128,
        _ => {
            return Err(WasmError::new(
                ErrorCode::TypeError,
                format!("unknown value type {ty:?} (expected i32, i64, f32, f64 or v128)"),
            ))
        }
    };
    to_wasm(value, &param)
        .map(|_| ())
        .map_err(|problem| WasmError::new(ErrorCode::TypeError, format!("types.{ty}: {problem}")))
}

fn to_wasm(arg: &ArgValue, ty: &ValType) -> Result<Val, String> {
    // The common case, a Number for a number type, without building an error on the side.
    if let (ArgValue::Number(n), ValType::I32 | ValType::F32 | ValType::F64) = (arg, ty) {
        if let Some(value) = number_to_wasm(*n, ty) {
            return Ok(value);
        }
    }
    if let ArgValue::Tagged { ty: tag, value } = arg {
        let expected = type_name(ty);
        if *tag != expected {
            return Err(format!("expected {expected}, got a value tagged {tag}"));
        }
        return to_wasm(value, ty);
    }
    match ty {
        ValType::I32 => to_i32(arg).map(Val::I32),
        ValType::I64 => to_i64(arg).map(Val::I64),
        ValType::F32 => to_f64(arg, "f32").map(|n| Val::F32((n as f32).to_bits())),
        ValType::F64 => to_f64(arg, "f64").map(|n| Val::F64(n.to_bits())),
        ValType::V128 => to_v128(arg).map(|bits| Val::V128(V128::from(bits))),
        ValType::Ref(r) => match arg {
            ArgValue::Null => Ok(Val::null_ref(r.heap_type())),
            other => Err(format!(
                "expected null for a {} parameter, got {}",
                type_name(ty),
                describe(other)
            )),
        },
    }
}

/// A Number as a value of a number type, or `None` when it does not fit (i32) or the type
/// takes no plain Number this way (then `to_wasm_arg` says why).
pub fn number_to_wasm(n: f64, ty: &ValType) -> Option<Val> {
    match ty {
        ValType::I32 => i32_from_number(n).map(Val::I32),
        ValType::F32 => Some(Val::F32((n as f32).to_bits())),
        ValType::F64 => Some(Val::F64(n.to_bits())),
        _ => None,
    }
}

fn i32_from_number(n: f64) -> Option<i32> {
    if n.fract() != 0.0 || !(-TWO_POW_31..TWO_POW_32).contains(&n) {
        return None;
    }
    // Values of 2^31 and above are taken as their unsigned bit pattern.
    Some(if n >= TWO_POW_31 {
        (n as u32) as i32
    } else {
        n as i32
    })
}

fn to_i32(arg: &ArgValue) -> Result<i32, String> {
    let expected = "expected i32 (an integer Number from -2147483648 to 4294967295)";
    match arg {
        ArgValue::Number(n) => i32_from_number(*n),
        _ => None,
    }
    .ok_or_else(|| format!("{expected}, got {}", describe(arg)))
}

fn to_i64(arg: &ArgValue) -> Result<i64, String> {
    let expected = "expected i64 (a BigInt from -2^63 to 2^64-1, or a safe-integer Number)";
    match arg {
        ArgValue::Number(n) if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER => Ok(*n as i64),
        ArgValue::BigInt(BigIntValue {
            negative: false,
            magnitude: Some(m),
        }) if *m <= u64::MAX as u128 => Ok(*m as u64 as i64),
        ArgValue::BigInt(BigIntValue {
            negative: true,
            magnitude: Some(m),
        }) if *m <= 1u128 << 63 => Ok((*m as i128).wrapping_neg() as i64),
        other => Err(format!("{expected}, got {}", describe(other))),
    }
}

fn to_f64(arg: &ArgValue, ty: &str) -> Result<f64, String> {
    match arg {
        ArgValue::Number(n) => Ok(*n),
        other => Err(format!("expected {ty} (a Number), got {}", describe(other))),
    }
}

fn to_v128(arg: &ArgValue) -> Result<u128, String> {
    let expected = "expected v128 (a BigInt from -2^127 to 2^128-1)";
    match arg {
        ArgValue::BigInt(BigIntValue {
            negative: false,
            magnitude: Some(m),
        }) => Ok(*m),
        ArgValue::BigInt(BigIntValue {
            negative: true,
            magnitude: Some(m),
        }) if *m <= 1u128 << 127 => Ok(m.wrapping_neg()),
        other => Err(format!("{expected}, got {}", describe(other))),
    }
}

fn describe(arg: &ArgValue) -> String {
    match arg {
        ArgValue::Number(n) if n.is_nan() => "NaN".into(),
        ArgValue::Number(n) => format!("the Number {n}"),
        ArgValue::BigInt(BigIntValue {
            negative,
            magnitude: Some(m),
        }) => format!("the BigInt {}{m}n", if *negative { "-" } else { "" }),
        ArgValue::BigInt(_) => "a BigInt wider than 128 bits".into(),
        ArgValue::Null => "null".into(),
        ArgValue::Tagged { ty, .. } => format!("a value tagged {ty}"),
        ArgValue::Other(kind) => format!("a {kind}"),
    }
}

pub fn from_wasm(val: &Val) -> ResultValue {
    match val {
        Val::I32(n) => ResultValue::Number(*n as f64),
        Val::I64(n) => ResultValue::BigInt(*n),
        Val::F32(bits) => ResultValue::Number(f32::from_bits(*bits) as f64),
        Val::F64(bits) => ResultValue::Number(f64::from_bits(*bits)),
        Val::V128(v) => ResultValue::V128(v.as_u128()),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) | Val::ExnRef(None) => {
            ResultValue::Null
        }
        Val::FuncRef(Some(_)) => ResultValue::OpaqueRef("funcref"),
        Val::ExternRef(Some(_)) => ResultValue::OpaqueRef("externref"),
        Val::AnyRef(Some(_)) => ResultValue::OpaqueRef("anyref"),
        Val::ExnRef(Some(_)) => ResultValue::OpaqueRef("exnref"),
        Val::ContRef(_) => ResultValue::OpaqueRef("contref"),
    }
}
