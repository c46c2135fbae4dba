//! `handleHttpRequest`: an HTTP request handed to a component instance's
//! `wasi:http/incoming-handler` (lib/http-handler.js makes it from a fetch-API `Request`).

use napi::bindgen_prelude::Uint8Array;
use napi::{Env, Unknown};
use napi_derive::napi;

use crate::api::calls::{call_limits, CancelHandle};
use crate::api::settle::settle_call;
use crate::error::{ErrorCode, WasmError};
use crate::runtime::component::http_handler::{IncomingRequest, OutgoingResponse};
use crate::runtime::instance;

/// A request: header values are byte strings (each character one byte, as fetch's are).
#[napi(object)]
pub struct HttpRequestIn {
    pub method: String,
    pub scheme: String,
    pub authority: String,
    pub path_with_query: String,
    pub headers: Vec<Vec<String>>,
    pub body: Option<Uint8Array>,
}

#[napi(object)]
pub struct HttpResponseOut {
    pub status: u32,
    pub headers: Vec<Vec<String>>,
    pub body: Uint8Array,
}

#[napi(catch_unwind)]
pub fn handle_http_request<'env>(
    env: &'env Env,
    instance_id: String,
    request: HttpRequestIn,
    max_body_bytes: f64,
    fuel: Option<Unknown<'env>>,
    timeout_ms: Option<Unknown<'env>>,
    cancel: Option<&CancelHandle>,
    upstream: Option<Vec<String>>,
) -> napi::Result<Unknown<'env>> {
    let entry = instance::get(&instance_id)?;
    let headers = request
        .headers
        .into_iter()
        .map(|pair| match <[String; 2]>::try_from(pair) {
            Ok([name, value]) => Ok((name, byte_string(&value)?)),
            Err(_) => Err(type_error(
                "each header must be a [name, value] pair".into(),
            )),
        })
        .collect::<napi::Result<Vec<_>>>()?;
    let incoming = IncomingRequest {
        method: request.method,
        scheme: request.scheme,
        authority: request.authority,
        path_with_query: request.path_with_query,
        headers,
        body: request.body.map(|body| body.to_vec()).unwrap_or_default(),
    };
    let limits = call_limits(fuel, timeout_ms, cancel, upstream)?;
    let max = if max_body_bytes.is_finite() && max_body_bytes >= 0.0 {
        max_body_bytes as u64
    } else {
        u64::MAX
    };
    let (handled, early) = entry.handle_http(incoming, max, limits)?;
    settle_call(env, early, async move {
        let mut responses = handled.await?;
        let response = responses.pop().ok_or_else(|| {
            WasmError::new(
                ErrorCode::CallError,
                "the component's handler gave no response",
            )
        })?;
        Ok(response_out(response))
    })
}

fn response_out(response: OutgoingResponse) -> HttpResponseOut {
    HttpResponseOut {
        status: u32::from(response.status),
        headers: response
            .headers
            .into_iter()
            .map(|(name, value)| vec![name, value.iter().map(|&b| char::from(b)).collect()])
            .collect(),
        body: Uint8Array::from(response.body),
    }
}

/// A byte string's bytes: each character must be at most U+00FF.
fn byte_string(text: &str) -> napi::Result<Vec<u8>> {
    text.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .map_err(|_| type_error(format!("header value {text:?} is not a byte string")))
        })
        .collect()
}

fn type_error(message: String) -> napi::Error {
    WasmError::new(ErrorCode::TypeError, message).into()
}
