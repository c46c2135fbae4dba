//! Network grants: which hosts, ports, protocols and directions a component may use. The same
//! shape serves an instance's `network.allow` and the manifest's `[capabilities.net]` ceilings.
//!
//! Addresses in special ranges (loopback, private, link-local, unspecified, multicast, ...)
//! are reached only through a grant whose host is an address or range that contains them (or
//! `localhost`, for loopback): a grant by name never reaches them, whatever the name resolves
//! to, so a name that resolves to an internal address is no way around the grants.

use std::net::IpAddr;

use ipnet::IpNet;

/// Which hosts a grant names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// `*`: every name, and every address outside the special ranges.
    Any,
    /// A host name, lowercase, without a trailing dot.
    Name(String),
    /// `*.example.com`: the names under it (stored as `.example.com`), not itself.
    Under(String),
    /// An address (`10.0.0.5`, `::1`) or a range (`10.0.0.0/8`).
    Addresses(IpNet),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    Http,
    Https,
}

pub const PROTOCOLS: [(&str, Protocol); 4] = [
    ("tcp", Protocol::Tcp),
    ("udp", Protocol::Udp),
    ("http", Protocol::Http),
    ("https", Protocol::Https),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Connecting, sending datagrams, HTTP requests.
    Connect,
    /// Binding, listening and accepting; receiving datagrams from anyone.
    Bind,
}

pub const DIRECTIONS: [(&str, Direction); 2] =
    [("connect", Direction::Connect), ("bind", Direction::Bind)];

/// The keys of a grant, in the manifest and in `network.allow` alike.
pub const GRANT_KEYS: [&str; 4] = ["host", "ports", "protocols", "directions"];

/// A grant as written (by JS or in the manifest), before it is checked.
#[derive(Debug, Clone, Default)]
pub struct GrantSpec {
    pub host: String,
    /// Port ranges, inclusive; `None`: every port.
    pub ports: Option<Vec<(u32, u32)>>,
    /// `None`: every protocol.
    pub protocols: Option<Vec<String>>,
    /// `None`: connect only.
    pub directions: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub host: HostPattern,
    /// Inclusive ranges; `None`: every port (0 included, the "any free port" of a bind).
    pub ports: Option<Vec<(u16, u16)>>,
    pub protocols: Vec<Protocol>,
    pub directions: Vec<Direction>,
}

impl Grant {
    pub fn parse(spec: &GrantSpec) -> Result<Grant, String> {
        let host = parse_host(&spec.host)?;
        let ports = match &spec.ports {
            None => None,
            Some(ranges) if ranges.is_empty() => return Err("ports: empty list".into()),
            Some(ranges) => Some(
                ranges
                    .iter()
                    .map(|&(low, high)| port_range(low, high))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let protocols = match &spec.protocols {
            None => PROTOCOLS.iter().map(|(_, p)| *p).collect(),
            Some(names) => names_in(names, &PROTOCOLS, "protocols")?,
        };
        let directions = match &spec.directions {
            None => vec![Direction::Connect],
            Some(names) => names_in(names, &DIRECTIONS, "directions")?,
        };
        Ok(Grant {
            host,
            ports,
            protocols,
            directions,
        })
    }

    pub fn allows(&self, protocol: Protocol, direction: Direction, port: u16) -> bool {
        self.protocols.contains(&protocol)
            && self.directions.contains(&direction)
            && self
                .ports
                .as_ref()
                .is_none_or(|ranges| ranges.iter().any(|&(l, h)| (l..=h).contains(&port)))
    }

    /// Whether the grant names `name` (already normalized by `normalize_name`).
    pub fn names(&self, name: &str) -> bool {
        match &self.host {
            HostPattern::Any => true,
            HostPattern::Name(granted) => granted == name,
            HostPattern::Under(suffix) => name.ends_with(suffix.as_str()),
            HostPattern::Addresses(_) => false,
        }
    }

    /// Whether the grant reaches `ip`, reached under the names `names` (those this instance
    /// looked up and got `ip` for; none for an address used directly).
    pub fn reaches(&self, ip: IpAddr, names: &[String]) -> bool {
        let ip = ip.to_canonical();
        match &self.host {
            HostPattern::Addresses(net) => net.contains(&ip),
            HostPattern::Any => !is_special(ip),
            HostPattern::Name(_) | HostPattern::Under(_) => names.iter().any(|name| {
                self.names(name) && (!is_special(ip) || (ip.is_loopback() && name == "localhost"))
            }),
        }
    }

    /// Whether everything this grant allows, `ceiling` allows too (the manifest's rule).
    pub fn within(&self, ceiling: &Grant) -> bool {
        let host = match (&self.host, &ceiling.host) {
            // `*` is every public address and every name, but `localhost` reaches loopback.
            (HostPattern::Name(name), HostPattern::Any) => name != "localhost",
            (_, HostPattern::Any) => {
                !matches!(&self.host, HostPattern::Addresses(net) if net_is_special(net))
            }
            (HostPattern::Name(name), HostPattern::Name(top)) => name == top,
            (HostPattern::Name(name), HostPattern::Under(suffix)) => {
                name.ends_with(suffix.as_str())
            }
            (HostPattern::Under(own), HostPattern::Under(suffix)) => own.ends_with(suffix.as_str()),
            (HostPattern::Addresses(net), HostPattern::Addresses(top)) => top.contains(net),
            _ => false,
        };
        let ports = match (&self.ports, &ceiling.ports) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(own), Some(top)) => own
                .iter()
                .all(|&(l, h)| top.iter().any(|&(tl, th)| tl <= l && h <= th)),
        };
        host && ports
            && self.protocols.iter().all(|p| ceiling.protocols.contains(p))
            && self
                .directions
                .iter()
                .all(|d| ceiling.directions.contains(d))
    }
}

