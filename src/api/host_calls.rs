//! Answers and requests of JS host functions while their wasm caller waits.

use napi::bindgen_prelude::Uint8Array;
use napi::{Env, JsValue, Unknown};
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
    let Ok((expected, import)) = host::expected(call_id) else {
        return Ok(()); // the call already stopped waiting
    };
    let reply = match expected {
        host::Expected::Core(types) => decode::host_results(&value, types.len(), &import)
            .and_then(|returned| values::to_wasm_results(&import, &types, &returned))
            .map(host::HostReply::Results),
        host::Expected::Component(ty) => match component_reply(&value, ty.as_ref(), &import) {
            // A getter or proxy of the value threw: the exception goes back to JS, which fails
            // the call with it as the cause (lib/host-calls.js).
            Err(_) if exception_pending(&value) => {
                return Err(napi::Error::new(
                    napi::Status::PendingException,
                    "host result",
                ))
            }
            reply => reply,
        },
    };
    host::complete(call_id, reply.unwrap_or_else(host::HostReply::Failed));
    Ok(())
}

/// Whether reading `value` left a JS exception pending in its env.
fn exception_pending(value: &Unknown) -> bool {
    let raw = value.value();
    let mut pending = false;
    // SAFETY: a live env on its own thread; the call only reads the env's state.
    let status = unsafe { napi::sys::napi_is_exception_pending(raw.env, &mut pending) };
    status == napi::sys::Status::napi_ok && pending
}

/// A component host function's returned value, as its WIT result (a function whose result is
/// a `result<T, E>` may return the ok value, or throw: see `lib/components.js`).
fn component_reply(
    value: &Unknown,
    ty: Option<&wasmtime::component::Type>,
    import: &str,
) -> error::WasmResult<host::HostReply> {
    let Some(ty) = ty else {
        return Ok(host::HostReply::ComponentResults(Vec::new()));
    };
    let root = format!("the value host function {import} returned");
    let resources = crate::runtime::component::resources::ResourceTable::default();
    let converted = crate::api::component_values::to_val(
        value,
        ty,
        crate::api::component_values::Path::Root(&root),
        &resources,
    )?;
    Ok(host::HostReply::ComponentResults(vec![converted]))
}

/// Fails a pending host call: its JS function threw `token`'s value.
#[napi(catch_unwind)]
pub fn host_throw(call_id: f64, token: f64) -> napi::Result<()> {
    let call_id = call_id as u64;
    if let Ok((_, import)) = host::expected(call_id) {
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
