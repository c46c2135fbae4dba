//! An instance's network access: its grants (`network.allow`), what its name lookups
//! returned, and the UDP peers it may answer. Every socket address WASI uses, every name
//! lookup and every outgoing HTTP request asks here; a refusal is reported to the host
//! (`network.onDenied`) with what was refused and why.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime_wasi::sockets::SocketAddrUse;

use crate::sandbox::network::{
    is_special, normalize_name, parse_address, Direction, Grant, Protocol,
};

/// A store's data that carries a `NetworkAccess` (what the WASI overrides ask).
pub trait NetworkView {
    fn network(&self) -> &Arc<NetworkAccess>;
}

/// Told of every refusal (implemented at the napi edge by a call to `network.onDenied`).
pub trait DenialSink: Send + Sync {
    fn denied(&self, denial: &Denial);
}

/// What was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// "tcp", "udp", "http", "https", or "dns" for a name lookup.
    pub protocol: &'static str,
    /// "connect", "bind", "lookup", "receive".
    pub direction: &'static str,
    /// The name or address the guest gave.
    pub host: String,
    /// The address it came to, when it differs from `host` (a name's address).
    pub address: Option<String>,
    pub port: Option<u16>,
    pub reason: String,
}

/// Limits of outgoing HTTP requests; the guest's own request options may only shorten them.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub between_bytes_timeout: Duration,
    /// The largest request body sent, and response body received, in bytes.
    pub max_body_bytes: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            connect_timeout: Duration::from_secs(30),
            first_byte_timeout: Duration::from_secs(60),
            between_bytes_timeout: Duration::from_secs(60),
            max_body_bytes: 64 << 20,
        }
    }
}

/// The `network` option of `instantiate`, checked.
#[derive(Clone, Default)]
pub struct NetworkOptions {
    pub grants: Vec<Grant>,
    pub http: HttpLimits,
    pub on_denied: Option<Arc<dyn DenialSink>>,
}

impl std::fmt::Debug for NetworkOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkOptions")
            .field("grants", &self.grants)
            .field("http", &self.http)
            .field("on_denied", &self.on_denied.is_some())
            .finish()
    }
}

/// How many addresses a lookup may leave recorded, and how many UDP peers: past these the
/// oldest are forgotten (a guest looping over lookups cannot grow the host's memory).
const MAX_RECORDED: usize = 4096;
const MAX_NAMES_PER_ADDRESS: usize = 16;

pub struct NetworkAccess {
    options: NetworkOptions,
    /// Addresses this instance's lookups returned, with the names they were returned for.
    resolved: Mutex<Recorded<IpAddr, Vec<String>>>,
    /// Peers whose datagrams a bound UDP socket took in (it may answer them).
    udp_peers: Mutex<Recorded<SocketAddr, ()>>,
    /// WASI 0.2's lookups in progress: the name each address stream (by its resource number)
    /// answers for.
    streams: Mutex<Recorded<u32, String>>,
}

impl NetworkAccess {
    pub fn new(options: NetworkOptions) -> Arc<NetworkAccess> {
        Arc::new(NetworkAccess {
            options,
            resolved: Mutex::default(),
            udp_peers: Mutex::default(),
            streams: Mutex::default(),
        })
    }

    /// No grant at all: everything is refused.
    pub fn denied() -> Arc<NetworkAccess> {
        NetworkAccess::new(NetworkOptions::default())
    }

    pub fn http_limits(&self) -> &HttpLimits {
        &self.options.http
    }

