//! manifest.app.toml -> the raw entries of its `[capabilities.wasm]` table, each with the line
//! it came from. Anything that is not exactly the documented shape is a `ManifestError` that
//! names the line and the key: a broken manifest never turns into a permissive policy.
//!
//! Other tables (`[app]`, `[capabilities.net]`, ...) belong to other parts of an application
//! and are ignored; inside `[capabilities.wasm]` every key must be one of `KEYS`.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The keys `[capabilities.wasm]` may hold.
pub const KEYS: [&str; 7] = [
    "load",
    "preopens",
    "preopens_readonly",
    "max_fuel",
    "max_timeout_ms",
    "max_memory",
    "max_instances",
];

/// The largest ceiling accepted: the largest integer a JS number holds exactly.
const MAX_CEILING: u64 = (1 << 53) - 1;

/// One string of a list, with where it was written.
#[derive(Debug, Clone)]
pub struct Entry {
    pub text: String,
    pub line: u32,
    /// The full key of the list, e.g. "capabilities.wasm.load".
    pub key: String,
}

/// `[capabilities.wasm]` as written. An absent table is an empty one: a manifest that declares
/// nothing for wasm allows nothing.
#[derive(Debug, Default)]
pub struct WasmSection {
    pub load: Vec<Entry>,
    pub preopens: Vec<Entry>,
    pub preopens_readonly: Vec<Entry>,
    pub max_fuel: Option<u64>,
    pub max_timeout_ms: Option<u64>,
    pub max_memory: Option<u64>,
    pub max_instances: Option<u64>,
}

/// What is wrong with a manifest, and where.
#[derive(Debug)]
pub struct ManifestError {
    pub line: Option<u32>,
    pub key: Option<String>,
    pub problem: String,
}

pub fn parse(text: &str) -> Result<WasmSection, ManifestError> {
    let root = DeTable::parse(text).map_err(|e| syntax_error(text, &e))?;
    let mut section = WasmSection::default();
    let Some(capabilities) = root.get_ref().get("capabilities") else {
        return Ok(section);
    };
    let capabilities = table(text, "capabilities", capabilities)?;
    let Some(wasm) = capabilities.get("wasm") else {
        return Ok(section);
    };
    for (name, value) in table(text, "capabilities.wasm", wasm)?.iter() {
        let key = format!("capabilities.wasm.{}", name.get_ref());
        match name.get_ref().as_ref() {
            "load" => section.load = strings(text, &key, value)?,
            "preopens" => section.preopens = strings(text, &key, value)?,
            "preopens_readonly" => section.preopens_readonly = strings(text, &key, value)?,
            "max_fuel" => section.max_fuel = Some(ceiling(text, &key, value)?),
            "max_timeout_ms" => section.max_timeout_ms = Some(ceiling(text, &key, value)?),
            "max_memory" => section.max_memory = Some(byte_size(text, &key, value)?),
            "max_instances" => section.max_instances = Some(ceiling(text, &key, value)?),
            _ => {
                return Err(ManifestError {
                    line: Some(line_of(text, &name.span())),
                    key: Some(key),
                    problem: format!("unknown key (the keys are {})", KEYS.join(", ")),
                })
            }
        }
    }
    Ok(section)
}

fn table<'a, 'i>(
    text: &str,
    key: &str,
    value: &'a Spanned<DeValue<'i>>,
) -> Result<&'a DeTable<'i>, ManifestError> {
    value
        .get_ref()
        .as_table()
        .ok_or_else(|| wrong_type(text, key, value, "a table"))
}

fn strings(text: &str, key: &str, value: &Spanned<DeValue>) -> Result<Vec<Entry>, ManifestError> {
    let expected = "an array of strings";
    let array = value
        .get_ref()
        .as_array()
        .ok_or_else(|| wrong_type(text, key, value, expected))?;
    let mut entries = Vec::new();
    for item in array {
        let Some(string) = item.get_ref().as_str() else {
            return Err(wrong_type(text, key, item, expected));
        };
        let line = line_of(text, &item.span());
        if string.is_empty() || string.contains('\0') {
            return Err(ManifestError {
                line: Some(line),
                key: Some(key.to_string()),
                problem: "an entry must be a non-empty path without NUL characters".into(),
            });
        }
        entries.push(Entry {
            text: string.to_string(),
            line,
            key: key.to_string(),
        });
    }
    Ok(entries)
}

