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
    /// The last growth refused for the budget since `take_refusal`.
    refused: Option<Refusal>,
}

/// A growth the budget refused: of which kind, what the instance would have held, and the
/// budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub what: Held,
    /// Bytes of memory, or elements of tables, that all of them would have held together.
    pub wanted: u64,
    pub limit: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    Memory,
    Tables,
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

    /// The last growth refused for the budget since the last time this was asked.
    pub fn take_refusal(&mut self) -> Option<Refusal> {
        self.refused.take()
    }
}

/// Allows growing `used` by `desired - current` if the total stays within `limit`; else the
/// refusal.
fn allow(
    used: &mut usize,
    pending: &mut usize,
    limit: Option<usize>,
    current: usize,
    desired: usize,
    what: Held,
) -> Result<(), Refusal> {
    let growth = desired.saturating_sub(current);
    let total = used.saturating_add(growth);
    if let Some(limit) = limit.filter(|&limit| total > limit) {
        return Err(Refusal {
            what,
            wanted: total as u64,
            limit: limit as u64,
        });
    }
    *used = total;
    *pending = growth;
    Ok(())
}

impl Budget {
    /// Keeps a refusal for the error of the entry it happened in.
    fn note(&mut self, allowed: Result<(), Refusal>) -> bool {
        match allowed {
            Ok(()) => true,
            Err(refusal) => {
                self.refused = Some(refusal);
                false
            }
        }
    }
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
            Held::Memory,
        );
        Ok(self.note(allowed))
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
        let allowed = allow(
            &mut self.table_elements,
            &mut self.pending_table,
            limit,
            current,
            desired,
            Held::Tables,
        );
        Ok(self.note(allowed))
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
    fn a_refusal_is_told_once_with_what_was_wanted() {
        let mut budget = Budget::new(Some(1 << 20), Some(10));
        assert_eq!(budget.take_refusal(), None);
        assert!(!budget.memory_growing(0, 2 * MIB, None).unwrap());
        let refusal = Refusal {
            what: Held::Memory,
            wanted: 2 << 20,
            limit: 1 << 20,
        };
        assert_eq!(budget.take_refusal(), Some(refusal));
        assert_eq!(budget.take_refusal(), None);
        assert!(!budget.table_growing(0, 11, None).unwrap());
        let refusal = Refusal {
            what: Held::Tables,
            wanted: 11,
            limit: 10,
        };
        assert_eq!(budget.take_refusal(), Some(refusal));
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
