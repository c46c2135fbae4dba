//! Large byte buffers: copies of wasm memory, module sources and the like.

/// A copy of `bytes` in a fresh buffer.
pub fn copy_of(bytes: &[u8]) -> Vec<u8> {
    let mut copy = fresh_buffer(bytes.len());
    copy.extend_from_slice(bytes);
    copy
}

/// Copies this large or larger go into memory backed by huge pages where the system allows:
/// a fresh 64 MiB buffer otherwise takes 16,384 page faults, which cost more than the copy.
const HUGE_PAGE_THRESHOLD: usize = 2 << 20;

const HUGE_PAGE: usize = 2 << 20;

/// An empty buffer with room for `len` bytes. A large one is given one huge page of slack,
/// which is never touched, so that huge pages can cover all of the `len` bytes wherever the
/// allocation starts.
fn fresh_buffer(len: usize) -> Vec<u8> {
    if len < HUGE_PAGE_THRESHOLD || !cfg!(target_os = "linux") {
        return Vec::with_capacity(len);
    }
    let buffer = Vec::with_capacity(len.saturating_add(HUGE_PAGE));
    #[cfg(target_os = "linux")]
    advise_huge_pages(buffer.as_ptr(), buffer.capacity());
    buffer
}

/// Asks for transparent huge pages over the 2 MiB-aligned part of a fresh allocation. Only
/// advice: where huge pages are off, nothing changes.
#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *const u8, len: usize) {
    let first = (start as usize).next_multiple_of(HUGE_PAGE);
    let end = (start as usize + len) & !(HUGE_PAGE - 1);
    if end > first {
        // SAFETY: the range lies inside an allocation this function's caller owns, and
        // MADV_HUGEPAGE changes no contents.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}
