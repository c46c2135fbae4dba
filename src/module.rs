//! Compiled modules: compile from bytes or WAT text, from a file, and drop.

use std::path::Path;
use std::sync::Arc;

use once_cell::sync::OnceCell;
use wasmtime::{InstancePre, Module};

use crate::engine::engine;
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::linker::prelink;
use crate::registry::MODULES;
use crate::store::HostState;

pub struct ModuleEntry {
    pub module: Module,
    /// The module linked against WASI, made on first instantiation and reused after.
    instance_pre: OnceCell<InstancePre<HostState>>,
}

impl ModuleEntry {
    pub fn instance_pre(&self) -> WasmResult<&InstancePre<HostState>> {
        self.instance_pre.get_or_try_init(|| prelink(&self.module))
    }
}

/// Compiles binary wasm or WAT text. CPU-bound: call it off the JS thread.
pub fn compile(source: &[u8]) -> WasmResult<String> {
    let module = Module::new(engine()?, source).map_err(|e| {
        WasmError::new(
            ErrorCode::CompileError,
            format!("invalid WebAssembly module: {e:#}"),
        )
    })?;
    Ok(register(module))
}

/// Reads and compiles a module file. Blocking: call it off the JS thread.
pub fn compile_file(path: &str) -> WasmResult<String> {
    let bytes = std::fs::read(Path::new(path)).map_err(|e| {
        WasmError::new(
            ErrorCode::IoError,
            format!("cannot read module file {path:?}: {e}"),
        )
        .with_path(path)
    })?;
    compile(&bytes).map_err(|mut e| {
        e.message = format!("{path:?}: {}", e.message);
        e
    })
}

pub fn drop_module(id: &str) -> WasmResult<()> {
    MODULES.remove(id).map(|_| ())
}

pub fn get(id: &str) -> WasmResult<Arc<ModuleEntry>> {
    MODULES.get(id)
}

fn register(module: Module) -> String {
    let entry = ModuleEntry {
        module,
        instance_pre: OnceCell::new(),
    };
    let id = MODULES.next_id();
    MODULES.insert(id, Arc::new(entry))
}
