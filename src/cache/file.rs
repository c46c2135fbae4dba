//! One compiled module on disk: wasmtime's serialized module followed by a trailer that
//! names the cache key and carries a checksum of everything before it.
//!
//! ```text
//! payload (wasmtime's ELF image) | key (32) | XXH3-128(payload) (16) | payload length (u64 LE) | "RWCACHE2"
//! ```
//!
//! The checksum guards against accidental damage (a truncated or partly copied file, bit
//! rot). It need not resist forgery: only this user can write to the cache directory (which
//! is checked), and whoever can write there can already run code as this user. What must
//! resist forgery is the key, a BLAKE3 hash of the source: modules whose sources differ never
//! share a file. XXH3 checks the megabytes of an image several times faster than BLAKE3.
//!
//! The trailer goes last because wasmtime maps the file and reads the ELF image at offset 0;
//! the bytes after the image are not part of it. A load maps the file once to check the
//! trailer and the checksum, then hands the same open file to wasmtime, which maps it again
//! (copy-on-write) instead of copying the code: a multi-MB module loads in a few milliseconds.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use wasmtime::{Engine, Module};

const MAGIC: &[u8; 8] = b"RWCACHE2";
const KEY_LEN: usize = 32;
const CHECKSUM_LEN: usize = 16;
const TRAILER_LEN: usize = KEY_LEN + CHECKSUM_LEN + 8 + MAGIC.len();

pub type Key = [u8; KEY_LEN];

fn checksum(payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    xxhash_rust::xxh3::xxh3_128(payload).to_le_bytes()
}

/// Why a cache file was not used.
#[derive(Debug)]
pub enum Rejected {
    Missing,
    /// Not a regular file of this user's that only this user can write.
    NotTrusted,
    /// Truncated, a different format, another key, or a checksum that does not match.
    Corrupt,
    /// Well formed, but wasmtime refused it (made by another engine configuration).
    Incompatible,
}

/// Writes `payload` and its trailer to `file`, then flushes it to disk.
pub fn write(file: &mut File, key: &Key, payload: &[u8]) -> std::io::Result<()> {
    file.write_all(payload)?;
    file.write_all(key)?;
    file.write_all(&checksum(payload))?;
    file.write_all(&(payload.len() as u64).to_le_bytes())?;
    file.write_all(MAGIC)?;
    file.sync_all()
}

/// Loads the module stored at `path` for `key`, after checking who owns the file and that
/// its bytes are exactly the ones written for that key.
pub fn load(engine: &Engine, path: &Path, key: &Key) -> Result<Module, Rejected> {
    let file = open_trusted(path)?;
    let contents = FileContents::read(&file).ok_or(Rejected::Corrupt)?;
    if !intact(contents.bytes(), key) {
        return Err(Rejected::Corrupt);
    }
    drop(contents);
    // SAFETY: the file is this user's own, writable by no one else, and its bytes were
    // checked against the checksum written with them just now; cache files are replaced
    // only by renaming a new file over them, never rewritten in place, so the mapping
    // wasmtime makes sees these bytes. wasmtime itself checks that a compatible engine
    // made the image.
    unsafe { Module::deserialize_open_file(engine, file) }.map_err(|_| Rejected::Incompatible)
}

/// Whether `bytes` is a payload followed by a trailer for `key` that matches it.
fn intact(bytes: &[u8], key: &Key) -> bool {
    let Some(split) = bytes.len().checked_sub(TRAILER_LEN) else {
        return false;
    };
    let (payload, trailer) = bytes.split_at(split);
    let (stored_key, rest) = trailer.split_at(KEY_LEN);
    let (stored_checksum, rest) = rest.split_at(CHECKSUM_LEN);
    let (length, magic) = rest.split_at(8);
    magic == MAGIC
        && stored_key == key
        && length == (payload.len() as u64).to_le_bytes()
        && stored_checksum == checksum(payload)
}

#[cfg(unix)]
fn open_trusted(path: &Path) -> Result<File, Rejected> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        // O_NONBLOCK: a FIFO put in the file's place must not make the open wait for a writer.
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Rejected::Missing,
            _ => Rejected::NotTrusted,
        })?;
    let meta = file.metadata().map_err(|_| Rejected::NotTrusted)?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if !meta.is_file() || meta.uid() != me || meta.mode() & 0o022 != 0 {
        return Err(Rejected::NotTrusted);
    }
    Ok(file)
}

#[cfg(not(unix))]
fn open_trusted(path: &Path) -> Result<File, Rejected> {
    let meta = std::fs::symlink_metadata(path).map_err(|_| Rejected::Missing)?;
    if !meta.is_file() {
        return Err(Rejected::NotTrusted);
    }
    File::open(path).map_err(|_| Rejected::NotTrusted)
}

/// A file's bytes: mapped read-only (and read ahead in one go) where mmap exists.
struct FileContents {
    #[cfg(unix)]
    mapped: Option<(*mut libc::c_void, usize)>,
    #[cfg(not(unix))]
    read: Vec<u8>,
}

impl FileContents {
    #[cfg(unix)]
    fn read(file: &File) -> Option<Self> {
        use std::os::unix::io::AsRawFd;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        if len == 0 {
            return Some(FileContents { mapped: None });
        }
        // SAFETY: a fresh read-only private mapping of an open file, unmapped on drop.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_POPULATE,
                file.as_raw_fd(),
                0,
            )
        };
        (address != libc::MAP_FAILED).then_some(FileContents {
            mapped: Some((address, len)),
        })
    }

    #[cfg(unix)]
    fn bytes(&self) -> &[u8] {
        match self.mapped {
            // SAFETY: the mapping is `len` readable bytes and lives as long as `self`.
            Some((address, len)) => unsafe { std::slice::from_raw_parts(address.cast(), len) },
            None => &[],
        }
    }

    #[cfg(not(unix))]
    fn read(file: &File) -> Option<Self> {
        use std::io::Read;
        let mut read = Vec::new();
        (&*file).read_to_end(&mut read).ok()?;
        Some(FileContents { read })
    }

    #[cfg(not(unix))]
    fn bytes(&self) -> &[u8] {
        &self.read
    }
}

#[cfg(unix)]
impl Drop for FileContents {
    fn drop(&mut self) {
        if let Some((address, len)) = self.mapped {
            // SAFETY: unmaps exactly the mapping made in `read`.
            unsafe {
                libc::munmap(address, len);
            }
        }
    }
}
