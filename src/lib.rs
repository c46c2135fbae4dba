//! runtime-wasm: sandboxed WebAssembly plugins for Node.js, on wasmtime.
//!
//! Layers, from the JS boundary down (see ARCHITECTURE.md):
//! - `api`: the napi edge, the only code that touches JS types;
//! - `runtime`: the wasmtime embedding and the one path of every call into wasm;
//! - `wasi`: WASI contexts (preopens, env, args, standard streams);
//! - `sandbox`: the capability policy and checked opens;
//! - `cache`: the compiled-code cache;
//! - `error`: error codes and the one classification of failures.

mod api;
mod cache;
mod error;
mod runtime;
mod sandbox;
mod wasi;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
