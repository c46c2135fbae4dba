//! Handles: opaque string ids for modules and instances, never reused within a process.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::error::{ErrorCode, WasmError, WasmResult};

pub struct Registry<T> {
    prefix: &'static str,
    missing: ErrorCode,
    next_id: AtomicU64,
    entries: RwLock<HashMap<u64, Arc<T>, BuildHasherDefault<IdHasher>>>,
}

/// Ids are numbers handed out in sequence by this process, never chosen by a caller, so the
/// map needs no keyed (DoS-resistant) hash: a multiply spreads them, at a fraction of the cost.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id;
    }
}

impl<T> Registry<T> {
    /// A registry whose ids read `prefix` and a number, and whose unknown ids fail with
    /// `missing`.
    pub fn new(prefix: &'static str, missing: ErrorCode) -> Self {
        Registry {
            prefix,
            missing,
            next_id: AtomicU64::new(1),
            entries: RwLock::new(HashMap::default()),
        }
    }

    /// Reserves the next id; `insert` stores the entry under it.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn format_id(&self, id: u64) -> String {
        format!("{}{id}", self.prefix)
    }

    pub fn insert(&self, id: u64, entry: Arc<T>) -> String {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, entry);
        self.format_id(id)
    }

    pub fn get(&self, handle: &str) -> WasmResult<Arc<T>> {
        let id = self.parse(handle)?;
        self.get_numbered(id)
    }

    /// The entry behind the number in an id ("instance:7" -> 7), for the hot call path.
    pub fn get_numbered(&self, id: u64) -> WasmResult<Arc<T>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&id)
            .cloned()
            .ok_or_else(|| self.unknown(&self.format_id(id)))
    }

    pub fn remove(&self, handle: &str) -> WasmResult<Arc<T>> {
        let id = self.parse(handle)?;
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        entries.remove(&id).ok_or_else(|| self.unknown(handle))
    }

    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn parse(&self, handle: &str) -> WasmResult<u64> {
        // Only the exact spelling handed out reaches an entry ("+7" or "07" do not).
        handle
            .strip_prefix(self.prefix)
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'))
            .and_then(|digits| digits.parse::<u64>().ok())
            .ok_or_else(|| self.unknown(handle))
    }

    fn unknown(&self, handle: &str) -> WasmError {
        let what = match self.missing {
            ErrorCode::InvalidModuleHandle => "module",
            _ => "instance",
        };
        let shown: String = handle.chars().take(80).collect();
        WasmError::new(
            self.missing,
            format!("unknown or dropped {what} id {shown:?}"),
        )
    }
}
