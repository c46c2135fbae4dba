//! Reads, writes, sizes and grows an instance's exported memory.

use napi::bindgen_prelude::Uint8Array;
use napi::{Env, Unknown};
use napi_derive::napi;

use crate::api::decode;
use crate::api::encode::JsBytes;
use crate::api::settle::{settle, settle_large};
use crate::runtime::{instance, memory};

#[napi(catch_unwind)]
pub fn memory_read<'env>(
    env: &'env Env,
    instance_id: String,
    offset: f64,
    length: f64,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let offset = decode::index("offset", offset)?;
    let length = decode::index("length", length)?;
    let read = entry.with_store(move |store, exports| {
        let memory = memory::exported_memory(exports)?;
        memory::read(store, memory, offset, length).map(JsBytes)
    });
    settle_large(env, length, read)
}

#[napi(catch_unwind)]
pub fn memory_write<'env>(
    env: &'env Env,
    instance_id: String,
    offset: f64,
    data: Uint8Array,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let offset = decode::index("offset", offset)?;
    // An idle instance is written straight from the caller's bytes, without a copy between.
    let written_now = entry.with_idle_store(|store, exports| {
        let memory = memory::exported_memory(exports)?;
        memory::write(store, memory, offset, &data)
    });
    if let Some(written) = written_now {
        written?;
        return crate::api::settle::to_unknown(env, ());
    }
    let bytes = data.to_vec();
    let length = bytes.len() as u64;
    let write = entry.with_store(move |store, exports| {
        let memory = memory::exported_memory(exports)?;
        memory::write(store, memory, offset, &bytes)
    });
    settle_large(env, length, write)
}

#[napi(catch_unwind)]
pub fn memory_size<'env>(env: &'env Env, instance_id: String) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    settle(
        env,
        entry.with_store(|store, exports| {
            let memory = memory::exported_memory(exports)?;
            Ok(memory::size(store, memory) as f64)
        }),
    )
}

#[napi(catch_unwind)]
pub fn memory_grow<'env>(
    env: &'env Env,
    instance_id: String,
    pages: f64,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let pages = decode::index("pages", pages)?;
    settle(
        env,
        entry.with_store(move |store, exports| {
            let memory = memory::exported_memory(exports)?;
            memory::grow(store, memory, pages).map(|previous| previous as f64)
        }),
    )
}
