//! Answers and requests of JS host functions while their wasm caller waits.

use napi::bindgen_prelude::Uint8Array;
use napi::{Env, Unknown};
use napi_derive::napi;
use tokio::sync::oneshot;

use crate::api::decode;
use crate::api::encode::{JsBytes, JsResults};
use crate::api::settle::spawn;
use crate::error;
use crate::runtime::{host, values};

/// Answers a pending host call with what the JS host function returned.
#[napi(catch_unwind)]
pub fn host_return(call_id: f64, value: Unknown) -> napi::Result<()> {
    let call_id = call_id as u64;
    let Ok((types, import)) = host::result_types(call_id) else {
        return Ok(()); // the call already stopped waiting
    };
    let reply = decode::host_results(&value, types.len(), &import)
        .and_then(|returned| values::to_wasm_results(&import, &types, &returned));
    host::complete(
        call_id,
        match reply {
            Ok(results) => host::HostReply::Results(results),
            Err(error) => host::HostReply::Failed(error),
        },
    );
    Ok(())
}

/// Fails a pending host call: its JS function threw `token`'s value.
#[napi(catch_unwind)]
pub fn host_throw(call_id: f64, token: f64) -> napi::Result<()> {
    let call_id = call_id as u64;
    if let Ok((_, import)) = host::result_types(call_id) {
        let mut error = error::WasmError::new(
            error::ErrorCode::CallError,
            format!("host function {import} threw"),
        );
        error.details.host_error = Some(token);
        host::complete(call_id, host::HostReply::Failed(error));
    }
    Ok(())
}

#[napi(catch_unwind)]
pub fn host_memory_read<'env>(
    env: &'env Env,
    call_id: f64,
    offset: f64,
    length: f64,
) -> napi::Result<Unknown<'env>> {
    let (offset, length) = (
        decode::index("offset", offset)?,
        decode::index("length", length)?,
    );
    let (reply, answer) = oneshot::channel();
    host::request(
        call_id as u64,
        host::HostRequest::Read {
            offset,
            length,
            reply,
        },
    )?;
    spawn(env, async move { host::answer(answer).await.map(JsBytes) })
}

#[napi(catch_unwind)]
pub fn host_memory_write<'env>(
    env: &'env Env,
    call_id: f64,
    offset: f64,
    data: Uint8Array,
) -> napi::Result<Unknown<'env>> {
    let offset = decode::index("offset", offset)?;
    let (reply, answer) = oneshot::channel();
    host::request(
        call_id as u64,
        host::HostRequest::Write {
            offset,
            bytes: data.to_vec(),
            reply,
        },
    )?;
    spawn(env, host::answer(answer))
}

#[napi(catch_unwind)]
pub fn host_memory_size<'env>(env: &'env Env, call_id: f64) -> napi::Result<Unknown<'env>> {
    let (reply, answer) = oneshot::channel();
    host::request(call_id as u64, host::HostRequest::Size { reply })?;
    spawn(env, async move {
        host::answer(answer).await.map(|pages| pages as f64)
    })
}

/// A re-entrant call from a host function into the instance that is waiting for it.
#[napi(catch_unwind)]
pub fn host_call<'env>(
    env: &'env Env,
    call_id: f64,
    name: String,
    args: Vec<Unknown<'env>>,
) -> napi::Result<Unknown<'env>> {
    let args = decode::arg_values(&args)?;
    let (reply, answer) = oneshot::channel();
    host::request(
        call_id as u64,
        host::HostRequest::Call { name, args, reply },
    )?;
    spawn(
        env,
        async move { host::answer(answer).await.map(JsResults) },
    )
}
