//! Compiled modules: compile from bytes or WAT text, from a file, and drop.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use once_cell::sync::OnceCell;
use wasmtime::{InstancePre, Module};

use crate::cache::{self, CacheKey, Origin};
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::engine::{engine, Metering};
use crate::runtime::linker::prelink;
use crate::runtime::registry::MODULES;
use crate::runtime::store::HostState;
use crate::sandbox;
use crate::sandbox::checked_open;

pub struct ModuleEntry {
    /// The source, kept to compile the fuel-metered variant when an instance first needs it.
    source: Vec<u8>,
    plain: CompiledModule,
    metered: OnceCell<CompiledModule>,
}

/// A module compiled for one engine, and its imports resolved once for every instance.
struct CompiledModule {
    module: Arc<Module>,
    origin: Origin,
    instance_pre: OnceCell<InstancePre<HostState>>,
}

impl ModuleEntry {
    /// The module linked against WASI for the engine of `metering`, made once and reused.
    pub fn instance_pre(&self, metering: Metering) -> WasmResult<&InstancePre<HostState>> {
        let compiled = self.compiled(metering)?;
        compiled
            .instance_pre
            .get_or_try_init(|| prelink(&compiled.module, metering, None))
    }

    /// Whether instantiating runs the module's own code: a start function, or a WASI reactor's
    /// `_initialize`. (A source that is not a binary we can read, such as WAT text, counts as
    /// yes.) An instance of a module that runs none needs no fiber to be made.
    pub fn runs_code_when_instantiated(&self) -> bool {
        self.plain.module.get_export("_initialize").is_some() || declares_start(&self.source)
    }

    /// The size of the module's source in bytes.
    pub fn source_len(&self) -> usize {
        self.source.len()
    }

    /// Whether the module imports any function (all of which are host functions that may
    /// suspend the call, so its stores need wasmtime's async entry points).
    pub fn imports_functions(&self) -> bool {
        self.plain
            .module
            .imports()
            .any(|import| matches!(import.ty(), wasmtime::ExternType::Func(_)))
    }

    /// Where the module's code came from: "memory", "disk" (the cache) or "compiled".
    pub fn origin(&self) -> &'static str {
        self.plain.origin.name()
    }

    /// The module compiled for the engine of `metering`.
    pub fn module(&self, metering: Metering) -> WasmResult<&Module> {
        Ok(&self.compiled(metering)?.module)
    }

    fn compiled(&self, metering: Metering) -> WasmResult<&CompiledModule> {
        match metering {
            Metering::Off => Ok(&self.plain),
            Metering::Fuel => self
                .metered
                .get_or_try_init(|| compile_for(&self.source, Metering::Fuel)),
        }
    }
}

fn compile_for(source: &[u8], metering: Metering) -> WasmResult<CompiledModule> {
    let engine = engine(metering)?;
    let key = CacheKey::new(engine, metering, source);
    let (module, origin) = cache::load_or_compile(engine, key, || Module::new(engine, source))
        .map_err(|e| {
            WasmError::new(
                ErrorCode::CompileError,
                format!(
                    "invalid WebAssembly module: {}",
                    shorten_lines(&format!("{e:#}"))
                ),
            )
        })?;
    Ok(CompiledModule {
        module,
        origin,
        instance_pre: OnceCell::new(),
    })
}

/// Compiles binary wasm or WAT text. CPU-bound: call it off the JS thread.
pub fn compile(source: Vec<u8>) -> WasmResult<String> {
    let plain = compile_for(&source, Metering::Off)?;
    let entry = ModuleEntry {
        source,
        plain,
        metered: OnceCell::new(),
    };
    let id = MODULES.next_id();
    Ok(MODULES.insert(id, Arc::new(entry)))
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

/// Reads and compiles a module file. Blocking: call it off the JS thread.
pub fn compile_file(path: &str) -> WasmResult<String> {
    let bytes = read_module_file(path)?;
    compile(bytes).map_err(|mut e| {
        e.message = format!("{path:?}: {}", e.message);
        e
    })
}

/// Opens the file, checks what was opened against the capability policy, and reads the bytes
/// from that same descriptor: a name swapped for a symlink after the check changes nothing.
fn read_module_file(path: &str) -> WasmResult<Vec<u8>> {
    let policy = sandbox::policy()?;
    let opened = match checked_open::open_file(Path::new(path)) {
        Ok(opened) => opened,
        Err(e) => {
            policy.check_unopened_load(path)?;
            return Err(read_error(path, e));
        }
    };
    policy.check_load(path, &opened)?;
    let is_file = opened
        .file()
        .metadata()
        .map_err(|e| read_error(path, e))?
        .is_file();
    if !is_file {
        return Err(WasmError::new(
            ErrorCode::IoError,
            format!("cannot read module file {path:?}: it is not a regular file"),
        )
        .with_path(path));
    }
    let mut bytes = Vec::new();
    opened
        .into_file()
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(path, e))?;
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

pub fn get(id: &str) -> WasmResult<Arc<ModuleEntry>> {
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
