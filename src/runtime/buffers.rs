//! Large byte buffers: copies of wasm memory, module sources and the like.
//!
//! Fresh memory is expensive where page faults are (a VM can take 30 to 150 ms to fault in
//! 64 MiB that a copy fills in 6 ms). So buffers of a few MB come from huge pages where the
//! system allows, and a large buffer that JS lets go of (a `memory.read` result the garbage
//! collector freed) is kept for a while and reused by the next large copy, instead of being
//! unmapped and faulted in again. At most `RECYCLED_MAX_BYTES` are kept, none for longer than
//! `RECYCLED_MAX_AGE`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Copies at least this large take a recycled buffer when one fits.
const RECYCLE_MIN: usize = 4 << 20;
const RECYCLED_MAX_BYTES: usize = 192 << 20;
const RECYCLED_MAX_AGE: Duration = Duration::from_secs(2);

/// Buffers given back, with when they were.
static RECYCLED: Mutex<Vec<(Vec<u8>, Instant)>> = Mutex::new(Vec::new());

/// A copy of `bytes`: in a recycled buffer when a large one fits, else in a fresh one.
pub fn copy_of(bytes: &[u8]) -> Vec<u8> {
    let mut copy = recycled(bytes.len()).unwrap_or_else(|| fresh_buffer(bytes.len()));
    copy.extend_from_slice(bytes);
    copy
}

/// Gives a buffer that is no longer used back for reuse (only large ones are kept).
pub fn recycle(mut buffer: Vec<u8>) {
    if buffer.capacity() < RECYCLE_MIN || buffer.capacity() > RECYCLED_MAX_BYTES {
        return;
    }
    buffer.clear();
    let mut kept = RECYCLED.lock().unwrap_or_else(|p| p.into_inner());
    forget_stale(&mut kept);
    kept.push((buffer, Instant::now()));
    // Over the cap, the oldest go first.
    while kept.iter().map(|(b, _)| b.capacity()).sum::<usize>() > RECYCLED_MAX_BYTES {
        kept.remove(0);
    }
}

/// An empty recycled buffer with room for `len` bytes and not much more.
fn recycled(len: usize) -> Option<Vec<u8>> {
    if len < RECYCLE_MIN {
        return None;
    }
    let mut kept = RECYCLED.lock().unwrap_or_else(|p| p.into_inner());
    forget_stale(&mut kept);
    let fits = |capacity: usize| capacity >= len && capacity - len <= len / 2 + HUGE_PAGE;
    let at = kept
        .iter()
        .rposition(|(buffer, _)| fits(buffer.capacity()))?;
    Some(kept.swap_remove(at).0)
}

fn forget_stale(kept: &mut Vec<(Vec<u8>, Instant)>) {
    kept.retain(|(_, since)| since.elapsed() < RECYCLED_MAX_AGE);
}

/// Fresh buffers of this size range are backed by huge pages where the system allows: a
/// module's source of a few MB then costs a few faults instead of hundreds, which cost more
/// than the copy. Beyond it, recycling does better: runs were seen here in which each fresh
/// huge page took milliseconds to fault in (a 64 MiB read: 150 ms instead of 6).
const HUGE_PAGE_SIZES: std::ops::Range<usize> = (2 << 20)..(16 << 20);

const HUGE_PAGE: usize = 2 << 20;

/// An empty buffer with room for `len` bytes. A large one is given one huge page of slack,
/// which is never touched, so that huge pages can cover all of the `len` bytes wherever the
/// allocation starts.
fn fresh_buffer(len: usize) -> Vec<u8> {
    if !HUGE_PAGE_SIZES.contains(&len) || !cfg!(target_os = "linux") {
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
