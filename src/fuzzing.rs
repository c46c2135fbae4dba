//! The core's surface for the fuzz harness in `fuzz/` (built with the `fuzzing` feature only):
//! the same functions the `#[napi]` entry points call, without the JS layer in front of them.

pub use crate::error::{ErrorCode, WasmError, WasmResult};
pub use crate::runtime::exports::{ExportFunc, ExportInfo, Exports};
pub use crate::runtime::host::HostImports;
pub use crate::runtime::instance::{drop_instance, get as instance, instantiate, InstanceEntry};
pub use crate::runtime::limits::{CallLimits, Ceilings, InstanceLimits};
pub use crate::runtime::memory::{exported_memory, grow, read, size, to_index, write};
pub use crate::runtime::module::{compile, drop_module, get as module, ModuleEntry};
pub use crate::runtime::values::{
    check_tagged, from_wasm, to_wasm_args, ArgValue, BigIntValue, ResultValue,
};
pub use crate::wasi::WasiOptions;

/// Live (modules, instances), for leak checks.
pub fn live_handles() -> (usize, usize) {
    (
        crate::runtime::module::MODULES.len(),
        crate::runtime::instance::INSTANCES.len(),
    )
}
