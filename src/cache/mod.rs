//! Compiled-code cache. Compiling the same bytes for the same engine is a load, not a
//! compile: within a process (while a module made from those bytes is alive) from memory,
//! and across processes from a cache directory.
//!
//! The key is a BLAKE3 hash of the source and the engine's settings. A cache file (see
//! file.rs) is loaded only when it and its directory belong to this user, the directory is
//! writable by no one else and the file by no one at all, and its MAC, keyed by this user's
//! secret (see key.rs), matches; anything else is ignored and rebuilt. Without a usable secret
//! the disk tier is off: never unauthenticated. Files are written to a temporary name and
//! renamed, so readers never see a partial file.
//!
//! No guest may reach the cache directory or the secret's directory: `protected_dirs` names
//! them, and wasi/preopen.rs refuses a preopen that contains or lies inside either.

pub mod file;
pub mod key;
pub mod manage;
mod private_files;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};

use once_cell::sync::Lazy;
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

use crate::runtime::engine::EngineKind;
use file::Rejected;
use key::Secret;

/// Where the secret lives (read once: the environment decides it).
static KEY_DIR: Lazy<Option<PathBuf>> = Lazy::new(key::key_dir);

/// The secret, read or created on first use of the disk tier; an error turns the tier off.
static SECRET: Lazy<Result<Secret, key::Unusable>> = Lazy::new(|| match KEY_DIR.as_deref() {
    Some(dir) => key::load_or_create(dir),
    None => Err(key::Unusable::NoLocation),
});

fn secret() -> Option<&'static Secret> {
    SECRET.as_ref().ok()
}

/// What a preopen must not reach, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarded {
    /// The compiled-code cache directory (while caching to disk is on).
    CacheDir,
    /// The directory of the secret that authenticates cache files (always).
    KeyDir,
}

/// The directories no preopen may contain or lie inside: the cache directory while caching to
/// disk is on, and the secret's directory whether it is or not (the secret guards the caches
/// of every process of this user, so a guest that could read it, or plant one before it
/// exists, could forge compiled code for all of them).
pub fn protected_dirs() -> Vec<(Guarded, PathBuf)> {
    let mut dirs = Vec::with_capacity(2);
    if let Some(dir) = disk_dir() {
        dirs.push((Guarded::CacheDir, dir));
    }
    if let Some(dir) = KEY_DIR.clone() {
        dirs.push((Guarded::KeyDir, dir));
    }
    dirs
}

/// Where compiled code is cached; `None` when caching to disk is off.
static DISK_DIR: Lazy<RwLock<Option<PathBuf>>> = Lazy::new(|| RwLock::new(initial_dir()));

/// The environment variable that turns the disk cache off: `off`, `0`, `false` or `no`.
pub const OFF_ENV_VAR: &str = "RUNTIME_WASM_CACHE";

/// The directory the process starts with: none when `RUNTIME_WASM_CACHE` turns caching off.
fn initial_dir() -> Option<PathBuf> {
    let off = std::env::var(OFF_ENV_VAR).is_ok_and(|value| {
        matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "off" | "0" | "false" | "no"
        )
    });
    if off {
        None
    } else {
        default_dir()
    }
}

/// Compiled code alive in this process, by key.
type Alive<C> = Lazy<Mutex<HashMap<CacheKey, Weak<C>>>>;
static MODULES_ALIVE: Alive<Module> = Lazy::new(Default::default);
static COMPONENTS_ALIVE: Alive<Component> = Lazy::new(Default::default);

/// What the cache keeps: compiled core modules and compiled components.
pub trait Code: Sized + Send + Sync + 'static {
    fn serialize(&self) -> wasmtime::Result<Vec<u8>>;

    /// Loads the code of a checked cache file: `file`, whose serialized code is `payload`.
    ///
    /// # Safety
    /// The file's bytes must be what `serialize` wrote, unchanged (see `file::load`).
    unsafe fn deserialize_checked(
        engine: &Engine,
        file: std::fs::File,
        payload: &[u8],
    ) -> wasmtime::Result<Self>;

    fn alive() -> &'static Mutex<HashMap<CacheKey, Weak<Self>>>;
}

