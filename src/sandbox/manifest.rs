//! manifest.app.toml -> the raw entries of its `[capabilities.wasm]` table, each with the line
//! it came from. Anything that is not exactly the documented shape is a `ManifestError` that
//! names the line and the key: a broken manifest never turns into a permissive policy.
//!
//! `[capabilities.net]` holds the network ceilings: `allow`, an array of grants (inline tables
//! with `host`, `ports`, `protocols`, `directions`, as `network.allow` takes them).
//! Other tables (`[app]`, ...) belong to other parts of an application and are ignored;
//! inside `[capabilities.wasm]` every key must be one of `KEYS`, inside `[capabilities.net]`
//! one of `NET_KEYS`.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::error::{ErrorCode, WasmError};
use crate::sandbox::network::Grant;

/// The keys `[capabilities.wasm]` may hold.
pub const KEYS: [&str; 11] = [
    "load",
    "preopens",
    "preopens_readonly",
    "max_fuel",
    "max_timeout_ms",
    "max_memory",
    "max_instances",
    "max_module_size",
    "max_functions",
    "max_function_size",
    "max_compile_time_ms",
];

/// The keys `[capabilities.net]` may hold, and those of each of its grants.
pub const NET_KEYS: [&str; 1] = ["allow"];

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
    /// Bytes: the largest module `compile` / `compileFile` accept.
    pub max_module_size: Option<u64>,
    /// The most functions a module may define to be compiled.
    pub max_functions: Option<u64>,
    /// Bytes: the largest function body a module may hold to be compiled.
    pub max_function_size: Option<u64>,
    /// How long compiling one module may take.
    pub max_compile_time_ms: Option<u64>,
    /// `[capabilities.net]`'s grants: the most any instance may be granted (none if absent).
    pub net: Vec<Grant>,
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
    if let Some(net) = capabilities.get("net") {
        section.net = net_section(text, net)?;
    }
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
            "max_module_size" => section.max_module_size = Some(byte_size(text, &key, value)?),
            "max_functions" => section.max_functions = Some(ceiling(text, &key, value)?),
            "max_function_size" => section.max_function_size = Some(byte_size(text, &key, value)?),
            "max_compile_time_ms" => {
                section.max_compile_time_ms = Some(ceiling(text, &key, value)?)
            }
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

fn net_section(text: &str, net: &Spanned<DeValue>) -> Result<Vec<Grant>, ManifestError> {
    let mut grants = Vec::new();
    for (name, value) in table(text, "capabilities.net", net)?.iter() {
        let key = format!("capabilities.net.{}", name.get_ref());
        if name.get_ref() != "allow" {
            return Err(ManifestError {
                line: Some(line_of(text, &name.span())),
                key: Some(key),
                problem: format!("unknown key (the keys are {})", NET_KEYS.join(", ")),
            });
        }
        let expected = "an array of tables ({ host = \"api.example.com\", ports = [443], ... })";
        let array = value
            .get_ref()
            .as_array()
            .ok_or_else(|| wrong_type(text, &key, value, expected))?;
        for item in array {
            grants.push(net_grant(text, &key, item)?);
        }
    }
    Ok(grants)
}

