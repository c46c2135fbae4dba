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
        // SAFETY: a fresh read-only private mapping of `len` bytes of an open file, which
        // nothing else refers to; it is unmapped on drop.
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
            // SAFETY: the mapping is `len` readable bytes and lives as long as `self`. Its
            // bytes change only if the file is rewritten in place or truncated, and cache files
            // are never: they are this user's own, written under a temporary name and renamed.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TempDir;

    const KEY: Key = [7; KEY_LEN];

    /// `payload` followed by its trailer for `key`, as `write` lays it out.
    fn stored(key: &Key, payload: &[u8]) -> Vec<u8> {
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(&checksum(payload));
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(MAGIC);
        bytes
    }

    #[test]
    fn an_intact_file_is_accepted() {
        assert!(intact(&stored(&KEY, b"payload bytes"), &KEY));
        // An empty payload is still a well-formed file (wasmtime then refuses it).
        assert!(intact(&stored(&KEY, b""), &KEY));
        assert_eq!(stored(&KEY, b"").len(), TRAILER_LEN);
    }

    #[test]
    fn a_file_shorter_than_a_trailer_is_rejected() {
        let whole = stored(&KEY, b"");
        for len in 0..whole.len() {
            assert!(!intact(&whole[..len], &KEY), "{len} bytes");
        }
        assert!(!intact(&[], &KEY));
    }

    #[test]
    fn a_truncated_or_extended_file_is_rejected() {
        let whole = stored(&KEY, &[0xAB; 300]);
        for cut in [1, 8, 16, 100, whole.len() - TRAILER_LEN] {
            assert!(
                !intact(&whole[cut..], &KEY),
                "{cut} bytes cut from the front"
            );
            assert!(
                !intact(&whole[..whole.len() - cut], &KEY),
                "{cut} bytes cut from the end"
            );
        }
        let mut longer = whole.clone();
        longer.push(0);
        assert!(!intact(&longer, &KEY), "a byte after the magic");
        let mut prefixed = vec![0];
        prefixed.extend_from_slice(&whole);
        assert!(!intact(&prefixed, &KEY), "a byte before the payload");
    }

    #[test]
    fn every_flipped_bit_is_noticed() {
        let whole = stored(&KEY, b"\0asm\x01\0\0\0 some code");
        for index in 0..whole.len() {
            for bit in [0x01u8, 0x80] {
                let mut damaged = whole.clone();
                damaged[index] ^= bit;
                assert!(!intact(&damaged, &KEY), "bit {bit:#x} of byte {index}");
            }
        }
    }

    #[test]
    fn another_key_is_rejected() {
        let whole = stored(&KEY, b"code");
        let mut other = KEY;
        other[KEY_LEN - 1] ^= 1;
        assert!(!intact(&whole, &other));
        assert!(!intact(&whole, &[0; KEY_LEN]));
    }

    #[test]
    fn a_consistent_trailer_of_another_format_is_rejected() {
        let mut old_format = stored(&KEY, b"code");
        let magic_at = old_format.len() - MAGIC.len();
        old_format[magic_at..].copy_from_slice(b"RWCACHE1");
        assert!(!intact(&old_format, &KEY));
    }

    #[test]
    fn a_length_that_disagrees_is_rejected_even_with_a_valid_checksum() {
        // The checksum matches the payload; only the recorded length is off.
        let mut bytes = stored(&KEY, b"code");
        let length_at = bytes.len() - MAGIC.len() - 8;
        bytes[length_at..length_at + 8].copy_from_slice(&5u64.to_le_bytes());
        assert!(!intact(&bytes, &KEY));
        bytes[length_at..length_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(!intact(&bytes, &KEY));
    }

    #[test]
    fn write_lays_out_the_documented_format() {
        let dir = TempDir::new();
        let path = dir.path().join("x.rwc");
        let mut file = File::create(&path).unwrap();
        write(&mut file, &KEY, b"payload").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes, stored(&KEY, b"payload"));
        assert!(bytes.ends_with(b"RWCACHE2"));
        assert!(intact(&bytes, &KEY));
    }

    // --- loading, with a real engine ---

    fn engine() -> Engine {
        Engine::default()
    }

    /// A cache file for `key` holding a module serialized by `engine`.
    fn cache_file(dir: &TempDir, engine: &Engine, key: &Key) -> std::path::PathBuf {
        let module = Module::new(
            engine,
            r#"(module (func (export "f") (result i32) i32.const 7))"#,
        )
        .expect("compiles");
        let payload = module.serialize().expect("serializes");
        let path = dir.path().join("module.rwc");
        let mut file = File::create(&path).unwrap();
        write(&mut file, key, &payload).unwrap();
        set_mode(&path, 0o600);
        path
    }

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_file_written_for_a_key_loads_as_a_working_module() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        let module = load(&engine, &path, &KEY).expect("loads");
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let f = instance.get_typed_func::<(), i32>(&mut store, "f").unwrap();
        assert_eq!(f.call(&mut store, ()).unwrap(), 7);
    }

    #[test]
    fn a_missing_file_is_missing() {
        let dir = TempDir::new();
        let result = load(&engine(), &dir.path().join("absent.rwc"), &KEY);
        assert!(matches!(result, Err(Rejected::Missing)), "{result:?}");
    }

    #[test]
    fn a_damaged_file_is_corrupt() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[100] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(load(&engine, &path, &KEY), Err(Rejected::Corrupt)));
        // And one read for another key is corrupt too, whatever it holds.
        let path = cache_file(&dir, &engine, &KEY);
        assert!(matches!(
            load(&engine, &path, &[1; KEY_LEN]),
            Err(Rejected::Corrupt)
        ));
        // An empty file.
        std::fs::write(&path, b"").unwrap();
        assert!(matches!(load(&engine, &path, &KEY), Err(Rejected::Corrupt)));
    }

    #[test]
    fn an_intact_file_wasmtime_refuses_is_incompatible() {
        let dir = TempDir::new();
        let path = dir.path().join("garbage.rwc");
        let mut file = File::create(&path).unwrap();
        write(&mut file, &KEY, b"\x7fELF but not really an image").unwrap();
        set_mode(&path, 0o600);
        assert!(matches!(
            load(&engine(), &path, &KEY),
            Err(Rejected::Incompatible)
        ));
    }

    #[test]
    fn an_image_from_another_engine_configuration_is_incompatible() {
        let dir = TempDir::new();
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let fuel_engine = Engine::new(&config).unwrap();
        let path = cache_file(&dir, &fuel_engine, &KEY);
        assert!(matches!(
            load(&engine(), &path, &KEY),
            Err(Rejected::Incompatible)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_may_write_is_not_trusted() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        for mode in [0o620, 0o602, 0o666] {
            set_mode(&path, mode);
            assert!(
                matches!(load(&engine, &path, &KEY), Err(Rejected::NotTrusted)),
                "{mode:o}"
            );
        }
        set_mode(&path, 0o400);
        assert!(
            load(&engine, &path, &KEY).is_ok(),
            "read-only for its owner is fine"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_or_a_directory_is_not_trusted() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        let link = dir.symlink(&path, "link.rwc");
        assert!(matches!(
            load(&engine, &link, &KEY),
            Err(Rejected::NotTrusted)
        ));
        let sub = dir.dir("sub.rwc");
        assert!(matches!(
            load(&engine, &sub, &KEY),
            Err(Rejected::NotTrusted)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_in_the_files_place_neither_blocks_nor_loads() {
        let dir = TempDir::new();
        let fifo = dir.path().join("fifo.rwc");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `name` is a NUL-terminated path that lives across the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            load(&engine(), &fifo, &KEY),
            Err(Rejected::NotTrusted)
        ));
    }
}