impl Code for Module {
    fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        Module::serialize(self)
    }

    unsafe fn deserialize_checked(
        engine: &Engine,
        file: std::fs::File,
        _payload: &[u8],
    ) -> wasmtime::Result<Self> {
        // SAFETY: the caller's promise, passed on: wasmtime maps the file, whose bytes are
        // the checked ones.
        unsafe { Module::deserialize_open_file(engine, file) }
    }

    fn alive() -> &'static Mutex<HashMap<CacheKey, Weak<Self>>> {
        &MODULES_ALIVE
    }
}

impl Code for Component {
    fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        Component::serialize(self)
    }

    unsafe fn deserialize_checked(
        engine: &Engine,
        _file: std::fs::File,
        payload: &[u8],
    ) -> wasmtime::Result<Self> {
        // SAFETY: the caller's promise, passed on: the payload is the checked bytes, copied
        // by wasmtime (components are loaded from memory, not mapped).
        unsafe { Component::deserialize(engine, payload) }
    }

    fn alive() -> &'static Mutex<HashMap<CacheKey, Weak<Self>>> {
        &COMPONENTS_ALIVE
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey(file::Key);

impl CacheKey {
    /// The source's hash, bound to the engine's code-generation settings and wasmtime's
    /// version, so a file made by another configuration never matches.
    pub fn new(engine: &Engine, kind: EngineKind, source: &[u8]) -> Self {
        let mut engine_settings = std::collections::hash_map::DefaultHasher::new();
        engine
            .precompile_compatibility_hash()
            .hash(&mut engine_settings);
        let mut digest = blake3::Hasher::new();
        digest.update(source);
        digest.update(&engine_settings.finish().to_le_bytes());
        digest.update(&[
            kind.metering as u8,
            kind.tier as u8,
            u8::from(kind.concurrent),
        ]);
        digest.update(env!("CARGO_PKG_VERSION").as_bytes());
        CacheKey(*digest.finalize().as_bytes())
    }

    fn file_name(&self) -> String {
        let hex: String = self.0.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}.rwc")
    }
}

/// Turns caching to disk on or off, or moves it.
pub fn configure(enabled: Option<bool>, dir: Option<PathBuf>) {
    let mut current = DISK_DIR.write().unwrap_or_else(|p| p.into_inner());
    match (enabled, dir) {
        (Some(false), _) => *current = None,
        (_, Some(dir)) => *current = Some(dir),
        (Some(true), None) => *current = current.clone().or_else(default_dir),
        (None, None) => {}
    }
}

pub fn disk_dir() -> Option<PathBuf> {
    DISK_DIR.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Where a compiled module came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A module made from the same bytes is alive in this process.
    Memory,
    /// Loaded from the cache directory.
    Disk,
    /// Compiled now (and written to the cache directory when there is one).
    Compiled,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Memory => "memory",
            Origin::Disk => "disk",
            Origin::Compiled => "compiled",
        }
    }
}

/// The code for `key` if it is alive in this process or in the cache directory.
pub fn lookup<C: Code>(engine: &Engine, key: &CacheKey) -> Option<(Arc<C>, Origin)> {
    if let Some(module) = from_memory(key) {
        return Some((module, Origin::Memory));
    }
    // The disk tier only with the secret that authenticates its files.
    let (dir, secret) = disk_dir().and_then(|dir| Some((dir, secret()?)))?;
    let module = Arc::new(load(engine, &dir, secret, key)?);
    remember(*key, &module);
    Some((module, Origin::Disk))
}

/// Where `insert` keeps a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// This process only (the cache directory already has it, or should not).
    Memory,
    /// This process, and the cache directory when caching to disk is on.
    MemoryAndDisk,
}

