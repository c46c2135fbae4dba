//! Incoming HTTP: a request handed to a component's `wasi:http/incoming-handler` (WASI 0.2's
//! proxy world, as `wasmtime serve` runs it) or `wasi:http/handler` (WASI 0.3's service
//! world), as the guest code of a call, so it takes the one path into wasm with the call's
//! limits. The request body is given whole; the response body is read whole, up to a cap,
//! while the handler runs.

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

/// The interfaces a component serves HTTP through (any 0.2.x / 0.3.x version).
const HANDLER_P2: &str = "wasi:http/incoming-handler@0.2.";
pub const HANDLER_P3: &str = "wasi:http/handler@0.3.";

/// How a component serves HTTP.
#[derive(Clone, Copy)]
pub enum HttpHandler {
    /// `wasi:http/incoming-handler#handle` of WASI 0.2.
    P2(Func),
    /// `wasi:http/handler` of WASI 0.3, looked up in the instance by wasmtime's bindings.
    P3(wasmtime::component::Instance),
}

/// The handler, if `name` (an export as `ComponentExports` names it) is WASI 0.2's.
pub fn handler_of(
    name: &str,
    exported: &crate::runtime::component::exports::ExportedFn,
) -> Option<(std::sync::Arc<str>, HttpHandler)> {
    (name.starts_with(HANDLER_P2) && name.ends_with("#handle"))
        .then(|| (exported.name.clone(), HttpHandler::P2(exported.func)))
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
    pub handler: HttpHandler,
    pub request: http::Request<Full<Bytes>>,
    pub scheme: wasmtime_wasi_http::p2::bindings::http::types::Scheme,
    pub max_body_bytes: u64,
}

impl HandleRequest {
    pub fn new(
        handler: HttpHandler,
        request: IncomingRequest,
        max_body_bytes: u64,
    ) -> WasmResult<Self> {
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
            handler,
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
            let response = match self.handler {
                HttpHandler::P2(func) => {
                    handle_p2(store, func, self.scheme, self.request, self.max_body_bytes).await?
                }
                HttpHandler::P3(instance) => {
                    handle_p3(store, instance, self.request, self.max_body_bytes).await?
                }
            };
            Ok(vec![response])
        }
    }
}

/// WASI 0.2: `handle(request, response-outparam)`; the response is read while it runs.
async fn handle_p2(
    store: &mut Store<HostState>,
    func: Func,
    scheme: wasmtime_wasi_http::p2::bindings::http::types::Scheme,
    request: http::Request<Full<Bytes>>,
    max: u64,
) -> wasmtime::Result<OutgoingResponse> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let (request, outparam) = {
        let mut view = store.data_mut().http();
        let request = view.new_incoming_request(scheme, request)?;
        (request, view.new_response_outparam(sender)?)
    };
    let handle = func.typed::<(
        Resource<HostIncomingRequest>,
        Resource<HostResponseOutparam>,
    ), ()>(&*store)?;
    let handled = handle.call_async(&mut *store, (request, outparam));
    let responded = async move {
        match receiver.await {
            Ok(Ok(response)) => read_response(response, max).await.map(Some),
            Ok(Err(code)) => Err(wasmtime::Error::msg(format!(
                "the component's handler answered with the error {code:?}"
            ))),
            // Dropped unanswered: `handled` says why (a trap), or the check below does.
            Err(_) => Ok(None),
        }
    };
    let (handled, responded) = tokio::join!(handled, responded);
    handled?;
    responded?.ok_or_else(|| {
        wasmtime::Error::msg("the component's handler returned without setting a response")
    })
}

/// WASI 0.3: `handle(request) -> result<response, error-code>`; the guest may go on writing
/// the body after it returns, so the body is read inside the store's event loop.
async fn handle_p3(
    store: &mut Store<HostState>,
    instance: wasmtime::component::Instance,
    request: http::Request<Full<Bytes>>,
    max: u64,
) -> wasmtime::Result<OutgoingResponse> {
    use wasmtime::AsContextMut;
    use wasmtime_wasi_http::p3::bindings::Service;
    use wasmtime_wasi_http::p3::Request;
    let service = Service::new(&mut *store, &instance)?;
    store
        .run_concurrent(async move |accessor| {
            // The request's own future reports body errors to the guest's request.new; a
            // request from the host has none to report.
            let request = accessor.with(|mut access| {
                let (request, io) = Request::from_http(access.get().http().hooks, request);
                drop(io);
                request
            });
            let response = match service.handle(accessor, request).await? {
                Ok(response) => response,
                Err(code) => {
                    return Err(wasmtime::Error::msg(format!(
                        "the component's handler answered with the error {code:?}"
                    )))
                }
            };
            let response = accessor
                .with(|mut access| response.into_http(access.as_context_mut(), async { Ok(()) }))?;
            read_response(response, max).await
        })
        .await?
}

async fn read_response<B>(
    response: http::Response<B>,
    max: u64,
) -> wasmtime::Result<OutgoingResponse>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let (parts, body) = response.into_parts();
    Ok(OutgoingResponse {
        status: parts.status.as_u16(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
            .collect(),
        body: read_capped(body, max).await?,
    })
}

async fn read_capped<B>(mut body: B, max: u64) -> wasmtime::Result<Vec<u8>>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
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
