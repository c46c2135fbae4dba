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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TempDir;

    #[test]
    fn absolute_entries_stay_as_written() {
        let base = Path::new("/base/dir");
        assert_eq!(
            absolute("/abs/x.wasm", base).unwrap(),
            Path::new("/abs/x.wasm")
        );
        assert_eq!(absolute("/", base).unwrap(), Path::new("/"));
    }

    #[test]
    fn relative_entries_are_relative_to_the_base() {
        let base = Path::new("/base/dir");
        assert_eq!(
            absolute("plugins/a.wasm", base).unwrap(),
            Path::new("/base/dir/plugins/a.wasm")
        );
        // Not normalised here: resolving is the file system's job.
        assert_eq!(
            absolute("../up/./x", base).unwrap(),
            Path::new("/base/dir/../up/./x")
        );
        assert_eq!(absolute(".", base).unwrap(), Path::new("/base/dir/."));
    }

    #[test]
    fn tilde_is_the_home_directory() {
        let Some(home) = std::env::home_dir().filter(|h| h.is_absolute()) else {
            // Without a home directory `~` must fail, never resolve somewhere else.
            assert!(absolute("~", Path::new("/b")).is_err());
            return;
        };
        assert_eq!(absolute("~", Path::new("/b")).unwrap(), home);
        assert_eq!(
            absolute("~/tools/x.wasm", Path::new("/b")).unwrap(),
            home.join("tools/x.wasm")
        );
        // `~/` with nothing after it is the home directory itself.
        assert_eq!(absolute("~/", Path::new("/b")).unwrap(), home.join(""));
    }

    #[test]
    fn tilde_user_is_refused() {
        for entry in ["~bob", "~bob/x.wasm", "~~", "~.wasm"] {
            let error = absolute(entry, Path::new("/b")).unwrap_err();
            assert!(
                error.contains("`~user` paths are not supported"),
                "{entry}: {error}"
            );
        }
        // A tilde that is not first is an ordinary character.
        assert_eq!(
            absolute("a/~b", Path::new("/b")).unwrap(),
            Path::new("/b/a/~b")
        );
    }

    #[test]
    fn an_existing_path_is_resolved_by_the_file_system() {
        let dir = TempDir::new();
        dir.dir("a/b");
        let file = dir.file("a/b/x.wasm", b"");
        assert_eq!(
            resolve(&dir.path().join("a/./b/../b/x.wasm")).unwrap(),
            file
        );
        assert_eq!(resolve(dir.path()).unwrap(), dir.path());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_to_the_real_place() {
        let dir = TempDir::new();
        let real = dir.dir("real");
        dir.symlink(&real, "link");
        assert_eq!(resolve(&dir.path().join("link")).unwrap(), real);
        // A missing tail under a symlinked directory is appended to the real directory.
        assert_eq!(
            resolve(&dir.path().join("link/later/x.wasm")).unwrap(),
            real.join("later/x.wasm")
        );
    }

    #[test]
    fn a_missing_tail_is_appended_as_written() {
        let dir = TempDir::new();
        assert_eq!(
            resolve(&dir.path().join("not/yet/there.wasm")).unwrap(),
            dir.path().join("not/yet/there.wasm")
        );
        // `.` in the missing part is dropped.
        assert_eq!(
            resolve(&dir.path().join("not/./there")).unwrap(),
            dir.path().join("not/there")
        );
        // `..` in the existing part is resolved before the missing part is appended.
        dir.dir("sub");
        assert_eq!(
            resolve(&dir.path().join("sub/../missing")).unwrap(),
            dir.path().join("missing")
        );
    }

    #[test]
    fn dot_dot_after_a_missing_directory_is_refused() {
        let dir = TempDir::new();
        let error = resolve(&dir.path().join("missing/../etc")).unwrap_err();
        assert!(
            error.contains("`..` follows a directory that does not exist"),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_is_not_resolved_through_its_name() {
        // The link's target does not exist: appending the link's own name to its directory
        // would let it point anywhere later, so the result names the link's place, which a
        // real path (the target) never equals.
        let dir = TempDir::new();
        dir.symlink("/nonexistent/elsewhere", "dangling");
        assert_eq!(
            resolve(&dir.path().join("dangling")).unwrap(),
            dir.path().join("dangling")
        );
    }

    #[test]
    fn errors_other_than_not_found_are_reported() {
        let dir = TempDir::new();
        dir.file("file", b"");
        // A path through a regular file: "not a directory", not "not found".
        let error = resolve(&dir.path().join("file/x")).unwrap_err();
        assert!(error.starts_with("cannot be resolved: "), "{error}");
    }

    #[test]
    fn a_relative_path_of_which_nothing_exists() {
        let error = resolve(Path::new("runtime-wasm-no-such-dir/x/y")).unwrap_err();
        assert_eq!(error, "no part of it exists");
    }
}
