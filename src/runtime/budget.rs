//! The resource budget of one instance: `maxMemoryBytes` bounds the sum of all its linear
//! memories (a module may define or import several, and the GC heap is one too), and
//! `maxTableElements` the sum of all its tables. wasmtime's own `StoreLimits` bounds each
//! memory and table separately, so a module with 48 memories would get 48 times the budget.

use wasmtime::ResourceLimiter;

/// What an instance may hold, and what it holds.
#[derive(Debug, Default)]
pub struct Budget {
    max_memory_bytes: Option<usize>,
    max_table_elements: Option<usize>,
    memory_bytes: usize,
    table_elements: usize,
    /// The growth last allowed, taken back if the grow then fails.
    pending_memory: usize,
    pending_table: usize,
    /// Whether a memory growth was refused for the budget since `take_memory_refusal`.
    memory_refused: bool,
}

impl Budget {
    pub fn new(max_memory_bytes: Option<u64>, max_table_elements: Option<u64>) -> Self {
        let size = |limit: u64| usize::try_from(limit).unwrap_or(usize::MAX);
        Budget {
            max_memory_bytes: max_memory_bytes.map(size),
            max_table_elements: max_table_elements.map(size),
            ..Budget::default()
        }
    }

    /// The memory budget, if a growth was refused for it since the last time this was asked.
    pub fn take_memory_refusal(&mut self) -> Option<u64> {
        let refused = std::mem::take(&mut self.memory_refused);
        self.max_memory_bytes
            .filter(|_| refused)
            .map(|max| max as u64)
    }
}

/// Allows growing `used` by `desired - current` if the total stays within `limit`.
fn allow(
    used: &mut usize,
    pending: &mut usize,
    limit: Option<usize>,
    current: usize,
    desired: usize,
) -> bool {
    let growth = desired.saturating_sub(current);
    let total = used.saturating_add(growth);
    if limit.is_some_and(|limit| total > limit) {
        return false;
    }
    *used = total;
    *pending = growth;
    true
}

impl ResourceLimiter for Budget {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let limit = self.max_memory_bytes;
        let allowed = allow(
            &mut self.memory_bytes,
            &mut self.pending_memory,
            limit,
            current,
            desired,
        );
        self.memory_refused |= !allowed;
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory_bytes -= std::mem::take(&mut self.pending_memory);
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let limit = self.max_table_elements;
        Ok(allow(
            &mut self.table_elements,
            &mut self.pending_table,
            limit,
            current,
            desired,
        ))
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.table_elements -= std::mem::take(&mut self.pending_table);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    #[test]
    fn memories_share_one_budget() {
        let mut budget = Budget::new(Some(32 << 20), None);
        assert!(budget.memory_growing(0, 16 * MIB, None).unwrap());
        assert!(budget.memory_growing(0, 16 * MIB, None).unwrap());
        // A third memory, or growing either one, goes past the sum.
        assert!(!budget.memory_growing(0, 64 * 1024, None).unwrap());
        assert!(!budget.memory_growing(16 * MIB, 17 * MIB, None).unwrap());
    }

    #[test]
    fn a_refusal_is_told_once() {
        let mut budget = Budget::new(Some(1 << 20), None);
        assert_eq!(budget.take_memory_refusal(), None);
        assert!(!budget.memory_growing(0, 2 * MIB, None).unwrap());
        assert_eq!(budget.take_memory_refusal(), Some(1 << 20));
        assert_eq!(budget.take_memory_refusal(), None);
    }

    #[test]
    fn a_failed_grow_gives_its_share_back() {
        let mut budget = Budget::new(Some(2 << 20), None);
        assert!(budget.memory_growing(0, 2 * MIB, None).unwrap());
        budget
            .memory_grow_failed(wasmtime::Error::msg("no memory"))
            .unwrap();
        assert!(budget.memory_growing(0, 2 * MIB, None).unwrap());
    }

    #[test]
    fn tables_share_one_budget_and_unlimited_is_unlimited() {
        let mut budget = Budget::new(None, Some(100));
        assert!(budget.table_growing(0, 60, None).unwrap());
        assert!(!budget.table_growing(0, 41, None).unwrap());
        assert!(budget.table_growing(0, 40, None).unwrap());
        assert!(budget.memory_growing(0, usize::MAX / 2, None).unwrap());
    }
}
