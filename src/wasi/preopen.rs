//! Preopened directories, checked. Each host directory is opened once and judged by the
//! capability policy on the real path of what was opened. wasmtime-wasi then opens it by path,
//! so it is given a path that reopens that same descriptor (on Linux `/proc/self/fd/N`, which
//! the kernel resolves to the open directory itself, not to whatever its name means now).
//! Finally the built context is inspected: each directory the guest will get must be the one
//! that was checked (same device and inode) and carry the permissions asked for, or nothing is
//! preopened.

use std::path::PathBuf;

use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::bindings::filesystem::preopens;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

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
    Ok(CheckedDir { preopen, opened })
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
