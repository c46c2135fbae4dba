//! Compile budgets: what a module must fit before it is compiled (its size, how many functions
//! it defines, its largest function body) and how long compiling it may take.
//!
//! Each bound in force is the lowest of the call's `limits`, the process-wide setting
//! (`configure({ compileLimits })`, and `configure({ maxModuleBytes })` for the size) and the
//! capability manifest's ceiling. Only the size has a default (512 MiB): without a budget, a
//! module compiles as it always did, in this process, however long it takes. A time budget
//! moves the compile into a helper process that can be stopped (`compile_helper`).

use std::sync::Mutex;
use std::time::Duration;

use wasmparser::{Parser, Payload};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::sandbox::{self, Ceilings};

/// The budget one compile asks for, or the process-wide one (`None`: not bounded here).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompileLimits {
    pub max_bytes: Option<u64>,
    pub max_functions: Option<u64>,
    pub max_function_bytes: Option<u64>,
    pub timeout_ms: Option<u64>,
}

/// The largest module source accepted unless `configure({ maxModuleBytes })` says otherwise:
/// 512 MiB, five times the largest real module we know of (CPython for WASI, about 99 MB).
pub const DEFAULT_MAX_MODULE_BYTES: u64 = 512 << 20;

static CONFIGURED: Mutex<CompileLimits> = Mutex::new(CompileLimits {
    max_bytes: Some(DEFAULT_MAX_MODULE_BYTES),
    max_functions: None,
    max_function_bytes: None,
    timeout_ms: None,
});

fn configured() -> std::sync::MutexGuard<'static, CompileLimits> {
    CONFIGURED.lock().unwrap_or_else(|p| p.into_inner())
}

/// `configure({ maxModuleBytes })`: the largest module source accepted from now on.
pub fn set_max_module_bytes(bytes: u64) {
    configured().max_bytes = Some(bytes);
}

/// `configure({ compileLimits })`: the process-wide budget for every later compile (the size
/// stays `maxModuleBytes`'s).
pub fn configure(limits: CompileLimits) {
    let mut configured = configured();
    *configured = CompileLimits {
        max_bytes: configured.max_bytes,
        ..limits
    };
}

/// One of the budget's bounds, and the names it goes by where it can be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knob {
    Bytes,
    Functions,
    FunctionBytes,
    Time,
}

impl Knob {
    /// The name in `limits` and in `err.limit`.
    pub fn option(self) -> &'static str {
        match self {
            Knob::Bytes => "maxBytes",
            Knob::Functions => "maxFunctions",
            Knob::FunctionBytes => "maxFunctionBytes",
            Knob::Time => "timeoutMs",
        }
    }

    fn configure_option(self) -> String {
        match self {
            Knob::Bytes => "configure({ maxModuleBytes })".into(),
            other => format!("configure({{ compileLimits: {{ {} }} }})", other.option()),
        }
    }

    fn manifest_key(self) -> &'static str {
        match self {
            Knob::Bytes => "max_module_size",
            Knob::Functions => "max_functions",
            Knob::FunctionBytes => "max_function_size",
            Knob::Time => "max_compile_time_ms",
        }
    }

    fn of(self, limits: &CompileLimits) -> Option<u64> {
        match self {
            Knob::Bytes => limits.max_bytes,
            Knob::Functions => limits.max_functions,
            Knob::FunctionBytes => limits.max_function_bytes,
            Knob::Time => limits.timeout_ms,
        }
    }

    fn ceiling(self, ceilings: &Ceilings) -> Option<u64> {
        match self {
            Knob::Bytes => ceilings.max_module_size,
            Knob::Functions => ceilings.max_functions,
            Knob::FunctionBytes => ceilings.max_function_size,
            Knob::Time => ceilings.max_compile_time_ms,
        }
    }
}

/// Where a bound in force was set: its error says how to change it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SetBy {
    Configure,
    Manifest(String),
    Call,
}

/// A bound in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    pub knob: Knob,
    pub value: u64,
    set_by: SetBy,
}

impl Bound {
    /// Where the bound comes from, in words.
    pub fn how_to_raise(&self) -> String {
        match &self.set_by {
            SetBy::Configure => format!("raise it with {}", self.knob.configure_option()),
            SetBy::Manifest(file) => format!(
                "the capability manifest {file} sets it with `{}` in [capabilities.wasm]",
                self.knob.manifest_key()
            ),
            SetBy::Call => format!("set by the compile's limits.{}", self.knob.option()),
        }
    }

