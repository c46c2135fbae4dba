//! Helpers shared by the unit tests (compiled into test builds only).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh directory under the system's temporary directory, removed with everything in it
/// when dropped. Its path is the real one (symlinks such as a `/tmp` link resolved), so tests
/// can compare it with the real paths the sandbox computes.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "runtime-wasm-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(std::fs::canonicalize(&path).expect("resolve the temporary directory"))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Creates `relative` (and its parent directories) as a file holding `contents`.
    pub fn file(&self, relative: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the parent directories");
        }
        std::fs::write(&path, contents).expect("write a file");
        path
    }

    /// Creates `relative` (and its parents) as a directory.
    pub fn dir(&self, relative: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(&path).expect("create a directory");
        path
    }

    /// Creates `relative` as a symlink to `target`.
    #[cfg(unix)]
    pub fn symlink(&self, target: impl AsRef<Path>, relative: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::os::unix::fs::symlink(target, &path).expect("create a symlink");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
