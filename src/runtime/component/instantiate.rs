//! Instantiating a component: the same WASI options, limits and entry into wasm as a module.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{Instance, InstancePre};
use wasmtime::Store;

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::call::{self, Entering, Finished, GuestCode, Plan};
use crate::runtime::component::compiled::ComponentEntry;
use crate::runtime::component::exports::ComponentExports;
use crate::runtime::component::host::ComponentHostImports;
use crate::runtime::exports::Exports;
use crate::runtime::host::UnknownImports;
use crate::runtime::instance::{
    check_instance_count, exited_while_instantiating, metering_of, register, Parts,
};
use crate::runtime::limits::{CancelToken, Ceilings, InstanceLimits};
use crate::runtime::store::{new_store, HostState};
use crate::wasi::{build_context, WasiOptions};

/// What one call may make the host allocate for values lifted out of the guest (its results,
/// a host function's arguments), counted as wasmtime counts it: about 32 bytes a list item.
/// 512 MiB: a list of about 16 million items. Past it the call fails (and, as after any trap,
/// the instance cannot be entered again). wasmtime's default is 128 MiB.
pub const TRANSFER_FUEL: usize = 512 << 20;

pub async fn instantiate(
    component: Arc<ComponentEntry>,
    options: WasiOptions,
    asked: InstanceLimits,
    ceilings: Ceilings,
    host: ComponentHostImports,
    unknown: UnknownImports,
) -> WasmResult<String> {
    check_instance_count(&ceilings)?;
    if options.coredump_on_trap.is_some() {
        return Err(WasmError::new(
            ErrorCode::InstantiateError,
            "coredumpOnTrap is for module instances: wasm core dumps do not describe components",
        ));
    }
    let js_host_functions = !host.is_empty();
    let limits = ceilings.apply_to_instance(asked);
    let metering = metering_of(component.trusted(), &limits)?;
    let code = component.code(metering)?;
    let pre = code.instance_pre(&host, unknown)?;
    let closed = Arc::new(CancelToken::default());
    let context = build_context(&options)?;
    let pipes = context.pipes;
    let mut store = new_store(
        code.component.engine(),
        Some(context.wasi),
        closed.clone(),
        &limits,
    )?;
    store.set_hostcall_fuel(TRANSFER_FUEL);
    store.data_mut().dispatcher = host.dispatcher.clone();
    store.data_mut().set_network(context.network);
    let invoked = Instant::now();
    let plan = Plan {
        deadline: limits.timeout.and_then(|t| invoked.checked_add(t)),
        invoked: Some(invoked),
        ..Plan::new(Entering::Instantiate)
    };
    let Finished::Returned(instance) = call::enter(&mut store, plan, Instantiate(pre)).await?
    else {
        return Err(exited_while_instantiating());
    };
    let exports = ComponentExports::collect(&mut store, &instance, code.described());
    let parts = Parts {
        closed,
        pipes,
        exports: Exports::default(),
        component: Some(exports),
        default_timeout: limits.timeout,
        metering,
        // Component calls always take wasmtime's async entry points.
        needs_async: true,
        ceilings,
        js_host_functions,
        module: None,
    };
    Ok(register(store, parts))
}

/// Instantiation, with the component's start functions.
struct Instantiate(InstancePre<HostState>);

impl GuestCode for Instantiate {
    type Output = Instance;

    fn run(
        self,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Instance>> + Send + '_ {
        async move { self.0.instantiate_async(store).await }
    }
}