    /// Whether a name lookup may be made: an address needs none (it is its own answer, and no
    /// query leaves the host); a name must be one a grant names. Anything else (text that is
    /// neither, which a resolver might still send out) is refused. Gives the name normalized,
    /// or `None` for an address.
    pub fn check_lookup(&self, name: &str) -> Result<Option<String>, Denial> {
        if parse_address(name).is_some() {
            return Ok(None);
        }
        let denial = |reason: &str| Denial {
            protocol: "dns",
            direction: "lookup",
            host: name.to_string(),
            address: None,
            port: None,
            reason: reason.to_string(),
        };
        match normalize_name(name) {
            Some(normalized) if self.options.grants.iter().any(|g| g.names(&normalized)) => {
                Ok(Some(normalized))
            }
            Some(_) => Err(self.report(denial("no grant names this host"))),
            None => Err(self.report(denial("not a host name or an address"))),
        }
    }

    /// Records what a lookup of `name` (normalized) returned.
    pub fn record_lookup(&self, name: &str, addresses: &[IpAddr]) {
        let mut resolved = lock(&self.resolved);
        for ip in addresses {
            let names = resolved.entry(ip.to_canonical(), Vec::new);
            if !names.iter().any(|n| n == name) {
                // The oldest name of an address goes first (a wildcard domain could give one
                // address many names).
                if names.len() >= MAX_NAMES_PER_ADDRESS {
                    names.remove(0);
                }
                names.push(name.to_string());
            }
        }
    }

    /// A WASI 0.2 lookup began: its stream is resource `rep`, answering for `name` (normalized;
    /// `None` for an address, whose answers are recorded under no name). A resource number is
    /// reused once its stream is dropped, so every new stream sets it anew.
    pub fn remember_stream(&self, rep: u32, name: Option<String>) {
        let mut streams = lock(&self.streams);
        match name {
            Some(name) => *streams.entry(rep, String::new) = name,
            None => streams.remove(&rep),
        }
    }

    /// The stream of resource `rep` gave `ip`: recorded for the name it was made for.
    pub fn record_stream_address(&self, rep: u32, ip: IpAddr) {
        let name = lock(&self.streams).get(&rep).cloned();
        if let Some(name) = name {
            self.record_lookup(&name, &[ip]);
        }
    }

    /// The check wasmtime-wasi makes for every socket address a guest uses.
    pub fn check_socket(&self, addr: SocketAddr, used: SocketAddrUse) -> bool {
        let (protocol, direction) = match used {
            SocketAddrUse::TcpBind | SocketAddrUse::TcpListen | SocketAddrUse::TcpAccept => {
                (Protocol::Tcp, Direction::Bind)
            }
            SocketAddrUse::TcpConnect => (Protocol::Tcp, Direction::Connect),
            SocketAddrUse::UdpBind | SocketAddrUse::UdpReceive => (Protocol::Udp, Direction::Bind),
            SocketAddrUse::UdpSend => (Protocol::Udp, Direction::Connect),
        };
        let ip = addr.ip().to_canonical();
        let allowed = match used {
            // The bind a connect or send makes first, to the unspecified address and any
            // port: harmless by itself (listening and receiving are checked on their own).
            SocketAddrUse::TcpBind | SocketAddrUse::UdpBind
                if ip.is_unspecified() && addr.port() == 0 =>
            {
                true
            }
            // A listener's clients: the listen was checked.
            SocketAddrUse::TcpAccept => self
                .options
                .grants
                .iter()
                .any(|g| g.protocols.contains(&protocol) && g.directions.contains(&direction)),
            SocketAddrUse::UdpReceive => {
                if self.reaches(ip, addr.port(), Protocol::Udp, Direction::Connect) {
                    true
                } else if self.serves_udp_to(ip) {
                    lock(&self.udp_peers).entry(addr, || ());
                    true
                } else {
                    false
                }
            }
            SocketAddrUse::UdpSend => {
                self.reaches(ip, addr.port(), protocol, direction)
                    || lock(&self.udp_peers).contains(&addr)
            }
            _ => self.reaches(ip, addr.port(), protocol, direction),
        };
        if !allowed && !matches!(used, SocketAddrUse::UdpReceive) {
            self.report(self.address_denial(protocol, direction, addr.ip(), addr.port(), None));
        }
        allowed
    }

