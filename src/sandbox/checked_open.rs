//! Opening a file or a directory, and finding out where the opened object really is.
//!
//! Checking a path name and then opening that name is a race: the name can be swapped for a
//! symlink in between. So callers open first and then ask where the opened object is: on Linux
//! the path the kernel records for the descriptor (`/proc/self/fd/N`), elsewhere (or without
//! /proc) the canonical path of the name. Either answer is accepted only if, at that moment, it
//! names the same file (device and inode) as the open descriptor. The caller checks its policy
//! against that path and from then on uses only the descriptor, or, for a directory that WASI
//! opens by path, a path that reopens that very descriptor.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use once_cell::sync::OnceCell;

/// A file's identity: device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    /// Stable std has no file identity outside unix; such platforms compare paths only.
    #[cfg(not(unix))]
    pub fn of(_meta: &Metadata) -> FileId {
        FileId { dev: 0, ino: 0 }
    }
}

pub struct Opened {
    file: File,
    /// The name it was opened by.
    name: PathBuf,
    id: FileId,
    real_path: OnceCell<Result<PathBuf, String>>,
}

/// Opens a file for reading. Never blocks on a FIFO and never takes a controlling terminal,
/// whatever the name turns out to be.
pub fn open_file(name: &Path) -> io::Result<Opened> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    opened(options.open(name)?, name)
}

/// Opens a directory (on Linux as an `O_PATH` handle, as wasmtime-wasi does); a name that is
/// not a directory fails with `NotADirectory`.
pub fn open_dir(name: &Path) -> io::Result<Opened> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_PATH | libc::O_DIRECTORY);
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_DIRECTORY);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
        options.custom_flags(FILE_FLAG_BACKUP_SEMANTICS);
    }
    let opened = opened(options.open(name)?, name)?;
    if !opened.file.metadata()?.is_dir() {
        return Err(io::Error::from(io::ErrorKind::NotADirectory));
    }
    Ok(opened)
}

fn opened(file: File, name: &Path) -> io::Result<Opened> {
    let id = FileId::of(&file.metadata()?);
    Ok(Opened {
        file,
        name: name.to_path_buf(),
        id,
        real_path: OnceCell::new(),
    })
}

impl Opened {
    pub fn file(&self) -> &File {
        &self.file
    }

    pub fn into_file(self) -> File {
        self.file
    }

    pub fn id(&self) -> FileId {
        self.id
    }

    /// The real path of the opened object: absolute, symlinks resolved, no `.` or `..`.
    /// An error says why it cannot be established (the name was moved, replaced or removed
    /// while it was being opened).
    pub fn real_path(&self) -> Result<&Path, &str> {
        self.real_path
            .get_or_init(|| self.locate())
            .as_deref()
            .map_err(String::as_str)
    }

    fn locate(&self) -> Result<PathBuf, String> {
        let located = match self.kernel_path() {
            Some(path) => path,
            None => std::fs::canonicalize(&self.name)
                .map_err(|e| format!("its real path cannot be found: {e}"))?,
        };
        let same = std::fs::metadata(&located).map(|meta| FileId::of(&meta) == self.id);
        match same {
            Ok(true) if located.is_absolute() => Ok(located),
            _ => Err("it was moved, replaced or removed while it was being opened".into()),
        }
    }

    /// The path the kernel records for the descriptor, when it can be read.
    fn kernel_path(&self) -> Option<PathBuf> {
        let path = std::fs::read_link(self.proc_path()?).ok()?;
        Some(path)
    }

    /// A name for this descriptor in /proc: opening it opens this very object, not whatever
    /// its path names now.
    #[cfg(target_os = "linux")]
    fn proc_path(&self) -> Option<PathBuf> {
        use std::os::unix::io::AsRawFd;
        Some(PathBuf::from(format!(
            "/proc/self/fd/{}",
            self.file.as_raw_fd()
        )))
    }

    #[cfg(not(target_os = "linux"))]
    fn proc_path(&self) -> Option<PathBuf> {
        None
    }

    /// A path by which a library that only takes paths opens this same object: the /proc name
    /// of the descriptor where the kernel provides one, else the real path if it was found,
    /// else the name. Only the first is free of races; callers verify the object they got.
    pub fn reopen_path(&self) -> PathBuf {
        if let Some(proc_path) = self.proc_path().filter(|p| std::fs::read_link(p).is_ok()) {
            return proc_path;
        }
        match self.real_path.get() {
            Some(Ok(real)) => real.clone(),
            _ => self.name.clone(),
        }
    }
}

