//! Compiling modules, and the compiled-code cache's settings.

use std::path::PathBuf;

use napi::{Env, Unknown};
use napi_derive::napi;

use crate::api::encode::JsModuleItems;
use crate::api::settle::spawn_blocking;
use crate::api::{decode, owners};
use crate::cache;
use crate::runtime::{compile_helper, compile_limits, module, tiers};
use crate::sandbox::node_grants::{self, Use};

/// The keys of a compile's `limits`.
const COMPILE_LIMITS: [&str; 4] = ["maxBytes", "maxFunctions", "maxFunctionBytes", "timeoutMs"];

#[napi(catch_unwind)]
pub fn compile<'env>(
    env: &'env Env,
    source: Unknown<'env>,
    limits: Option<Unknown<'env>>,
    trusted: Option<bool>,
    fuel: Option<bool>,
) -> napi::Result<Unknown<'env>> {
    let limits = decode::compile_limits(limits, "limits", &COMPILE_LIMITS)?;
    let bytes = decode::source_bytes(&source)?;
    let owner = owners::current(env)?;
    let variants = variants(trusted, fuel);
    spawn_blocking(env, move || {
        owner.adopt_module(module::compile(bytes, &limits, variants)?)
    })
}

/// Where a module's compiled code came from: "memory" (a module made from the same bytes was
/// alive), "disk" (the compiled-code cache) or "compiled". For diagnostics.
#[napi(catch_unwind)]
pub fn module_origin(module_id: String) -> napi::Result<&'static str> {
    Ok(module::get(&module_id)?.origin())
}

/// "module" or "component".
#[napi(catch_unwind)]
pub fn module_kind(module_id: String) -> napi::Result<&'static str> {
    Ok(module::get(&module_id)?.kind())
}

/// A component's world (its imports and exports with WIT types), as JSON; see
/// `runtime::component::describe`.
#[napi(catch_unwind)]
pub fn component_world(module_id: String) -> napi::Result<String> {
    let compiled = module::get(&module_id)?;
    let module::Compiled::Component(component) = &*compiled else {
        return Err(crate::error::WasmError::new(
            crate::error::ErrorCode::CompileError,
            "componentWorld is for components, and this is a core module",
        )
        .into());
    };
    let world = component.world();
    serde_json::to_string(&*world).map_err(|e| napi::Error::from_reason(e.to_string()))
}

/// A compile's `trusted` and `fuel` options (JS checked they are booleans).
fn variants(trusted: Option<bool>, fuel: Option<bool>) -> module::Variants {
    module::Variants {
        trusted: trusted.unwrap_or(false),
        fuel: fuel.unwrap_or(false),
    }
}

/// The module's imports with their types, before any instance exists.
#[napi(catch_unwind)]
pub fn module_imports(module_id: String) -> napi::Result<JsModuleItems> {
    Ok(JsModuleItems(
        module::get(&module_id)?.module("moduleImports")?.imports(),
    ))
}

/// The module's exports with their types, before any instance exists.
#[napi(catch_unwind)]
pub fn module_exports(module_id: String) -> napi::Result<JsModuleItems> {
    Ok(JsModuleItems(
        module::get(&module_id)?.module("moduleExports")?.exports(),
    ))
}

/// The tier of the code a new instance of the module gets now: "baseline" or "optimized".
#[napi(catch_unwind)]
pub fn module_tier(module_id: String) -> napi::Result<&'static str> {
    Ok(match &*module::get(&module_id)? {
        module::Compiled::Module(module) => module.tier(),
        // Components are compiled by the optimizing compiler only.
        module::Compiled::Component(_) => "optimized",
    })
}

/// Resolves once the module's optimized code is in (true) or cannot be made (false).
#[napi(catch_unwind)]
pub fn module_optimized<'env>(env: &'env Env, module_id: String) -> napi::Result<Unknown<'env>> {
    let compiled = module::get(&module_id)?;
    spawn_blocking(env, move || {
        Ok(match &*compiled {
            module::Compiled::Module(module) => module.wait_optimized(),
            module::Compiled::Component(_) => true,
        })
    })
}

