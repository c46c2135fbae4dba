//! Error codes 5000..5011, `WasmError`, and its encoding for JavaScript.
//!
//! A `WasmError` crosses into JavaScript (src/api/error_encoding.rs) as a napi error whose
//! message is `ENCODED_PREFIX` followed by a JSON object (`code`, `name`, `message` and any
//! details). `lib/errors.js` turns that back into a `WasmError` instance; nothing else parses
//! it. Failures of guest code are classified in one place, `runtime::call::classify`.

use serde::Serialize;
use wasmtime::{GcHeapOutOfMemory, ThrownException, Trap, WasmBacktrace, WasmCoreDump};

/// The stable numeric error codes of the public API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    CompileError = 5000,
    InstantiateError = 5001,
    CallError = 5002,
    ExportNotFound = 5003,
    InvalidModuleHandle = 5004,
    InvalidInstanceHandle = 5005,
    MemoryError = 5006,
    TypeError = 5007,
    IoError = 5008,
    PermissionDenied = 5009,
    WasiError = 5010,
    FuelExhausted = 5011,
}

impl ErrorCode {
    /// Every code, in numeric order (`api::constants` hands them to JS from here).
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::CompileError,
        ErrorCode::InstantiateError,
        ErrorCode::CallError,
        ErrorCode::ExportNotFound,
        ErrorCode::InvalidModuleHandle,
        ErrorCode::InvalidInstanceHandle,
        ErrorCode::MemoryError,
        ErrorCode::TypeError,
        ErrorCode::IoError,
        ErrorCode::PermissionDenied,
        ErrorCode::WasiError,
        ErrorCode::FuelExhausted,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::CompileError => "CompileError",
            ErrorCode::InstantiateError => "InstantiateError",
            ErrorCode::CallError => "CallError",
            ErrorCode::ExportNotFound => "ExportNotFound",
            ErrorCode::InvalidModuleHandle => "InvalidModuleHandle",
            ErrorCode::InvalidInstanceHandle => "InvalidInstanceHandle",
            ErrorCode::MemoryError => "MemoryError",
            ErrorCode::TypeError => "TypeError",
            ErrorCode::IoError => "IoError",
            ErrorCode::PermissionDenied => "PermissionDenied",
            ErrorCode::WasiError => "WasiError",
            ErrorCode::FuelExhausted => "FuelExhausted",
        }
    }
}

/// Machine-readable facts attached to an error, beside its message.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    /// A WASI program's non-zero exit status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The kind of trap, e.g. "integer divide by zero".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trap: Option<String>,
    /// The file or directory the error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Which limit stopped a call: "fuel" or "timeout".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel_consumed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<f64>,
    /// The call was stopped by its AbortSignal (shown to JS as an AbortError).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted: Option<bool>,
    /// The value a host function threw is kept in JS under this token (it becomes `cause`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_error: Option<f64>,
    /// The capability manifest a 5009 is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// The line of the manifest a broken-manifest 5009 points at (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The core dump file a trap was written to (`coredumpOnTrap`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coredump: Option<String>,
    /// A trap's wasm backtrace, innermost frame first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames: Option<Vec<Frame>>,
    /// The compile budget's bound a refused compile went past, e.g. "maxFunctions".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<&'static str>,
    /// The manifest key a broken-manifest 5009 is about, e.g. "capabilities.wasm.load".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// One frame of a wasm backtrace: where in which module, and, when the module carries DWARF
/// debug info, the source file, line and column.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Frame {
    /// The module's name (its name section's, or the `$name` of WAT text), if it has one.
    pub module: Option<String>,
    pub func_index: u32,
    /// The function's name: from the debug info, else the name section.
    pub func_name: Option<String>,
    /// The instruction's offset in the module's binary.
    pub module_offset: Option<usize>,
    /// The instruction's offset from the start of its function's body.
    pub func_offset: Option<usize>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// Most frames a backtrace keeps (wasmtime's `wasm_backtrace_max_frames`, set in engine.rs).
pub const MAX_FRAMES: usize = 64;

