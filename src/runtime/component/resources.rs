//! The resources JS holds of a component instance: each a handle number in this table, until
//! it is given back to the guest (`own`), or dropped.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use wasmtime::component::ResourceAny;
use wasmtime::Store;

use crate::runtime::call::GuestCode;
use crate::runtime::store::HostState;

#[derive(Default)]
pub struct ResourceTable {
    inner: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    live: HashMap<u32, ResourceAny>,
}

/// Handles are numbered across all instances, so that a resource object of one instance given
/// to another is never taken for one of the other's.
static NEXT_HANDLE: AtomicU32 = AtomicU32::new(1);

impl ResourceTable {
    /// Keeps `resource`; returns its handle.
    pub fn keep(&self, resource: ResourceAny) -> u32 {
        let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
        let mut table = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        table.live.insert(handle, resource);
        handle
    }

    /// The resource behind `handle`: taken out of the table (`own`, moved into the guest, or
    /// dropped) or left in it (`borrow`).
    pub fn find(&self, handle: u32, take: bool) -> Option<ResourceAny> {
        let mut table = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if take {
            table.live.remove(&handle)
        } else {
            table.live.get(&handle).copied()
        }
    }
}

/// Dropping a resource the guest made, which runs its destructor in the guest.
pub struct DropResource(pub ResourceAny);

impl GuestCode for DropResource {
    type Output = Vec<wasmtime::component::Val>;

    fn run(
        self,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Self::Output>> + Send + '_ {
        async move {
            self.0.resource_drop_async(&mut *store).await?;
            Ok(Vec::new())
        }
    }
}