/// `configure({ tieringMinBytes })`: modules at least this large start on baseline code
/// (JS checked the number; Infinity, as u64::MAX, turns tiering off).
#[napi(catch_unwind)]
pub fn configure_tiering_min_bytes(bytes: f64) {
    tiers::set_tiering_min_bytes(if bytes >= u64::MAX as f64 {
        u64::MAX
    } else {
        bytes as u64
    });
}

/// Reads and compiles a module file off the JS thread; resolves a module id.
#[napi(catch_unwind)]
pub fn compile_file<'env>(
    env: &'env Env,
    path: String,
    limits: Option<Unknown<'env>>,
    trusted: Option<bool>,
    fuel: Option<bool>,
) -> napi::Result<Unknown<'env>> {
    let limits = decode::compile_limits(limits, "limits", &COMPILE_LIMITS)?;
    let owner = owners::current(env)?;
    let variants = variants(trusted, fuel);
    spawn_blocking(env, move || {
        owner.adopt_module(module::compile_file(&path, &limits, variants)?)
    })
}

/// The size of a module file compileFile may read, once the capability policy allowed it (for
/// onProgress); rejects as compileFile would otherwise.
#[napi(catch_unwind)]
pub fn module_file_size<'env>(env: &'env Env, path: String) -> napi::Result<Unknown<'env>> {
    spawn_blocking(env, move || {
        // Sizes are far below 2^53: exact as a JS number.
        module::module_file_size(&path).map(|size| size as f64)
    })
}

#[napi(catch_unwind)]
pub fn drop_module(module_id: String) -> napi::Result<()> {
    module::drop_module(&module_id)?;
    owners::forget(&module_id);
    Ok(())
}

/// `configure({ maxModuleBytes })`: the largest module source accepted (JS checked that it
/// is a whole number from 0 to 2^53 - 1).
#[napi(catch_unwind)]
pub fn configure_max_module_bytes(bytes: f64) -> napi::Result<()> {
    if !(bytes >= 0.0 && bytes <= 9_007_199_254_740_991.0 && bytes.fract() == 0.0) {
        return Err(napi::Error::from_reason(format!(
            "maxModuleBytes must be a whole number of bytes from 0 to 2^53 - 1, got {bytes}"
        )));
    }
    compile_limits::set_max_module_bytes(bytes as u64);
    Ok(())
}

/// `configure({ compileLimits })`: the budget of every later compile (replacing the one set
/// before; the size stays maxModuleBytes's).
#[napi(catch_unwind)]
pub fn configure_compile_limits(limits: Option<Unknown>) -> napi::Result<()> {
    let keys = &COMPILE_LIMITS[1..];
    compile_limits::configure(decode::compile_limits(limits, "compileLimits", keys)?);
    Ok(())
}

/// Called once as the addon loads: how to start a helper process that compiles under a time
/// budget (Node's executable and lib/compile-helper.js), or nulls when Node's permission
/// model allows no child process.
#[napi(catch_unwind)]
pub fn register_compile_helper(node: Option<String>, script: Option<String>) {
    compile_helper::register(node.map(PathBuf::from).zip(script.map(PathBuf::from)));
}

/// The helper process's work (lib/compile-helper.js): compiles the module on stdin for the
/// engine named `engine` and writes its compiled code to stdout (and, given `store_in`, into
/// that cache directory). Returns the exit status.
#[napi(catch_unwind)]
pub fn compile_helper_main(
    engine: String,
    store_in: Option<String>,
    source_file: Option<String>,
) -> i32 {
    compile_helper::helper_main(&engine, store_in.as_deref(), source_file.as_deref())
}