/// A backtrace as text, one frame a line (with its source line under it when known), in
/// wasmtime's layout. Names are shown as they are: wasmtime's own text would take a short
/// name such as `a` for a mangled C++ one and print `bool`.
fn describe_frames(frames: &[Frame]) -> String {
    let mut text = String::from("error while executing at wasm backtrace:");
    for (index, frame) in frames.iter().enumerate() {
        let offset = frame
            .module_offset
            .map(|offset| format!("{offset:#x} - "))
            .unwrap_or_default();
        let name = match &frame.func_name {
            Some(name) => name.clone(),
            None => format!("<wasm function {}>", frame.func_index),
        };
        let module = frame.module.as_deref().unwrap_or("<unknown>");
        text.push_str(&format!("\n  {index:>4}: {offset:>10}{module}!{name}"));
        if let (Some(file), Some(line)) = (&frame.file, frame.line) {
            let column = frame.column.map(|c| format!(":{c}")).unwrap_or_default();
            text.push_str(&format!("\n                    at {file}:{line}{column}"));
        }
    }
    if frames.len() >= MAX_FRAMES {
        text.push_str(&format!(
            "\n  (the backtrace stops at {MAX_FRAMES} frames; the stack was deeper)"
        ));
    }
    text
}

impl Frame {
    fn of(frame: &wasmtime::FrameInfo) -> Frame {
        // With inlining, the first symbol is the innermost source location.
        let symbol = frame.symbols().first();
        Frame {
            module: frame.module().name().map(str::to_string),
            func_index: frame.func_index(),
            func_name: symbol
                .and_then(|s| s.name())
                .or(frame.func_name())
                .map(str::to_string),
            module_offset: frame.module_offset(),
            func_offset: frame.func_offset(),
            file: symbol.and_then(|s| s.file()).map(str::to_string),
            line: symbol.and_then(|s| s.line()),
            column: symbol.and_then(|s| s.column()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct WasmError {
    pub code: ErrorCode,
    pub message: String,
    pub details: ErrorDetails,
}

pub type WasmResult<T> = Result<T, WasmError>;

pub const ENCODED_PREFIX: &str = "runtime-wasm-error:";

impl WasmError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        WasmError {
            code,
            message: message.into(),
            details: ErrorDetails::default(),
        }
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.details.path = Some(path.into());
        self
    }

    /// Adds `(note)` at the end of the message's first line, where what happened is said (a
    /// backtrace may follow it).
    pub fn note_on_first_line(&mut self, note: &str) {
        self.message = match self.message.split_once('\n') {
            Some((first, rest)) => format!("{first} ({note})\n{rest}"),
            None => format!("{} ({note})", self.message),
        };
    }

    pub fn with_manifest(mut self, manifest: impl Into<String>) -> Self {
        self.details.manifest = Some(manifest.into());
        self
    }

    /// A failed wasm call (or start function): a trap, a WASI exit or a host error.
    pub fn from_wasm_failure(code: ErrorCode, context: &str, err: wasmtime::Error) -> Self {
        if let Some(exit) = err.downcast_ref::<wasmtime_wasi::I32Exit>() {
            let mut error = WasmError::new(
                code,
                format!("{context}: the program exited with status {}", exit.0),
            );
            error.details.exit_code = Some(exit.0);
            return error;
        }
        let frames = err
            .downcast_ref::<WasmBacktrace>()
            .map(|bt| bt.frames().iter().map(Frame::of).collect::<Vec<_>>());
        let backtrace_text = err.downcast_ref::<WasmBacktrace>().map(|bt| bt.to_string());
        let backtrace = frames
            .as_deref()
            .filter(|frames| !frames.is_empty())
            .map(|frames| format!("\n{}", describe_frames(frames)))
            .unwrap_or_default();
        // The first line says what happened; the wasm backtrace follows, once.
        let (what, trap) = if let Some(Trap::CannotEnterComponent) = err.downcast_ref::<Trap>() {
            (
                "the component instance cannot be entered: an earlier call on it trapped or was \
                 stopped (a deadline, an abort, fuel), after which the component model forbids \
                 calling it again; instantiate it anew"
                    .to_string(),
                Some("cannot enter component instance".to_string()),
            )
        } else if let Some(trap) = err.downcast_ref::<Trap>() {
            let kind = trap.to_string();
            let kind = kind
                .strip_prefix("wasm trap: ")
                .unwrap_or(&kind)
                .to_string();
            (format!("wasm trap: {kind}"), Some(kind))
        } else if err.downcast_ref::<ThrownException>().is_some() {
            let kind = "uncaught exception".to_string();
            (
                "an exception thrown in wasm was not caught".to_string(),
                Some(kind),
            )
        } else if let Some(oom) = err.downcast_ref::<GcHeapOutOfMemory<()>>() {
            (oom.to_string(), Some("GC heap out of memory".to_string()))
        } else {
            // The whole chain of what went wrong, without the backtrace layer (it follows) and
            // the core dump a trap carries (written to a file only when asked).
            let dump_text = err.downcast_ref::<WasmCoreDump>().map(|d| d.to_string());
            let chain: Vec<String> = err
                .chain()
                .map(|cause| cause.to_string())
                .filter(|cause| Some(cause) != backtrace_text.as_ref())
                .filter(|cause| Some(cause) != dump_text.as_ref())
                .collect();
            (chain.join(": "), None)
        };
        let mut error = WasmError::new(code, format!("{context}: {what}{backtrace}"));
        error.details.trap = trap;
        error.details.frames = frames.filter(|frames| !frames.is_empty());
        error
    }

    pub fn encode(&self) -> String {
        #[derive(Serialize)]
        struct Encoded<'a> {
            code: u32,
            name: &'static str,
            message: &'a str,
            #[serde(flatten)]
            details: &'a ErrorDetails,
        }
        let encoded = Encoded {
            code: self.code as u32,
            name: self.code.name(),
            message: &self.message,
            details: &self.details,
        };
        // Serializing plain strings and numbers cannot fail; fall back to the bare message.
        let json = serde_json::to_string(&encoded).unwrap_or_else(|_| self.message.clone());
        format!("{ENCODED_PREFIX}{json}")
    }
}

impl std::fmt::Display for WasmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.code as u32, self.message)
    }
}

