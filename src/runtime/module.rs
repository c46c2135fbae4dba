//! Compiled modules: compile from bytes or WAT text, from a file, and drop.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use once_cell::sync::{Lazy, OnceCell};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::compile_limits::{Budget, CompileLimits};
use crate::runtime::component::{self, compiled::ComponentEntry};
use crate::runtime::engine::{Metering, Tier};
use crate::runtime::module_types;
use crate::runtime::registry::Registry;
use crate::runtime::tiers::{self, CompiledModule, Optimization, Tiered};
use crate::sandbox;
use crate::sandbox::checked_open;

/// Every live module and component, by id.
pub static MODULES: Lazy<Registry<Compiled>> =
    Lazy::new(|| Registry::new("module:", ErrorCode::InvalidModuleHandle));

/// What a compile made: a core module or a component.
pub enum Compiled {
    Module(Arc<ModuleEntry>),
    Component(Arc<ComponentEntry>),
}

impl Compiled {
    /// The core module, or an error saying that `what` is for core modules only.
    pub fn module(&self, what: &str) -> WasmResult<&Arc<ModuleEntry>> {
        match self {
            Compiled::Module(module) => Ok(module),
            Compiled::Component(_) => Err(WasmError::new(
                ErrorCode::CompileError,
                format!(
                    "{what} is for core modules, and this is a component: componentWorld(id) \
                     lists a component's imports and exports with their WIT types"
                ),
            )),
        }
    }

    /// "module" or "component".
    pub fn kind(&self) -> &'static str {
        match self {
            Compiled::Module(_) => "module",
            Compiled::Component(_) => "component",
        }
    }

    /// Where its code came from: "memory", "disk" (the cache) or "compiled".
    pub fn origin(&self) -> &'static str {
        match self {
            Compiled::Module(module) => module.origin(),
            Compiled::Component(component) => component.origin().name(),
        }
    }
}

pub struct ModuleEntry {
    /// The binary, kept to compile the fuel-metered variant when an instance first needs it
    /// (and shared with the background compile of its optimized code).
    source: Arc<[u8]>,
    /// The compile budget it was compiled under, which bounds that compile too.
    budget: Budget,
    /// Its code for instances without fuel: checking the epoch, or nothing when `trusted`.
    plain: Arc<Tiered>,
    metered: OnceCell<Arc<Tiered>>,
    /// Compiled without interruption checks (see `Metering::Trusted`).
    trusted: bool,
}

impl ModuleEntry {
    /// The code a new instance of the engine of `metering` gets now, at its best tier so far.
    pub fn code(&self, metering: Metering) -> WasmResult<Arc<CompiledModule>> {
        Ok(self.tiered(metering)?.current())
    }

    /// Whether instantiating runs the module's own code: a start function, or a WASI reactor's
    /// `_initialize`. An instance of a module that runs none needs no fiber to be made.
    pub fn runs_code_when_instantiated(&self) -> bool {
        self.plain
            .current()
            .module
            .get_export("_initialize")
            .is_some()
            || declares_start(&self.source)
    }

    /// The size of the module's binary in bytes.
    pub fn source_len(&self) -> usize {
        self.source.len()
    }

    /// Whether the module imports any function (all of which are host functions that may
    /// suspend the call, so its stores need wasmtime's async entry points).
    pub fn imports_functions(&self) -> bool {
        self.plain
            .current()
            .module
            .imports()
            .any(|import| matches!(import.ty(), wasmtime::ExternType::Func(_)))
    }

    /// Where the module's code came from: "memory", "disk" (the cache) or "compiled".
    pub fn origin(&self) -> &'static str {
        self.plain.current().origin.name()
    }

    /// The tier of the code new instances get: "baseline" or "optimized".
    pub fn tier(&self) -> &'static str {
        match self.plain.current().kind.tier {
            Tier::Baseline => "baseline",
            Tier::Optimized => "optimized",
        }
    }

    /// The module's imports, with their types.
    pub fn imports(&self) -> Vec<module_types::Item> {
        module_types::imports(&self.plain.current().module)
    }

    /// The module's exports, with their types.
    pub fn exports(&self) -> Vec<module_types::Item> {
        module_types::exports(&self.plain.current().module)
    }

    /// Waits until the optimized code is in (true) or cannot be made (false). Blocking.
    pub fn wait_optimized(&self) -> bool {
        self.plain.wait_optimized() == Optimization::Done
    }

    /// Whether the module was compiled `trusted`: its instances cannot be stopped while they
    /// run wasm, so they get no deadline, abort or fuel.
    pub fn trusted(&self) -> bool {
        self.trusted
    }

    fn tiered(&self, metering: Metering) -> WasmResult<&Arc<Tiered>> {
        match (metering, self.trusted) {
            (Metering::Off, false) | (Metering::Trusted, true) => Ok(&self.plain),
            (Metering::Fuel, false) => self
                .metered
                .get_or_try_init(|| tiers::compile(&self.source, Metering::Fuel, &self.budget)),
            _ => Err(WasmError::new(
                ErrorCode::InstantiateError,
                "a module compiled trusted runs only without fuel, and one compiled without \
                 trusted never runs unchecked",
            )),
        }
    }
}

