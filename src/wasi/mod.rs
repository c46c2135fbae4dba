//! WasiConfig -> a WASI preview 1 context: preopens, env, args and standard streams.

pub mod exit;
pub mod http;
pub mod name_lookup;
pub mod network;
pub mod preopen;
pub mod special_files;
pub mod stdio;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::WasiCtxBuilder;

use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::sandbox;
use crate::wasi::stdio::{
    CallbackShared, GuestOutput, OutputPipe, OutputTarget, DEFAULT_OUTPUT_LIMIT,
};
use network::{NetworkAccess, NetworkOptions};
use preopen::Preopen;

/// What a caller asked for; everything off by default (an empty sandbox).
#[derive(Debug)]
pub struct WasiOptions {
    pub preopens: Vec<Preopen>,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub inherit_stdin: bool,
    /// Bytes given to the program as its standard input.
    pub stdin: Option<Vec<u8>>,
    pub stdout: OutputTarget,
    pub stderr: OutputTarget,
    /// Cap of each piped output stream.
    pub output_limit: usize,
    /// `coredumpOnTrap`: where a trapping call writes a core dump (see `runtime::coredump`).
    pub coredump_on_trap: Option<std::path::PathBuf>,
    /// `network`: what a component may reach (nothing when `None`).
    pub network: Option<NetworkOptions>,
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
            coredump_on_trap: None,
            network: None,
        }
    }
}

impl WasiOptions {
    /// Whether these are the options of the empty sandbox (nothing given).
    pub fn is_empty_sandbox(&self) -> bool {
        self.preopens.is_empty()
            && self.env.is_empty()
            && self.args.is_empty()
            && !self.inherit_stdin
            && self.stdin.is_none()
            && matches!(self.stdout, OutputTarget::Ignore)
            && matches!(self.stderr, OutputTarget::Ignore)
            && self.network.is_none()
    }
}

/// The WASI context of an instance whose module imports no function: nothing can ever use
/// it, so it is only built if something asks (an empty sandbox).
pub fn unused_context() -> WasiP1Ctx {
    WasiCtxBuilder::new().build_p1()
}

/// The piped output streams of an instance, drained by the host.
#[derive(Default, Clone)]
pub struct OutputPipes {
    pub stdout: Option<Arc<OutputPipe>>,
    pub stderr: Option<Arc<OutputPipe>>,
    /// Chunks handed to stdout and stderr callbacks so far.
    pub sent_chunks: Arc<AtomicU64>,
}

impl OutputPipes {
    /// Which piped streams lost output past `outputLimitBytes`: (stdout, stderr).
    pub fn truncated(&self) -> (bool, bool) {
        let lost = |pipe: &Option<Arc<OutputPipe>>| {
            pipe.as_ref().is_some_and(|p| p.refused_past().is_some())
        };
        (lost(&self.stdout), lost(&self.stderr))
    }

    /// A failed call's error, saying which stream went past `outputLimitBytes` first, if one
    /// did: a program often fails because its writes failed, and would say nothing of why.
    pub fn explain(&self, mut error: WasmError) -> WasmError {
        let full = [("stdout", &self.stdout), ("stderr", &self.stderr)]
            .into_iter()
            .filter_map(|(name, pipe)| Some((name, pipe.as_ref()?.refused_past()?)))
            .map(|(name, limit)| format!("{name} reached outputLimitBytes ({limit} bytes)"))
            .collect::<Vec<_>>();
        if full.is_empty() {
            return error;
        }
        error.note_on_first_line(&format!(
            "after its {}, so its later writes there failed",
            full.join(" and its ")
        ));
        error
    }
}

/// A built context, with the piped output and the network access it was given.
pub struct Context {
    pub wasi: WasiP1Ctx,
    pub pipes: OutputPipes,
    pub network: Arc<NetworkAccess>,
}

/// Builds the context; the capability policy is asked about every preopened directory and
/// every network grant.
pub fn build_context(options: &WasiOptions) -> WasmResult<Context> {
    let policy = sandbox::policy()?;
    let mut builder = WasiCtxBuilder::new();
    let network = match &options.network {
        Some(network) => {
            policy.check_network(&network.grants)?;
            NetworkAccess::new(network.clone())
        }
        None => NetworkAccess::denied(),
    };
    grant_network(&mut builder, network.clone());
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
    let shared = CallbackShared::default();
    let (stdout, stdout_pipe) =
        GuestOutput::for_target(&options.stdout, options.output_limit, &shared);
    let (stderr, stderr_pipe) =
        GuestOutput::for_target(&options.stderr, options.output_limit, &shared);
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
        sent_chunks: shared.sent_chunks,
    };
    let checked = options
        .preopens
        .iter()
        .map(|entry| preopen::open_checked(&policy, entry))
        .collect::<WasmResult<Vec<_>>>()?;
    for dir in &checked {
        dir.add_to(&mut builder)?;
    }
    let mut wasi = builder.build_p1();
    preopen::verify(&policy, &mut wasi, &checked)?;
    Ok(Context {
        wasi,
        pipes,
        network,
    })
}

/// Gives the context's sockets `access`: every address they use is checked against it (name
/// lookups are checked by `name_lookup`, HTTP requests by `http`). Making a socket is allowed,
/// as in wasmtime: it reaches nothing until an address is granted.
fn grant_network(builder: &mut WasiCtxBuilder, access: Arc<NetworkAccess>) {
    builder
        .socket_addr_check(move |addr, used| {
            let allowed = access.check_socket(addr, used);
            Box::pin(std::future::ready(allowed))
        })
        .allow_tcp(true)
        .allow_udp(true)
        .allow_ip_name_lookup(true);
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

fn wasi_error(message: String) -> WasmError {
    WasmError::new(ErrorCode::WasiError, message)
}
