//! Incoming HTTP: a request handed to a component's `wasi:http/incoming-handler` (WASI 0.2's
//! proxy world, as `wasmtime serve` runs it), as the guest code of a call, so it takes the
//! one path into wasm with the call's limits. The request body is given whole; the response
//! body is read whole, up to a cap, while the handler runs.

use std::future::Future;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::component::{Func, Resource};
use wasmtime::Store;
use wasmtime_wasi_http::p2::types::{HostIncomingRequest, HostResponseOutparam};
use wasmtime_wasi_http::WasiHttpView;

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::call::GuestCode;
use crate::runtime::store::HostState;

/// The interface a component serves HTTP through (any 0.2.x version), and its function.
const HANDLER_INTERFACE: &str = "wasi:http/incoming-handler@0.2.";
const HANDLER_FUNCTION: &str = "#handle";

/// Whether `name` (an export as `ComponentExports` names it) is the HTTP handler.
pub fn is_handler(name: &str) -> bool {
    name.starts_with(HANDLER_INTERFACE) && name.ends_with(HANDLER_FUNCTION)
}

/// A request as the host received it.
pub struct IncomingRequest {
    pub method: String,
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]`.
    pub authority: String,
    pub path_with_query: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

/// The component's response.
pub struct OutgoingResponse {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

/// The guest code of one request: call `handle`, and read the response it sets.
pub struct HandleRequest {
    pub func: Func,
    pub request: http::Request<Full<Bytes>>,
    pub scheme: wasmtime_wasi_http::p2::bindings::http::types::Scheme,
    pub max_body_bytes: u64,
}

impl HandleRequest {
    pub fn new(func: Func, request: IncomingRequest, max_body_bytes: u64) -> WasmResult<Self> {
        use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
        let scheme = match request.scheme.as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => Scheme::Other(other.to_string()),
        };
        let uri = http::Uri::builder()
            .scheme(request.scheme.as_str())
            .authority(request.authority.as_str())
            .path_and_query(request.path_with_query.as_str())
            .build()
            .map_err(|e| bad_request(format!("its URL: {e}")))?;
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(uri);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_slice());
        }
        let request = builder
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|e| bad_request(e.to_string()))?;
        Ok(HandleRequest {
            func,
            request,
            scheme,
            max_body_bytes,
        })
    }
}

impl GuestCode for HandleRequest {
    type Output = Vec<OutgoingResponse>;

    fn run(
        self,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Vec<OutgoingResponse>>> + Send + '_ {
        async move {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let (request, outparam) = {
                let mut view = store.data_mut().http();
                let request = view.new_incoming_request(self.scheme, self.request)?;
                (request, view.new_response_outparam(sender)?)
            };
            let handle = self.func.typed::<(
                Resource<HostIncomingRequest>,
                Resource<HostResponseOutparam>,
            ), ()>(&*store)?;
            let handled = handle.call_async(&mut *store, (request, outparam));
            let max = self.max_body_bytes;
            let responded = async move {
                let response = match receiver.await {
                    Ok(Ok(response)) => response,
                    Ok(Err(code)) => {
                        return Err(wasmtime::Error::msg(format!(
                            "the component's handler answered with the error {code:?}"
                        )))
                    }
                    // Dropped unanswered: `handled` says why (a trap), or the check below does.
                    Err(_) => return Ok(None),
                };
                let (parts, body) = response.into_parts();
                let body = read_capped(body, max).await?;
                Ok(Some(OutgoingResponse {
                    status: parts.status.as_u16(),
                    headers: parts
                        .headers
                        .iter()
                        .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
                        .collect(),
                    body,
                }))
            };
            let (handled, responded) = tokio::join!(handled, responded);
            handled?;
            match responded? {
                Some(response) => Ok(vec![response]),
                None => Err(wasmtime::Error::msg(
                    "the component's handler returned without setting a response",
                )),
            }
        }
    }
}

async fn read_capped(
    mut body: wasmtime_wasi_http::p2::body::HyperOutgoingBody,
    max: u64,
) -> wasmtime::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| wasmtime::Error::msg(format!("the response body failed: {e}")))?;
        if let Some(data) = frame.data_ref() {
            if (bytes.len() + data.len()) as u64 > max {
                return Err(wasmtime::Error::msg(format!(
                    "the response body is larger than maxBodyBytes ({max} bytes)"
                )));
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok(bytes)
}

fn bad_request(problem: String) -> WasmError {
    WasmError::new(
        ErrorCode::TypeError,
        format!("the request cannot be handed to the component: {problem}"),
    )
}
