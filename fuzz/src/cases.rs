//! Turns a seed into a test input: a wasm-smith module, raw bytes, a mutated module, or
//! WAT-like text. The same seed always gives the same input.

use arbitrary::{Arbitrary, Unstructured};
use wasm_smith::{Config, Module};

/// A small, fast, deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A valid module from wasm-smith (with the features wasmtime enables by default).
    Smith,
    /// A wasm-smith module whose loops and calls are bounded (`ensure_termination`).
    SmithTerminating,
    /// Random bytes, half of them behind a valid header.
    RawBytes,
    /// A wasm-smith module with bytes flipped, inserted, removed or cut off.
    Mutated,
    /// Random tokens of the text format.
    WatLike,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Smith => "smith",
            Kind::SmithTerminating => "smith-terminating",
            Kind::RawBytes => "raw-bytes",
            Kind::Mutated => "mutated",
            Kind::WatLike => "wat-like",
        }
    }
}

pub struct Case {
    pub kind: Kind,
    pub bytes: Vec<u8>,
}

pub fn generate(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let kind = match seed % 10 {
        0..=2 => Kind::SmithTerminating,
        3..=5 => Kind::Smith,
        6 => Kind::RawBytes,
        7 | 8 => Kind::Mutated,
        _ => Kind::WatLike,
    };
    let bytes = match kind {
        Kind::Smith => smith(&mut rng, false),
        Kind::SmithTerminating => smith(&mut rng, true),
        Kind::RawBytes => raw(&mut rng),
        Kind::Mutated => {
            let module = smith(&mut rng_fork(&mut rng), false);
            mutate(&mut rng, module)
        }
        Kind::WatLike => wat_like(&mut rng),
    };
    Case { kind, bytes }
}

fn rng_fork(rng: &mut Rng) -> Rng {
    Rng::new(rng.next())
}

fn smith(rng: &mut Rng, terminating: bool) -> Vec<u8> {
    let len = 64 + rng.below(16 << 10) as usize;
    let data = rng.bytes(len);
    let mut u = Unstructured::new(&data);
    let Ok(mut config) = Config::arbitrary(&mut u) else {
        return Vec::new();
    };
    // What wasmtime's default configuration accepts; the rest would only fail to compile.
    config.gc_enabled = false;
    config.exceptions_enabled = false;
    config.custom_page_sizes_enabled = false;
    config.shared_everything_threads_enabled = false;
    config.wide_arithmetic_enabled = false;
    config.compact_imports_enabled = false;
    config.export_everything = true;
    config.max_imports = config.max_imports.min(if rng.below(8) == 0 { 2 } else { 0 });
    config.max_funcs = config.max_funcs.min(64);
    config.max_instructions = config.max_instructions.min(2_000);
    config.max_memory32_bytes = config.max_memory32_bytes.min(1 << 32);
    config.max_memory64_bytes = config.max_memory64_bytes.min(1 << 34);
    config.max_table_elements = config.max_table_elements.min(100_000);
    config.min_funcs = config.min_funcs.max(1).min(config.max_funcs);
    config.min_exports = config.min_exports.min(config.max_exports);
    let Ok(mut module) = Module::new(config, &mut u) else {
        return Vec::new();
    };
    if terminating {
        let _ = module.ensure_termination(10_000);
    }
    module.to_bytes()
}

fn raw(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(512) as usize;
    let mut bytes = Vec::with_capacity(len + 8);
    if rng.below(2) == 0 {
        bytes.extend_from_slice(b"\0asm\x01\0\0\0");
    }
    bytes.extend(rng.bytes(len));
    bytes
}

fn mutate(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    let edits = 1 + rng.below(8);
    for _ in 0..edits {
        if bytes.is_empty() {
            bytes.extend_from_slice(b"\0asm\x01\0\0\0");
        }
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(6) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = rng.next() as u8,
            2 => bytes.insert(at, rng.next() as u8),
            3 => {
                bytes.remove(at);
            }
            4 => bytes.truncate(at.max(8)),
            _ => {
                // A LEB128 length or count blown up to the maximum.
                bytes[at] = 0xff;
                bytes.insert(at + 1, 0xff);
                bytes.insert(at + 2, 0xff);
                bytes.insert(at + 3, 0x0f);
            }
        }
    }
    bytes
}

const WAT_TOKENS: &[&str] = &[
    "(", "(", "(", ")", ")", ")", "module", "func", "export", "\"f\"", "\"memory\"", "param",
    "result", "i32", "i64", "f32", "f64", "v128", "funcref", "externref", "local", "local.get",
    "local.set", "0", "1", "-1", "0xffffffff", "4294967296", "1e309", "nan:0x1", "i32.const",
    "i64.const", "f64.const", "i32.add", "i32.div_s", "i32.load", "i32.store", "memory.grow",
    "block", "loop", "if", "then", "else", "end", "br", "br_if", "br_table", "return", "call",
    "call_indirect", "unreachable", "nop", "drop", "select", "memory", "data", "\"\\ff\\00\"",
    "table", "elem", "global", "mut", "start", "import", "\"env\"", "type", "$x", "$y", ";;",
    "(;", ";)", "\n", "offset", "align=3", "memory64", "i64.load", "65536", "0x10000",
];

fn wat_like(rng: &mut Rng) -> Vec<u8> {
    let count = rng.below(200) as usize;
    let mut text = String::from("(module ");
    for _ in 0..count {
        let token = WAT_TOKENS[rng.below(WAT_TOKENS.len() as u64) as usize];
        text.push_str(token);
        text.push(' ');
    }
    if rng.below(2) == 0 {
        text.push(')');
    }
    text.into_bytes()
}