/// `api.example.com ports 443 https connect`, as messages name a grant.
impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.host_text())?;
        match self.port_texts() {
            None => write!(f, " any port")?,
            Some(ports) => write!(f, " ports {}", ports.join(","))?,
        }
        write!(
            f,
            " {} {}",
            self.protocol_names().join(","),
            self.direction_names().join(",")
        )
    }
}

impl Grant {
    /// The host as written (normalized): `api.example.com`, `*.example.com`, `10.0.0.0/8`.
    pub fn host_text(&self) -> String {
        match &self.host {
            HostPattern::Any => "*".to_string(),
            HostPattern::Name(name) => name.clone(),
            HostPattern::Under(suffix) => format!("*{suffix}"),
            HostPattern::Addresses(net) if net.prefix_len() == net.max_prefix_len() => {
                net.addr().to_string()
            }
            HostPattern::Addresses(net) => net.to_string(),
        }
    }

    /// `["443", "8000-8100"]`; `None` for every port.
    pub fn port_texts(&self) -> Option<Vec<String>> {
        self.ports.as_ref().map(|ranges| {
            ranges
                .iter()
                .map(|&(l, h)| {
                    if l == h {
                        l.to_string()
                    } else {
                        format!("{l}-{h}")
                    }
                })
                .collect()
        })
    }

    pub fn protocol_names(&self) -> Vec<&'static str> {
        PROTOCOLS
            .iter()
            .filter(|(_, p)| self.protocols.contains(p))
            .map(|(name, _)| *name)
            .collect()
    }

    pub fn direction_names(&self) -> Vec<&'static str> {
        DIRECTIONS
            .iter()
            .filter(|(_, d)| self.directions.contains(d))
            .map(|(name, _)| *name)
            .collect()
    }
}

