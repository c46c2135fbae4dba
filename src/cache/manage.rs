//! The cache directory as a managed thing: its entries, and a size cap kept by removing the
//! least recently used ones (a cap of 0 clears it).
//!
//! A load marks its file as used (its modification time, which nothing else reads: the files
//! are never rewritten in place). Only this cache's own files (`*.rwc`, and `*.tmp` files a
//! crashed writer left behind) are ever removed, never followed through a symlink.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The cap unless `configure({ cacheMaxBytes })` or `RUNTIME_WASM_CACHE_MAX_BYTES` says
/// otherwise: room for the compiled code of the largest real modules we know of (CPython for
/// WASI makes a 279 MB file, twice that with its fuel-metered variant) several times over.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

/// The environment variable that sets the cap (a whole number of bytes), read at start; the
/// helper processes get the cap in force through it.
pub const MAX_BYTES_ENV_VAR: &str = "RUNTIME_WASM_CACHE_MAX_BYTES";

static MAX_BYTES: AtomicU64 = AtomicU64::new(u64::MAX);

/// The cap in force.
pub fn max_bytes() -> u64 {
    match MAX_BYTES.load(Ordering::Relaxed) {
        u64::MAX => {
            let from_env = std::env::var(MAX_BYTES_ENV_VAR)
                .ok()
                .and_then(|value| value.trim().parse::<u64>().ok())
                .filter(|&value| value < u64::MAX)
                .unwrap_or(DEFAULT_MAX_BYTES);
            MAX_BYTES.store(from_env, Ordering::Relaxed);
            from_env
        }
        set => set,
    }
}

/// `configure({ cacheMaxBytes })`.
pub fn set_max_bytes(bytes: u64) {
    MAX_BYTES.store(bytes.min(u64::MAX - 1), Ordering::Relaxed);
}

/// One file of the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub bytes: u64,
    /// When it was last loaded or written.
    pub last_used: SystemTime,
}

/// The cache's files, least recently used first. An unreadable or absent directory has none.
pub fn entries(dir: &Path) -> Vec<Entry> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut entries: Vec<Entry> = listing
        .flatten()
        .filter_map(|item| {
            let name = item.file_name().into_string().ok()?;
            let meta = item.metadata().ok()?; // does not follow a symlink
            (meta.is_file() && name.ends_with(".rwc")).then(|| Entry {
                name,
                bytes: meta.len(),
                last_used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            })
        })
        .collect();
    entries.sort_by(|a, b| (a.last_used, &a.name).cmp(&(b.last_used, &b.name)));
    entries
}

/// What pruning did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub removed: u64,
    pub freed_bytes: u64,
    pub kept_bytes: u64,
}

/// Removes the least recently used files until the rest fit in `max_bytes` (and temporary
/// files a crashed writer left more than an hour ago).
pub fn prune(dir: &Path, max_bytes: u64) -> Pruned {
    remove_stale_temporaries(dir);
    let entries = entries(dir);
    let mut kept_bytes: u64 = entries.iter().map(|e| e.bytes).sum();
    let mut pruned = Pruned::default();
    for entry in entries {
        if kept_bytes <= max_bytes {
            break;
        }
        if std::fs::remove_file(dir.join(&entry.name)).is_ok() {
            kept_bytes -= entry.bytes;
            pruned.removed += 1;
            pruned.freed_bytes += entry.bytes;
        }
    }
    pruned.kept_bytes = kept_bytes;
    pruned
}

/// Marks a file as just used, for the least-recently-used order.
pub fn touch(file: &std::fs::File) {
    let _ = file.set_modified(SystemTime::now());
}

fn remove_stale_temporaries(dir: &Path) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for item in listing.flatten() {
        let stale = item.metadata().is_ok_and(|meta| {
            meta.is_file() && meta.modified().is_ok_and(|when| when < an_hour_ago)
        });
        let temporary = item
            .file_name()
            .to_str()
            .is_some_and(|name| name.contains(".rwc.") && name.ends_with(".tmp"));
        if stale && temporary {
            let _ = std::fs::remove_file(item.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TempDir;

    fn file(dir: &Path, name: &str, bytes: usize, age_secs: u64) {
        let path = dir.join(name);
        std::fs::write(&path, vec![0u8; bytes]).unwrap();
        let when = SystemTime::now() - Duration::from_secs(age_secs);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }

    #[test]
    fn the_least_recently_used_go_first_until_the_rest_fit() {
        let dir = TempDir::new();
        file(dir.path(), "old.rwc", 100, 300);
        file(dir.path(), "mid.rwc", 100, 200);
        file(dir.path(), "new.rwc", 100, 100);
        file(dir.path(), "notes.txt", 1000, 500);
        let names =
            |dir: &Path| -> Vec<String> { entries(dir).into_iter().map(|e| e.name).collect() };
        assert_eq!(names(dir.path()), ["old.rwc", "mid.rwc", "new.rwc"]);
        let pruned = prune(dir.path(), 250);
        assert_eq!(
            pruned,
            Pruned {
                removed: 1,
                freed_bytes: 100,
                kept_bytes: 200
            }
        );
        assert_eq!(names(dir.path()), ["mid.rwc", "new.rwc"]);
        // Touching makes an entry the most recent.
        touch(&std::fs::File::open(dir.path().join("mid.rwc")).unwrap());
        prune(dir.path(), 100);
        assert_eq!(names(dir.path()), ["mid.rwc"]);
        // Other files are never touched.
        assert!(dir.path().join("notes.txt").exists());
        assert_eq!(prune(dir.path(), 0).removed, 1);
        assert!(entries(dir.path()).is_empty());
        assert!(dir.path().join("notes.txt").exists());
    }

    #[test]
    fn stale_temporaries_are_removed_fresh_ones_kept() {
        let dir = TempDir::new();
        file(dir.path(), "a.rwc.12.ff.tmp", 10, 7200);
        file(dir.path(), "b.rwc.12.ff.tmp", 10, 10);
        prune(dir.path(), u64::MAX);
        assert!(!dir.path().join("a.rwc.12.ff.tmp").exists());
        assert!(dir.path().join("b.rwc.12.ff.tmp").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_neither_listed_nor_followed() {
        let dir = TempDir::new();
        let outside = TempDir::new();
        file(outside.path(), "victim.rwc", 10, 10);
        std::os::unix::fs::symlink(
            outside.path().join("victim.rwc"),
            dir.path().join("link.rwc"),
        )
        .unwrap();
        assert!(entries(dir.path()).is_empty());
        prune(dir.path(), 0);
        assert!(outside.path().join("victim.rwc").exists());
    }
}
