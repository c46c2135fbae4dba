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

/// Whether `val` is a plain-bits value of type `ty`, as wasmtime's unchecked entry point needs
/// each argument to be.
pub fn is_plain_of(val: &Val, ty: &ValType) -> bool {
    matches!(
        (val, ty),
        (Val::I32(_), ValType::I32)
            | (Val::I64(_), ValType::I64)
            | (Val::F32(_), ValType::F32)
            | (Val::F64(_), ValType::F64)
            | (Val::V128(_), ValType::V128)
    )
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
        ArgValue::Other(kind) => kind.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{RefType, ValType};

    const I64_MIN: u128 = 1 << 63;

    fn num(n: f64) -> ArgValue {
        ArgValue::Number(n)
    }

    fn big(negative: bool, magnitude: u128) -> ArgValue {
        ArgValue::BigInt(BigIntValue {
            negative,
            magnitude: Some(magnitude),
        })
    }

    fn tagged(ty: &str, value: ArgValue) -> ArgValue {
        ArgValue::Tagged {
            ty: ty.into(),
            value: Box::new(value),
        }
    }

    fn convert(arg: ArgValue, ty: ValType) -> WasmResult<Val> {
        to_wasm_arg("f", 0, &ty, &arg)
    }

    fn i32_of(arg: ArgValue) -> i32 {
        match convert(arg.clone(), ValType::I32) {
            Ok(Val::I32(n)) => n,
            other => panic!("{arg:?} as i32: {other:?}"),
        }
    }

    fn i64_of(arg: ArgValue) -> i64 {
        match convert(arg.clone(), ValType::I64) {
            Ok(Val::I64(n)) => n,
            other => panic!("{arg:?} as i64: {other:?}"),
        }
    }

    fn f32_bits(arg: ArgValue) -> u32 {
        match convert(arg.clone(), ValType::F32) {
            Ok(Val::F32(bits)) => bits,
            other => panic!("{arg:?} as f32: {other:?}"),
        }
    }

    fn f64_bits(arg: ArgValue) -> u64 {
        match convert(arg.clone(), ValType::F64) {
            Ok(Val::F64(bits)) => bits,
            other => panic!("{arg:?} as f64: {other:?}"),
        }
    }

    fn v128_of(arg: ArgValue) -> u128 {
        match convert(arg.clone(), ValType::V128) {
            Ok(Val::V128(v)) => v.as_u128(),
            other => panic!("{arg:?} as v128: {other:?}"),
        }
    }

    /// Asserts a 5007 whose message says `says`.
    fn rejected(arg: ArgValue, ty: ValType, says: &str) -> WasmError {
        let error = match convert(arg.clone(), ty.clone()) {
            Ok(val) => panic!("{arg:?} as {}: accepted as {val:?}", type_name(&ty)),
            Err(error) => error,
        };
        assert_eq!(error.code, ErrorCode::TypeError, "{error}");
        assert!(
            error.message.contains(says),
            "{:?} should say {says:?}",
            error.message
        );
        error
    }

    // --- i32 ---

    #[test]
    fn i32_takes_signed_integers() {
        assert_eq!(i32_of(num(0.0)), 0);
        assert_eq!(i32_of(num(-0.0)), 0);
        assert_eq!(i32_of(num(42.0)), 42);
        assert_eq!(i32_of(num(-1.0)), -1);
        assert_eq!(i32_of(num(-2147483648.0)), i32::MIN);
        assert_eq!(i32_of(num(2147483647.0)), i32::MAX);
    }

    #[test]
    fn i32_takes_unsigned_values_as_their_bit_pattern() {
        assert_eq!(i32_of(num(2147483648.0)), i32::MIN);
        assert_eq!(i32_of(num(4294967295.0)), -1);
        assert_eq!(i32_of(num(4294967294.0)), -2);
        assert_eq!(i32_of(num(3000000000.0)), 3000000000u32 as i32);
    }

    #[test]
    fn i32_rejects_what_does_not_fit() {
        for n in [
            4294967296.0,
            -2147483649.0,
            1e300,
            -1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            rejected(
                num(n),
                ValType::I32,
                "expected i32 (an integer Number from -2147483648 to 4294967295)",
            );
        }
    }

    #[test]
    fn i32_rejects_fractions_and_nan() {
        for n in [
            0.5,
            -0.5,
            1.000001,
            2147483647.5,
            4294967294.5,
            f64::EPSILON,
            f64::MIN_POSITIVE,
        ] {
            rejected(num(n), ValType::I32, "expected i32");
        }
        rejected(num(f64::NAN), ValType::I32, "got NaN");
    }

    #[test]
    fn i32_rejects_bigints_and_other_kinds() {
        rejected(big(false, 5), ValType::I32, "got the BigInt 5n");
        rejected(big(true, 5), ValType::I32, "got the BigInt -5n");
        rejected(ArgValue::Other("a string"), ValType::I32, "got a string");
        rejected(ArgValue::Other("a boolean"), ValType::I32, "got a boolean");
        rejected(ArgValue::Other("an object"), ValType::I32, "got an object");
        rejected(ArgValue::Other("undefined"), ValType::I32, "undefined");
        rejected(ArgValue::Null, ValType::I32, "got null");
    }

    // --- i64 ---

    #[test]
    fn i64_takes_bigints_in_the_signed_range() {
        assert_eq!(i64_of(big(false, 0)), 0);
        assert_eq!(i64_of(big(true, 0)), 0);
        assert_eq!(i64_of(big(false, 42)), 42);
        assert_eq!(i64_of(big(true, 42)), -42);
        assert_eq!(i64_of(big(false, i64::MAX as u128)), i64::MAX);
        assert_eq!(i64_of(big(true, I64_MIN)), i64::MIN);
    }

    #[test]
    fn i64_takes_unsigned_bigints_as_their_bit_pattern() {
        assert_eq!(i64_of(big(false, I64_MIN)), i64::MIN);
        assert_eq!(i64_of(big(false, u64::MAX as u128)), -1);
        assert_eq!(
            i64_of(big(false, 0xDEAD_BEEF_0000_0001)),
            0xDEAD_BEEF_0000_0001u64 as i64
        );
    }

    #[test]
    fn i64_takes_safe_integer_numbers() {
        assert_eq!(i64_of(num(0.0)), 0);
        assert_eq!(i64_of(num(-0.0)), 0);
        assert_eq!(i64_of(num(-7.0)), -7);
        assert_eq!(i64_of(num(9007199254740991.0)), 9007199254740991);
        assert_eq!(i64_of(num(-9007199254740991.0)), -9007199254740991);
    }

    #[test]
    fn i64_rejects_bigints_outside_its_range() {
        let expected = "expected i64 (a BigInt from -2^63 to 2^64-1, or a safe-integer Number)";
        rejected(big(false, 1 << 64), ValType::I64, expected);
        rejected(
            big(false, u128::MAX),
            ValType::I64,
            "got the BigInt 340282366920938463463374607431768211455n",
        );
        rejected(
            big(true, I64_MIN + 1),
            ValType::I64,
            "got the BigInt -9223372036854775809n",
        );
        rejected(
            ArgValue::BigInt(BigIntValue {
                negative: false,
                magnitude: None,
            }),
            ValType::I64,
            "got a BigInt wider than 128 bits",
        );
    }

    #[test]
    fn i64_rejects_numbers_that_are_not_safe_integers() {
        for n in [
            9007199254740992.0,
            -9007199254740992.0,
            1e20,
            0.5,
            -1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            rejected(num(n), ValType::I64, "expected i64");
        }
        rejected(num(f64::NAN), ValType::I64, "got NaN");
        rejected(ArgValue::Other("a string"), ValType::I64, "got a string");
        rejected(ArgValue::Null, ValType::I64, "got null");
    }

    // --- f32 / f64 ---

    #[test]
    fn f32_rounds_to_nearest_like_math_fround() {
        assert_eq!(f32_bits(num(1.5)), 1.5f32.to_bits());
        assert_eq!(f32_bits(num(0.1)), 0.1f32.to_bits());
        // Math.fround(16777217) === 16777216: ties go to even.
        assert_eq!(f32_bits(num(16777217.0)), 16777216.0f32.to_bits());
        assert_eq!(f32_bits(num(16777219.0)), 16777220.0f32.to_bits());
        // Too large for f32: infinity, as Math.fround(1e40) is.
        assert_eq!(f32_bits(num(1e40)), f32::INFINITY.to_bits());
        assert_eq!(f32_bits(num(-1e40)), f32::NEG_INFINITY.to_bits());
        // Too small: the nearest subnormal, or zero with its sign.
        assert_eq!(f32_bits(num(1.401298464324817e-45)), 1);
        assert_eq!(f32_bits(num(1e-50)), 0);
        assert_eq!(f32_bits(num(-1e-50)), (-0.0f32).to_bits());
        assert_eq!(f32_bits(num(f64::from(f32::MAX))), f32::MAX.to_bits());
    }

    #[test]
    fn floats_pass_nan_infinities_and_negative_zero_through() {
        assert!(f32::from_bits(f32_bits(num(f64::NAN))).is_nan());
        assert_eq!(f32_bits(num(f64::INFINITY)), f32::INFINITY.to_bits());
        assert_eq!(
            f32_bits(num(f64::NEG_INFINITY)),
            f32::NEG_INFINITY.to_bits()
        );
        assert_eq!(f32_bits(num(-0.0)), 0x8000_0000);
        assert!(f64::from_bits(f64_bits(num(f64::NAN))).is_nan());
        assert_eq!(f64_bits(num(f64::INFINITY)), f64::INFINITY.to_bits());
        assert_eq!(f64_bits(num(-0.0)), 0x8000_0000_0000_0000);
    }

    #[test]
    fn f64_keeps_every_bit() {
        for n in [
            0.1,
            -1e308,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            9007199254740993.0,
            4294967296.5,
        ] {
            assert_eq!(f64_bits(num(n)), n.to_bits(), "{n}");
        }
    }

    #[test]
    fn floats_reject_everything_but_numbers() {
        rejected(
            big(false, 1),
            ValType::F32,
            "expected f32 (a Number), got the BigInt 1n",
        );
        rejected(
            big(false, 1),
            ValType::F64,
            "expected f64 (a Number), got the BigInt 1n",
        );
        rejected(ArgValue::Other("a string"), ValType::F64, "got a string");
        rejected(ArgValue::Other("a boolean"), ValType::F32, "got a boolean");
        rejected(ArgValue::Null, ValType::F64, "got null");
    }

    // --- v128 and references ---

    #[test]
    fn v128_takes_bigints_over_128_bits() {
        assert_eq!(v128_of(big(false, 0)), 0);
        assert_eq!(v128_of(big(false, u128::MAX)), u128::MAX);
        assert_eq!(v128_of(big(true, 1)), u128::MAX);
        assert_eq!(v128_of(big(true, 1 << 127)), 1 << 127);
        rejected(big(true, (1 << 127) + 1), ValType::V128, "expected v128");
        rejected(
            ArgValue::BigInt(BigIntValue {
                negative: true,
                magnitude: None,
            }),
            ValType::V128,
            "wider than 128 bits",
        );
        rejected(
            num(1.0),
            ValType::V128,
            "expected v128 (a BigInt from -2^127 to 2^128-1), got the Number 1",
        );
    }

    #[test]
    fn references_take_only_null() {
        for ty in [ValType::FUNCREF, ValType::EXTERNREF] {
            match convert(ArgValue::Null, ty.clone()) {
                Ok(val) => assert!(val.ref_().is_some_and(|r| r.is_null()), "{val:?}"),
                Err(e) => panic!("null as {}: {e}", type_name(&ty)),
            }
        }
        rejected(
            num(0.0),
            ValType::FUNCREF,
            "expected null for a funcref parameter, got the Number 0",
        );
        rejected(
            ArgValue::Other("an object"),
            ValType::EXTERNREF,
            "externref parameter",
        );
    }

    // --- tagged values ---

    #[test]
    fn tagged_values_must_match_the_parameter_type() {
        assert_eq!(i32_of(tagged("i32", num(-3.0))), -3);
        assert_eq!(i64_of(tagged("i64", big(false, 7))), 7);
        assert_eq!(f32_bits(tagged("f32", num(2.5))), 2.5f32.to_bits());
        rejected(
            tagged("i64", big(false, 7)),
            ValType::I32,
            "expected i32, got a value tagged i64",
        );
        rejected(
            tagged("f64", num(1.0)),
            ValType::F32,
            "expected f32, got a value tagged f64",
        );
        rejected(
            tagged("i32", num(1.0)),
            ValType::I64,
            "expected i64, got a value tagged i32",
        );
        // The tag does not lift the value rules.
        rejected(tagged("i32", num(0.5)), ValType::I32, "expected i32");
    }

    #[test]
    fn check_tagged_applies_the_rules_of_the_named_type() {
        assert!(check_tagged("i32", &num(4294967295.0)).is_ok());
        assert!(check_tagged("i64", &big(true, I64_MIN)).is_ok());
        assert!(check_tagged("v128", &big(false, u128::MAX)).is_ok());
        assert!(check_tagged("f64", &num(f64::NAN)).is_ok());
        let error = check_tagged("i32", &num(4294967296.0)).unwrap_err();
        assert_eq!(error.code, ErrorCode::TypeError);
        assert!(
            error.message.starts_with("types.i32: expected i32"),
            "{error}"
        );
        for unknown in ["i8", "I32", "funcref", ""] {
            let error = check_tagged(unknown, &num(1.0)).unwrap_err();
            assert_eq!(error.code, ErrorCode::TypeError);
            assert!(error.message.contains("unknown value type"), "{error}");
        }
    }

    // --- arity and messages ---

    #[test]
    fn arity_must_match_exactly() {
        let params = [ValType::I32, ValType::I64];
        assert!(check_arity("add", &params, 2).is_ok());
        for count in [0, 1, 3, 1000] {
            let error = check_arity("add", &params, count).unwrap_err();
            assert_eq!(error.code, ErrorCode::TypeError);
            assert_eq!(
                error.message,
                format!("\"add\" takes 2 argument(s) (i32, i64), got {count}")
            );
        }
        assert!(check_arity("none", &[], 0).is_ok());
        let error = to_wasm_args("add", &params, &[num(1.0)]).unwrap_err();
        assert!(error.message.contains("takes 2 argument(s)"), "{error}");
    }

    #[test]
    fn to_wasm_args_converts_every_argument_or_names_the_bad_one() {
        let params = [ValType::I32, ValType::I64, ValType::F64];
        let vals = to_wasm_args("mix", &params, &[num(1.0), num(2.0), num(0.5)]).unwrap();
        assert!(
            matches!(vals[..], [Val::I32(1), Val::I64(2), Val::F64(bits)] if bits == 0.5f64.to_bits())
        );
        let error = to_wasm_args("mix", &params, &[num(1.0), num(0.5), num(0.5)]).unwrap_err();
        assert!(
            error
                .message
                .starts_with("argument 2 of \"mix\": expected i64"),
            "{error}"
        );
    }

    #[test]
    fn host_results_are_checked_against_the_import() {
        let types = [ValType::I32, ValType::F32];
        let vals = to_wasm_results("env.f", &types, &[num(-1.0), num(1.5)]).unwrap();
        assert!(matches!(vals[..], [Val::I32(-1), Val::F32(_)]));
        let error =
            to_wasm_results("env.f", &types, &[num(1.0), ArgValue::Other("a string")]).unwrap_err();
        assert_eq!(error.code, ErrorCode::TypeError);
        assert!(
            error
                .message
                .starts_with("result 2 of host function env.f: expected f32"),
            "{error}"
        );
    }

    #[test]
    fn number_to_wasm_is_only_the_quick_path() {
        assert!(matches!(
            number_to_wasm(7.0, &ValType::I32),
            Some(Val::I32(7))
        ));
        assert!(number_to_wasm(0.5, &ValType::I32).is_none());
        assert!(number_to_wasm(4294967296.0, &ValType::I32).is_none());
        // i64 from a Number and v128 always take the general rules.
        assert!(number_to_wasm(7.0, &ValType::I64).is_none());
        assert!(number_to_wasm(7.0, &ValType::V128).is_none());
    }

    // --- results ---

    #[test]
    fn results_are_shown_as_the_js_api_shows_them() {
        assert!(matches!(from_wasm(&Val::I32(-1)), ResultValue::Number(n) if n == -1.0));
        assert!(
            matches!(from_wasm(&Val::I32(i32::MIN)), ResultValue::Number(n) if n == -2147483648.0)
        );
        assert!(matches!(
            from_wasm(&Val::I64(i64::MIN)),
            ResultValue::BigInt(i64::MIN)
        ));
        assert!(matches!(from_wasm(&Val::I64(-1)), ResultValue::BigInt(-1)));
        assert!(
            matches!(from_wasm(&Val::F32(0.1f32.to_bits())), ResultValue::Number(n) if n == f64::from(0.1f32))
        );
        assert!(
            matches!(from_wasm(&Val::F32(f32::NAN.to_bits())), ResultValue::Number(n) if n.is_nan())
        );
        assert!(
            matches!(from_wasm(&Val::F64((-0.0f64).to_bits())), ResultValue::Number(n) if n == 0.0 && n.is_sign_negative())
        );
        assert!(matches!(
            from_wasm(&Val::V128(V128::from(u128::MAX))),
            ResultValue::V128(u128::MAX)
        ));
        assert!(matches!(from_wasm(&Val::FuncRef(None)), ResultValue::Null));
        assert!(matches!(
            from_wasm(&Val::ExternRef(None)),
            ResultValue::Null
        ));
    }

    #[test]
    fn plain_bits_round_trip_through_the_raw_form() {
        let cases = [
            (Val::I32(-5), ValType::I32),
            (Val::I64(i64::MIN), ValType::I64),
            (Val::F32(f32::NAN.to_bits() | 1), ValType::F32),
            (Val::F64((-0.0f64).to_bits()), ValType::F64),
            (
                Val::V128(V128::from(0x0123_4567_89ab_cdef_0011_2233_4455_6677)),
                ValType::V128,
            ),
        ];
        for (val, ty) in cases {
            let back = from_raw(to_raw(&val), &ty);
            let same = match (&val, &back) {
                (Val::I32(a), Val::I32(b)) => a == b,
                (Val::I64(a), Val::I64(b)) => a == b,
                (Val::F32(a), Val::F32(b)) => a == b,
                (Val::F64(a), Val::F64(b)) => a == b,
                (Val::V128(a), Val::V128(b)) => a.as_u128() == b.as_u128(),
                _ => false,
            };
            assert!(same, "{val:?} came back as {back:?}");
        }
    }

    #[test]
    fn plain_bits_are_numbers_and_vectors_only() {
        assert!(all_plain_bits(&[]));
        assert!(all_plain_bits(&[
            ValType::I32,
            ValType::I64,
            ValType::F32,
            ValType::F64,
            ValType::V128
        ]));
        assert!(!all_plain_bits(&[ValType::I32, ValType::FUNCREF]));
        assert!(!all_plain_bits(&[ValType::EXTERNREF]));
    }

    #[test]
    fn is_plain_of_compares_the_value_with_the_type() {
        let values = [
            (Val::I32(0), ValType::I32),
            (Val::I64(0), ValType::I64),
            (Val::F32(0), ValType::F32),
            (Val::F64(0), ValType::F64),
            (Val::V128(V128::from(0)), ValType::V128),
        ];
        for (i, (val, _)) in values.iter().enumerate() {
            for (j, (_, ty)) in values.iter().enumerate() {
                assert_eq!(is_plain_of(val, ty), i == j, "{val:?} as {}", type_name(ty));
            }
        }
        // Converted arguments always pass.
        for ty in [ValType::I32, ValType::I64, ValType::F32, ValType::F64] {
            let val = to_wasm_arg("f", 0, &ty, &num(1.0)).unwrap();
            assert!(is_plain_of(&val, &ty));
        }
        // References are never plain bits, null or not.
        assert!(!is_plain_of(&Val::FuncRef(None), &ValType::FUNCREF));
        assert!(!is_plain_of(&Val::I32(0), &ValType::FUNCREF));
    }

    #[test]
    fn type_names() {
        assert_eq!(type_name(&ValType::I32), "i32");
        assert_eq!(type_name(&ValType::V128), "v128");
        assert_eq!(type_name(&ValType::FUNCREF), "funcref");
        assert_eq!(type_name(&ValType::EXTERNREF), "externref");
        assert_eq!(type_name(&ValType::ANYREF), "anyref");
        let non_null = ValType::Ref(RefType::new(false, HeapType::Func));
        assert_eq!(type_name(&non_null), non_null.to_string());
        assert_ne!(type_name(&non_null), "funcref");
    }
}
