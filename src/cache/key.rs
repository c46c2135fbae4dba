//! The secret that authenticates cache files.
//!
//! A cache file holds machine code that a later process maps and runs, so its bytes must be
//! provably the ones this runtime wrote. The file system cannot prove that: a guest given a
//! read-write preopen that contains the cache directory writes files as this very user. So
//! every file carries a MAC keyed by 32 random bytes that only this user's processes read: the
//! key file, kept OUTSIDE the cache directory, in a directory of its own:
//!
//! - `RUNTIME_WASM_CACHE_KEY_DIR` if set (not empty), else
//! - `$XDG_CONFIG_HOME/runtime-wasm` (or `~/.config/runtime-wasm`) on Linux and other unixes,
//!   `~/Library/Application Support/runtime-wasm` on macOS, `%APPDATA%\runtime-wasm` on
//!   Windows,
//!
//! holding `cache.key`. Why there: the cache directory is where applications point plugins'
//! data (an app folder holding `cacheDir`, the user's cache directory), so a key beside the
//! entries it guards would be reached by the same preopen. A configuration directory of its
//! own is one no plugin is given, and the preopen check (`wasi/preopen.rs`) refuses any preopen
//! that contains it or lies inside it, whether or not this process caches to disk: the key
//! guards every process of this user, and a guest that read it (or planted one) could forge
//! code for all of them.
//!
//! The key is created once, from the OS's random number generator: written to a temporary
//! file created 0600 with O_EXCL, then linked to its name (which fails if another process won
//! the race; its key is used), so no process ever reads a partial key. On load it must be a
//! regular file (not a symlink) of exactly 32 bytes, owned by this user, with no permission
//! for group or others, in a directory owned by this user that no one else can write.
//! Anything else turns the disk cache off for this process: it is never used unauthenticated,
//! and a key that looks tampered with is left for the user to look at, not replaced.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::cache::private_files;

pub const KEY_LEN: usize = 32;
pub const FILE_NAME: &str = "cache.key";
pub const ENV_VAR: &str = "RUNTIME_WASM_CACHE_KEY_DIR";

/// The secret as it is used: derived from the file's bytes for this one purpose.
#[derive(Clone)]
pub struct Secret([u8; KEY_LEN]);

impl Secret {
    fn from_file_bytes(bytes: &[u8; KEY_LEN]) -> Secret {
        Secret(blake3::derive_key(
            "runtime-wasm compiled-code cache 2026 MAC of a cache file",
            bytes,
        ))
    }

    pub fn mac_key(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    #[cfg(test)]
    pub fn for_tests(byte: u8) -> Secret {
        Secret::from_file_bytes(&[byte; KEY_LEN])
    }
}

/// Why there is no key.
#[derive(Debug, PartialEq, Eq)]
pub enum Unusable {
    /// No directory for it: no `HOME` (or `APPDATA`) and no `RUNTIME_WASM_CACHE_KEY_DIR`.
    NoLocation,
    /// The key or its directory is not this user's private file, or cannot be read.
    NotTrusted(String),
    /// It could not be created.
    CannotCreate(String),
}

/// The directory the key lives in (it need not exist yet).
pub fn key_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV_VAR).filter(|d| !d.is_empty()) {
        return Some(absolute(PathBuf::from(dir)));
    }
    let home = || {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(target_os = "macos") {
        home().map(|h| h.join("Library").join("Application Support"))
    } else if cfg!(windows) {
        std::env::var_os("APPDATA")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    } else {
        std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home().map(|h| h.join(".config")))
    };
    base.map(|b| absolute(b.join("runtime-wasm")))
}

fn absolute(path: PathBuf) -> PathBuf {
    if path.is_absolute() {
        path
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(&path))
            .unwrap_or(path)
    }
}

/// This user's key, read from `dir`, or created there if it does not exist yet.
pub fn load_or_create(dir: &Path) -> Result<Secret, Unusable> {
    let path = dir.join(FILE_NAME);
    match read_trusted(dir, &path) {
        Err(ReadError::Missing) => {}
        Err(ReadError::Unusable(why)) => return Err(why),
        Ok(bytes) => return Ok(Secret::from_file_bytes(&bytes)),
    }
    create(dir, &path)?;
    match read_trusted(dir, &path) {
        Ok(bytes) => Ok(Secret::from_file_bytes(&bytes)),
        Err(ReadError::Missing) => Err(Unusable::CannotCreate(format!(
            "{} vanished as it was made",
            path.display()
        ))),
        Err(ReadError::Unusable(why)) => Err(why),
    }
}

