//! The capability policy: which module files `compileFile` may load and which host
//! directories `instantiate` may preopen, from `manifest.app.toml`.
//!
//! There is one policy per process. It is settled at first use from, in order:
//! `configure({ manifest })`, the RUNTIME_WASM_MANIFEST environment variable, or a
//! manifest.app.toml in the current directory; with none of them the process is permissive.
//! Once settled it never loosens: a manifest in force is never replaced by another one, a
//! permissive process may still adopt a manifest (that only narrows), and a manifest that
//! fails to load leaves the process closed (every gated operation fails with the same 5009),
//! never permissive.
//!
//! The operations ask at their edge: `module::compile_file` and `preopen::open_checked` call
//! `policy()` and then `Policy::check_*` with the real path of what they opened.

mod manifest;
mod paths;
mod pattern;
mod policy;

pub mod checked_open;
pub mod network;
pub mod node_grants;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use policy::{Ceilings, Origin, Policy};

use crate::error::{ErrorCode, WasmError, WasmResult};
use policy::ManifestPolicy;

/// The environment variable that names a manifest.
pub const ENV_VAR: &str = "RUNTIME_WASM_MANIFEST";
/// The manifest looked for in the current directory.
pub const FILE_NAME: &str = "manifest.app.toml";

enum State {
    /// Nothing has asked yet.
    Unsettled,
    InForce(Arc<Policy>),
    /// A manifest was named but could not be loaded: every gated operation fails with this.
    Closed(WasmError),
}

static STATE: Mutex<State> = Mutex::new(State::Unsettled);

fn state() -> MutexGuard<'static, State> {
    STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The policy in force, settled now if nothing has asked before.
pub fn policy() -> WasmResult<Arc<Policy>> {
    let mut state = state();
    match &*state {
        State::InForce(policy) => Ok(policy.clone()),
        State::Closed(error) => Err(error.clone()),
        State::Unsettled => match discover() {
            Ok(policy) => {
                let policy = Arc::new(policy);
                *state = State::InForce(policy.clone());
                Ok(policy)
            }
            Err(error) => {
                *state = State::Closed(error.clone());
                Err(error)
            }
        },
    }
}

/// `configure({ manifest })`: puts the manifest at `path` in force. Allowed before first use
/// and over permissive mode; once a manifest is in force, only the same manifest (same file,
/// same content) is accepted again.
pub fn configure(path: &str) -> WasmResult<Arc<Policy>> {
    let mut state = state();
    match &*state {
        State::Closed(error) => {
            let mut error = error.clone();
            error.message = format!(
                "the capability manifest could not be loaded earlier, so the process stays \
                 closed: {}",
                error.message
            );
            Err(error)
        }
        State::InForce(current) => match current.as_ref() {
            Policy::Manifest(in_force) => {
                let named = load(Path::new(path), Origin::Configure)?;
                match &named {
                    Policy::Manifest(named) if named.same_as(in_force) => Ok(current.clone()),
                    _ => Err(WasmError::new(
                        ErrorCode::PermissionDenied,
                        format!(
                            "configure: the capability manifest {} is already in force ({}) \
                             and cannot be replaced by {path:?} for the rest of the process",
                            in_force.file.display(),
                            in_force.origin.name()
                        ),
                    )
                    .with_path(path)
                    .with_manifest(in_force.file.display().to_string())),
                }
            }
            Policy::Permissive => adopt(&mut state, path),
        },
        State::Unsettled => adopt(&mut state, path),
    }
}

fn adopt(state: &mut State, path: &str) -> WasmResult<Arc<Policy>> {
    match load(Path::new(path), Origin::Configure) {
        Ok(policy) => {
            let policy = Arc::new(policy);
            *state = State::InForce(policy.clone());
            Ok(policy)
        }
        Err(error) => {
            *state = State::Closed(error.clone());
            Err(error)
        }
    }
}

/// The ceilings in force; none when permissive (or closed: then nothing runs anyway).
#[allow(dead_code)] // The API the limits layer enforces them through.

fn discover() -> WasmResult<Policy> {
    if let Some(path) = std::env::var_os(ENV_VAR).filter(|value| !value.is_empty()) {
        return load(Path::new(&path), Origin::Env);
    }
    let cwd = std::env::current_dir().map_err(|e| {
        WasmError::new(
            ErrorCode::PermissionDenied,
            format!("cannot look for {FILE_NAME} in the current directory: {e}"),
        )
    })?;
    let candidate = cwd.join(FILE_NAME);
    match std::fs::symlink_metadata(&candidate) {
        Ok(_) => load(&candidate, Origin::Cwd),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::Permissive),
        Err(e) => Err(manifest::broken(
            &candidate,
            None,
            None,
            &format!("cannot be read: {e}"),
        )),
    }
}

fn load(path: &Path, origin: Origin) -> WasmResult<Policy> {
    let file = std::fs::canonicalize(path)
        .map_err(|e| manifest::broken(path, None, None, &format!("cannot be read: {e}")))?;
    let text = std::fs::read_to_string(&file)
        .map_err(|e| manifest::broken(&file, None, None, &format!("cannot be read: {e}")))?;
    let section = manifest::parse(&text)
        .map_err(|e| manifest::broken(&file, e.line, e.key.as_deref(), &e.problem))?;
    Ok(Policy::Manifest(ManifestPolicy::resolve(
        file, origin, section,
    )?))
}

/// The 5009 of a manifest that cannot be used: names the file, and the line and key if known.
/// What `capabilities()` reports.
pub struct Snapshot {
    pub mode: &'static str,
    pub source: Option<String>,
    pub origin: Option<&'static str>,
    pub load: Vec<String>,
    pub preopens: Vec<String>,
    pub preopens_readonly: Vec<String>,
    pub ceilings: Ceilings,
    /// `[capabilities.net]`; `None` when no manifest caps the network.
    pub net: Option<Vec<network::Grant>>,
}

impl Policy {
    pub fn snapshot(&self) -> Snapshot {
        let shown = |dirs: &[PathBuf]| dirs.iter().map(|d| d.display().to_string()).collect();
        match self {
            Policy::Permissive => Snapshot {
                mode: "permissive",
                source: None,
                origin: None,
                load: Vec::new(),
                preopens: Vec::new(),
                preopens_readonly: Vec::new(),
                ceilings: Ceilings::default(),
                net: None,
            },
            Policy::Manifest(manifest) => Snapshot {
                mode: "manifest",
                source: Some(manifest.file.display().to_string()),
                origin: Some(manifest.origin.name()),
                load: manifest
                    .load
                    .iter()
                    .map(|p| p.shown().to_string())
                    .collect(),
                preopens: shown(&manifest.preopens),
                preopens_readonly: shown(&manifest.preopens_readonly),
                ceilings: manifest.ceilings,
                net: Some(manifest.net.clone()),
            },
        }
    }
}
