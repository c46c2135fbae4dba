//! Preopened directories, checked. Each host directory is opened once and judged by the
//! capability policy on the real path of what was opened. wasmtime-wasi then opens it by path,
//! so it is given a path that reopens that same descriptor (on Linux `/proc/self/fd/N`, which
//! the kernel resolves to the open directory itself, not to whatever its name means now).
//! Finally the built context is inspected: each directory the guest will get must be the one
//! that was checked (same device and inode) and carry the permissions asked for, or nothing is
//! preopened.
//!
//! No preopen may reach the compiled-code cache (see cache/mod.rs `protected_dirs`): a
//! directory that contains the cache directory or lies inside it is refused (5009) while
//! caching to disk is on, and one that contains or lies inside the directory of the secret
//! that authenticates cache files is refused always. Both are compared by real path (symlinks
//! resolved, for a directory not made yet its nearest existing parent's) and, on unix, by
//! identity (device and inode) along both paths' ancestors, which also sees through bind
//! mounts and case-insensitive names.

use std::path::{Path, PathBuf};

use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::bindings::filesystem::preopens;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::cache::{self, Guarded};
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::sandbox::checked_open::{self, FileId, Opened};
use crate::sandbox::Policy;

/// One `preopens` entry of a WasiConfig.
#[derive(Debug)]
pub struct Preopen {
    pub guest: String,
    pub host: PathBuf,
    /// `{ path, readonly: true }`: the guest may read but not create, write, rename or delete.
    pub readonly: bool,
}

impl Preopen {
    fn perms(&self) -> FsPerms {
        if self.readonly {
            FsPerms::ReadOnly
        } else {
            FsPerms::ReadWrite
        }
    }
}

/// A host directory that is open and passed the policy.
pub struct CheckedDir<'a> {
    preopen: &'a Preopen,
    opened: Opened,
}

pub fn open_checked<'a>(policy: &Policy, preopen: &'a Preopen) -> WasmResult<CheckedDir<'a>> {
    let opened = match checked_open::open_dir(&preopen.host) {
        Ok(opened) => opened,
        Err(e) => {
            policy.check_unopened_preopen(&preopen.guest, &preopen.host, preopen.readonly)?;
            return Err(open_error(preopen, e));
        }
    };
    policy.check_preopen(&preopen.guest, &preopen.host, &opened, preopen.readonly)?;
    refuse_guarded(preopen, &opened)?;
    Ok(CheckedDir { preopen, opened })
}

/// Refuses a preopen that contains, or lies inside, the cache directory or the secret's.
fn refuse_guarded(preopen: &Preopen, opened: &Opened) -> WasmResult<()> {
    let guarded = cache::protected_dirs();
    if guarded.is_empty() {
        return Ok(());
    }
    let real = match opened.real_path() {
        Ok(real) => real.to_path_buf(),
        Err(_) => resolve(&preopen.host).0,
    };
    let own_ancestors = identities(&real);
    for (what, dir) in guarded {
        let (dir_real, dir_ancestors) = resolve(&dir);
        let contains =
            dir_real.starts_with(&real) || dir_ancestors.iter().any(|id| *id == opened.id());
        let inside = real.starts_with(&dir_real)
            || dir_ancestors
                .first()
                .filter(|_| dir_real.is_dir())
                .is_some_and(|dir_id| own_ancestors.contains(dir_id));
        if !(contains || inside) {
            continue;
        }
        let relation = if contains { "contains" } else { "lies inside" };
        let (name, why) = match what {
            Guarded::CacheDir => (
                "the compiled-code cache directory",
                "a guest that could write there could plant machine code for this user's \
                 processes to run; turn the disk cache off (configure({ cache: false }) or \
                 RUNTIME_WASM_CACHE=off) or move it (configure({ cacheDir }) or \
                 RUNTIME_WASM_CACHE_DIR) to preopen it",
            ),
            Guarded::KeyDir => (
                "the directory of the key that authenticates compiled-code cache files",
                "a guest that could read or plant that key could forge compiled code for every \
                 process of this user; move the key (RUNTIME_WASM_CACHE_KEY_DIR) to preopen it",
            ),
        };
        return Err(WasmError::new(
            ErrorCode::PermissionDenied,
            format!(
                "preopen {:?}: host directory {:?} {relation} {name} ({}): {why}",
                preopen.guest,
                preopen.host.display().to_string(),
                dir.display()
            ),
        )
        .with_path(preopen.host.display().to_string()));
    }
    Ok(())
}

