//! WasiConfig -> a WASI preview 1 context: preopens, env, args and standard streams.

use std::path::PathBuf;
use std::sync::Arc;

use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::stdio::{GuestOutput, OutputPipe, OutputTarget, DEFAULT_OUTPUT_LIMIT};

/// What a caller asked for; everything off by default (an empty sandbox).
#[derive(Debug)]
pub struct WasiOptions {
    /// (guest path, host path)
    pub preopens: Vec<(String, PathBuf)>,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub inherit_stdin: bool,
    /// Bytes given to the program as its standard input.
    pub stdin: Option<Vec<u8>>,
    pub stdout: OutputTarget,
    pub stderr: OutputTarget,
    /// Cap of each piped output stream.
    pub output_limit: usize,
}

impl Default for WasiOptions {
    fn default() -> Self {
        WasiOptions {
            preopens: Vec::new(),
            env: Vec::new(),
            args: Vec::new(),
            inherit_stdin: false,
            stdin: None,
            stdout: OutputTarget::Ignore,
            stderr: OutputTarget::Ignore,
            output_limit: DEFAULT_OUTPUT_LIMIT,
        }
    }
}

/// The piped output streams of an instance, drained by the host.
#[derive(Default)]
pub struct OutputPipes {
    pub stdout: Option<Arc<OutputPipe>>,
    pub stderr: Option<Arc<OutputPipe>>,
}

pub fn build_context(options: &WasiOptions) -> WasmResult<(WasiP1Ctx, OutputPipes)> {
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
    if let Some(input) = &options.stdin {
        builder.stdin(MemoryInputPipe::new(input.clone()));
    } else if options.inherit_stdin {
        builder.inherit_stdin();
    }
    let (stdout, stdout_pipe) = GuestOutput::for_target(&options.stdout, options.output_limit);
    let (stderr, stderr_pipe) = GuestOutput::for_target(&options.stderr, options.output_limit);
    match stdout {
        Some(stream) => builder.stdout(stream),
        None if matches!(options.stdout, OutputTarget::Inherit) => builder.inherit_stdout(),
        None => &mut builder,
    };
    match stderr {
        Some(stream) => builder.stderr(stream),
        None if matches!(options.stderr, OutputTarget::Inherit) => builder.inherit_stderr(),
        None => &mut builder,
    };
    let pipes = OutputPipes {
        stdout: stdout_pipe,
        stderr: stderr_pipe,
    };
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
    Ok((builder.build_p1(), pipes))
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
