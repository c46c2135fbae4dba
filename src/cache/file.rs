//! One compiled module on disk: wasmtime's serialized module followed by a trailer that
//! names the cache key and carries a MAC of everything before it.
//!
//! ```text
//! payload (wasmtime's ELF image) | key (32) | MAC (32) | payload length (u64 LE) | "RWCACHE3"
//! ```
//!
//! The MAC is BLAKE3 in keyed mode, keyed by this user's secret (see key.rs), over the payload,
//! the key, the length and the magic. It proves that this runtime, in a process of this user,
//! wrote exactly these bytes for this key: whoever can write to the cache directory (a guest
//! given a preopen that contains it, in a process that does not cache) but cannot read the
//! secret cannot make a file that passes, neither by patching the code and recomputing a
//! checksum, nor by copying the trailer of another valid file (the MAC covers the payload and
//! the key). The comparison takes the same time whatever the bytes.
//!
//! Files are made read-only (0400): a guest runs as this user, but WASI has no way to change a
//! file's mode, so it cannot open a cache file for writing. A load accepts only a regular file
//! of this user's that no one may write (not even its owner), so its bytes cannot change
//! between the check and wasmtime's mapping of them.
//!
//! The trailer goes last because wasmtime maps the file and reads the ELF image at offset 0;
//! the bytes after the image are not part of it. A load maps the file once to check the
//! trailer and the MAC, then hands the same open file to wasmtime, which maps it again
//! (copy-on-write) instead of copying the code: a multi-MB module loads in a few milliseconds.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use wasmtime::Engine;

use super::key::Secret;

const MAGIC: &[u8; 8] = b"RWCACHE3";
const KEY_LEN: usize = 32;
const MAC_LEN: usize = 32;
const TRAILER_LEN: usize = KEY_LEN + MAC_LEN + 8 + MAGIC.len();

pub type Key = [u8; KEY_LEN];

/// On one thread: BLAKE3's SIMD code checks an 8 MB image in about 1.4 ms here, while starting
/// a thread pool in a new process (a warm load is often the process's first use of one) costs
/// more than it saves, and far more when the cores are busy.
fn mac(secret: &Secret, payload: &[u8], key: &Key) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new_keyed(secret.mac_key());
    hasher.update(payload);
    hasher.update(key);
    hasher.update(&(payload.len() as u64).to_le_bytes());
    hasher.update(MAGIC);
    hasher.finalize()
}

/// Why a cache file was not used.
#[derive(Debug)]
pub enum Rejected {
    Missing,
    /// Not a regular file of this user's that no one can write.
    NotTrusted,
    /// Truncated, a different format, another key, or a MAC that does not match.
    Corrupt,
    /// Well formed, but wasmtime refused it (made by another engine configuration).
    Incompatible,
}

/// Writes `payload` and its trailer to `file`, then flushes it to disk.
pub fn write(file: &mut File, secret: &Secret, key: &Key, payload: &[u8]) -> std::io::Result<()> {
    file.write_all(payload)?;
    file.write_all(key)?;
    file.write_all(mac(secret, payload, key).as_bytes())?;
    file.write_all(&(payload.len() as u64).to_le_bytes())?;
    file.write_all(MAGIC)?;
    file.sync_all()
}

/// Loads the module stored at `path` for `key`, after checking who owns the file and that
/// its bytes are exactly the ones this runtime wrote for that key (their MAC, under `secret`).
pub fn load<C: super::Code>(
    engine: &Engine,
    path: &Path,
    secret: &Secret,
    key: &Key,
) -> Result<C, Rejected> {
    let file = open_trusted(path)?;
    let contents = FileContents::read(&file).ok_or(Rejected::Corrupt)?;
    if !intact(contents.bytes(), secret, key) {
        return Err(Rejected::Corrupt);
    }
    super::manage::touch(&file);
    let payload_len = contents.bytes().len() - TRAILER_LEN;
    // SAFETY: the file is this user's own and writable by no one (mode without write bits,
    // which a guest cannot change), and its bytes were checked against the MAC written with
    // them just now, which only a holder of this user's secret can make; cache files are
    // replaced only by renaming a new file over them, never rewritten in place, so the
    // mapping wasmtime makes of this open file sees these bytes. wasmtime itself checks
    // that a compatible engine made the image.
    let loaded = unsafe { C::deserialize_checked(engine, file, &contents.bytes()[..payload_len]) };
    loaded.map_err(|_| Rejected::Incompatible)
}