/// Keeps code just compiled for `key`, for later lookups.
pub fn insert<C: Code>(key: CacheKey, module: C, store_to: Store) -> Arc<C> {
    if store_to == Store::MemoryAndDisk {
        if let Some((dir, secret)) = disk_dir().and_then(|dir| Some((dir, secret()?))) {
            // A cache that cannot be written is only slower; the compile succeeded.
            if store(&dir, secret, &key, &module).is_ok() {
                manage::prune(&dir, manage::max_bytes());
            }
        }
    }
    let module = Arc::new(module);
    remember(key, &module);
    module
}

fn remember<C: Code>(key: CacheKey, module: &Arc<C>) {
    C::alive()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, Arc::downgrade(module));
}

fn from_memory<C: Code>(key: &CacheKey) -> Option<Arc<C>> {
    let mut modules = C::alive().lock().unwrap_or_else(|p| p.into_inner());
    modules.retain(|_, module| module.strong_count() > 0);
    modules.get(key).and_then(Weak::upgrade)
}

fn load<C: Code>(engine: &Engine, dir: &Path, secret: &Secret, key: &CacheKey) -> Option<C> {
    if !trusted_dir(dir) {
        return None;
    }
    let path = dir.join(key.file_name());
    match file::load(engine, &path, secret, &key.0) {
        Ok(module) => Some(module),
        Err(Rejected::Corrupt | Rejected::Incompatible) => {
            // Ours, but unusable: make room for the rebuilt one.
            let _ = std::fs::remove_file(&path);
            None
        }
        Err(Rejected::Missing | Rejected::NotTrusted) => None,
    }
}

