//! The wasmtime embedding, without napi: engines, stores, modules, instances, the one call
//! path, limits, values, exports, memory, linking and host functions.

pub mod budget;
pub mod buffers;
pub mod call;
pub mod compile_helper;
pub mod compile_limits;
pub mod component;
pub mod coredump;
pub mod engine;
pub mod exports;
pub mod host;
pub mod instance;
pub mod limits;
pub mod linker;
pub mod memory;
pub mod module;
pub mod module_types;
pub mod profile;
pub mod registry;
pub mod store;
pub mod tiers;
pub mod values;