enum ReadError {
    Missing,
    Unusable(Unusable),
}

fn not_trusted(path: &Path, why: &str) -> ReadError {
    ReadError::Unusable(Unusable::NotTrusted(format!("{}: {why}", path.display())))
}

fn read_trusted(dir: &Path, path: &Path) -> Result<[u8; KEY_LEN], ReadError> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::Missing),
        Err(e) => return Err(not_trusted(dir, &e.to_string())),
        Ok(meta) => {
            if let Some(why) = private_dir_problem(&meta) {
                return Err(not_trusted(dir, why));
            }
        }
    }
    let mut file = open_no_follow(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        _ => not_trusted(path, &e.to_string()),
    })?;
    let meta = file
        .metadata()
        .map_err(|e| not_trusted(path, &e.to_string()))?;
    if let Some(why) = private_file_problem(&meta) {
        return Err(not_trusted(path, why));
    }
    let mut bytes = [0u8; KEY_LEN];
    let mut rest = Vec::new();
    file.read_exact(&mut bytes)
        .and_then(|()| file.read_to_end(&mut rest))
        .map_err(|e| not_trusted(path, &e.to_string()))?;
    if !rest.is_empty() {
        return Err(not_trusted(path, "not a 32-byte key"));
    }
    Ok(bytes)
}

fn create(dir: &Path, path: &Path) -> Result<(), Unusable> {
    let cannot =
        |what: &Path, e: std::io::Error| Unusable::CannotCreate(format!("{}: {e}", what.display()));
    private_files::create_dir(dir).map_err(|e| cannot(dir, e))?;
    let mut bytes = [0u8; KEY_LEN];
    getrandom::fill(&mut bytes).map_err(|e| {
        Unusable::CannotCreate(format!("the system's random number generator failed: {e}"))
    })?;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let temp = dir.join(format!(
        "{FILE_NAME}.{}.{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = private_files::create_file(&temp, 0o600)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        // Exclusive, like the temporary file's creation: the first process's key wins.
        match std::fs::hard_link(&temp, path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        }
    })();
    let _ = std::fs::remove_file(&temp);
    written.map_err(|e| cannot(path, e))
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        // O_NONBLOCK: a FIFO in the key's place must not make the open wait for a writer.
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::other("a symlink"));
    }
    std::fs::File::open(path)
}