/// Sets the compiled-code cache: `enabled` false turns caching to disk off; `dir` moves it.
#[napi(catch_unwind)]
pub fn configure_cache(enabled: Option<bool>, dir: Option<String>) {
    cache::configure(enabled, dir.map(std::path::PathBuf::from));
}

/// The compiled-code cache directory in use, or null when caching to disk is off.
#[napi(catch_unwind)]
pub fn cache_dir() -> Option<String> {
    cache::disk_dir().map(|d| d.display().to_string())
}

/// Node's permission model is on: from now on every load and preopen needs a grant (see
/// `sandbox::node_grants`).
#[napi(catch_unwind)]
pub fn node_permission_activate() {
    node_grants::activate();
}

/// Opens `name` (a module file for "load", a directory for "preopen" / "preopen-readonly") and
/// records a grant for what was opened: `[token, realPath]`, or null when it cannot be opened.
#[napi(catch_unwind)]
pub fn node_permission_grant(used_for: String, name: String) -> napi::Result<Option<Vec<String>>> {
    let used_for = match used_for.as_str() {
        "load" => Use::Load,
        "preopen" => Use::Preopen { readonly: false },
        "preopen-readonly" => Use::Preopen { readonly: true },
        other => {
            return Err(napi::Error::from_reason(format!(
                "unknown grant kind {other:?}"
            )))
        }
    };
    Ok(node_grants::grant(used_for, &name)?
        .map(|(token, real)| vec![token.to_string(), real.display().to_string()]))
}

/// Withdraws a grant that was refused or not used.
#[napi(catch_unwind)]
pub fn node_permission_revoke(token: String) {
    if let Ok(token) = token.parse() {
        node_grants::revoke(token);
    }
}

/// The compiled-code cache's files (least recently used first) and its size cap.
#[napi(object)]
pub struct CacheInfo {
    /// `null` when caching to disk is off.
    pub dir: Option<String>,
    pub max_bytes: f64,
    pub total_bytes: f64,
    pub entries: Vec<CacheEntry>,
}

#[napi(object)]
pub struct CacheEntry {
    pub file: String,
    pub bytes: f64,
    /// Milliseconds since the epoch.
    pub last_used: f64,
}

#[napi(object)]
pub struct CachePruned {
    pub removed: f64,
    pub freed_bytes: f64,
    pub kept_bytes: f64,
}

#[napi(catch_unwind)]
pub fn cache_info() -> CacheInfo {
    let dir = cache::disk_dir();
    let entries: Vec<CacheEntry> = dir
        .as_deref()
        .map(cache::manage::entries)
        .unwrap_or_default()
        .into_iter()
        .map(|entry| CacheEntry {
            file: entry.name,
            bytes: entry.bytes as f64,
            last_used: entry
                .last_used
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_millis() as f64),
        })
        .collect();
    CacheInfo {
        dir: dir.map(|d| d.display().to_string()),
        max_bytes: cache::manage::max_bytes() as f64,
        // Summed as integers: an f64 sum of nothing is -0.
        total_bytes: entries.iter().map(|e| e.bytes as u64).sum::<u64>() as f64,
        entries,
    }
}

/// Removes the least recently used files until the rest fit in `max_bytes` (default: the cap
/// in force); `0` clears the cache. JS checked the number.
#[napi(catch_unwind)]
pub fn prune_cache(max_bytes: Option<f64>) -> CachePruned {
    let max = max_bytes.map_or_else(cache::manage::max_bytes, |bytes| bytes as u64);
    let pruned = cache::disk_dir()
        .map(|dir| cache::manage::prune(&dir, max))
        .unwrap_or_default();
    CachePruned {
        removed: pruned.removed as f64,
        freed_bytes: pruned.freed_bytes as f64,
        kept_bytes: pruned.kept_bytes as f64,
    }
}

/// `configure({ cacheMaxBytes })` (JS checked the number).
#[napi(catch_unwind)]
pub fn configure_cache_max_bytes(bytes: f64) {
    cache::manage::set_max_bytes(bytes as u64);
}
