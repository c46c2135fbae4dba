//! The napi edge: every `#[napi]` entry point, reading JS arguments, making JS values, settling
//! Promises and catching panics. The only Rust that touches JS types; the logic lives in
//! `runtime`, `wasi`, `sandbox` and `cache`.

mod calls;
mod component_values;
mod components;
mod constants;
pub mod decode;
mod dispatch;
mod encode;
mod error_encoding;
pub mod fast_call;
mod host_calls;
mod http_handler;
mod inline_host;
mod instances;
mod memory;
mod modules;
mod network;
mod next_turn;
mod owners;
pub mod panic;
mod panic_probe;
mod process;
pub mod settle;
mod shuttle;
