//! WasiConfig -> a WASI preview 1 context: preopens, env, args and standard streams.

use std::path::PathBuf;

use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::error::{ErrorCode, WasmError, WasmResult};

/// What a caller asked for; everything off by default (an empty sandbox).
#[derive(Default, Debug)]
pub struct WasiOptions {
    /// (guest path, host path)
    pub preopens: Vec<(String, PathBuf)>,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub inherit_stdin: bool,
    pub inherit_stdout: bool,
    pub inherit_stderr: bool,
}

pub fn build_context(options: &WasiOptions) -> WasmResult<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    for (key, value) in &options.env {
        check_env_entry(key, value)?;
        builder.env(key, value);
    }
    for arg in &options.args {
        if arg.contains('\0') {
            return Err(wasi_error(format!(
                "args: {arg:?} contains a NUL character"
            )));
        }
    }
    builder.args(&options.args);
    if options.inherit_stdin {
        builder.inherit_stdin();
    }
    if options.inherit_stdout {
        builder.inherit_stdout();
    }
    if options.inherit_stderr {
        builder.inherit_stderr();
    }
    for (guest, host) in &options.preopens {
        check_preopen_dir(guest, host)?;
        builder
            .preopened_dir(host, guest, FsPerms::ReadWrite)
            .map_err(|e| {
                wasi_error(format!(
                    "preopen {guest:?}: cannot open host directory {}: {e:#}",
                    host.display()
                ))
                .with_path(host.display().to_string())
            })?;
    }
    Ok(builder.build_p1())
}

fn check_env_entry(key: &str, value: &str) -> WasmResult<()> {
    if key.is_empty() || key.contains('=') || key.contains('\0') {
        return Err(wasi_error(format!(
            "env: {key:?} is not a valid variable name (empty, or contains '=' or NUL)"
        )));
    }
    if value.contains('\0') {
        return Err(wasi_error(format!(
            "env: the value of {key:?} contains a NUL character"
        )));
    }
    Ok(())
}

fn check_preopen_dir(guest: &str, host: &PathBuf) -> WasmResult<()> {
    let shown = host.display().to_string();
    let problem = match std::fs::metadata(host) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => "is not a directory".to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "does not exist".to_string(),
        Err(e) => format!("cannot be read: {e}"),
    };
    Err(wasi_error(format!("preopen {guest:?}: host path {shown:?} {problem}")).with_path(shown))
}

fn wasi_error(message: String) -> WasmError {
    WasmError::new(ErrorCode::WasiError, message)
}