/// The error for bytes or text that are not a valid module; `detail` is the compiler's words.
pub fn invalid_module(detail: &str) -> WasmError {
    WasmError::new(
        ErrorCode::CompileError,
        format!("invalid WebAssembly module: {}", shorten_lines(detail)),
    )
}

/// Which code a compile makes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Variants {
    /// Without interruption checks (see `Metering::Trusted`), and nothing else.
    pub trusted: bool,
    /// The fuel-metered code too, up front, rather than when the first instance with fuel is
    /// made (implied while a manifest's `max_fuel` meters every instance).
    pub fuel: bool,
}

/// Compiles binary wasm or WAT text under the budget `limits` asks for (and the process's and
/// the manifest's), making the code `variants` asks for. CPU-bound: call it off the JS thread.
pub fn compile(source: Vec<u8>, limits: &CompileLimits, variants: Variants) -> WasmResult<String> {
    let budget = Budget::in_force(limits);
    if source.len() as u64 > budget.bytes.value {
        return Err(budget.too_large(
            ErrorCode::CompileError,
            "the module source",
            Some(source.len() as u64),
        ));
    }
    compile_checked(source, budget, variants)
}

fn compile_checked(source: Vec<u8>, budget: Budget, variants: Variants) -> WasmResult<String> {
    let Variants { trusted, fuel } = variants;
    if trusted && fuel {
        return Err(WasmError::new(
            ErrorCode::CompileError,
            "trusted and fuel exclude each other: trusted code has no checks, fuel-metered code \
             counts every instruction",
        ));
    }
    // Text becomes a binary first: the budget reads the binary's functions.
    let binary = match wat::parse_bytes(&source) {
        Ok(std::borrow::Cow::Borrowed(_)) => source,
        Ok(std::borrow::Cow::Owned(binary)) => binary,
        Err(e) => return Err(invalid_module(&format!("{e:#}"))),
    };
    budget.check_functions(&binary)?;
    let binary: Arc<[u8]> = binary.into();
    if component::is_component(&binary) {
        let fuel = fuel || every_instance_metered();
        let entry = ComponentEntry::compile(binary, budget, trusted, fuel)?;
        let id = MODULES.next_id();
        return Ok(MODULES.insert(id, Arc::new(Compiled::Component(Arc::new(entry)))));
    }
    let metering = if trusted {
        Metering::Trusted
    } else {
        Metering::Off
    };
    let plain = tiers::compile(&binary, metering, &budget)?;
    let entry = ModuleEntry {
        trusted,
        source: binary,
        budget,
        plain,
        metered: OnceCell::new(),
    };
    if !trusted && (fuel || every_instance_metered()) {
        entry.tiered(Metering::Fuel)?;
    }
    let id = MODULES.next_id();
    Ok(MODULES.insert(id, Arc::new(Compiled::Module(Arc::new(entry)))))
}

/// Whether the manifest in force gives every instance fuel (`max_fuel`).
fn every_instance_metered() -> bool {
    sandbox::policy().is_ok_and(|policy| policy.ceilings().max_fuel.is_some())
}

/// Whether a binary module has a start section; `true` for anything that is not a well-formed
/// binary (the answer must never be a wrong "no").
fn declares_start(binary: &[u8]) -> bool {
    const START_SECTION: u8 = 8;
    let Some(mut rest) = binary.strip_prefix(b"\0asm\x01\0\0\0") else {
        return true;
    };
    while let Some((&id, after_id)) = rest.split_first() {
        let Some((size, after_size)) = read_leb128_u32(after_id) else {
            return true;
        };
        if id == START_SECTION {
            return true;
        }
        let Some(next) = after_size.get(size as usize..) else {
            return true;
        };
        rest = next;
    }
    false
}

/// An unsigned LEB128 number (at most 5 bytes) and what follows it.
fn read_leb128_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut value: u32 = 0;
    for (index, &byte) in bytes.iter().enumerate().take(5) {
        value |= u32::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[index + 1..]));
        }
    }
    None
}

