//! Node's permission model (`node --permission`), checked on what is actually opened.
//!
//! Only JS can ask `process.permission.has(scope, path)`, and asking it about a name before the
//! core opens that name is a race: the name can be swapped for a symlink in between. So under
//! the permission model JS first asks the core to open the name (`grant`), which answers with
//! the real path of the opened object; JS asks Node about that real path and withdraws the
//! grant (`revoke`) if Node says no. When the operation then opens the name, the policy checks
//! (`check_load`, `check_preopen`) consume a grant for that same name and that same object
//! (device and inode), and refuse without one: a name swapped between the grant and the use
//! opens another object, which no grant covers.
//!
//! Outside the permission model JS never activates this and every check passes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::sandbox::checked_open::{self, FileId, Opened};

/// What a grant is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// compileFile: a file, read.
    Load,
    /// A preopen: a directory, read-only or read-write.
    Preopen { readonly: bool },
}

struct Grant {
    token: u64,
    used_for: Use,
    name: PathBuf,
    id: FileId,
}

static ACTIVE: AtomicBool = AtomicBool::new(false);
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);
static GRANTS: Mutex<Vec<Grant>> = Mutex::new(Vec::new());

fn grants() -> std::sync::MutexGuard<'static, Vec<Grant>> {
    GRANTS.lock().unwrap_or_else(|p| p.into_inner())
}

/// From now on every load and preopen needs a grant. Never turned off.
pub fn activate() {
    ACTIVE.store(true, Ordering::SeqCst);
}

/// Opens `name` for `used_for` and records a grant for the opened object; returns the grant's
/// token and the object's real path, for JS to ask Node about. None when the name cannot be
/// opened (the operation itself then reports why, and needs no grant).
pub fn grant(used_for: Use, name: &str) -> WasmResult<Option<(u64, PathBuf)>> {
    let opened = match used_for {
        Use::Load => checked_open::open_file(Path::new(name)),
        Use::Preopen { .. } => checked_open::open_dir(Path::new(name)),
    };
    let Ok(opened) = opened else {
        return Ok(None);
    };
    let real = opened.real_path().map_err(|why| {
        WasmError::new(
            ErrorCode::PermissionDenied,
            format!("{name:?} cannot be checked against Node's permission model: {why}"),
        )
        .with_path(name)
    })?;
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    grants().push(Grant {
        token,
        used_for,
        name: PathBuf::from(name),
        id: opened.id(),
    });
    Ok(Some((token, real.to_path_buf())))
}

/// Withdraws a grant (Node refused it, or the operation failed before using it).
pub fn revoke(token: u64) {
    grants().retain(|grant| grant.token != token);
}

/// Consumes the grant for `opened`, opened by `name` for `used_for`; Err when there is none
/// (under the permission model). `what` begins the message.
pub fn require(used_for: Use, name: &Path, opened: &Opened, what: &str) -> WasmResult<()> {
    if !ACTIVE.load(Ordering::SeqCst) || take(used_for, name, opened.id()) {
        return Ok(());
    }
    Err(WasmError::new(
        ErrorCode::PermissionDenied,
        format!(
            "{what}: what was opened is not what Node's permission model was asked about (the \
             path was replaced meanwhile); nothing was opened"
        ),
    )
    .with_path(name.display().to_string()))
}

/// Removes a grant for `name`, `used_for` and `id`; whether there was one.
fn take(used_for: Use, name: &Path, id: FileId) -> bool {
    let mut grants = grants();
    let found = grants
        .iter()
        .position(|grant| grant.used_for == used_for && grant.name == name && grant.id == id);
    found.map(|index| grants.swap_remove(index)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TempDir;

    // `activate` is process-wide and would change other tests' outcomes: `take` is tested.
    #[test]
    fn a_grant_covers_one_use_of_the_same_name_and_object() {
        let dir = TempDir::new();
        let file = dir.file("a.wasm", b"a");
        let other = dir.file("b.wasm", b"b");
        let name = file.display().to_string();
        let (token, real) = grant(Use::Load, &name).unwrap().unwrap();
        assert_eq!(real, file);
        assert!(grant(Use::Load, "/no/such/file").unwrap().is_none());
        let id = checked_open::open_file(&file).unwrap().id();
        let other_id = checked_open::open_file(&other).unwrap().id();
        // Another object by the same name, or another use: not covered.
        assert!(!take(Use::Load, &file, other_id));
        assert!(!take(Use::Preopen { readonly: true }, &file, id));
        assert!(!take(Use::Load, &other, id));
        assert!(take(Use::Load, &file, id));
        // Consumed.
        assert!(!take(Use::Load, &file, id));
        let (token2, _) = grant(Use::Load, &name).unwrap().unwrap();
        assert_ne!(token, token2);
        revoke(token2);
        assert!(!take(Use::Load, &file, id));
        revoke(token);
    }
}