impl std::error::Error for WasmError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The JSON object an error crosses into JS as, checking the prefix on the way.
    fn decoded(error: &WasmError) -> Value {
        let encoded = error.encode();
        let json = encoded
            .strip_prefix(ENCODED_PREFIX)
            .unwrap_or_else(|| panic!("{encoded:?} lacks the prefix"));
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json:?}: {e}"))
    }

    const CODES: [(ErrorCode, u32, &str); 12] = [
        (ErrorCode::CompileError, 5000, "CompileError"),
        (ErrorCode::InstantiateError, 5001, "InstantiateError"),
        (ErrorCode::CallError, 5002, "CallError"),
        (ErrorCode::ExportNotFound, 5003, "ExportNotFound"),
        (ErrorCode::InvalidModuleHandle, 5004, "InvalidModuleHandle"),
        (
            ErrorCode::InvalidInstanceHandle,
            5005,
            "InvalidInstanceHandle",
        ),
        (ErrorCode::MemoryError, 5006, "MemoryError"),
        (ErrorCode::TypeError, 5007, "TypeError"),
        (ErrorCode::IoError, 5008, "IoError"),
        (ErrorCode::PermissionDenied, 5009, "PermissionDenied"),
        (ErrorCode::WasiError, 5010, "WasiError"),
        (ErrorCode::FuelExhausted, 5011, "FuelExhausted"),
    ];

    #[test]
    fn codes_and_names_are_the_spec_table() {
        for (code, number, name) in CODES {
            assert_eq!(code as u32, number);
            assert_eq!(code.name(), name);
        }
    }

    #[test]
    fn a_bare_error_encodes_code_name_and_message_only() {
        for (code, number, name) in CODES {
            let value = decoded(&WasmError::new(code, "it failed"));
            assert_eq!(
                value,
                json!({ "code": number, "name": name, "message": "it failed" })
            );
        }
    }

    #[test]
    fn details_are_encoded_flat_in_camel_case() {
        let mut error = WasmError::new(ErrorCode::FuelExhausted, "out of fuel")
            .with_path("/p")
            .with_manifest("/m.toml");
        error.details = ErrorDetails {
            exit_code: Some(-3),
            trap: Some("unreachable".into()),
            reason: Some("fuel"),
            fuel_consumed: Some(u64::from(u32::MAX) + 1),
            elapsed_ms: Some(1.5),
            aborted: Some(true),
            host_error: Some(7.0),
            line: Some(12),
            key: Some("capabilities.wasm.load".into()),
            ..error.details
        };
        assert_eq!(
            decoded(&error),
            json!({
                "code": 5011,
                "name": "FuelExhausted",
                "message": "out of fuel",
                "exitCode": -3,
                "trap": "unreachable",
                "path": "/p",
                "reason": "fuel",
                "fuelConsumed": 4294967296u64,
                "elapsedMs": 1.5,
                "aborted": true,
                "hostError": 7.0,
                "manifest": "/m.toml",
                "line": 12,
                "key": "capabilities.wasm.load",
            })
        );
    }

    #[test]
    fn any_message_survives_the_encoding() {
        for message in [
            "",
            "quotes \" and \\ backslashes",
            "lines\nand\ttabs\r\n",
            "control \u{0} \u{1f} characters",
            "unicode: caf\u{e9} \u{1F600} \u{2028}",
            "looks like JSON: {\"code\": 1}",
            ENCODED_PREFIX,
        ] {
            let value = decoded(&WasmError::new(ErrorCode::IoError, message));
            assert_eq!(value["message"], message, "{message:?}");
            assert_eq!(value["code"], 5008);
        }
    }

    #[test]
    fn a_non_finite_elapsed_time_still_encodes() {
        let mut error = WasmError::new(ErrorCode::CallError, "slow");
        error.details.elapsed_ms = Some(f64::INFINITY);
        let value = decoded(&error);
        assert_eq!(value["message"], "slow");
        assert_eq!(value["elapsedMs"], Value::Null);
    }

    #[test]
    fn display_shows_the_code_and_the_message() {
        let error = WasmError::new(ErrorCode::TypeError, "bad value");
        assert_eq!(error.to_string(), "[5007] bad value");
    }

    // --- classification of failed wasm calls, by type ---

    fn failing_call(wat: &str) -> wasmtime::Error {
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, wat).expect("the test module compiles");
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).expect("instantiates");
        let run = instance
            .get_typed_func::<(), ()>(&mut store, "run")
            .expect("exports run");
        run.call(&mut store, ()).expect_err("the call traps")
    }

    #[test]
    fn a_trap_names_its_kind_and_carries_the_wasm_backtrace() {
        let err =
            failing_call(r#"(module (func $inner unreachable) (func (export "run") call $inner))"#);
        let error = WasmError::from_wasm_failure(ErrorCode::CallError, "call \"run\"", err);
        assert_eq!(error.code, ErrorCode::CallError);
        let kind = "wasm `unreachable` instruction executed";
        assert_eq!(error.details.trap.as_deref(), Some(kind));
        assert!(
            error
                .message
                .starts_with(&format!("call \"run\": wasm trap: {kind}\n")),
            "{:?}",
            error.message
        );
        assert!(
            error.message.contains("inner"),
            "backtrace: {:?}",
            error.message
        );
        assert_eq!(error.details.exit_code, None);
    }

    #[test]
    fn each_trap_kind_is_told_apart() {
        let err = failing_call(
            r#"(module (func (export "run") i32.const 1 i32.const 0 i32.div_s drop))"#,
        );
        let error = WasmError::from_wasm_failure(ErrorCode::CallError, "c", err);
        assert_eq!(
            error.details.trap.as_deref(),
            Some("integer divide by zero")
        );

        let err = failing_call(
            r#"(module (memory 1) (func (export "run") i32.const 70000 i32.load drop))"#,
        );
        let error = WasmError::from_wasm_failure(ErrorCode::InstantiateError, "start", err);
        assert_eq!(error.code, ErrorCode::InstantiateError);
        assert_eq!(
            error.details.trap.as_deref(),
            Some("out of bounds memory access")
        );
    }

    #[test]
    fn a_wasi_exit_carries_its_status_not_a_trap() {
        for status in [1, 42, -1, i32::MAX] {
            let err = wasmtime::Error::new(wasmtime_wasi::I32Exit(status));
            let error = WasmError::from_wasm_failure(ErrorCode::CallError, "call \"_start\"", err);
            assert_eq!(error.details.exit_code, Some(status));
            assert_eq!(error.details.trap, None);
            assert_eq!(
                error.message,
                format!("call \"_start\": the program exited with status {status}")
            );
        }
    }

    #[test]
    fn a_trap_under_added_context_is_still_a_trap() {
        let err =
            wasmtime::Error::new(Trap::StackOverflow).context("while calling a host function");
        let error = WasmError::from_wasm_failure(ErrorCode::CallError, "c", err);
        assert_eq!(error.details.trap.as_deref(), Some("call stack exhausted"));
    }

    #[test]
    fn an_error_is_never_classified_by_its_text() {
        let err = wasmtime::Error::msg("wasm trap: integer divide by zero (but not really)");
        let error = WasmError::from_wasm_failure(ErrorCode::CallError, "c", err);
        assert_eq!(error.details.trap, None);
        assert_eq!(error.details.exit_code, None);
        assert_eq!(
            error.message,
            "c: wasm trap: integer divide by zero (but not really)"
        );
        let err = wasmtime::Error::msg("the program exited with status 3");
        let error = WasmError::from_wasm_failure(ErrorCode::CallError, "c", err);
        assert_eq!(error.details.exit_code, None);
    }

    #[test]
    fn other_failures_keep_their_whole_chain() {
        let err = wasmtime::Error::msg("root cause").context("outer layer");
        let error = WasmError::from_wasm_failure(ErrorCode::CallError, "call \"f\"", err);
        assert_eq!(error.message, "call \"f\": outer layer: root cause");
    }
}