    /// A refusal for going past this bound: `what` says what went past it.
    pub fn exceeded(&self, code: ErrorCode, what: &str) -> WasmError {
        let mut error = WasmError::new(
            code,
            format!(
                "{what}: the compile budget's {} is {} ({})",
                self.knob.option(),
                self.value,
                self.how_to_raise()
            ),
        );
        error.details.limit = Some(self.knob.option());
        error
    }
}

/// The budget a compile runs under: every bound in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    pub bytes: Bound,
    pub functions: Option<Bound>,
    pub function_bytes: Option<Bound>,
    pub time: Option<Bound>,
}

impl Budget {
    /// The budget for a compile that asked for `call`.
    pub fn in_force(call: &CompileLimits) -> Budget {
        let configured = *configured();
        // A closed policy fails the operations it gates; compiling bytes is not one of them.
        let manifest = match sandbox::policy() {
            Ok(policy) => match policy.as_ref() {
                sandbox::Policy::Manifest(manifest) => {
                    Some((manifest.ceilings, manifest.file.display().to_string()))
                }
                sandbox::Policy::Permissive => None,
            },
            Err(_) => None,
        };
        let bound = |knob: Knob| {
            let candidates = [
                knob.of(&configured).map(|value| (value, SetBy::Configure)),
                manifest.as_ref().and_then(|(ceilings, file)| {
                    knob.ceiling(ceilings)
                        .map(|value| (value, SetBy::Manifest(file.clone())))
                }),
                knob.of(call).map(|value| (value, SetBy::Call)),
            ];
            // The lowest wins; on a tie, the first named (the wider setting) is the one to cite.
            candidates
                .into_iter()
                .flatten()
                .reduce(|lowest, next| if next.0 < lowest.0 { next } else { lowest })
                .map(|(value, set_by)| Bound {
                    knob,
                    value,
                    set_by,
                })
        };
        Budget {
            bytes: bound(Knob::Bytes).unwrap_or(Bound {
                knob: Knob::Bytes,
                value: DEFAULT_MAX_MODULE_BYTES,
                set_by: SetBy::Configure,
            }),
            functions: bound(Knob::Functions),
            function_bytes: bound(Knob::FunctionBytes),
            time: bound(Knob::Time),
        }
    }

    /// A source of `size` bytes (or, with `None`, of more than the limit: reading stopped
    /// there) is too large; `what` names it.
    pub fn too_large(&self, code: ErrorCode, what: &str, size: Option<u64>) -> WasmError {
        let size = match size {
            Some(size) => format!("{size} bytes"),
            None => format!("more than {} bytes", self.bytes.value),
        };
        let bytes = &self.bytes;
        let mut error = WasmError::new(
            code,
            format!(
                "{what} is too large: {size}, over the module size limit of {} bytes ({})",
                bytes.value,
                bytes.how_to_raise()
            ),
        );
        error.details.limit = Some(Knob::Bytes.option());
        error
    }

    /// How long compiling may take, if a time budget is in force.
    pub fn time_limit(&self) -> Option<(Duration, &Bound)> {
        self.time
            .as_ref()
            .map(|bound| (Duration::from_millis(bound.value), bound))
    }

