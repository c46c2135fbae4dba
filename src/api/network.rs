//! `network` of `instantiate`: grants read from JS (`allow`), the HTTP limits, and
//! `onDenied`, called with each refusal.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::JsObjectValue;
use napi::bindgen_prelude::{Function, Object, ToNapiValue, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsValue, Status, ValueType};

use crate::api::decode::{
    count, kind_name, optional_property, optional_string_list, refuse_unknown_keys, string_of,
    wasi_error,
};
use crate::sandbox::network::{port_range_text, Grant, GrantSpec, GRANT_KEYS};

/// The keys of `network`.
const NETWORK_KEYS: [&str; 6] = [
    "allow",
    "onDenied",
    "connectTimeoutMs",
    "firstByteTimeoutMs",
    "betweenBytesTimeoutMs",
    "maxBodyBytes",
];
use crate::wasi::network::{Denial, DenialSink, HttpLimits, NetworkOptions};

pub fn network_options(config: &Object) -> napi::Result<Option<NetworkOptions>> {
    let Some(value) = optional_property(config, "network")? else {
        return Ok(None);
    };
    let network: Object = object(&value, || "network".into())?;
    refuse_unknown_keys(&network, "network", &NETWORK_KEYS)?;
    let mut options = NetworkOptions::default();
    if let Some(allow) = optional_property(&network, "allow")? {
        if !allow.is_array()? {
            return Err(wasi_error(format!(
                "network.allow must be an array of grants, got {}",
                kind_name(allow.get_type()?)
            )));
        }
        // SAFETY: checked to be an array.
        let list: Object = unsafe { allow.cast()? };
        for index in 0..list.get_array_length()? {
            let item: Unknown = list.get_element(index)?;
            options
                .grants
                .push(grant(&item, &format!("network.allow[{index}]"))?);
        }
    }
    options.http = http_limits(&network)?;
    if let Some(callback) = optional_property(&network, "onDenied")? {
        if callback.get_type()? != ValueType::Function {
            return Err(wasi_error(format!(
                "network.onDenied must be a function, got {}",
                kind_name(callback.get_type()?)
            )));
        }
        // SAFETY: checked to be a function.
        let function: Function<DenialOut, Unknown<'static>> = unsafe { callback.cast()? };
        options.on_denied = Some(Arc::new(JsDenialSink::new(&function)?));
    }
    Ok(Some(options))
}

fn grant(value: &Unknown, at: &str) -> napi::Result<Grant> {
    let fields: Object = object(value, || at.to_string())?;
    refuse_unknown_keys(&fields, at, &GRANT_KEYS)?;
    let host = match optional_property(&fields, "host")? {
        Some(host) => string_of(&host, || format!("{at}.host"))?,
        None => return Err(wasi_error(format!("{at}.host is missing"))),
    };
    let spec = GrantSpec {
        host,
        ports: optional_property(&fields, "ports")?
            .map(|ports| port_ranges(&ports, at))
            .transpose()?,
        protocols: optional_string_list(&fields, "protocols", &format!("{at}.protocols"))?,
        directions: optional_string_list(&fields, "directions", &format!("{at}.directions"))?,
    };
    Grant::parse(&spec).map_err(|problem| wasi_error(format!("{at}: {problem}")))
}

/// `ports`: a port, `"low-high"`, or an array of those.
fn port_ranges(value: &Unknown, at: &str) -> napi::Result<Vec<(u32, u32)>> {
    let one = |item: &Unknown, what: String| -> napi::Result<(u32, u32)> {
        match item.get_type()? {
            ValueType::String => {
                let text = string_of(item, || what.clone())?;
                port_range_text(&text).map_err(|problem| wasi_error(format!("{at}.{problem}")))
            }
            ValueType::Number => {
                let port = count(item)
                    .ok()
                    .and_then(|port| u32::try_from(port).ok())
                    .filter(|&port| port <= 65535)
                    .ok_or_else(|| wasi_error(format!("{what} must be a port from 0 to 65535")))?;
                Ok((port, port))
            }
            other => Err(wasi_error(format!(
                "{what} must be a port number or a range \"low-high\", got {}",
                kind_name(other)
            ))),
        }
    };
    if !value.is_array()? {
        return Ok(vec![one(value, format!("{at}.ports"))?]);
    }
    // SAFETY: checked to be an array.
    let list: Object = unsafe { value.cast()? };
    (0..list.get_array_length()?)
        .map(|index| one(&list.get_element(index)?, format!("{at}.ports[{index}]")))
        .collect()
}

/// `connectTimeoutMs`, `firstByteTimeoutMs`, `betweenBytesTimeoutMs`, `maxBodyBytes`.
fn http_limits(network: &Object) -> napi::Result<HttpLimits> {
    let mut limits = HttpLimits::default();
    let read = |key: &str| -> napi::Result<Option<u64>> {
        optional_property(network, key)?
            .map(|value| count(&value).map_err(|m| wasi_error(format!("network.{key} {m}"))))
            .transpose()
    };
    let millis = |ms: u64| Duration::from_millis(ms.min(u64::MAX / 2));
    if let Some(ms) = read("connectTimeoutMs")? {
        limits.connect_timeout = millis(ms);
    }
    if let Some(ms) = read("firstByteTimeoutMs")? {
        limits.first_byte_timeout = millis(ms);
    }
    if let Some(ms) = read("betweenBytesTimeoutMs")? {
        limits.between_bytes_timeout = millis(ms);
    }
    if let Some(bytes) = read("maxBodyBytes")? {
        limits.max_body_bytes = bytes;
    }
    Ok(limits)
}

fn object<'env>(
    value: &Unknown<'env>,
    what: impl FnOnce() -> String,
) -> napi::Result<Object<'env>> {
    let kind = value.get_type()?;
    if kind != ValueType::Object || value.is_array()? {
        let got = match kind {
            ValueType::Object => "an array".to_string(),
            other => kind_name(other).to_string(),
        };
        return Err(wasi_error(format!(
            "{} must be an object, got {got}",
            what()
        )));
    }
    // SAFETY: checked to be an object.
    unsafe { value.cast() }
}

/// A refusal as `onDenied` receives it:
/// `{ protocol, direction, host, address, port, reason }`.
pub struct DenialOut(Denial);

impl ToNapiValue for DenialOut {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        value: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        let denial = value.0;
        let mut object = Object::new(&env)?;
        object.set_named_property("protocol", denial.protocol)?;
        object.set_named_property("direction", denial.direction)?;
        object.set_named_property("host", denial.host)?;
        object.set_named_property("address", denial.address)?;
        object.set_named_property("port", denial.port.map(u32::from))?;
        object.set_named_property("reason", denial.reason)?;
        // SAFETY: the object was made in this env, on its thread.
        unsafe { Object::to_napi_value(env.raw(), object) }
    }
}

type Callback = ThreadsafeFunction<DenialOut, Unknown<'static>, DenialOut, Status, false, true>;

struct JsDenialSink(Callback);

impl JsDenialSink {
    fn new(function: &Function<'_, DenialOut, Unknown<'static>>) -> napi::Result<Self> {
        let tsfn = function
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsDenialSink(tsfn))
    }
}

impl DenialSink for JsDenialSink {
    fn denied(&self, denial: &Denial) {
        let _ = self.0.call(
            DenialOut(denial.clone()),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }
}
