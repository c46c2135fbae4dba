//! Components (the WebAssembly component model): compiled like modules (same cache, same
//! budgets, same `load` rules), linked against WASI 0.2 and the host's imports, instantiated
//! into an `InstanceEntry` and called through the same entry into wasm (`call::enter`) as a
//! module's exports. Values cross as `wasmtime::component::Val`, typed by WIT.

pub mod compiled;
pub mod concurrency;
pub mod describe;
pub mod exports;
pub mod host;
pub mod host_resources;
pub mod http_handler;
pub mod instantiate;
pub mod linker;
pub mod resources;

/// Whether `binary` is a component rather than a core module (WAT text is assembled first).
pub fn is_component(binary: &[u8]) -> bool {
    wasmparser::Parser::is_component(binary)
}