fn net_grant(text: &str, key: &str, item: &Spanned<DeValue>) -> Result<Grant, ManifestError> {
    use crate::sandbox::network::{port_range_text, GrantSpec, GRANT_KEYS};
    let fields = item
        .get_ref()
        .as_table()
        .ok_or_else(|| wrong_type(text, key, item, "a table"))?;
    let mut spec = GrantSpec::default();
    let mut has_host = false;
    for (name, value) in fields.iter() {
        let field = format!("{key}.{}", name.get_ref());
        match name.get_ref().as_ref() {
            "host" => {
                spec.host = value
                    .get_ref()
                    .as_str()
                    .ok_or_else(|| wrong_type(text, &field, value, "a string"))?
                    .to_string();
                has_host = true;
            }
            "ports" => {
                let one_or_many = match value.get_ref().as_array() {
                    Some(array) => array.iter().collect::<Vec<_>>(),
                    None => vec![value],
                };
                let mut ranges = Vec::new();
                for port in one_or_many {
                    let range = match port.get_ref() {
                        DeValue::Integer(_) => {
                            let n = ceiling(text, &field, port)?;
                            Ok((
                                u32::try_from(n).unwrap_or(u32::MAX),
                                u32::try_from(n).unwrap_or(u32::MAX),
                            ))
                        }
                        DeValue::String(written) => port_range_text(written),
                        _ => return Err(wrong_type(text, &field, port, "a port or \"low-high\"")),
                    };
                    ranges.push(range.map_err(|problem| invalid(text, &field, port, problem))?);
                }
                spec.ports = Some(ranges);
            }
            "protocols" => spec.protocols = Some(plain_strings(text, &field, value)?),
            "directions" => spec.directions = Some(plain_strings(text, &field, value)?),
            _ => {
                return Err(ManifestError {
                    line: Some(line_of(text, &name.span())),
                    key: Some(field),
                    problem: format!("unknown key (a grant's keys are {})", GRANT_KEYS.join(", ")),
                })
            }
        }
    }
    if !has_host {
        return Err(invalid(text, key, item, "a grant needs a host".into()));
    }
    Grant::parse(&spec).map_err(|problem| ManifestError {
        line: Some(line_of(text, &item.span())),
        key: Some(key.to_string()),
        problem,
    })
}

fn plain_strings(
    text: &str,
    key: &str,
    value: &Spanned<DeValue>,
) -> Result<Vec<String>, ManifestError> {
    let expected = "an array of strings";
    let array = value
        .get_ref()
        .as_array()
        .ok_or_else(|| wrong_type(text, key, value, expected))?;
    array
        .iter()
        .map(|item| {
            item.get_ref()
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| wrong_type(text, key, item, expected))
        })
        .collect()
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

