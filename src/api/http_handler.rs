//! `handleHttpRequest`: an HTTP request handed to a component instance's HTTP handler
//! (lib/http-handler.js makes it from a fetch-API `Request`), and `HttpResponseReader`, from
//! which JS reads the response as it comes: its head, then its body chunk by chunk.

use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{JsObjectValue, Object, ToNapiValue, Uint8Array};
use napi::{Env, Unknown};
use napi_derive::napi;

use crate::api::calls::{call_limits, CancelHandle};
use crate::api::settle::{settle, settle_call};
use crate::error::{ErrorCode, WasmError};
use crate::runtime::component::http_handler::{
    response_channel, IncomingRequest, ResponseHead, ResponseSink,
};
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

/// A response's head as JS receives it: `{ status, headers: [[name, value], ...] }` (values
/// as byte strings).
pub struct HeadOut(ResponseHead);

impl ToNapiValue for HeadOut {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        value: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        let head = value.0;
        let mut object = Object::new(&env)?;
        object.set_named_property("status", u32::from(head.status))?;
        let headers: Vec<Vec<String>> = head
            .headers
            .into_iter()
            .map(|(name, value)| vec![name, value.iter().map(|&b| char::from(b)).collect()])
            .collect();
        object.set_named_property("headers", headers)?;
        // SAFETY: the object was made in this env, on its thread.
        unsafe { Object::to_napi_value(env.raw(), object) }
    }
}

type BodyReceiver = tokio::sync::mpsc::UnboundedReceiver<bytes::Bytes>;

/// The response of one request, as the component gives it.
#[napi]
pub struct HttpResponseReader {
    sink: Mutex<Option<ResponseSink>>,
    head: Mutex<Option<tokio::sync::oneshot::Receiver<ResponseHead>>>,
    body: Arc<tokio::sync::Mutex<BodyReceiver>>,
}

#[napi]
impl HttpResponseReader {
    /// A reader for a response whose body may hold at most `max_body_bytes`.
    #[napi(constructor)]
    pub fn new(max_body_bytes: f64) -> Self {
        let max = if max_body_bytes.is_finite() && max_body_bytes >= 0.0 {
            max_body_bytes as u64
        } else {
            u64::MAX
        };
        let (sink, source) = response_channel(max);
        HttpResponseReader {
            sink: Mutex::new(Some(sink)),
            head: Mutex::new(Some(source.head)),
            body: Arc::new(tokio::sync::Mutex::new(source.body)),
        }
    }

    /// Resolves `{ status, headers }` once the component sets its response; `null` when the
    /// call ended without one (its own Promise says why).
    #[napi]
    pub fn head<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let head = lock(&self.head).take().ok_or_else(|| used("head"))?;
        settle(env, async move { Ok(head.await.ok().map(HeadOut)) })
    }

    /// Resolves the body's next chunk, or `null` at its end.
    #[napi]
    pub fn next<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let body = self.body.clone();
        settle(env, async move {
            Ok(body
                .lock()
                .await
                .recv()
                .await
                .map(|chunk| Uint8Array::from(chunk.to_vec())))
        })
    }
}

/// Hands `request` to the instance's HTTP handler, as a call; the response goes to `reader`.
/// Resolves (or rejects) when the call ends.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn handle_http_request<'env>(
    env: &'env Env,
    instance_id: String,
    request: HttpRequestIn,
    reader: &HttpResponseReader,
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
    let sink = lock(&reader.sink)
        .take()
        .ok_or_else(|| used("handleHttpRequest"))?;
    let (handled, early) = entry.handle_http(incoming, sink, limits)?;
    settle_call(env, early, async move { handled.await.map(|_| ()) })
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn used(what: &str) -> napi::Error {
    WasmError::new(
        ErrorCode::CallError,
        format!("this response reader was used already ({what})"),
    )
    .into()
}

fn type_error(message: String) -> napi::Error {
    WasmError::new(ErrorCode::TypeError, message).into()
}
