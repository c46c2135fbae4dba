//! Name lookups under the grants: WASI 0.2's and 0.3's `resolve-addresses` are replaced on
//! the component linker by ones that look up only names a grant names (any other gets
//! `access-denied`, and no DNS query leaves the host), and that record the addresses returned,
//! so a connection to one of them is checked against the grants of the name it came from.

use wasmtime::component::{Linker, Resource};

use crate::wasi::network::NetworkView;

/// The interfaces replaced (components of any compatible version reach them).
const LOOKUP_P2: &str = "wasi:sockets/ip-name-lookup@0.2.12";
const LOOKUP_P3: &str = "wasi:sockets/ip-name-lookup@0.3.0";

pub fn add_to_component_linker<T: NetworkView + wasmtime_wasi::WasiView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::sockets::ip_name_lookup::{
        ErrorCode, Host, HostResolveAddressStream, IpAddress, Network, ResolveAddressStream,
    };
    use wasmtime_wasi::sockets::WasiSocketsView;
    linker.allow_shadowing(true);
    let mut instance = linker.instance(LOOKUP_P2)?;
    instance.func_wrap(
        "resolve-addresses",
        |mut store: wasmtime::StoreContextMut<'_, T>,
         (network, name): (Resource<Network>, String)| {
            let granted = match store.data().network().check_lookup(&name) {
                Ok(granted) => granted,
                Err(_) => return Ok((Err(ErrorCode::AccessDenied),)),
            };
            let access = store.data().network().clone();
            let mut view = store.data_mut().sockets();
            match Host::resolve_addresses(&mut view, network, name) {
                Ok(stream) => {
                    access.remember_stream(stream.rep(), granted);
                    Ok((Ok(stream),))
                }
                Err(e) => Ok((Err(e.downcast()?),)),
            }
        },
    )?;
    instance.func_wrap(
        "[method]resolve-address-stream.resolve-next-address",
        |mut store: wasmtime::StoreContextMut<'_, T>,
         (stream,): (Resource<ResolveAddressStream>,)| {
            let access = store.data().network().clone();
            let rep = stream.rep();
            let mut view = store.data_mut().sockets();
            match HostResolveAddressStream::resolve_next_address(&mut view, stream) {
                Ok(next) => {
                    if let Some(address) = &next {
                        access.record_stream_address(rep, ip_of(address));
                    }
                    Ok((Ok(next),))
                }
                Err(e) => Ok((Err(e.downcast()?),)),
            }
        },
    )?;
    linker.allow_shadowing(false);
    return Ok(());

    fn ip_of(address: &IpAddress) -> std::net::IpAddr {
        match *address {
            IpAddress::Ipv4((a, b, c, d)) => std::net::Ipv4Addr::new(a, b, c, d).into(),
            IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
                std::net::Ipv6Addr::new(a, b, c, d, e, f, g, h).into()
            }
        }
    }
}

pub fn add_to_component_linker_p3<T: NetworkView + wasmtime_wasi::WasiView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    use wasmtime::component::Accessor;
    use wasmtime_wasi::p3::bindings::sockets::ip_name_lookup::{ErrorCode, HostWithStore as _};
    use wasmtime_wasi::sockets::WasiSockets;
    use wasmtime_wasi::sockets::WasiSocketsView;
    linker.allow_shadowing(true);
    linker.instance(LOOKUP_P3)?.func_wrap_concurrent(
        "resolve-addresses",
        |accessor: &Accessor<T>, (name,): (String,)| {
            Box::pin(async move {
                let access = accessor.with(|mut store| store.get().network().clone());
                let granted = match access.check_lookup(&name) {
                    Ok(granted) => granted,
                    Err(_) => return Ok((Err(ErrorCode::AccessDenied),)),
                };
                let sockets: Accessor<T, WasiSockets> =
                    accessor.with_getter(|state: &mut T| state.sockets());
                let addresses = WasiSockets::resolve_addresses(&sockets, name).await?;
                if let (Some(name), Ok(list)) = (&granted, &addresses) {
                    let ips: Vec<std::net::IpAddr> = list.iter().map(|a| (*a).into()).collect();
                    access.record_lookup(name, &ips);
                }
                Ok((addresses,))
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