/// Reads and compiles a module file under the budget `limits` asks for. Blocking: call it off
/// the JS thread.
pub fn compile_file(path: &str, limits: &CompileLimits, variants: Variants) -> WasmResult<String> {
    let budget = Budget::in_force(limits);
    let bytes = read_module_file(path, &budget)?;
    compile_checked(bytes, budget, variants).map_err(|mut e| {
        e.message = format!("{path:?}: {}", e.message);
        e
    })
}

/// The size of a module file that `compile_file` would read, for `onProgress`: known only
/// after the policy allowed it, so that a refusal reports nothing about the file.
pub fn module_file_size(path: &str) -> WasmResult<u64> {
    let (_, meta) = open_module_file(path)?;
    Ok(meta.len())
}

/// Opens the file and checks what was opened against the capability policy, then that it is a
/// regular file: nothing about it is looked at before the policy allowed it.
fn open_module_file(path: &str) -> WasmResult<(std::fs::File, std::fs::Metadata)> {
    let policy = sandbox::policy()?;
    let opened = match checked_open::open_file(Path::new(path)) {
        Ok(opened) => opened,
        Err(e) => {
            policy.check_unopened_load(path)?;
            return Err(read_error(path, e));
        }
    };
    policy.check_load(path, &opened)?;
    let meta = opened.file().metadata().map_err(|e| read_error(path, e))?;
    if !meta.is_file() {
        return Err(WasmError::new(
            ErrorCode::IoError,
            format!(
                "cannot read module file {path:?}: it is not a regular file (a module is read \
                 only from a regular file)"
            ),
        )
        .with_path(path));
    }
    Ok((opened.into_file(), meta))
}

/// Reads the bytes from the descriptor that was checked: a name swapped for a symlink after the
/// check changes nothing.
fn read_module_file(path: &str, budget: &Budget) -> WasmResult<Vec<u8>> {
    let (file, meta) = open_module_file(path)?;
    let limit = budget.bytes.value;
    let too_large = |size| {
        budget
            .too_large(ErrorCode::IoError, &format!("module file {path:?}"), size)
            .with_path(path)
    };
    if meta.len() > limit {
        return Err(too_large(Some(meta.len())));
    }
    // The size stat reports is not a bound (a /proc file says 0, a file may grow): read at
    // most one byte past the limit, and fail if that byte came.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(None));
    }
    Ok(bytes)
}

fn read_error(path: &str, e: std::io::Error) -> WasmError {
    WasmError::new(
        ErrorCode::IoError,
        format!("cannot read module file {path:?}: {e}"),
    )
    .with_path(path)
}

pub fn drop_module(id: &str) -> WasmResult<()> {
    MODULES.remove(id).map(|_| ())
}

pub fn get(id: &str) -> WasmResult<Arc<Compiled>> {
    MODULES.get(id)
}