/// For a name that could not be opened: where it would be, i.e. its directory resolved and its
/// last segment appended. None when that cannot be told: the directory does not resolve, the
/// name ends in `/`, `.` or `..`, or its last segment is a symlink (whose target, which may be
/// anywhere, is what failed to open: judging it by the link's own place would tell whether
/// files outside exist).
pub fn would_be_real_path(name: &str) -> Option<PathBuf> {
    let (dir, last) = match name.rfind('/') {
        Some(0) => ("/", &name[1..]),
        Some(slash) => (&name[..slash], &name[slash + 1..]),
        None => (".", name),
    };
    if last.is_empty() || last == "." || last == ".." {
        return None;
    }
    let would_be = std::fs::canonicalize(dir).ok()?.join(last);
    match std::fs::symlink_metadata(&would_be) {
        Ok(meta) if meta.file_type().is_symlink() => None,
        _ => Some(would_be),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TempDir;

    #[test]
    fn the_real_path_of_an_opened_file_resolves_the_name() {
        let dir = TempDir::new();
        let file = dir.file("sub/x.wasm", b"bytes");
        let opened = open_file(&dir.path().join("sub/../sub/./x.wasm")).unwrap();
        assert_eq!(opened.real_path().unwrap(), file);
        // Asked twice, the same answer (it is worked out once).
        assert_eq!(opened.real_path().unwrap(), file);
    }

    #[cfg(unix)]
    #[test]
    fn the_real_path_is_where_a_symlink_leads() {
        let dir = TempDir::new();
        let target = dir.file("target.wasm", b"");
        let link = dir.symlink(&target, "link.wasm");
        assert_eq!(open_file(&link).unwrap().real_path().unwrap(), target);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_real_path_follows_the_object_not_the_name() {
        // Replaced after opening: the check judges what was opened, where it is now.
        let dir = TempDir::new();
        let original = dir.file("a.wasm", b"");
        let opened = open_file(&original).unwrap();
        let moved = dir.path().join("moved.wasm");
        std::fs::rename(&original, &moved).unwrap();
        dir.file("a.wasm", b"impostor");
        assert_eq!(opened.real_path().unwrap(), moved);
    }

    #[test]
    fn a_removed_file_has_no_real_path() {
        let dir = TempDir::new();
        let file = dir.file("gone.wasm", b"");
        let opened = open_file(&file).unwrap();
        std::fs::remove_file(&file).unwrap();
        let error = opened.real_path().unwrap_err();
        assert!(error.contains("moved, replaced or removed"), "{error}");
    }

    #[test]
    fn open_dir_takes_directories_only() {
        let dir = TempDir::new();
        let file = dir.file("f", b"");
        let error = open_dir(&file).err().expect("a file is not a directory");
        assert_eq!(error.kind(), io::ErrorKind::NotADirectory);
        let opened = open_dir(dir.path()).unwrap();
        assert_eq!(opened.real_path().unwrap(), dir.path());
        assert!(open_dir(&dir.path().join("missing")).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reopen_path_names_the_descriptor() {
        let dir = TempDir::new();
        let opened = open_dir(&dir.dir("d")).unwrap();
        let reopen = opened.reopen_path();
        assert!(reopen.starts_with("/proc/self/fd/"), "{}", reopen.display());
        assert_eq!(
            std::fs::canonicalize(&reopen).unwrap(),
            dir.path().join("d")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_opens_without_blocking() {
        let dir = TempDir::new();
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `name` is a NUL-terminated path that lives across the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let opened = open_file(&fifo).expect("opens at once, with no writer");
        assert_eq!(opened.real_path().unwrap(), fifo);
    }

    #[test]
    fn would_be_real_path_resolves_the_directory_and_appends_the_name() {
        let dir = TempDir::new();
        dir.dir("sub");
        let name = format!("{}/sub/../sub/missing.wasm", dir.path().display());
        assert_eq!(
            would_be_real_path(&name),
            Some(dir.path().join("sub/missing.wasm"))
        );
        assert_eq!(
            would_be_real_path("/missing-at-root"),
            Some(PathBuf::from("/missing-at-root"))
        );
    }

    #[test]
    fn would_be_real_path_refuses_what_cannot_be_told() {
        let dir = TempDir::new();
        let root = dir.path().display();
        for name in [
            format!("{root}/no/such/dir/x.wasm"),
            format!("{root}/"),
            format!("{root}/."),
            format!("{root}/.."),
            String::new(),
            ".".into(),
            "..".into(),
        ] {
            assert_eq!(would_be_real_path(&name), None, "{name:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn would_be_real_path_refuses_a_symlink_as_the_last_segment() {
        let dir = TempDir::new();
        let link = dir.symlink("/nonexistent/secret", "link");
        assert_eq!(would_be_real_path(&link.display().to_string()), None);
    }
}
