//! The JS side of the boundary: reading JS arguments, making JS results, and settling
//! operations as values or Promises. Only `lib.rs` uses this module.

pub mod decode;
pub mod dispatch;
pub mod encode;
pub mod fast_call;
pub mod owners;
pub mod panic;
pub mod settle;
