//! Incoming HTTP: a request handed to a component's `wasi:http/incoming-handler` (WASI 0.2's
//! proxy world, as `wasmtime serve` runs it) or `wasi:http/handler` (WASI 0.3's service
//! world), as the guest code of a call, so it takes the one path into wasm with the call's
//! limits. The request body is given whole; the response goes to a `ResponseSink` as it
//! comes: its head once the component sets it, then its body chunk by chunk (up to a cap), so
//! the host can start answering before the handler returns.

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
const HANDLER_P3: &str = "wasi:http/handler@0.3.";

/// How a component serves HTTP.
#[derive(Clone, Copy)]
pub enum HttpHandler {
    /// `wasi:http/incoming-handler#handle` of WASI 0.2.
    P2(Func),
    /// `wasi:http/handler` of WASI 0.3, looked up in the instance by wasmtime's bindings.
    P3(wasmtime::component::Instance),
}

/// The handler of WASI 0.`version` (2 or 3), if `exported` is its `handle`. WASI 0.3's is
/// called through wasmtime's bindings, which look it up in the instance themselves.
pub fn handler_of(
    exported: &crate::runtime::component::exports::ExportedFn,
    version: u8,
    instance: Option<wasmtime::component::Instance>,
) -> Option<(std::sync::Arc<str>, HttpHandler)> {
    let interface = if version == 2 { HANDLER_P2 } else { HANDLER_P3 };
    if !(exported.name.starts_with(interface) && exported.name.ends_with("#handle")) {
        return None;
    }
    let handler = match version {
        2 => HttpHandler::P2(exported.func),
        _ => HttpHandler::P3(instance?),
    };
    Some((exported.name.clone(), handler))
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

/// The head of the component's response.
pub struct ResponseHead {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Where a response goes: its head once, then its body's chunks; dropped at the end of the
/// body (or of the call, when it failed: the reader then sees the stream end early, and the
/// call's error says why).
pub struct ResponseSink {
    pub head: tokio::sync::oneshot::Sender<ResponseHead>,
    pub body: tokio::sync::mpsc::UnboundedSender<Bytes>,
    /// The most body bytes sent; past it the call fails.
    pub max_body_bytes: u64,
}

/// The receiving ends of a `ResponseSink`.
pub struct ResponseSource {
    pub head: tokio::sync::oneshot::Receiver<ResponseHead>,
    pub body: tokio::sync::mpsc::UnboundedReceiver<Bytes>,
}

pub fn response_channel(max_body_bytes: u64) -> (ResponseSink, ResponseSource) {
    let (head, head_rx) = tokio::sync::oneshot::channel();
    let (body, body_rx) = tokio::sync::mpsc::unbounded_channel();
    let sink = ResponseSink {
        head,
        body,
        max_body_bytes,
    };
    (
        sink,
        ResponseSource {
            head: head_rx,
            body: body_rx,
        },
    )
}

/// The guest code of one request: call `handle`, and pass on the response it sets.
pub struct HandleRequest {
    pub handler: HttpHandler,
    pub request: http::Request<Full<Bytes>>,
    pub scheme: wasmtime_wasi_http::p2::bindings::http::types::Scheme,
    pub sink: ResponseSink,
}

impl HandleRequest {
    pub fn new(
        handler: HttpHandler,
        request: IncomingRequest,
        sink: ResponseSink,
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
            sink,
        })
    }
}

impl GuestCode for HandleRequest {
    type Output = Vec<()>;

    fn run(
        self,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Vec<()>>> + Send + '_ {
        async move {
            match self.handler {
                HttpHandler::P2(func) => {
                    handle_p2(store, func, self.scheme, self.request, self.sink).await?
                }
                HttpHandler::P3(instance) => {
                    handle_p3(store, instance, self.request, self.sink).await?
                }
            }
            Ok(Vec::new())
        }
    }
}

/// WASI 0.2: `handle(request, response-outparam)`; the response is read while it runs.
async fn handle_p2(
    store: &mut Store<HostState>,
    func: Func,
    scheme: wasmtime_wasi_http::p2::bindings::http::types::Scheme,
    request: http::Request<Full<Bytes>>,
    sink: ResponseSink,
) -> wasmtime::Result<()> {
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
            Ok(Ok(response)) => pass_on(response, sink).await.map(Some),
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
    sink: ResponseSink,
) -> wasmtime::Result<()> {
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
            pass_on(response, sink).await
        })
        .await?
}

/// Sends the head, then each chunk of the body as it comes, to `sink`.
async fn pass_on<B>(response: http::Response<B>, sink: ResponseSink) -> wasmtime::Result<()>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let (parts, mut body) = response.into_parts();
    let head = ResponseHead {
        status: parts.status.as_u16(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
            .collect(),
    };
    // A receiver gone (the host stopped reading) is no error of the component's.
    let _ = sink.head.send(head);
    let mut sent = 0u64;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| wasmtime::Error::msg(format!("the response body failed: {e}")))?;
        if let Ok(data) = frame.into_data() {
            sent += data.len() as u64;
            if sent > sink.max_body_bytes {
                return Err(wasmtime::Error::msg(format!(
                    "the response body is larger than maxBodyBytes ({} bytes)",
                    sink.max_body_bytes
                )));
            }
            let _ = sink.body.send(data);
        }
    }
    Ok(())
}

fn bad_request(problem: String) -> WasmError {
    WasmError::new(
        ErrorCode::TypeError,
        format!("the request cannot be handed to the component: {problem}"),
    )
}