/// Whether `bytes` is a payload followed by a trailer for `key` whose MAC matches it.
fn intact(bytes: &[u8], secret: &Secret, key: &Key) -> bool {
    let Some(split) = bytes.len().checked_sub(TRAILER_LEN) else {
        return false;
    };
    let (payload, trailer) = bytes.split_at(split);
    let (stored_key, rest) = trailer.split_at(KEY_LEN);
    let (stored_mac, rest) = rest.split_at(MAC_LEN);
    let (length, magic) = rest.split_at(8);
    let Ok(stored_mac) = <[u8; MAC_LEN]>::try_from(stored_mac) else {
        return false;
    };
    magic == MAGIC
        && stored_key == key
        && length == (payload.len() as u64).to_le_bytes()
        // blake3::Hash compares in constant time.
        && blake3::Hash::from_bytes(stored_mac) == mac(secret, payload, key)
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
    if !meta.is_file() || meta.uid() != me || meta.mode() & 0o222 != 0 {
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
    use wasmtime::Module;

    const KEY: Key = [7; KEY_LEN];

    fn secret() -> Secret {
        Secret::for_tests(9)
    }

    /// `payload` followed by its trailer for `key`, as `write` lays it out.
    fn stored(key: &Key, payload: &[u8]) -> Vec<u8> {
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(mac(&secret(), payload, key).as_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(MAGIC);
        bytes
    }

    #[test]
    fn an_intact_file_is_accepted() {
        assert!(intact(&stored(&KEY, b"payload bytes"), &secret(), &KEY));
        // An empty payload is still a well-formed file (wasmtime then refuses it).
        assert!(intact(&stored(&KEY, b""), &secret(), &KEY));
        assert_eq!(stored(&KEY, b"").len(), TRAILER_LEN);
    }

    #[test]
    fn a_file_shorter_than_a_trailer_is_rejected() {
        let whole = stored(&KEY, b"");
        for len in 0..whole.len() {
            assert!(!intact(&whole[..len], &secret(), &KEY), "{len} bytes");
        }
        assert!(!intact(&[], &secret(), &KEY));
    }

    #[test]
    fn a_truncated_or_extended_file_is_rejected() {
        let whole = stored(&KEY, &[0xAB; 300]);
        for cut in [1, 8, 16, 100, whole.len() - TRAILER_LEN] {
            assert!(
                !intact(&whole[cut..], &secret(), &KEY),
                "{cut} bytes cut from the front"
            );
            assert!(
                !intact(&whole[..whole.len() - cut], &secret(), &KEY),
                "{cut} bytes cut from the end"
            );
        }
        let mut longer = whole.clone();
        longer.push(0);
        assert!(!intact(&longer, &secret(), &KEY), "a byte after the magic");
        let mut prefixed = vec![0];
        prefixed.extend_from_slice(&whole);
        assert!(
            !intact(&prefixed, &secret(), &KEY),
            "a byte before the payload"
        );
    }

    #[test]
    fn every_flipped_bit_is_noticed() {
        let whole = stored(&KEY, b"\0asm\x01\0\0\0 some code");
        for index in 0..whole.len() {
            for bit in [0x01u8, 0x80] {
                let mut damaged = whole.clone();
                damaged[index] ^= bit;
                assert!(
                    !intact(&damaged, &secret(), &KEY),
                    "bit {bit:#x} of byte {index}"
                );
            }
        }
    }

    #[test]
    fn another_key_is_rejected() {
        let whole = stored(&KEY, b"code");
        let mut other = KEY;
        other[KEY_LEN - 1] ^= 1;
        assert!(!intact(&whole, &secret(), &other));
        assert!(!intact(&whole, &secret(), &[0; KEY_LEN]));
    }

    #[test]
    fn a_consistent_trailer_of_another_format_is_rejected() {
        let mut old_format = stored(&KEY, b"code");
        let magic_at = old_format.len() - MAGIC.len();
        old_format[magic_at..].copy_from_slice(b"RWCACHE1");
        assert!(!intact(&old_format, &secret(), &KEY));
    }

    #[test]
    fn a_length_that_disagrees_is_rejected() {
        // The MAC was made for the payload and its true length; only the recorded length is off.
        let mut bytes = stored(&KEY, b"code");
        let length_at = bytes.len() - MAGIC.len() - 8;
        bytes[length_at..length_at + 8].copy_from_slice(&5u64.to_le_bytes());
        assert!(!intact(&bytes, &secret(), &KEY));
        bytes[length_at..length_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(!intact(&bytes, &secret(), &KEY));
    }

    #[test]
    fn write_lays_out_the_documented_format() {
        let dir = TempDir::new();
        let path = dir.path().join("x.rwc");
        let mut file = File::create(&path).unwrap();
        write(&mut file, &secret(), &KEY, b"payload").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes, stored(&KEY, b"payload"));
        assert!(bytes.ends_with(b"RWCACHE3"));
        assert!(intact(&bytes, &secret(), &KEY));
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
        overwrite(&path, &[]);
        let mut file = File::create(&path).unwrap();
        write(&mut file, &secret(), key, &payload).unwrap();
        set_mode(&path, 0o400);
        path
    }

    /// Puts `bytes` in the file at `path` (the same file, rewritten in place), then makes it
    /// read-only again, as a forger able to change its mode would.
    fn overwrite(path: &Path, bytes: &[u8]) {
        if path.exists() {
            set_mode(path, 0o600);
        }
        std::fs::write(path, bytes).unwrap();
        set_mode(path, 0o400);
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
        let module = load::<Module>(&engine, &path, &secret(), &KEY).expect("loads");
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let f = instance.get_typed_func::<(), i32>(&mut store, "f").unwrap();
        assert_eq!(f.call(&mut store, ()).unwrap(), 7);
    }

    #[test]
    fn a_missing_file_is_missing() {
        let dir = TempDir::new();
        let result = load::<Module>(&engine(), &dir.path().join("absent.rwc"), &secret(), &KEY);
        assert!(matches!(result, Err(Rejected::Missing)), "{result:?}");
    }

    #[test]
    fn a_damaged_file_is_corrupt() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[100] ^= 0x10;
        overwrite(&path, &bytes);
        assert!(matches!(
            load::<Module>(&engine, &path, &secret(), &KEY),
            Err(Rejected::Corrupt)
        ));
        // And one read for another key is corrupt too, whatever it holds.
        let path = cache_file(&dir, &engine, &KEY);
        assert!(matches!(
            load::<Module>(&engine, &path, &secret(), &[1; KEY_LEN]),
            Err(Rejected::Corrupt)
        ));
        // An empty file.
        overwrite(&path, b"");
        assert!(matches!(
            load::<Module>(&engine, &path, &secret(), &KEY),
            Err(Rejected::Corrupt)
        ));
    }

    #[test]
    fn an_intact_file_wasmtime_refuses_is_incompatible() {
        let dir = TempDir::new();
        let path = dir.path().join("garbage.rwc");
        let mut file = File::create(&path).unwrap();
        write(
            &mut file,
            &secret(),
            &KEY,
            b"\x7fELF but not really an image",
        )
        .unwrap();
        set_mode(&path, 0o400);
        assert!(matches!(
            load::<Module>(&engine(), &path, &secret(), &KEY),
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
            load::<Module>(&engine(), &path, &secret(), &KEY),
            Err(Rejected::Incompatible)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_may_write_is_not_trusted() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        for mode in [0o620, 0o602, 0o666, 0o600, 0o200] {
            set_mode(&path, mode);
            assert!(
                matches!(
                    load::<Module>(&engine, &path, &secret(), &KEY),
                    Err(Rejected::NotTrusted)
                ),
                "{mode:o}"
            );
        }
        set_mode(&path, 0o400);
        assert!(
            load::<Module>(&engine, &path, &secret(), &KEY).is_ok(),
            "read-only for its owner is fine"
        );
        set_mode(&path, 0o444);
        assert!(
            load::<Module>(&engine, &path, &secret(), &KEY).is_ok(),
            "and readable by all"
        );
    }

    // --- forgery: whoever can write the file but does not hold the secret ---

    /// The file at `path`, with its machine code patched (a byte of the ELF image's text).
    fn patched_payload(path: &Path) -> Vec<u8> {
        let bytes = std::fs::read(path).unwrap();
        let mut payload = bytes[..bytes.len() - TRAILER_LEN].to_vec();
        let at = payload.len() / 2;
        payload[at] ^= 0xff;
        payload
    }

    #[test]
    fn a_patched_image_with_a_recomputed_checksum_is_refused() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        let payload = patched_payload(&path);
        // The former format's trailer, made consistent: key, XXH3-128, length, and either magic.
        for magic in [b"RWCACHE2", MAGIC] {
            let mut forged = payload.clone();
            forged.extend_from_slice(&KEY);
            forged.extend_from_slice(&xxhash_rust::xxh3::xxh3_128(&payload).to_le_bytes());
            forged.extend_from_slice(&(payload.len() as u64).to_le_bytes());
            forged.extend_from_slice(magic);
            overwrite(&path, &forged);
            assert!(matches!(
                load::<Module>(&engine, &path, &secret(), &KEY),
                Err(Rejected::Corrupt)
            ));
        }
        // An unkeyed BLAKE3 in the MAC's place, and a MAC made with another secret.
        for other in [None, Some(Secret::for_tests(10))] {
            let tag = match &other {
                None => *blake3::hash(&payload).as_bytes(),
                Some(other) => *mac(other, &payload, &KEY).as_bytes(),
            };
            let mut forged = payload.clone();
            forged.extend_from_slice(&KEY);
            forged.extend_from_slice(&tag);
            forged.extend_from_slice(&(payload.len() as u64).to_le_bytes());
            forged.extend_from_slice(MAGIC);
            overwrite(&path, &forged);
            assert!(matches!(
                load::<Module>(&engine, &path, &secret(), &KEY),
                Err(Rejected::Corrupt)
            ));
        }
    }

    #[test]
    fn a_trailer_copied_from_another_valid_file_is_refused() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        let valid = std::fs::read(&path).unwrap();
        let trailer = valid[valid.len() - TRAILER_LEN..].to_vec();
        // The patched image under the valid file's own trailer.
        let mut forged = patched_payload(&path);
        forged.extend_from_slice(&trailer);
        overwrite(&path, &forged);
        assert!(matches!(
            load::<Module>(&engine, &path, &secret(), &KEY),
            Err(Rejected::Corrupt)
        ));
        // Another key's valid file under this key's name, its trailer's key rewritten.
        let other_key = [8; KEY_LEN];
        let path = cache_file(&dir, &engine, &other_key);
        let mut moved = std::fs::read(&path).unwrap();
        let key_at = moved.len() - TRAILER_LEN;
        moved[key_at..key_at + KEY_LEN].copy_from_slice(&KEY);
        overwrite(&path, &moved);
        assert!(matches!(
            load::<Module>(&engine, &path, &secret(), &KEY),
            Err(Rejected::Corrupt)
        ));
    }

    #[test]
    fn a_valid_file_is_refused_under_another_secret() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        assert!(load::<Module>(&engine, &path, &secret(), &KEY).is_ok());
        assert!(matches!(
            load::<Module>(&engine, &path, &Secret::for_tests(10), &KEY),
            Err(Rejected::Corrupt)
        ));
    }

    #[test]
    fn the_mac_covers_every_chunk_of_a_large_payload() {
        let big = vec![0x5a; (3 << 20) + 17];
        let whole = stored(&KEY, &big);
        assert!(intact(&whole, &secret(), &KEY));
        for at in [0, 1 << 10, (2 << 20) + 5, big.len() - 1] {
            let mut damaged = whole.clone();
            damaged[at] ^= 1;
            assert!(!intact(&damaged, &secret(), &KEY), "byte {at}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_or_a_directory_is_not_trusted() {
        let dir = TempDir::new();
        let engine = engine();
        let path = cache_file(&dir, &engine, &KEY);
        let link = dir.symlink(&path, "link.rwc");
        assert!(matches!(
            load::<Module>(&engine, &link, &secret(), &KEY),
            Err(Rejected::NotTrusted)
        ));
        let sub = dir.dir("sub.rwc");
        assert!(matches!(
            load::<Module>(&engine, &sub, &secret(), &KEY),
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
            load::<Module>(&engine(), &fifo, &secret(), &KEY),
            Err(Rejected::NotTrusted)
        ));
    }
}