#[cfg(unix)]
fn my_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(unix)]
fn private_dir_problem(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::MetadataExt;
    if !meta.is_dir() {
        Some("not a directory (or a symlink)")
    } else if meta.uid() != my_uid() {
        Some("owned by another user")
    } else if meta.mode() & 0o022 != 0 {
        Some("writable by its group or by others")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn private_dir_problem(meta: &std::fs::Metadata) -> Option<&'static str> {
    (!meta.is_dir()).then_some("not a directory (or a symlink)")
}

#[cfg(unix)]
fn private_file_problem(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::MetadataExt;
    if !meta.is_file() {
        Some("not a regular file")
    } else if meta.uid() != my_uid() {
        Some("owned by another user")
    } else if meta.mode() & 0o077 != 0 {
        Some("its group or others may access it")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn private_file_problem(meta: &std::fs::Metadata) -> Option<&'static str> {
    (!meta.is_file()).then_some("not a regular file")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TempDir;

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(path).unwrap().mode() & 0o777
    }

    #[test]
    fn a_missing_key_is_created_private_and_then_reused() {
        let dir = TempDir::new();
        let keys = dir.path().join("config/runtime-wasm");
        let first = load_or_create(&keys).expect("created");
        let bytes = std::fs::read(keys.join(FILE_NAME)).unwrap();
        assert_eq!(bytes.len(), KEY_LEN);
        assert_ne!(bytes, [0u8; KEY_LEN]);
        #[cfg(unix)]
        {
            assert_eq!(mode(&keys), 0o700);
            assert_eq!(mode(&keys.join(FILE_NAME)), 0o600);
        }
        let again = load_or_create(&keys).expect("read back");
        assert_eq!(first.mac_key(), again.mac_key());
        // Only the key is left: no temporary file.
        let names: Vec<_> = std::fs::read_dir(&keys)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(FILE_NAME)]);
        // The MAC key is derived, not the file's bytes themselves.
        assert_ne!(first.mac_key().as_slice(), bytes.as_slice());
    }

    #[test]
    fn two_users_of_one_directory_agree_and_new_directories_differ() {
        let dir = TempDir::new();
        let a = load_or_create(&dir.path().join("a")).unwrap();
        let b = load_or_create(&dir.path().join("b")).unwrap();
        assert_ne!(a.mac_key(), b.mac_key(), "random, not fixed");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let keys = dir.path().join("race");
                std::thread::spawn(move || *load_or_create(&keys).unwrap().mac_key())
            })
            .collect();
        let seen: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(
            seen.iter().all(|k| *k == seen[0]),
            "racing creators share one key"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_may_access_is_refused_and_left_alone() {
        let dir = TempDir::new();
        let keys = dir.path().join("keys");
        load_or_create(&keys).unwrap();
        let file = keys.join(FILE_NAME);
        let before = std::fs::read(&file).unwrap();
        for bad in [0o666, 0o620, 0o604, 0o640] {
            set_mode(&file, bad);
            assert!(
                matches!(load_or_create(&keys), Err(Unusable::NotTrusted(_))),
                "{bad:o}"
            );
            assert_eq!(std::fs::read(&file).unwrap(), before, "not replaced");
        }
        set_mode(&file, 0o400);
        assert!(load_or_create(&keys).is_ok(), "read-only for its owner");
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_key_directory_is_refused() {
        let dir = TempDir::new();
        let keys = dir.path().join("keys");
        load_or_create(&keys).unwrap();
        for bad in [0o777, 0o770, 0o722] {
            set_mode(&keys, bad);
            assert!(
                matches!(load_or_create(&keys), Err(Unusable::NotTrusted(_))),
                "{bad:o}"
            );
        }
        set_mode(&keys, 0o700);
        assert!(load_or_create(&keys).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_a_directory_or_a_wrong_size_is_refused() {
        let dir = TempDir::new();
        let keys = dir.path().join("keys");
        load_or_create(&keys).unwrap();
        let file = keys.join(FILE_NAME);
        let real = dir.path().join("elsewhere.key");
        std::fs::rename(&file, &real).unwrap();
        std::os::unix::fs::symlink(&real, &file).unwrap();
        assert!(matches!(
            load_or_create(&keys),
            Err(Unusable::NotTrusted(_))
        ));
        std::fs::remove_file(&file).unwrap();
        std::fs::create_dir(&file).unwrap();
        assert!(matches!(
            load_or_create(&keys),
            Err(Unusable::NotTrusted(_))
        ));
        std::fs::remove_dir(&file).unwrap();
        for len in [0, 31, 33] {
            std::fs::write(&file, vec![1u8; len]).unwrap();
            set_mode(&file, 0o600);
            assert!(
                matches!(load_or_create(&keys), Err(Unusable::NotTrusted(_))),
                "{len} bytes"
            );
            std::fs::remove_file(&file).unwrap();
        }
        // A symlinked key directory.
        let link = dir.symlink(&keys, "link");
        assert!(matches!(
            load_or_create(&link),
            Err(Unusable::NotTrusted(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_key_is_refused_not_replaced() {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            return; // root reads through mode 0000
        }
        let dir = TempDir::new();
        let keys = dir.path().join("keys");
        load_or_create(&keys).unwrap();
        let file = keys.join(FILE_NAME);
        set_mode(&file, 0o000);
        assert!(matches!(
            load_or_create(&keys),
            Err(Unusable::NotTrusted(_))
        ));
        set_mode(&file, 0o600);
    }

    #[test]
    fn a_key_directory_that_cannot_be_made_is_reported() {
        let dir = TempDir::new();
        let file = dir.file("plain", b"x");
        assert!(matches!(
            load_or_create(&file.join("keys")),
            Err(Unusable::NotTrusted(_) | Unusable::CannotCreate(_))
        ));
    }
}
