//! Core dumps on trap: the instance option `coredumpOnTrap` names a file that a trapping call
//! writes a standard wasm core dump to (wasm's tool conventions: a wasm binary with `core`,
//! `coremodules`, `coreinstances` and `corestack` sections, and the memories), readable by the
//! tools for wasm core dumps. Never written into a preopen (checked when the instance is made)
//! and never over an existing file or through a symlink.

use std::io::Write;
use std::path::{Path, PathBuf};

use wasmtime::{Store, WasmCoreDump};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::store::HostState;
use crate::wasi::preopen::Preopen;

/// Checks where a core dump would go: its directory must exist and lie in no preopen.
/// Returns the path to write to (absolute, its directory's symlinks resolved).
pub fn checked_path(asked: &Path, preopens: &[Preopen]) -> WasmResult<PathBuf> {
    let refused = |why: String| {
        WasmError::new(
            ErrorCode::WasiError,
            format!("coredumpOnTrap {}: {why}", asked.display()),
        )
        .with_path(asked.display().to_string())
    };
    let name = asked
        .file_name()
        .ok_or_else(|| refused("it names no file".into()))?;
    let parent = match asked.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let dir = parent
        .canonicalize()
        .map_err(|e| refused(format!("its directory cannot be used: {e}")))?;
    for preopen in preopens {
        if let Ok(host) = preopen.host.canonicalize() {
            if dir.starts_with(&host) {
                return Err(refused(format!(
                    "it lies in the preopened directory {} (guest path {}): a core dump is never \
                     written where the guest can reach it",
                    host.display(),
                    preopen.guest
                )));
            }
        }
    }
    Ok(dir.join(name))
}

/// Writes the core dump a trap carries, if the store asks for one. Returns a note for the
/// error: where it was written, or why it was not.
pub fn write_if_asked(store: &mut Store<HostState>, error: &wasmtime::Error) -> Option<Written> {
    let path = store.data().coredump_path.clone()?;
    let dump = error.downcast_ref::<WasmCoreDump>()?;
    let name = store
        .data()
        .instance_id
        .as_deref()
        .unwrap_or("instance")
        .to_string();
    let bytes = dump.serialize(&mut *store, &name);
    Some(match write_new(&path, &bytes) {
        Ok(()) => Written::To(path),
        Err(e) => Written::Not(format!("core dump not written to {}: {e}", path.display())),
    })
}

/// What became of a core dump.
pub enum Written {
    To(PathBuf),
    Not(String),
}

impl Written {
    /// Says so on the error's first line, and names the file in `err.coredump`.
    pub fn note(self, mut error: WasmError) -> WasmError {
        let note = match &self {
            Written::To(path) => format!("core dump written to {}", path.display()),
            Written::Not(why) => why.clone(),
        };
        error.note_on_first_line(&note);
        if let Written::To(path) = self {
            error.details.coredump = Some(path.display().to_string());
        }
        error
    }
}

/// A new file, never an existing one nor through a symlink.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)
}