    /// Whether `ip` (reached directly, or as one of the addresses of names looked up) is
    /// reachable at `port` by `protocol` in `direction`.
    pub fn reaches(&self, ip: IpAddr, port: u16, protocol: Protocol, direction: Direction) -> bool {
        let names = lock(&self.resolved)
            .get(&ip.to_canonical())
            .cloned()
            .unwrap_or_default();
        self.reaches_under(ip, &names, port, protocol, direction)
    }

    /// Like `reaches`, for an address reached under the given names only.
    pub fn reaches_under(
        &self,
        ip: IpAddr,
        names: &[String],
        port: u16,
        protocol: Protocol,
        direction: Direction,
    ) -> bool {
        self.options
            .grants
            .iter()
            .any(|g| g.allows(protocol, direction, port) && g.reaches(ip, names))
    }

    /// Whether some grant of `protocol` names `name` (normalized) at `port`.
    pub fn names(&self, name: &str, port: u16, protocol: Protocol) -> bool {
        self.options
            .grants
            .iter()
            .any(|g| g.allows(protocol, Direction::Connect, port) && g.names(name))
    }

    /// Whether a UDP bind grant lets datagrams from `sender` in (the check is told only the
    /// sender, not the socket): a grant of every interface (it contains the unspecified
    /// address) takes anyone; a grant of an address takes senders it contains, and a grant of a
    /// loopback address takes loopback senders (a loopback socket's only peers).
    fn serves_udp_to(&self, sender: IpAddr) -> bool {
        let unspecified: IpAddr = if sender.is_ipv4() {
            std::net::Ipv4Addr::UNSPECIFIED.into()
        } else {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        };
        let loopback: IpAddr = if sender.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        };
        self.options.grants.iter().any(|g| {
            g.protocols.contains(&Protocol::Udp)
                && g.directions.contains(&Direction::Bind)
                && (g.reaches(sender, &[])
                    || g.reaches(unspecified, &[])
                    || (sender.is_loopback() && g.reaches(loopback, &[])))
        })
    }

    /// The denial of an address, saying why no grant covers it.
    pub fn address_denial(
        &self,
        protocol: Protocol,
        direction: Direction,
        ip: IpAddr,
        port: u16,
        name: Option<&str>,
    ) -> Denial {
        let ip = ip.to_canonical();
        let names: Vec<String> = name.map(str::to_string).into_iter().collect();
        let reached = self.options.grants.iter().any(|g| g.reaches(ip, &names));
        let reason = if self.options.grants.is_empty() {
            "no network access was granted".to_string()
        } else if !reached && is_special(ip) {
            format!(
                "{ip} is a loopback, private or reserved address: only a grant naming it by \
                 address (or range) reaches it"
            )
        } else {
            format!(
                "no grant covers {ip} port {port} for {}",
                protocol_name(protocol)
            )
        };
        Denial {
            protocol: protocol_name(protocol),
            direction: match direction {
                Direction::Connect => "connect",
                Direction::Bind => "bind",
            },
            host: name.map_or_else(|| ip.to_string(), str::to_string),
            address: name.map(|_| ip.to_string()),
            port: Some(port),
            reason,
        }
    }

    /// Tells the host of a refusal, and gives it back.
    pub fn report(&self, denial: Denial) -> Denial {
        if let Some(sink) = &self.options.on_denied {
            sink.denied(&denial);
        }
        denial
    }
}

pub fn protocol_name(protocol: Protocol) -> &'static str {
    crate::sandbox::network::PROTOCOLS
        .iter()
        .find(|(_, p)| *p == protocol)
        .map_or("tcp", |(name, _)| name)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A map that forgets its oldest entries past `MAX_RECORDED`.