/// A broken-manifest error (5009): the file, and the line and key when known.
pub fn broken(file: &Path, line: Option<u32>, key: Option<&str>, problem: &str) -> WasmError {
    let mut place = file.display().to_string();
    if let Some(line) = line {
        place.push_str(&format!(", line {line}"));
    }
    if let Some(key) = key {
        place.push_str(&format!(", key {key}"));
    }
    let mut error = WasmError::new(
        ErrorCode::PermissionDenied,
        format!("invalid capability manifest {place}: {problem}"),
    )
    .with_manifest(file.display().to_string());
    error.details.line = line;
    error.details.key = key.map(str::to_string);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> WasmSection {
        match parse(text) {
            Ok(section) => section,
            Err(e) => panic!("{text:?} should parse, got {e:?}"),
        }
    }

    fn broken(text: &str) -> ManifestError {
        match parse(text) {
            Ok(section) => panic!("{text:?} should be rejected, got {section:?}"),
            Err(e) => e,
        }
    }

    /// Asserts where an error points and that its problem says `says`.
    fn assert_error(error: &ManifestError, line: u32, key: &str, says: &str) {
        assert_eq!(error.line, Some(line), "line of {error:?}");
        assert_eq!(error.key.as_deref(), Some(key), "key of {error:?}");
        assert!(
            error.problem.contains(says),
            "{:?} should contain {says:?}",
            error.problem
        );
    }

    fn texts(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.text.as_str()).collect()
    }

    // --- valid manifests ---

    #[test]
    fn empty_text_allows_nothing() {
        let section = parsed("");
        assert!(section.load.is_empty() && section.preopens.is_empty());
        assert!(section.preopens_readonly.is_empty());
        assert_eq!(section.max_fuel, None);
        assert_eq!(section.max_timeout_ms, None);
        assert_eq!(section.max_memory, None);
        assert_eq!(section.max_instances, None);
    }

    #[test]
    fn other_tables_are_ignored() {
        let section = parsed(
            "[app]\nname = \"demo\"\nanything = [1, true]\n\n\
             [capabilities.gpu]\nallow = [\"example.com\"]\nload = 5\n",
        );
        assert!(section.load.is_empty() && section.net.is_empty());
        assert_eq!(section.max_fuel, None);
    }

    #[test]
    fn the_net_table_holds_grants() {
        let section = parsed(
            "[capabilities.net]\nallow = [\n  { host = \"*.example.com\", ports = [443, \"8000-8100\"], \
             protocols = [\"https\"] },\n  { host = \"10.0.0.0/8\", directions = [\"bind\"] },\n]\n",
        );
        assert_eq!(section.net.len(), 2);
        assert_eq!(
            section.net[0].to_string(),
            "*.example.com ports 443,8000-8100 https connect"
        );
        assert_eq!(
            section.net[1].to_string(),
            "10.0.0.0/8 any port tcp,udp,http,https bind"
        );
        let error = broken("[capabilities.net]\nallow = [\"example.com\"]\n");
        assert_eq!(error.key.as_deref(), Some("capabilities.net.allow"));
        assert_eq!(error.line, Some(2));
    }

    #[test]
    fn capabilities_without_wasm_allows_nothing() {
        let section = parsed("[capabilities]\nnet = { allow = [] }\n");
        assert!(section.load.is_empty() && section.preopens.is_empty());
    }

    #[test]
    fn a_full_section_with_the_line_of_every_entry() {
        let text = "\
# comment
[capabilities.wasm]
load = [
  \"plugins/*.wasm\",
  \"~/tools/**/*.wasm\",
]
preopens = [\"./data\"]
preopens_readonly = [\"/usr/share/dict\", \"assets\"]
max_fuel = 1000000
max_timeout_ms = 250
max_memory = \"64MiB\"
max_instances = 8
";
        let section = parsed(text);
        assert_eq!(
            texts(&section.load),
            ["plugins/*.wasm", "~/tools/**/*.wasm"]
        );
        assert_eq!(
            section.load.iter().map(|e| e.line).collect::<Vec<_>>(),
            [4, 5]
        );
        assert!(section
            .load
            .iter()
            .all(|e| e.key == "capabilities.wasm.load"));
        assert_eq!(texts(&section.preopens), ["./data"]);
        assert_eq!(section.preopens[0].line, 7);
        assert_eq!(section.preopens[0].key, "capabilities.wasm.preopens");
        assert_eq!(
            texts(&section.preopens_readonly),
            ["/usr/share/dict", "assets"]
        );
        assert!(section
            .preopens_readonly
            .iter()
            .all(|e| e.line == 8 && e.key == "capabilities.wasm.preopens_readonly"));
        assert_eq!(section.max_fuel, Some(1_000_000));
        assert_eq!(section.max_timeout_ms, Some(250));
        assert_eq!(section.max_memory, Some(64 << 20));
        assert_eq!(section.max_instances, Some(8));
    }

    #[test]
    fn dotted_keys_and_inline_tables_are_the_same_section() {
        let dotted =
            parsed("capabilities.wasm.load = [\"a.wasm\"]\ncapabilities.wasm.max_fuel = 7\n");
        assert_eq!(texts(&dotted.load), ["a.wasm"]);
        assert_eq!(dotted.load[0].line, 1);
        assert_eq!(dotted.max_fuel, Some(7));

        let inline =
            parsed("capabilities = { wasm = { load = [\"b.wasm\"], max_instances = 2 } }\n");
        assert_eq!(texts(&inline.load), ["b.wasm"]);
        assert_eq!(inline.max_instances, Some(2));

        let subtable = parsed("[capabilities]\nwasm.preopens = [\"d\"]\n");
        assert_eq!(texts(&subtable.preopens), ["d"]);
        assert_eq!(subtable.preopens[0].line, 2);
    }

    #[test]
    fn empty_lists_and_zero_ceilings_are_allowed() {
        let section = parsed(
            "[capabilities.wasm]\nload = []\nmax_fuel = 0\nmax_timeout_ms = 0\n\
             max_memory = 0\nmax_instances = 0\n",
        );
        assert!(section.load.is_empty());
        assert_eq!(section.max_fuel, Some(0));
        assert_eq!(section.max_timeout_ms, Some(0));
        assert_eq!(section.max_memory, Some(0));
        assert_eq!(section.max_instances, Some(0));
    }

    #[test]
    fn integers_in_every_toml_notation() {
        let ceiling_of = |written: &str| {
            parsed(&format!("[capabilities.wasm]\nmax_fuel = {written}\n")).max_fuel
        };
        assert_eq!(ceiling_of("0x10"), Some(16));
        assert_eq!(ceiling_of("0o17"), Some(15));
        assert_eq!(ceiling_of("0b101"), Some(5));
        assert_eq!(ceiling_of("+42"), Some(42));
        assert_eq!(ceiling_of("1_000_000"), Some(1_000_000));
        assert_eq!(ceiling_of("0xdead_beef"), Some(0xdead_beef));
    }

    #[test]
    fn the_largest_ceiling_is_the_largest_exact_js_integer() {
        let section = parsed("[capabilities.wasm]\nmax_fuel = 9007199254740991\n");
        assert_eq!(section.max_fuel, Some(MAX_CEILING));
        let error = broken("[capabilities.wasm]\nmax_fuel = 9007199254740992\n");
        assert_error(&error, 2, "capabilities.wasm.max_fuel", "out of range");
        assert!(error.problem.contains("9007199254740992"), "{error:?}");
    }

    #[test]
    fn crlf_line_endings_count_lines_the_same() {
        let section = parsed("[app]\r\nx = 1\r\n[capabilities.wasm]\r\nload = [\"a.wasm\"]\r\n");
        assert_eq!(section.load[0].line, 4);
        let error = broken("[capabilities.wasm]\r\n\r\nmax_fuel = -1\r\n");
        assert_eq!(error.line, Some(3));
    }

    #[test]
    fn entries_keep_their_text_exactly() {
        let section = parsed(
            "[capabilities.wasm]\nload = [' spaced name.wasm', \"caf\\u00e9/*.wasm\", '''C:\\dir\\x.wasm''']\n",
        );
        assert_eq!(
            texts(&section.load),
            [" spaced name.wasm", "caf\u{e9}/*.wasm", "C:\\dir\\x.wasm"]
        );
    }

    // --- broken manifests: the line and the key of what is wrong ---

    #[test]
    fn an_unknown_key_names_the_known_ones() {
        let error = broken("[capabilities.wasm]\nload = []\nlaod = [\"x.wasm\"]\n");
        assert_error(&error, 3, "capabilities.wasm.laod", "unknown key");
        for key in KEYS {
            assert!(
                error.problem.contains(key),
                "{:?} lists {key}",
                error.problem
            );
        }
    }

    #[test]
    fn a_misspelt_readonly_key_is_not_ignored() {
        // A typo must never silently drop a restriction or a grant.
        let error = broken("[capabilities.wasm]\npreopens_read_only = [\"/data\"]\n");
        assert_error(
            &error,
            2,
            "capabilities.wasm.preopens_read_only",
            "unknown key",
        );
    }

    #[test]
    fn lists_of_the_wrong_type() {
        let error = broken("[capabilities.wasm]\nload = \"plugins/*.wasm\"\n");
        assert_error(
            &error,
            2,
            "capabilities.wasm.load",
            "expected an array of strings, found string",
        );
        let error = broken("[capabilities.wasm]\n\npreopens = { dir = \"x\" }\n");
        assert_error(&error, 3, "capabilities.wasm.preopens", "found table");
        let error = broken("[capabilities.wasm]\npreopens_readonly = 1\n");
        assert_error(
            &error,
            2,
            "capabilities.wasm.preopens_readonly",
            "found integer",
        );
    }

    #[test]
    fn a_bad_item_is_reported_at_its_own_line() {
        let error = broken("[capabilities.wasm]\nload = [\n  \"a.wasm\",\n  42,\n]\n");
        assert_error(
            &error,
            4,
            "capabilities.wasm.load",
            "expected an array of strings, found integer",
        );
        let error = broken("[capabilities.wasm]\npreopens = [\"a\", [\"b\"]]\n");
        assert_error(&error, 2, "capabilities.wasm.preopens", "found array");
    }

    #[test]
    fn empty_entries_and_nul_characters_are_rejected() {
        let error = broken("[capabilities.wasm]\nload = [\n\"ok.wasm\",\n\"\"]\n");
        assert_error(
            &error,
            4,
            "capabilities.wasm.load",
            "non-empty path without NUL",
        );
        let error = broken("[capabilities.wasm]\npreopens = [\"a\\u0000b\"]\n");
        assert_error(&error, 2, "capabilities.wasm.preopens", "NUL");
    }

    #[test]
    fn ceilings_must_be_non_negative_integers() {
        for key in ["max_fuel", "max_timeout_ms", "max_instances"] {
            let full = format!("capabilities.wasm.{key}");
            let error = broken(&format!("[capabilities.wasm]\n{key} = -1\n"));
            assert_error(&error, 2, &full, "out of range");
            let error = broken(&format!("[capabilities.wasm]\n{key} = 1.5\n"));
            assert_error(
                &error,
                2,
                &full,
                "expected a non-negative integer, found float",
            );
            let error = broken(&format!("[capabilities.wasm]\n{key} = \"10\"\n"));
            assert_error(&error, 2, &full, "found string");
            let error = broken(&format!("[capabilities.wasm]\n{key} = true\n"));
            assert_error(&error, 2, &full, "found boolean");
            let error = broken(&format!(
                "[capabilities.wasm]\n{key} = 99999999999999999999999\n"
            ));
            assert_eq!(error.line, Some(2), "{error:?}");
        }
    }

    #[test]
    fn the_section_itself_must_be_a_table() {
        let error = broken("capabilities = 5\n");
        assert_error(&error, 1, "capabilities", "expected a table, found integer");
        let error = broken("[capabilities]\nwasm = [\"load\"]\n");
        assert_error(
            &error,
            2,
            "capabilities.wasm",
            "expected a table, found array",
        );
    }

    #[test]
    fn invalid_toml_names_the_line_and_the_key_meant() {
        let error = broken("[capabilities.wasm]\nload = [\"a.wasm\"]\nmax_fuel = 12abc\n");
        assert_eq!(error.line, Some(3), "{error:?}");
        assert_eq!(error.key.as_deref(), Some("capabilities.wasm.max_fuel"));
        assert!(error.problem.starts_with("not valid TOML: "), "{error:?}");

        let error = broken("[capabilities.wasm]\nload = [\"a.wasm\"\n");
        assert!(error.line.is_some(), "{error:?}");
        assert!(error.problem.starts_with("not valid TOML"), "{error:?}");
    }

    #[test]
    fn a_duplicate_key_is_invalid_toml() {
        let error = broken("[capabilities.wasm]\nmax_fuel = 1\nmax_fuel = 2\n");
        assert_eq!(error.line, Some(3), "{error:?}");
        assert_eq!(error.key.as_deref(), Some("capabilities.wasm.max_fuel"));
    }

    #[test]
    fn a_duplicate_table_is_invalid_toml() {
        let error = broken("[capabilities.wasm]\nmax_fuel = 1\n[capabilities.wasm]\nload = []\n");
        assert_eq!(error.line, Some(3), "{error:?}");
        assert!(error.problem.starts_with("not valid TOML"), "{error:?}");
    }

    // --- byte sizes ---

    #[test]
    fn byte_sizes_in_every_unit() {
        let cases: [(&str, u64); 16] = [
            ("0", 0),
            ("1000000", 1_000_000),
            ("7B", 7),
            ("512KiB", 512 << 10),
            ("256MiB", 256 << 20),
            ("1GiB", 1 << 30),
            ("2TiB", 2 << 40),
            ("3kB", 3_000),
            ("3KB", 3_000),
            ("5MB", 5_000_000),
            ("2GB", 2_000_000_000),
            ("1TB", 1_000_000_000_000),
            ("256 MiB", 256 << 20),
            ("  1GiB  ", 1 << 30),
            ("007MiB", 7 << 20),
            ("18446744073709551615", u64::MAX),
        ];
        for (written, bytes) in cases {
            assert_eq!(parse_byte_size(written), Some(bytes), "{written:?}");
        }
    }

    #[test]
    fn byte_sizes_that_are_not_sizes() {
        for written in [
            "",
            "   ",
            "MiB",
            "-1",
            "+1",
            "1.5GiB",
            "1,000",
            "1 mib",
            "1mb",
            "1Mb",
            "1 MiBs",
            "1MiB extra",
            "1 M",
            "1 KIB",
            "0x10",
            "1e6",
            "one MiB",
            "1 1MiB",
            "18446744073709551616",
            "18446744073709551615 KiB",
            "17179869184GiB",
        ] {
            assert_eq!(parse_byte_size(written), None, "{written:?}");
        }
    }

    #[test]
    fn max_module_size_takes_the_same_sizes_as_max_memory() {
        let size = |written: &str| {
            parsed(&format!(
                "[capabilities.wasm]\nmax_module_size = {written}\n"
            ))
            .max_module_size
        };
        assert_eq!(size("\"512MiB\""), Some(512 << 20));
        assert_eq!(size("1000"), Some(1000));
        assert_eq!(size("\"0\""), Some(0));
        let error = broken("[capabilities.wasm]\nmax_module_size = \"big\"\n");
        assert_eq!(
            error.key.as_deref(),
            Some("capabilities.wasm.max_module_size")
        );
    }

    #[test]
    fn max_memory_takes_integers_and_sizes() {
        let memory = |written: &str| {
            parsed(&format!("[capabilities.wasm]\nmax_memory = {written}\n")).max_memory
        };
        assert_eq!(memory("1048576"), Some(1 << 20));
        assert_eq!(memory("\"1048576\""), Some(1 << 20));
        assert_eq!(memory("\"1 GiB\""), Some(1 << 30));
        assert_eq!(memory("0x100000"), Some(1 << 20));
        assert_eq!(memory("\"8191TiB\""), Some(8191 << 40));
    }

    #[test]
    fn max_memory_rejects_what_is_not_a_size() {
        let key = "capabilities.wasm.max_memory";
        let error = broken("[capabilities.wasm]\nmax_memory = \"1.5GiB\"\n");
        assert_error(&error, 2, key, "\"1.5GiB\" is not a byte count");
        let error = broken("[capabilities.wasm]\nmax_memory = \"lots\"\n");
        assert_error(&error, 2, key, "is not a byte count");
        let error = broken("[capabilities.wasm]\nmax_memory = 1.5\n");
        assert_error(&error, 2, key, "found float");
        let error = broken("[capabilities.wasm]\nmax_memory = -5\n");
        assert_error(&error, 2, key, "out of range");
        let error = broken("[capabilities.wasm]\nmax_memory = [\"1GiB\"]\n");
        assert_error(&error, 2, key, "found array");
    }

    #[test]
    fn max_memory_past_the_largest_exact_js_integer_is_rejected() {
        // 8192 TiB is 2^53 bytes: one more than the largest ceiling.
        let error = broken("[capabilities.wasm]\n\nmax_memory = \"8192TiB\"\n");
        assert_error(
            &error,
            3,
            "capabilities.wasm.max_memory",
            "is larger than 9007199254740991 bytes",
        );
        // A size that overflows u64 is not a size at all.
        let error = broken("[capabilities.wasm]\nmax_memory = \"99999999999TiB\"\n");
        assert_error(
            &error,
            2,
            "capabilities.wasm.max_memory",
            "is not a byte count",
        );
    }

    // --- the helpers that locate errors ---

    #[test]
    fn line_of_counts_newlines_before_the_offset() {
        let text = "a\nbb\n\nccc";
        assert_eq!(line_of(text, &(0..1)), 1);
        assert_eq!(line_of(text, &(1..2)), 1); // the newline itself is still line 1
        assert_eq!(line_of(text, &(2..3)), 2);
        assert_eq!(line_of(text, &(5..5)), 3);
        assert_eq!(line_of(text, &(6..9)), 4);
        // An offset past the end (or inside a character) counts the whole text.
        assert_eq!(line_of(text, &(100..101)), 4);
        assert_eq!(line_of("é\nx", &(1..2)), 2);
    }

    #[test]
    fn key_at_line_joins_the_table_and_the_name() {
        let text = "top = 1\n[capabilities.wasm]\nmax_fuel = oops\n[ other ]\n= 3\nbare\n";
        assert_eq!(key_at_line(text, 1).as_deref(), Some("top"));
        // A header line sets no key, and no table is open above it.
        assert_eq!(key_at_line(text, 2), None);
        assert_eq!(
            key_at_line(text, 3).as_deref(),
            Some("capabilities.wasm.max_fuel")
        );
        assert_eq!(key_at_line(text, 5).as_deref(), Some("other"));
        assert_eq!(key_at_line(text, 6).as_deref(), Some("other"));
        assert_eq!(key_at_line(text, 0), None);
        assert_eq!(key_at_line(text, 99), None);
        assert_eq!(key_at_line("nothing here", 1), None);
    }
}