/// A host name as lookups and grants compare it: IDNA to ASCII, lowercase, no trailing dot.
/// `None` for text that is not a host name (or is an address).
pub fn normalize_name(text: &str) -> Option<String> {
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    match url::Host::parse(trimmed) {
        Ok(url::Host::Domain(name)) if !name.is_empty() && !name.contains('*') => {
            Some(name.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// An address given as text: `10.0.0.5`, `::1`, `[::1]`, and the other spellings of IPv4
/// addresses that URLs and name lookups take as addresses (`127.1`, `0x7f.1`, `2130706433`).
pub fn parse_address(text: &str) -> Option<IpAddr> {
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    match url::Host::parse(text) {
        Ok(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Ok(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip).to_canonical()),
        _ => None,
    }
}

/// A port range written as text: `"443"` or `"8000-8100"`.
pub fn port_range_text(text: &str) -> Result<(u32, u32), String> {
    let number = |part: &str| {
        Some(part)
            .filter(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<u32>().ok())
            .ok_or_else(|| format!("ports: {text:?} is not a port or a range \"low-high\""))
    };
    match text.split_once('-') {
        Some((low, high)) => Ok((number(low)?, number(high)?)),
        None => number(text).map(|port| (port, port)),
    }
}

fn parse_host(text: &str) -> Result<HostPattern, String> {
    if text == "*" {
        return Ok(HostPattern::Any);
    }
    if let Some((address, prefix)) = text.split_once('/') {
        let ip = parse_address(address)
            .ok_or_else(|| format!("host {text:?}: {address:?} is not an IP address"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("host {text:?}: {prefix:?} is not a prefix length"))?;
        let net = IpNet::new(ip, prefix)
            .map_err(|_| format!("host {text:?}: prefix length {prefix} is too long"))?;
        if net.trunc() != net {
            return Err(format!(
                "host {text:?}: the address has bits set past the prefix (did you mean {}?)",
                net.trunc()
            ));
        }
        return Ok(HostPattern::Addresses(net));
    }
    if let Some(ip) = parse_address(text) {
        return Ok(HostPattern::Addresses(IpNet::from(ip)));
    }
    if let Some(rest) = text.strip_prefix("*.") {
        let name = normalize_name(rest)
            .ok_or_else(|| format!("host {text:?}: {rest:?} is not a host name"))?;
        return Ok(HostPattern::Under(format!(".{name}")));
    }
    normalize_name(text).map(HostPattern::Name).ok_or_else(|| {
        format!(
            "host {text:?}: expected a host name, \"*.\" and a name, an IP address, a range \
                 (10.0.0.0/8) or \"*\""
        )
    })
}

fn port_range(low: u32, high: u32) -> Result<(u16, u16), String> {
    let low16 = u16::try_from(low).map_err(|_| format!("ports: {low} is past 65535"))?;
    let high16 = u16::try_from(high).map_err(|_| format!("ports: {high} is past 65535"))?;
    if low16 > high16 {
        return Err(format!("ports: the range {low}-{high} is empty"));
    }
    Ok((low16, high16))
}

fn names_in<T: Copy>(names: &[String], known: &[(&str, T)], key: &str) -> Result<Vec<T>, String> {
    if names.is_empty() {
        return Err(format!("{key}: empty list"));
    }
    names
        .iter()
        .map(|name| {
            known
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    let all: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
                    format!("{key}: {name:?} is not one of {}", all.join(", "))
                })
        })
        .collect()
}

/// The special ranges: only grants by address reach them.
const SPECIAL_RANGES: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/3",
    "::/128",
    "::1/128",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

/// Loopback, private, link-local, unspecified, shared, documentation, benchmarking,
/// multicast and reserved addresses, and the IPv6 forms that embed an IPv4 address (NAT64,
/// 6to4), which could carry any of them.
pub fn is_special(ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    special_ranges().iter().any(|net| net.contains(&ip))
}

fn net_is_special(net: &IpNet) -> bool {
    special_ranges()
        .iter()
        .any(|special| special.contains(net) || net.contains(special))
}

fn special_ranges() -> &'static [IpNet] {
    static RANGES: once_cell::sync::Lazy<Vec<IpNet>> = once_cell::sync::Lazy::new(|| {
        SPECIAL_RANGES
            .iter()
            .filter_map(|text| text.parse().ok())
            .collect()
    });
    &RANGES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(host: &str) -> Grant {
        Grant::parse(&GrantSpec {
            host: host.into(),
            ..GrantSpec::default()
        })
        .unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn special_ranges_cover_mapped_forms() {
        for text in [
            "127.0.0.1",
            "10.1.2.3",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "169.254.169.254",
            "fe80::1",
            "fd00::1",
            "0.0.0.0",
            "::",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            assert!(is_special(ip(text)), "{text}");
        }
        for text in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(!is_special(ip(text)), "{text}");
        }
    }

    #[test]
    fn names_reach_only_public_addresses() {
        let g = grant("example.com");
        let names = vec!["example.com".to_string()];
        assert!(g.reaches(ip("93.184.216.34"), &names));
        assert!(!g.reaches(ip("127.0.0.1"), &names));
        assert!(!g.reaches(ip("::ffff:10.0.0.1"), &names));
        assert!(!g.reaches(ip("93.184.216.34"), &[]));
        assert!(!g.reaches(ip("93.184.216.34"), &["other.com".to_string()]));
        let local = grant("localhost");
        assert!(local.reaches(ip("127.0.0.1"), &["localhost".to_string()]));
        assert!(!local.reaches(ip("10.0.0.1"), &["localhost".to_string()]));
    }

    #[test]
    fn addresses_and_ranges_reach_what_they_contain() {
        assert!(grant("127.0.0.1").reaches(ip("::ffff:127.0.0.1"), &[]));
        assert!(!grant("127.0.0.1").reaches(ip("127.0.0.2"), &[]));
        assert!(grant("10.0.0.0/8").reaches(ip("10.200.0.1"), &[]));
        assert!(grant("[::1]").reaches(ip("::1"), &[]));
        assert!(!grant("*").reaches(ip("127.0.0.1"), &[]));
        assert!(grant("*").reaches(ip("8.8.8.8"), &[]));
    }

    #[test]
    fn parse_refuses_what_it_cannot_read() {
        for bad in [
            "",
            "*.",
            "10.0.0.1/33",
            "10.0.0.1/8",
            "exa mple.com",
            "a*b.com",
            "1.2.3.4/x",
        ] {
            assert!(
                Grant::parse(&GrantSpec {
                    host: bad.into(),
                    ..GrantSpec::default()
                })
                .is_err(),
                "{bad:?}"
            );
        }
        let spec = |ports: Vec<(u32, u32)>| GrantSpec {
            host: "a.com".into(),
            ports: Some(ports),
            ..GrantSpec::default()
        };
        assert!(Grant::parse(&spec(vec![(70000, 70000)])).is_err());
        for text in ["+80", " 80", "80 ", "", "1-", "0x50", "123456"] {
            assert!(port_range_text(text).is_err(), "{text:?}");
        }
        assert_eq!(port_range_text("8000-8100"), Ok((8000, 8100)));
        assert!(Grant::parse(&spec(vec![(90, 80)])).is_err());
        assert!(Grant::parse(&spec(vec![])).is_err());
        let bad_protocol = GrantSpec {
            host: "a.com".into(),
            protocols: Some(vec!["ftp".into()]),
            ..GrantSpec::default()
        };
        assert!(Grant::parse(&bad_protocol)
            .unwrap_err()
            .contains("tcp, udp, http, https"));
    }

    #[test]
    fn names_normalize() {
        assert_eq!(normalize_name("Example.COM."), Some("example.com".into()));
        assert_eq!(
            normalize_name("bücher.example"),
            Some("xn--bcher-kva.example".into())
        );
        assert_eq!(normalize_name("127.0.0.1"), None);
        let under = grant("*.example.com");
        assert!(under.names("api.example.com"));
        assert!(!under.names("example.com"));
        assert!(!under.names("badexample.com"));
    }

    #[test]
    fn within_ceiling() {
        let spec = |host: &str, ports: Option<Vec<(u32, u32)>>, protocols: Option<Vec<&str>>| {
            Grant::parse(&GrantSpec {
                host: host.into(),
                ports,
                protocols: protocols.map(|p| p.into_iter().map(String::from).collect()),
                directions: None,
            })
            .unwrap()
        };
        let top = spec("*.example.com", Some(vec![(443, 443)]), Some(vec!["https"]));
        assert!(spec(
            "api.example.com",
            Some(vec![(443, 443)]),
            Some(vec!["https"])
        )
        .within(&top));
        assert!(!spec("api.example.com", None, Some(vec!["https"])).within(&top));
        assert!(!spec("api.example.com", Some(vec![(443, 443)]), None).within(&top));
        assert!(!spec("example.org", Some(vec![(443, 443)]), Some(vec!["https"])).within(&top));
        let range = spec("10.0.0.0/8", None, None);
        assert!(spec("10.1.0.0/16", Some(vec![(1, 2)]), None).within(&range));
        assert!(!spec("11.0.0.0/8", None, None).within(&range));
        assert!(!spec("127.0.0.1", None, None).within(&spec("*", None, None)));
        assert!(!spec("localhost", None, None).within(&spec("*", None, None)));
        assert!(spec("localhost", None, None).within(&spec("localhost", None, None)));
        assert!(spec("8.8.8.8", None, None).within(&spec("*", None, None)));
    }
}
