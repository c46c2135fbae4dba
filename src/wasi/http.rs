//! Outgoing HTTP requests (`wasi:http` 0.2's outgoing-handler, 0.3's client) under the
//! network grants. The authority's host must be granted for the scheme (`http`, `https`) and
//! port; a name is looked up here and connected to at an address the grants reach (a name
//! that resolves to a loopback or private address is refused unless a grant names that
//! address), so nothing resolves the name a second time behind the check. Requests end at
//! the call's deadline or abort, take the host's timeouts (the guest's options may only
//! shorten them), and their bodies are capped both ways.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::sandbox::network::{normalize_name, parse_address, Direction, Protocol};
use crate::wasi::network::{Denial, HttpLimits, NetworkAccess};

/// Resolves when the call that makes a request is stopped (its deadline, its abort, the
/// instance dropped).
pub type CallStopped = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Makes a `CallStopped` for the call in progress.
pub type StopSource = Box<dyn Fn() -> CallStopped + Send>;

/// The hooks of an instance's `wasi:http`: its network access and what stops its call (set
/// by the store before each use).
pub struct HttpHooks {
    pub access: Arc<NetworkAccess>,
    pub stop: Option<StopSource>,
}

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;
type Sent = Result<(http::Response<WasiBody>, IoFuture), Error>;

impl WasiHttpHooks for HttpHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: IoFuture,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        drop(fut);
        let access = self.access.clone();
        let stopped = || -> CallStopped {
            match &self.stop {
                Some(source) => source(),
                None => Box::pin(std::future::pending()),
            }
        };
        // The request, and then its connection (which carries the response body), end when
        // the call that made it is stopped.
        let (before_head, after_head) = (stopped(), stopped());
        Box::new(async move {
            let (response, io) = tokio::select! {
                sent = send(access, request, options) => sent?,
                _ = before_head => return Err(Error::ConnectionTimeout),
            };
            let io: IoFuture = Box::new(async move {
                tokio::select! {
                    ended = Box::into_pin(io) => ended,
                    _ = after_head => Err(Error::ConnectionTimeout),
                }
            });
            Ok((response, io))
        })
    }
}

async fn send(
    access: Arc<NetworkAccess>,
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Sent {
    let limits = access.http_limits().clone();
    let use_tls = request.uri().scheme() == Some(&http::uri::Scheme::HTTPS);
    let protocol = if use_tls {
        Protocol::Https
    } else {
        Protocol::Http
    };
    let authority = request
        .uri()
        .authority()
        .ok_or(Error::HttpRequestUriInvalid)?
        .clone();
    let port = authority
        .port_u16()
        .unwrap_or(if use_tls { 443 } else { 80 });
    let host = authority.host().to_string();
    let timeouts = Timeouts::of(&limits, options.as_ref());
    // One budget for the lookup, the connection, TLS and the HTTP handshake.
    let (mut sender, conn) = tokio::time::timeout(
        timeouts.connect,
        connect(&access, &host, port, protocol, use_tls),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;
    // The request line carries only the path: the authority went into the Host header.
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(path)
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    let request = request.map(|body| {
        Capped::new(body, limits.max_body_bytes, Error::HttpRequestBodySize).boxed_unsync()
    });
    let mut conn = Some(Box::pin(conn));
    let sending = tokio::time::timeout(timeouts.first_byte, sender.send_request(request));
    tokio::pin!(sending);
    // Drive the connection while waiting for the response.
    let response = std::future::poll_fn(|cx| {
        if let Poll::Ready(sent) = sending.as_mut().poll(cx) {
            return Poll::Ready(sent);
        }
        let Some(running) = conn.as_mut() else {
            return Poll::Pending;
        };
        let Poll::Ready(ended) = running.as_mut().poll(cx) else {
            return Poll::Pending;
        };
        conn = None;
        match ended {
            Ok(()) => sending.as_mut().poll(cx),
            Err(e) => Poll::Ready(Ok(Err(e))),
        }
    })
    .await
    .map_err(|_| Error::ConnectionReadTimeout)?
    .map_err(Error::from)?;
    let between = timeouts.between_bytes;
    let max = limits.max_body_bytes;
    let response = response.map(|incoming| {
        let incoming = incoming.map_err(Error::from);
        let paced = Paced::new(incoming, between);
        Capped::new(paced, max, Error::HttpResponseBodySize).boxed_unsync()
    });
    let io: IoFuture = Box::new(async move {
        match conn {
            Some(running) => running.await.map_err(Error::from),
            None => Ok(()),
        }
    });
    Ok((response, io))
}

type Connection = (
    hyper::client::conn::http1::SendRequest<WasiBody>,
    hyper::client::conn::http1::Connection<TokioIo<Box<dyn Stream>>, WasiBody>,
);

/// A connection to `host` at `port` (through TLS for https), at an address the grants reach.
async fn connect(
    access: &NetworkAccess,
    host: &str,
    port: u16,
    protocol: Protocol,
    use_tls: bool,
) -> Result<Connection, Error> {
    let target = checked_address(access, host, port, protocol).await?;
    let stream = TcpStream::connect(target).await.map_err(Error::Connect)?;
    let stream: Box<dyn Stream> = if use_tls {
        Box::new(tls(host, stream).await?)
    } else {
        Box::new(stream)
    };
    Ok(hyper::client::conn::http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await?)
}

/// The address to connect to for `host` (a name or an address) at `port`: one the grants
/// reach, or the refusal (reported to the host).
async fn checked_address(
    access: &NetworkAccess,
    host: &str,
    port: u16,
    protocol: Protocol,
) -> Result<SocketAddr, Error> {
    if let Some(ip) = parse_address(host) {
        if access.reaches_under(ip, &[], port, protocol, Direction::Connect) {
            return Ok(SocketAddr::new(ip, port));
        }
        access.report(access.address_denial(protocol, Direction::Connect, ip, port, None));
        return Err(Error::DestinationIpProhibited);
    }
    let Some(name) = normalize_name(host) else {
        return Err(Error::HttpRequestUriInvalid);
    };
    if !access.names(&name, port, protocol) {
        access.report(Denial {
            protocol: crate::wasi::network::protocol_name(protocol),
            direction: "connect",
            host: host.to_string(),
            address: None,
            port: Some(port),
            reason: format!(
                "no grant names {name} port {port} for {}",
                crate::wasi::network::protocol_name(protocol)
            ),
        });
        return Err(Error::HttpRequestDenied);
    }
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), port))
        .await
        .map_err(|e| Error::DnsError {
            rcode: Some(e.to_string()),
            info_code: None,
        })?
        .collect();
    let names = [name.clone()];
    if let Some(found) = addresses
        .iter()
        .find(|a| access.reaches_under(a.ip(), &names, port, protocol, Direction::Connect))
    {
        return Ok(SocketAddr::new(found.ip().to_canonical(), port));
    }
    match addresses.first() {
        Some(first) => {
            access.report(access.address_denial(
                protocol,
                Direction::Connect,
                first.ip(),
                port,
                Some(&name),
            ));
            Err(Error::DestinationIpProhibited)
        }
        None => Err(Error::DestinationNotFound),
    }
}

trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

async fn tls(
    host: &str,
    stream: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Error> {
    use rustls::pki_types::ServerName;
    static CONFIG: once_cell::sync::Lazy<Arc<rustls::ClientConfig>> =
        once_cell::sync::Lazy::new(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            Arc::new(
                rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
                .unwrap_or_else(|_| {
                    rustls::ClientConfig::builder()
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth()
                }),
            )
        });
    let name = match parse_address(host) {
        Some(ip) => ServerName::from(ip),
        None => ServerName::try_from(host.to_string())?,
    };
    tokio_rustls::TlsConnector::from(CONFIG.clone())
        .connect(name, stream)
        .await
        .map_err(Error::Tls)
}

struct Timeouts {
    connect: Duration,
    first_byte: Duration,
    between_bytes: Duration,
}

impl Timeouts {
    /// The host's timeouts, shortened by the guest's request options.
    fn of(limits: &HttpLimits, options: Option<&RequestOptions>) -> Timeouts {
        let pick = |host: Duration, guest: Option<Duration>| {
            guest
                .map_or(host, |g| g.min(host))
                .max(Duration::from_nanos(1))
        };
        Timeouts {
            connect: pick(
                limits.connect_timeout,
                options.and_then(|o| o.connect_timeout),
            ),
            first_byte: pick(
                limits.first_byte_timeout,
                options.and_then(|o| o.first_byte_timeout),
            ),
            between_bytes: pick(
                limits.between_bytes_timeout,
                options.and_then(|o| o.between_bytes_timeout),
            ),
        }
    }
}

/// A body that fails with `too_large` once more than `max` bytes went through it.
struct Capped<B> {
    inner: B,
    left: u64,
    max: u64,
    too_large: fn(Option<u64>) -> Error,
}

impl<B> Capped<B> {
    fn new(inner: B, max: u64, too_large: fn(Option<u64>) -> Error) -> Self {
        Capped {
            inner,
            left: max,
            max,
            too_large,
        }
    }
}

impl<B: Body<Data = Bytes, Error = Error> + Unpin> Body for Capped<B> {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            let size = frame.data_ref().map_or(0, |data| data.len() as u64);
            if size > self.left {
                self.left = 0;
                return Poll::Ready(Some(Err((self.too_large)(Some(self.max)))));
            }
            self.left -= size;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that fails when no frame comes for `between` (a stalled server).
struct Paced<B> {
    inner: B,
    between: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl<B> Paced<B> {
    fn new(inner: B, between: Duration) -> Self {
        Paced {
            inner,
            between,
            timer: Box::pin(tokio::time::sleep(between)),
        }
    }
}

impl<B: Body<Data = Bytes, Error = Error> + Unpin> Body for Paced<B> {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Pending => match self.timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Error::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
            ready => {
                let next = tokio::time::Instant::now() + self.between;
                self.timer.as_mut().reset(next);
                ready
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
