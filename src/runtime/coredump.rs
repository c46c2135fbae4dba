//! Core dumps on trap: the instance option `coredumpOnTrap` names a file that a trapping call
//! writes a standard wasm core dump to (wasm's tool conventions: a wasm binary with `core`,
//! `coremodules`, `coreinstances` and `corestack` sections, and the memories), readable by the
//! tools for wasm core dumps. Never written into a preopen (the directory is opened and checked
//! when the instance is made, and written through that descriptor) and never over an existing
//! file or through a symlink.

use std::io::Write;
use std::path::{Path, PathBuf};

use wasmtime::{Store, WasmCoreDump};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::store::HostState;
use crate::sandbox::checked_open;
use crate::wasi::preopen::Preopen;

/// Where a trap's core dump goes: a directory opened (and checked) when the instance was
/// made, and a name in it. Writing through the open directory, not its path, means that a path
/// swapped for a symlink afterwards changes nothing.
pub struct Target {
    dir: std::fs::File,
    name: std::ffi::OsString,
    /// The path as shown in messages: the directory's real path and the name.
    shown: PathBuf,
}

/// Opens the directory a core dump would go to, and checks what was opened: it must lie in no
/// preopen.
pub fn target(asked: &Path, preopens: &[Preopen]) -> WasmResult<Target> {
    let refused = |why: String| {
        WasmError::new(
            ErrorCode::WasiError,
            format!("coredumpOnTrap {}: {why}", asked.display()),
        )
        .with_path(asked.display().to_string())
    };
    let name = asked
        .file_name()
        .filter(|name| *name != "." && *name != "..")
        .ok_or_else(|| refused("it names no file".into()))?;
    let parent = match asked.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let opened = checked_open::open_dir(parent)
        .map_err(|e| refused(format!("its directory cannot be used: {e}")))?;
    let dir = opened
        .real_path()
        .map_err(|why| refused(format!("its directory cannot be used: {why}")))?
        .to_path_buf();
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
    Ok(Target {
        shown: dir.join(name),
        name: name.to_owned(),
        dir: opened.into_file(),
    })
}

/// Writes the core dump a trap carries, if the store asks for one. Returns a note for the
/// error: where it was written, or why it was not.
pub fn write_if_asked(store: &mut Store<HostState>, error: &wasmtime::Error) -> Option<Written> {
    let dump = error.downcast_ref::<WasmCoreDump>()?;
    store.data().coredump.as_ref()?;
    let name = store
        .data()
        .instance_id
        .as_deref()
        .unwrap_or("instance")
        .to_string();
    let bytes = dump.serialize(&mut *store, &name);
    let target = store.data().coredump.as_ref()?;
    Some(match write_new(target, &bytes) {
        Ok(()) => Written::To(target.shown.clone()),
        Err(e) => Written::Not(format!(
            "core dump not written to {}: {e}",
            target.shown.display()
        )),
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

/// A new file in the target's directory, never an existing one nor through a symlink.
#[cfg(unix)]
fn write_new(target: &Target, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::{AsRawFd, FromRawFd};
    let name = std::ffi::CString::new(target.name.as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `openat` reads the NUL-terminated name and the directory descriptor, which stays
    // open (borrowed from `target`) for the call; it touches no other memory.
    let fd = unsafe { libc::openat(target.dir.as_raw_fd(), name.as_ptr(), flags, 0o600) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened by this call and is owned by nothing else.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_new(target: &Target, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target.shown)?;
    file.write_all(bytes)
}