/// Cuts each line of an error message to a readable length: a text-format error quotes its
/// source line, which may be megabytes long.
fn shorten_lines(message: &str) -> String {
    const MAX_LINE: usize = 200;
    message
        .lines()
        .map(|line| match line.char_indices().nth(MAX_LINE) {
            Some((cut, _)) => format!("{}...", &line[..cut]),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &[u8] = b"\0asm\x01\0\0\0";

    /// A binary module: the header, then each (id, contents) as a section.
    fn binary(sections: &[(u8, &[u8])]) -> Vec<u8> {
        let mut bytes = HEADER.to_vec();
        for (id, contents) in sections {
            bytes.push(*id);
            bytes.extend(leb128(contents.len() as u32));
            bytes.extend_from_slice(contents);
        }
        bytes
    }

    fn leb128(mut value: u32) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    #[test]
    fn leb128_reads_one_to_five_bytes() {
        assert_eq!(read_leb128_u32(&[0x00]), Some((0, &[][..])));
        assert_eq!(read_leb128_u32(&[0x7f, 0xaa]), Some((127, &[0xaa][..])));
        assert_eq!(read_leb128_u32(&[0x80, 0x01]), Some((128, &[][..])));
        assert_eq!(
            read_leb128_u32(&[0xe5, 0x8e, 0x26]),
            Some((624485, &[][..]))
        );
        assert_eq!(
            read_leb128_u32(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
            Some((u32::MAX, &[0x01][..]))
        );
        // Redundant padding is still the same number.
        assert_eq!(read_leb128_u32(&[0x80, 0x80, 0x00]), Some((0, &[][..])));
        for value in [0, 1, 127, 128, 16383, 16384, 1 << 28, u32::MAX] {
            let bytes = leb128(value);
            assert_eq!(read_leb128_u32(&bytes), Some((value, &[][..])), "{value}");
        }
    }

    #[test]
    fn leb128_rejects_unterminated_and_overlong_numbers() {
        assert_eq!(read_leb128_u32(&[]), None);
        assert_eq!(read_leb128_u32(&[0x80]), None);
        assert_eq!(read_leb128_u32(&[0xff, 0xff, 0xff, 0xff]), None);
        // A sixth byte is never read: five continuation bytes are not a u32.
        assert_eq!(read_leb128_u32(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), None);
    }

    #[test]
    fn a_module_without_a_start_section_is_told_so() {
        assert!(!declares_start(HEADER));
        let type_section: &[u8] = &[0x01, 0x60, 0x00, 0x00];
        let custom: &[u8] = b"\x04name";
        assert!(!declares_start(&binary(&[
            (0, custom),
            (1, type_section),
            (0, b"")
        ])));
    }

    #[test]
    fn a_start_section_anywhere_is_found() {
        assert!(declares_start(&binary(&[(8, &[0x00])])));
        assert!(declares_start(&binary(&[
            (0, b"\x01x"),
            (1, &[0x01, 0x60, 0x00, 0x00]),
            (8, &[0x00]),
        ])));
        // Even a start section whose contents are cut off.
        let mut cut = binary(&[(8, &[0x00])]);
        cut.pop();
        assert!(declares_start(&cut));
    }

    #[test]
    fn a_custom_section_holding_the_byte_8_is_not_a_start_section() {
        assert!(!declares_start(&binary(&[(0, &[8, 8, 8, 8])])));
    }

    #[test]
    fn anything_unreadable_counts_as_declaring_a_start() {
        // The answer may be a wrong "yes", never a wrong "no".
        assert!(declares_start(b""));
        assert!(declares_start(b"(module)"));
        assert!(declares_start(b"\0asm\x02\0\0\0"));
        assert!(declares_start(b"\0asm\x01\0\0"));
        // A section size running past the end.
        let mut overlong = HEADER.to_vec();
        overlong.extend([1, 10, 0x60]);
        assert!(declares_start(&overlong));
        // A section id without a size, and a size that never ends.
        let mut no_size = HEADER.to_vec();
        no_size.push(1);
        assert!(declares_start(&no_size));
        let mut endless = HEADER.to_vec();
        endless.extend([1, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(declares_start(&endless));
        // A size of u32::MAX on a small buffer must not wrap around.
        let mut huge = HEADER.to_vec();
        huge.extend([0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(declares_start(&huge));
    }

    #[test]
    fn valid_modules_are_scanned_by_section() {
        let engine = wasmtime::Engine::default();
        let func_type: &[u8] = &[0x01, 0x60, 0x00, 0x00];
        let one_func: &[u8] = &[0x01, 0x00];
        let empty_body: &[u8] = &[0x01, 0x02, 0x00, 0x0b];
        let cases: [(&str, Vec<u8>, bool); 3] = [
            ("(module)", HEADER.to_vec(), false),
            (
                "(module (func $s) (start $s))",
                binary(&[
                    (1, func_type),
                    (3, one_func),
                    (8, &[0x00]),
                    (10, empty_body),
                ]),
                true,
            ),
            (
                "a data segment and an export full of 8s, without a start",
                binary(&[
                    (1, func_type),
                    (3, one_func),
                    (5, &[0x01, 0x00, 0x01]),
                    (7, &[0x01, 0x01, 0x08, 0x00, 0x00]),
                    (10, empty_body),
                    (11, &[0x01, 0x00, 0x41, 0x08, 0x0b, 0x02, 0x08, 0x08]),
                ]),
                false,
            ),
        ];
        for (what, bytes, starts) in cases {
            wasmtime::Module::validate(&engine, &bytes)
                .unwrap_or_else(|e| panic!("{what}: the test binary is invalid: {e:#}"));
            assert_eq!(declares_start(&bytes), starts, "{what}");
        }
    }

    #[test]
    fn shorten_lines_cuts_each_long_line() {
        assert_eq!(shorten_lines("short\nlines"), "short\nlines");
        let long = "x".repeat(1000);
        let shortened = shorten_lines(&format!("first\n{long}\nlast"));
        let lines: Vec<&str> = shortened.lines().collect();
        assert_eq!(lines[0], "first");
        assert_eq!(lines[1], format!("{}...", "x".repeat(200)));
        assert_eq!(lines[2], "last");
        // Exactly 200 characters stay whole; multi-byte characters are cut between them.
        assert_eq!(shorten_lines(&"y".repeat(200)), "y".repeat(200));
        let wide = "\u{e9}".repeat(300);
        assert_eq!(shorten_lines(&wide), format!("{}...", "\u{e9}".repeat(200)));
    }
}