    /// Checks a binary's functions against the budget before anything is compiled. Reading
    /// the sections costs little next to compiling them, and only happens under such a budget.
    /// A binary too malformed to read is left to the compiler, which says what is wrong.
    pub fn check_functions(&self, binary: &[u8]) -> WasmResult<()> {
        if self.functions.is_none() && self.function_bytes.is_none() {
            return Ok(());
        }
        let mut functions: u64 = 0;
        // Nested modules (in a component) are read too: their functions are compiled alike.
        for payload in Parser::new(0).parse_all(binary) {
            match payload {
                Ok(Payload::CodeSectionStart { count, .. }) => {
                    functions += u64::from(count);
                    if let Some(bound) = self.functions.as_ref().filter(|b| functions > b.value) {
                        return Err(bound.exceeded(
                            ErrorCode::CompileError,
                            &format!("the module defines {functions} functions"),
                        ));
                    }
                }
                Ok(Payload::CodeSectionEntry(body)) => {
                    let size = body.range().len() as u64;
                    if let Some(bound) = self.function_bytes.as_ref().filter(|b| size > b.value) {
                        return Err(bound.exceeded(
                            ErrorCode::CompileError,
                            &format!(
                                "a function body at offset {} is {size} bytes",
                                body.range().start
                            ),
                        ));
                    }
                }
                Ok(_) => {}
                Err(_) => return Ok(()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(call: CompileLimits) -> Budget {
        Budget::in_force(&call)
    }

    fn module(functions: usize, body_instructions: usize) -> Vec<u8> {
        let body = "(drop (i32.const 1))".repeat(body_instructions);
        let funcs = format!("(func {body})").repeat(functions);
        wat::parse_str(format!("(module {funcs})")).expect("valid WAT")
    }

    #[test]
    fn without_a_budget_nothing_is_read_or_refused() {
        let budget = budget(CompileLimits::default());
        assert_eq!(budget.functions, None);
        assert_eq!(budget.time, None);
        assert!(budget.check_functions(&module(50, 1)).is_ok());
        // Not even a binary: nothing to read without a function budget.
        assert!(budget.check_functions(b"(module)").is_ok());
    }

    #[test]
    fn the_function_count_is_checked() {
        let budget = budget(CompileLimits {
            max_functions: Some(10),
            ..CompileLimits::default()
        });
        assert!(budget.check_functions(&module(10, 1)).is_ok());
        let error = budget.check_functions(&module(11, 1)).unwrap_err();
        assert_eq!(error.code, ErrorCode::CompileError);
        assert_eq!(error.details.limit, Some("maxFunctions"));
        assert!(
            error.message.contains("defines 11 functions"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("maxFunctions is 10"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("limits.maxFunctions"),
            "{}",
            error.message
        );
    }

    #[test]
    fn the_largest_function_body_is_checked() {
        let budget = budget(CompileLimits {
            max_function_bytes: Some(100),
            ..CompileLimits::default()
        });
        assert!(budget.check_functions(&module(3, 10)).is_ok());
        let error = budget.check_functions(&module(3, 100)).unwrap_err();
        assert_eq!(error.details.limit, Some("maxFunctionBytes"));
        assert!(
            error.message.contains("maxFunctionBytes is 100"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_count_that_lies_is_refused_before_the_bodies_are_read() {
        // Function and code sections claiming 2^32 - 1 functions and holding none.
        let count = [0xff, 0xff, 0xff, 0xff, 0x0f];
        let mut binary = b"\0asm\x01\0\0\0".to_vec();
        binary.extend([1, 4, 1, 0x60, 0, 0, 3, 5]);
        binary.extend(count);
        binary.extend([10, 5]);
        binary.extend(count);
        let budget = budget(CompileLimits {
            max_functions: Some(1000),
            ..CompileLimits::default()
        });
        let error = budget.check_functions(&binary).unwrap_err();
        assert!(
            error.message.contains("defines 4294967295 functions"),
            "{}",
            error.message
        );
    }

    #[test]
    fn malformed_binaries_are_left_to_the_compiler() {
        let budget = budget(CompileLimits {
            max_functions: Some(1),
            max_function_bytes: Some(1),
            ..CompileLimits::default()
        });
        assert!(budget.check_functions(b"\0asm\x01\0\0\0\x0a\xff").is_ok());
    }

    #[test]
    fn the_lowest_bound_wins_and_the_call_is_named() {
        let budget = budget(CompileLimits {
            max_bytes: Some(1000),
            timeout_ms: Some(250),
            ..CompileLimits::default()
        });
        assert_eq!(budget.bytes.value, 1000);
        assert_eq!(budget.bytes.set_by, SetBy::Call);
        let (limit, bound) = budget.time_limit().expect("a time budget");
        assert_eq!(limit, Duration::from_millis(250));
        assert!(bound.how_to_raise().contains("limits.timeoutMs"));
        let error = budget.too_large(ErrorCode::CompileError, "the module source", Some(2000));
        assert!(
            error.message.contains("limit of 1000 bytes"),
            "{}",
            error.message
        );
        assert_eq!(error.details.limit, Some("maxBytes"));
        // A call asking for more than the process allows gets the process's bound.
        let wide = Budget::in_force(&CompileLimits {
            max_bytes: Some(u64::MAX),
            ..CompileLimits::default()
        });
        assert_eq!(wide.bytes.value, DEFAULT_MAX_MODULE_BYTES);
        assert!(wide.bytes.how_to_raise().contains("maxModuleBytes"));
    }
}