struct Recorded<K, V> {
    entries: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K, V> Default for Recorded<K, V> {
    fn default() -> Self {
        Recorded {
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone, V> Recorded<K, V> {
    fn entry(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        if !self.entries.contains_key(&key) {
            if self.order.len() >= MAX_RECORDED {
                if let Some(oldest) = self.order.pop_front() {
                    self.entries.remove(&oldest);
                }
            }
            self.order.push_back(key.clone());
        }
        self.entries.entry(key).or_insert_with(make)
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key)
    }

    fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    fn remove(&mut self, key: &K) {
        if self.entries.remove(key).is_some() {
            self.order.retain(|k| k != key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::network::GrantSpec;

    fn access(specs: &[(&str, Option<&[&str]>, Option<&[&str]>)]) -> Arc<NetworkAccess> {
        let grants = specs
            .iter()
            .map(|(host, protocols, directions)| {
                Grant::parse(&GrantSpec {
                    host: host.to_string(),
                    ports: None,
                    protocols: protocols.map(|p| p.iter().map(|s| s.to_string()).collect()),
                    directions: directions.map(|d| d.iter().map(|s| s.to_string()).collect()),
                })
                .unwrap()
            })
            .collect();
        NetworkAccess::new(NetworkOptions {
            grants,
            ..NetworkOptions::default()
        })
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_reused_stream_number_answers_for_its_own_lookup_only() {
        let net = access(&[("localhost", Some(&["tcp"]), None)]);
        net.remember_stream(7, net.check_lookup("localhost").unwrap());
        net.record_stream_address(7, "127.0.0.1".parse().unwrap());
        // The stream is dropped; its number comes back for a lookup of an address.
        net.remember_stream(7, net.check_lookup("127.0.0.2").unwrap());
        net.record_stream_address(7, "127.0.0.2".parse().unwrap());
        assert!(net.check_socket(addr("127.0.0.1:80"), SocketAddrUse::TcpConnect));
        assert!(!net.check_socket(addr("127.0.0.2:80"), SocketAddrUse::TcpConnect));
    }

    #[test]
    fn only_names_and_addresses_are_looked_up() {
        let net = access(&[("*", None, None)]);
        assert!(net.check_lookup("a*b.example.com").is_err());
        assert!(net.check_lookup("bad name").is_err());
        assert!(net.check_lookup("example.com").is_ok());
        assert_eq!(net.check_lookup("2130706433").unwrap(), None);
        assert!(access(&[]).check_lookup("example.com").is_err());
    }

    #[test]
    fn udp_senders_come_in_by_connect_or_bind_grants_that_contain_them() {
        let bound = access(&[("127.0.0.1", Some(&["udp"]), Some(&["bind"]))]);
        assert!(bound.check_socket(addr("127.0.0.5:9"), SocketAddrUse::UdpReceive));
        assert!(!bound.check_socket(addr("10.1.2.3:9"), SocketAddrUse::UdpReceive));
        assert!(!bound.check_socket(addr("8.8.8.8:53"), SocketAddrUse::UdpReceive));
        // A sender taken in may be answered; others may not be sent to.
        assert!(bound.check_socket(addr("127.0.0.5:9"), SocketAddrUse::UdpSend));
        assert!(!bound.check_socket(addr("127.0.0.6:9"), SocketAddrUse::UdpSend));
        let everywhere = access(&[("0.0.0.0/0", Some(&["udp"]), Some(&["bind"]))]);
        assert!(everywhere.check_socket(addr("8.8.8.8:53"), SocketAddrUse::UdpReceive));
        let client = access(&[("127.0.0.1", Some(&["udp"]), None)]);
        assert!(client.check_socket(addr("127.0.0.1:53"), SocketAddrUse::UdpReceive));
        assert!(!client.check_socket(addr("127.0.0.2:53"), SocketAddrUse::UdpReceive));
        // The bind a send makes first is no grant of anything.
        assert!(access(&[]).check_socket(addr("0.0.0.0:0"), SocketAddrUse::UdpBind));
        assert!(!access(&[]).check_socket(addr("0.0.0.0:0"), SocketAddrUse::TcpListen));
    }
}
