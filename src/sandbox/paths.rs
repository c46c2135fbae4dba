//! Turning a manifest entry into an absolute, resolved path: `~` is the user's home, a
//! relative entry is relative to the manifest's own directory, and the part of the path that
//! exists is resolved by the file system (symlinks followed, `.` and `..` removed).

use std::io;
use std::path::{Component, Path, PathBuf};

/// `~` and `~/rest` -> the home directory; a relative path -> joined to `base`.
pub fn absolute(entry: &str, base: &Path) -> Result<PathBuf, String> {
    let expanded = if entry == "~" || entry.starts_with("~/") {
        let home = home_dir()?;
        match entry.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => home,
        }
    } else if entry.starts_with('~') {
        return Err("`~user` paths are not supported; write `~/...` or the full path".into());
    } else {
        PathBuf::from(entry)
    };
    Ok(if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    })
}

fn home_dir() -> Result<PathBuf, String> {
    #[allow(deprecated)] // Correct on every platform since Rust 1.85.
    let home = std::env::home_dir();
    match home {
        Some(home) if home.is_absolute() => Ok(home),
        _ => Err("`~` is used but the home directory is not known (set HOME)".into()),
    }
}

/// Resolves an absolute path through the file system. When its end does not exist yet, the
/// longest existing ancestor is resolved and the rest is appended as written (it may then not
/// contain `..`): if it is created later as a symlink to elsewhere, the real paths under it
/// will not match, so access stays denied.
pub fn resolve(path: &Path) -> Result<PathBuf, String> {
    match std::fs::canonicalize(path) {
        Ok(real) => return Ok(real),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot be resolved: {e}")),
    }
    let components: Vec<Component> = path.components().collect();
    for split in (1..components.len()).rev() {
        let head: PathBuf = components[..split].iter().collect();
        let real = match std::fs::canonicalize(&head) {
            Ok(real) => real,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot be resolved: {e}")),
        };
        let mut resolved = real;
        for component in &components[split..] {
            match component {
                Component::Normal(name) => resolved.push(name),
                Component::CurDir => {}
                _ => {
                    return Err(
                        "`..` follows a directory that does not exist, so it cannot be resolved"
                            .into(),
                    )
                }
            }
        }
        return Ok(resolved);
    }
    Err("no part of it exists".into())
}