/// `path`'s real path (for a path that does not exist yet, its nearest existing ancestor's
/// real path with the rest appended), and the identities of the existing directories along
/// it, deepest first.
fn resolve(path: &Path) -> (PathBuf, Vec<FileId>) {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let ids = identities(&real);
            let mut whole = real;
            whole.extend(rest.iter().rev());
            return (whole, ids);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return (absolute, Vec::new()),
        }
    }
}

/// The identities of `real` (an existing real path) and of each of its ancestors, deepest
/// first; none where identities are not comparable.
#[cfg(unix)]
fn identities(real: &Path) -> Vec<FileId> {
    real.ancestors()
        .map_while(|dir| std::fs::metadata(dir).ok())
        .map(|meta| FileId::of(&meta))
        .collect()
}

#[cfg(not(unix))]
fn identities(_real: &Path) -> Vec<FileId> {
    Vec::new()
}

impl CheckedDir<'_> {
    pub fn add_to(&self, builder: &mut WasiCtxBuilder) -> WasmResult<()> {
        builder
            .preopened_dir(
                self.opened.reopen_path(),
                &self.preopen.guest,
                self.preopen.perms(),
            )
            .map_err(|e| {
                wasi_error(
                    self.preopen,
                    format!(
                        "cannot open host directory {}: {e:#}",
                        self.preopen.host.display()
                    ),
                )
            })?;
        Ok(())
    }
}

/// Checks that the directories in `ctx` are, in order, the `checked` ones with their perms.
pub fn verify(policy: &Policy, ctx: &mut WasiP1Ctx, checked: &[CheckedDir]) -> WasmResult<()> {
    if checked.is_empty() {
        return Ok(());
    }
    let mut view = ctx.filesystem();
    let handed = preopens::Host::get_directories(&mut view).map_err(|e| {
        WasmError::new(
            ErrorCode::WasiError,
            format!("cannot inspect the preopened directories: {e:#}"),
        )
    })?;
    let mut outcome = if handed.len() == checked.len() {
        Ok(())
    } else {
        Err(WasmError::new(
            ErrorCode::WasiError,
            format!(
                "{} directories were preopened, {} were asked for",
                handed.len(),
                checked.len()
            ),
        ))
    };
    for ((resource, _), dir) in handed.into_iter().zip(checked.iter()) {
        let same = match view.table.get(&resource) {
            Ok(Descriptor::Dir(handed)) => {
                handed.perms == dir.preopen.perms()
                    && handed
                        .dir
                        .metadata()
                        .is_ok_and(|meta| FileId::of(&meta) == dir.opened.id())
            }
            _ => false,
        };
        // Only the inspection's handle goes; the context keeps its own.
        let _ = view.table.delete(resource);
        if !same && outcome.is_ok() {
            outcome = Err(policy.preopen_changed(&dir.preopen.guest, &dir.preopen.host));
        }
    }
    outcome
}

fn open_error(preopen: &Preopen, e: std::io::Error) -> WasmError {
    let shown = preopen.host.display().to_string();
    let problem = match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_string(),
        std::io::ErrorKind::NotADirectory => "is not a directory".to_string(),
        _ => format!("cannot be opened: {e}"),
    };
    wasi_error(preopen, format!("host path {shown:?} {problem}"))
}

fn wasi_error(preopen: &Preopen, problem: String) -> WasmError {
    WasmError::new(
        ErrorCode::WasiError,
        format!("preopen {:?}: {problem}", preopen.guest),
    )
    .with_path(preopen.host.display().to_string())
}
