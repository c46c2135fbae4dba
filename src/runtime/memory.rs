//! Bounds-checked operations on an instance's linear memory. A range that does not fit is an
//! error before anything is copied, so a write is never partial.

use wasmtime::{AsContext, AsContextMut, Memory};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::buffers::copy_of;
use crate::runtime::exports::Exports;
use crate::runtime::store::HostState;

const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;

/// Validates an offset, length or page count given from JS.
pub fn to_index(what: &str, value: f64) -> WasmResult<u64> {
    if value.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&value) {
        return Ok(value as u64);
    }
    Err(memory_error(format!(
        "{what} must be a non-negative integer, got {value}"
    )))
}

pub fn exported_memory(exports: &Exports) -> WasmResult<Memory> {
    exports
        .memory
        .ok_or_else(|| memory_error("the instance exports no memory".to_string()))
}

pub fn read(
    store: impl AsContext<Data = HostState>,
    memory: Memory,
    offset: u64,
    length: u64,
) -> WasmResult<Vec<u8>> {
    let data = memory.data(store.as_context());
    let range = checked_range(data.len(), offset, length, "read")?;
    Ok(copy_of(&data[range]))
}

pub fn write(
    mut store: impl AsContextMut<Data = HostState>,
    memory: Memory,
    offset: u64,
    bytes: &[u8],
) -> WasmResult<()> {
    let data = memory.data_mut(&mut store);
    let range = checked_range(data.len(), offset, bytes.len() as u64, "write")?;
    data[range].copy_from_slice(bytes);
    Ok(())
}

pub fn size(store: impl AsContext<Data = HostState>, memory: Memory) -> u64 {
    memory.size(store)
}

/// Grows by `pages`; returns the previous size in pages.
pub fn grow(
    mut store: impl AsContextMut<Data = HostState>,
    memory: Memory,
    pages: u64,
) -> WasmResult<u64> {
    let current = memory.size(&store);
    let maximum = memory.ty(&store).maximum();
    memory.grow(&mut store, pages).map_err(|e| {
        let limit = match maximum {
            Some(max) => format!("maximum {max} pages"),
            None => "no declared maximum".to_string(),
        };
        memory_error(format!(
            "cannot grow memory by {pages} pages from {current} pages ({limit}): {e:#}"
        ))
    })
}

fn checked_range(
    len: usize,
    offset: u64,
    length: u64,
    op: &str,
) -> WasmResult<std::ops::Range<usize>> {
    match offset.checked_add(length) {
        Some(end) if end <= len as u64 => Ok(offset as usize..end as usize),
        _ => Err(memory_error(format!(
            "{op} of {length} bytes at offset {offset} is out of bounds: memory is {len} bytes"
        ))),
    }
}

fn memory_error(message: String) -> WasmError {
    WasmError::new(ErrorCode::MemoryError, message)
}
