//! Counters of what the harness saw, printed as it runs and as a summary at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

#[derive(Default)]
pub struct Stats {
    pub cases: u64,
    /// Outcome counters, e.g. "compile.ok", "call.err.5002".
    pub counts: BTreeMap<String, u64>,
    /// Distinct trap kinds seen.
    pub traps: BTreeSet<String>,
    /// Distinct valid modules compiled (by a cheap hash of their bytes).
    pub distinct_modules: BTreeSet<u64>,
    pub input_bytes: u64,
    pub largest_input: usize,
    pub findings: Vec<String>,
}

impl Stats {
    pub fn bump(&mut self, key: impl Into<String>) {
        *self.counts.entry(key.into()).or_default() += 1;
    }

    pub fn get(&self, key: &str) -> u64 {
        self.counts.get(key).copied().unwrap_or(0)
    }

    pub fn finding(&mut self, text: String) {
        eprintln!("FINDING: {text}");
        self.findings.push(text);
    }

    pub fn one_line(&self, seconds: f64) -> String {
        format!(
            "{:>8} cases {:>7.0} s {:>6.1}/s | modules ok {} distinct {} | inst ok {} | calls {} | traps {} kinds | findings {}",
            self.cases,
            seconds,
            self.cases as f64 / seconds.max(0.001),
            self.get("compile.ok"),
            self.distinct_modules.len(),
            self.get("instantiate.ok"),
            self.counts
                .iter()
                .filter(|(k, _)| k.starts_with("call."))
                .map(|(_, v)| v)
                .sum::<u64>(),
            self.traps.len(),
            self.findings.len(),
        )
    }

    pub fn summary(&self, seconds: f64, first_seed: u64) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "seeds {first_seed}..{}", first_seed + self.cases);
        let _ = writeln!(out, "{}", self.one_line(seconds));
        let _ = writeln!(
            out,
            "input bytes: {} total, {} largest",
            self.input_bytes, self.largest_input
        );
        for (key, value) in &self.counts {
            let _ = writeln!(out, "  {key:<40} {value}");
        }
        let _ = writeln!(out, "trap kinds ({}):", self.traps.len());
        for trap in &self.traps {
            let _ = writeln!(out, "  {trap}");
        }
        let _ = writeln!(out, "findings ({}):", self.findings.len());
        for finding in &self.findings {
            let _ = writeln!(out, "  {finding}");
        }
        out
    }
}

/// FNV-1a, to count distinct modules without keeping them.
pub fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}
