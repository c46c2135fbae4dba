//! runtime-wasm: sandboxed WebAssembly plugins for Node.js, on wasmtime.
//!
//! Layers, from the JS boundary down (see ARCHITECTURE.md):
//! - `api`: the napi edge, the only code that touches JS types;
//! - `runtime`: the wasmtime embedding and the one path of every call into wasm;
//! - `wasi`: WASI contexts (preopens, env, args, standard streams);
//! - `sandbox`: the capability policy and checked opens;
//! - `cache`: the compiled-code cache;
//! - `error`: error codes and the one classification of failures.
//!
//! Every `unsafe` block says why it holds in a `// SAFETY:` comment above it, and an `unsafe
//! fn` states its own contract: its body is not one big unsafe block.
#![deny(unsafe_op_in_unsafe_fn)]
// With napi's `noop` (the unit-test build) nothing registers the `#[napi]` entry points, so
// everything only they reach looks unused.
#![cfg_attr(feature = "unit-tests", allow(dead_code))]

mod api;
mod cache;
mod error;
mod runtime;
mod sandbox;
mod wasi;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;

#[cfg(test)]
mod testing;
