//! The values JS shares with the core, defined once on this side and handed to `lib/constants.js`
//! by `constants()`: the error codes and their names, the prefix of the error encoding, the
//! packing of fast-call targets and how handles are spelled. Values only; no logic.

use napi::bindgen_prelude::{JsObjectValue, Object};
use napi::Env;
use napi_derive::napi;

use crate::api::fast_call::FUNCTION_SLOTS;
use crate::error::{ErrorCode, ENCODED_PREFIX};
use crate::runtime::engine::PERF_MAP_ENV_VAR;
use crate::runtime::instance::INSTANCES;
use crate::runtime::module::MODULES;

/// `{ errorCodes: { CompileError: 5000, ... }, encodedErrorPrefix, functionSlots,
/// moduleIdPrefix, instanceIdPrefix, perfMapEnvVar }`.
#[napi(catch_unwind)]
pub fn constants(env: &Env) -> napi::Result<Object<'_>> {
    let mut error_codes = Object::new(env)?;
    for code in ErrorCode::ALL {
        error_codes.set_named_property(code.name(), code as u32)?;
    }
    let mut constants = Object::new(env)?;
    constants.set_named_property("errorCodes", error_codes)?;
    constants.set_named_property("encodedErrorPrefix", ENCODED_PREFIX)?;
    // 2^20: exact as a Number.
    constants.set_named_property("functionSlots", FUNCTION_SLOTS as f64)?;
    constants.set_named_property("moduleIdPrefix", id_prefix(MODULES.format_id(0)))?;
    constants.set_named_property("instanceIdPrefix", id_prefix(INSTANCES.format_id(0)))?;
    constants.set_named_property("perfMapEnvVar", PERF_MAP_ENV_VAR)?;
    constants.set_named_property(
        "resourceHandleKey",
        crate::api::component_values::RESOURCE_HANDLE_KEY,
    )?;
    constants.set_named_property(
        "hostResourceKey",
        crate::api::component_values::HOST_RESOURCE_KEY,
    )?;
    Ok(constants)
}

/// What comes before the number in a registry's ids: "module:" in "module:0".
fn id_prefix(id: String) -> String {
    id.strip_suffix('0').unwrap_or(&id).to_owned()
}
