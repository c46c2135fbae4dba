//! Error codes 5000..5011 and the one conversion of core errors into JS errors.
//!
//! A `WasmError` crosses into JavaScript as a napi error whose message is `ENCODED_PREFIX`
//! followed by a JSON object (`code`, `name`, `message` and any details). `lib/errors.js` turns
//! that back into a `WasmError` instance; nothing else parses it.

use serde::Serialize;
use wasmtime::{Trap, WasmBacktrace};

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
    /// The manifest key a broken-manifest 5009 is about, e.g. "capabilities.wasm.load".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
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
        let backtrace = err
            .downcast_ref::<WasmBacktrace>()
            .map(|bt| format!("\n{bt}"))
            .unwrap_or_default();
        match err.downcast_ref::<Trap>() {
            Some(trap) => {
                let kind = trap.to_string();
                let kind = kind
                    .strip_prefix("wasm trap: ")
                    .unwrap_or(&kind)
                    .to_string();
                let mut error =
                    WasmError::new(code, format!("{context}: wasm trap: {kind}{backtrace}"));
                error.details.trap = Some(kind);
                error
            }
            None => WasmError::new(code, format!("{context}: {err:#}{backtrace}")),
        }
    }

    fn encode(&self) -> String {
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

impl From<WasmError> for napi::Error {
    fn from(error: WasmError) -> Self {
        napi::Error::new(napi::Status::GenericFailure, error.encode())
    }
}