fn store<C: Code>(dir: &Path, secret: &Secret, key: &CacheKey, module: &C) -> std::io::Result<()> {
    private_files::create_dir(dir)?;
    let payload = module.serialize().map_err(std::io::Error::other)?;
    let final_path = dir.join(key.file_name());
    let temp_path = dir.join(format!(
        "{}.{}.{:x}.tmp",
        key.file_name(),
        std::process::id(),
        rand_suffix()
    ));
    let written = (|| {
        let mut file = private_files::create_file(&temp_path, 0o400)?;
        file::write(&mut file, secret, &key.0, &payload)?;
        std::fs::rename(&temp_path, &final_path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp_path);
    }
    written
}

/// Writes a module's binary into the cache directory `dir` for a helper process to compile
/// (private to this user like the cache files; removed by the helper once read, or after an
/// hour by pruning). Returns its path.
pub fn stage_source(dir: &Path, binary: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    private_files::create_dir(dir)?;
    let path = dir.join(format!(
        "source.rwc.{}.{:x}.src.tmp",
        std::process::id(),
        rand_suffix()
    ));
    let written =
        private_files::create_file(&path, 0o600).and_then(|mut file| file.write_all(binary));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

fn rand_suffix() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    std::time::SystemTime::now().hash(&mut hasher);
    hasher.finish()
}

/// Owned by this user and not writable by anyone else (checked without following links).
#[cfg(unix)]
fn trusted_dir(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    std::fs::symlink_metadata(path)
        .map(|meta| !meta.file_type().is_symlink() && meta.uid() == me && meta.mode() & 0o022 == 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn trusted_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .map(|meta| !meta.file_type().is_symlink())
        .unwrap_or(false)
}

/// `RUNTIME_WASM_CACHE_DIR`, else the user's cache directory.
fn default_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RUNTIME_WASM_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let home = || std::env::var_os("HOME").map(PathBuf::from);
    let base = if cfg!(target_os = "macos") {
        home().map(|h| h.join("Library").join("Caches"))
    } else if cfg!(windows) {
        std::env::var_os("LOCALAPPDATA").map(PathBuf::from)
    } else {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home().map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("runtime-wasm"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::engine::{Metering, Tier};
    use crate::testing::TempDir;

    fn module(engine: &Engine) -> Module {
        Module::new(engine, "(module (func (export \"f\")))").expect("compiles")
    }

    fn secret() -> Secret {
        Secret::for_tests(3)
    }

    fn key(byte: u8) -> CacheKey {
        CacheKey([byte; 32])
    }

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn file_names_are_the_key_in_hex() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x01;
        let name = CacheKey(bytes).file_name();
        assert_eq!(name.len(), 64 + ".rwc".len());
        assert!(name.starts_with("ab00"), "{name}");
        assert!(name.ends_with("01.rwc"), "{name}");
    }

    #[test]
    fn keys_differ_by_source_engine_and_metering() {
        let engine = Engine::default();
        const PLAIN: EngineKind = EngineKind::optimized(Metering::Off);
        let a = CacheKey::new(&engine, PLAIN, b"(module)");
        assert!(a == CacheKey::new(&engine, PLAIN, b"(module)"));
        assert!(a != CacheKey::new(&engine, PLAIN, b"(module )"));
        assert!(a != CacheKey::new(&engine, EngineKind::optimized(Metering::Fuel), b"(module)"));
        let baseline = EngineKind {
            tier: Tier::Baseline,
            ..PLAIN
        };
        assert!(a != CacheKey::new(&engine, baseline, b"(module)"));
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let other = Engine::new(&config).unwrap();
        assert!(a != CacheKey::new(&other, PLAIN, b"(module)"));
    }

    #[test]
    fn a_stored_module_loads_back() {
        let dir = TempDir::new();
        let cache = dir.path().join("cache");
        let engine = Engine::default();
        store(&cache, &secret(), &key(1), &module(&engine)).unwrap();
        assert!(load::<Module>(&engine, &cache, &secret(), &key(1)).is_some());
        assert!(
            load::<Module>(&engine, &cache, &secret(), &key(2)).is_none(),
            "another key"
        );
        // Nothing but the file is left behind: no temporary files.
        let names: Vec<_> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(key(1).file_name())]);
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_directory_is_private() {
        use std::os::unix::fs::MetadataExt;
        let dir = TempDir::new();
        let cache = dir.path().join("new/cache");
        store(&cache, &secret(), &key(1), &module(&Engine::default())).unwrap();
        assert_eq!(std::fs::metadata(&cache).unwrap().mode() & 0o777, 0o700);
        let file = cache.join(key(1).file_name());
        assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o777, 0o400);
    }

    #[test]
    fn a_damaged_file_is_removed_to_be_rebuilt() {
        let dir = TempDir::new();
        let engine = Engine::default();
        store(dir.path(), &secret(), &key(3), &module(&engine)).unwrap();
        let file = dir.path().join(key(3).file_name());
        let mut bytes = std::fs::read(&file).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::remove_file(&file).unwrap();
        std::fs::write(&file, bytes).unwrap();
        #[cfg(unix)]
        set_mode(&file, 0o400);
        assert!(load::<Module>(&engine, dir.path(), &secret(), &key(3)).is_none());
        assert!(!file.exists(), "the damaged file is gone");
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_may_write_is_not_used() {
        let dir = TempDir::new();
        let engine = Engine::default();
        let cache = dir.dir("shared");
        store(&cache, &secret(), &key(4), &module(&engine)).unwrap();
        set_mode(&cache, 0o777);
        assert!(load::<Module>(&engine, &cache, &secret(), &key(4)).is_none());
        assert!(cache.join(key(4).file_name()).exists(), "and not touched");
        set_mode(&cache, 0o700);
        assert!(load::<Module>(&engine, &cache, &secret(), &key(4)).is_some());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_cache_directory_is_not_used() {
        let dir = TempDir::new();
        let engine = Engine::default();
        let real = dir.dir("real");
        store(&real, &secret(), &key(5), &module(&engine)).unwrap();
        let link = dir.symlink(&real, "link");
        assert!(load::<Module>(&engine, &link, &secret(), &key(5)).is_none());
    }
}