/// A non-negative integer no larger than `MAX_CEILING`.
fn ceiling(text: &str, key: &str, value: &Spanned<DeValue>) -> Result<u64, ManifestError> {
    let expected = "a non-negative integer";
    let Some(integer) = value.get_ref().as_integer() else {
        return Err(wrong_type(text, key, value, expected));
    };
    let parsed = i128::from_str_radix(integer.as_str(), integer.radix()).ok();
    match parsed.and_then(|n| u64::try_from(n).ok()) {
        Some(n) if n <= MAX_CEILING => Ok(n),
        _ => Err(invalid(
            text,
            key,
            value,
            format!(
                "{} is out of range: expected {expected} up to {MAX_CEILING}",
                integer.as_str()
            ),
        )),
    }
}

/// A byte count: an integer, or a string such as "256MiB", "1GiB", "512KiB" or "1000000".
fn byte_size(text: &str, key: &str, value: &Spanned<DeValue>) -> Result<u64, ManifestError> {
    let expected = "a byte count: an integer, or a string such as \"256MiB\", \"1GiB\", \"512KiB\" or \"1000000\"";
    match value.get_ref() {
        DeValue::Integer(_) => ceiling(text, key, value),
        DeValue::String(written) => match parse_byte_size(written) {
            Some(bytes) if bytes <= MAX_CEILING => Ok(bytes),
            Some(_) => Err(invalid(
                text,
                key,
                value,
                format!("{written:?} is larger than {MAX_CEILING} bytes"),
            )),
            None => Err(invalid(
                text,
                key,
                value,
                format!("{written:?} is not {expected}"),
            )),
        },
        _ => Err(wrong_type(text, key, value, expected)),
    }
}

/// "1000000", "512KiB", "256 MiB", "1GiB", "2TiB", also decimal "kB"/"KB", "MB", "GB", "TB"
/// and a plain "B". Whole numbers only.
pub fn parse_byte_size(written: &str) -> Option<u64> {
    let written = written.trim();
    let digits = written
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(written.len());
    if digits == 0 {
        return None;
    }
    let number: u64 = written[..digits].parse().ok()?;
    let multiplier: u64 = match written[digits..].trim_start() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        "kB" | "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        _ => return None,
    };
    number.checked_mul(multiplier)
}

fn wrong_type(text: &str, key: &str, value: &Spanned<DeValue>, expected: &str) -> ManifestError {
    let found = value.get_ref().type_str();
    invalid(
        text,
        key,
        value,
        format!("expected {expected}, found {found}"),
    )
}

fn invalid(text: &str, key: &str, value: &Spanned<DeValue>, problem: String) -> ManifestError {
    ManifestError {
        line: Some(line_of(text, &value.span())),
        key: Some(key.to_string()),
        problem,
    }
}

fn syntax_error(text: &str, error: &toml::de::Error) -> ManifestError {
    let line = error.span().map(|span| line_of(text, &span));
    ManifestError {
        line,
        key: line.and_then(|line| key_at_line(text, line)),
        problem: format!("not valid TOML: {}", error.message().trim_end()),
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, span: &Range<usize>) -> u32 {
    let before = text.get(..span.start).unwrap_or(text);
    let lines = before.bytes().filter(|&b| b == b'\n').count() + 1;
    u32::try_from(lines).unwrap_or(u32::MAX)
}

/// The key a line that does not parse was meant to set, for the message only: the last
/// `[table]` header above it, and the `name =` on the line itself.
fn key_at_line(text: &str, line: u32) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    let here = lines.get(index)?.trim();
    let header = lines[..index.min(lines.len())]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .and_then(|l| l.trim_start_matches('[').split(']').next())
        .map(|name| name.trim().to_string());
    let name = here
        .split_once('=')
        .map(|(name, _)| name.trim().to_string())
        .filter(|name| !name.is_empty() && !name.starts_with('['));
    match (header, name) {
        (Some(header), Some(name)) => Some(format!("{header}.{name}")),
        (None, Some(name)) => Some(name),
        (Some(header), None) => Some(header),
        (None, None) => None,
    }
}
