//! Compiling in a helper process, for a compile with a time budget.
//!
//! Cranelift cannot be stopped midway through a module, but a process can. The helper is a
//! second Node process running `lib/compile-helper.js`, which loads this same addon: it reads
//! the module's binary on stdin, compiles it with the same engine settings and writes the
//! compiled code (`Module::serialize`) to stdout. When the budget runs out first, the helper
//! is killed, and with it every byte and thread the compile held.
//!
//! The compiled code comes back through a pipe that only the helper and this process hold:
//! nothing a guest (or any file) can reach, so loading it is as safe as compiling here.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Condvar, Mutex};
use std::time::{Duration, Instant};

use once_cell::sync::OnceCell;
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

use crate::cache::{self, CacheKey, Store};
use crate::error::{ErrorCode, WasmError, WasmResult};
use crate::runtime::compile_limits::Bound;
use crate::runtime::engine::{engine_of, EngineKind};
use crate::runtime::module::invalid_module;

/// How to start the helper: Node's executable and the helper's script.
struct HelperCommand {
    node: PathBuf,
    script: PathBuf,
}

/// `None` inside: this process may not start one (Node's permission model refuses child
/// processes).
static HELPER: OnceCell<Option<HelperCommand>> = OnceCell::new();

/// Called once when the addon is loaded (`lib/compile-helper.js`).
pub fn register(command: Option<(PathBuf, PathBuf)>) {
    let _ = HELPER.set(command.map(|(node, script)| HelperCommand { node, script }));
}

/// Helpers compiling for a caller that waits, each on every core: more at once would only
/// share the cores and hold more memory. Other compiles wait their turn.
static FOREGROUND: Slots = Slots::new(0);

/// Helpers optimizing in the background: one at a time, so that they never crowd out the
/// program that is running meanwhile.
static BACKGROUND: Slots = Slots::new(1);

struct Slots {
    /// 0: one per core.
    most: usize,
    running: Mutex<usize>,
    freed: Condvar,
}

struct Slot(&'static Slots);

impl Slots {
    const fn new(most: usize) -> Slots {
        Slots {
            most,
            running: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    fn take(&'static self) -> Slot {
        let most = match self.most {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            most => most,
        };
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        while *running >= most {
            running = self.freed.wait(running).unwrap_or_else(|p| p.into_inner());
        }
        *running += 1;
        Slot(self)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut running = self.0.running.lock().unwrap_or_else(|p| p.into_inner());
        *running -= 1;
        self.0.freed.notify_one();
    }
}

/// The most of the helper's stderr kept for an error message.
const MAX_STDERR: u64 = 16 << 10;

/// Whether this process may start helpers.
pub fn available() -> bool {
    matches!(HELPER.get(), Some(Some(_)))
}

/// A compile for a helper.
pub struct HelperJob<'a> {
    pub kind: EngineKind,
    pub binary: &'a [u8],
    /// The time budget: the helper is stopped once it has passed.
    pub time: Option<(Duration, &'a Bound)>,
    /// An optimization nobody waits for: at a lower priority, one at a time, and written to
    /// the cache by the helper itself. Without a time budget, the helper then finishes even
    /// if this process ends first.
    pub background: bool,
}

/// Compiles in a helper process, which sends the compiled code back.
pub fn compile(job: HelperJob) -> WasmResult<Module> {
    let kind = job.kind;
    let compiled = compile_serialized(job)?;
    // SAFETY: these bytes are what `Module::serialize` wrote in the helper, this addon run
    // with the same engine settings; they came through a pipe only the helper and this process
    // hold, so no one else could have written them. `deserialize` still checks that they were
    // made for an engine compatible with this one.
    unsafe { Module::deserialize(engine_of(kind)?, &compiled) }
        .map_err(|e| helper_failure(&format!("cannot load the helper's compiled code: {e:#}")))
}

/// Compiles a component in a helper process, which sends the compiled code back.
pub fn compile_component(job: HelperJob) -> WasmResult<Component> {
    let kind = job.kind;
    let compiled = compile_serialized(job)?;
    // SAFETY: as in `compile`: `Component::serialize` wrote these bytes in the helper, and
    // only the helper and this process hold the pipe they came through.
    unsafe { Component::deserialize(engine_of(kind)?, &compiled) }
        .map_err(|e| helper_failure(&format!("cannot load the helper's compiled code: {e:#}")))
}

fn compile_serialized(job: HelperJob) -> WasmResult<Vec<u8>> {
    let run = HelperRun {
        kind: job.kind,
        time: job.time,
        background: job.background,
        outlives_us: false,
        args: Vec::new(),
        input: job.binary,
    };
    run_helper(run)
}

/// Compiles `binary` in a background helper that writes the compiled code into the cache
/// directory `dir` itself; the caller then loads it from there (checked like any cache
/// file). The binary reaches the helper in a file of the cache directory, not a pipe, so that
/// without a time budget the helper finishes even if this process ends first.
pub fn optimize_into_cache(
    kind: EngineKind,
    binary: &[u8],
    time: Option<(Duration, &Bound)>,
    dir: &std::path::Path,
) -> WasmResult<()> {
    let staged = cache::stage_source(dir, binary)
        .map_err(|e| helper_failure(&format!("cannot hand the module to the helper: {e}")))?;
    let run = HelperRun {
        kind,
        time,
        background: true,
        outlives_us: time.is_none(),
        args: vec![dir.as_os_str().to_owned(), staged.as_os_str().to_owned()],
        input: &[],
    };
    let result = run_helper(run);
    // The helper removes it once read; not if it never started or was stopped.
    let _ = std::fs::remove_file(&staged);
    result.map(|_| ())
}

/// One run of a helper.
struct HelperRun<'a> {
    kind: EngineKind,
    time: Option<(Duration, &'a Bound)>,
    /// At a lower priority, one at a time.
    background: bool,
    /// Not killed when this process dies.
    outlives_us: bool,
    /// After the script and the engine's name.
    args: Vec<std::ffi::OsString>,
    /// Written to its stdin.
    input: &'a [u8],
}

/// Runs a helper to its end (or its time budget's); returns what it wrote to stdout.
fn run_helper(run: HelperRun) -> WasmResult<Vec<u8>> {
    let command = match HELPER.get() {
        Some(Some(command)) => command,
        Some(None) => {
            let why = match run.time {
                Some((_, bound)) => format!("a compile time budget ({})", bound.how_to_raise()),
                None => "compiling in the background".to_string(),
            };
            return Err(WasmError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "{why} compiles in a helper process, and Node's permission model does not \
                     allow child processes (--allow-child-process)"
                ),
            ));
        }
        None => return Err(helper_failure("the helper process is not registered")),
    };
    // The clock starts once a helper may start: time spent waiting for one is not compiling.
    let _slot = if run.background {
        BACKGROUND.take()
    } else {
        FOREGROUND.take()
    };
    let started = Instant::now();
    let mut child = spawn(command, &run)
        .map_err(|e| helper_failure(&format!("cannot start the helper process: {e}")))?;
    let deadline = run.time.map(|(limit, _)| started + limit);
    let Some((output, stderr)) = exchange(&mut child, run.input, deadline) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(match run.time {
            Some((_, bound)) => bound.exceeded(
                ErrorCode::CompileError,
                &format!(
                    "compiling the module took longer than {} ms and was stopped",
                    bound.value
                ),
            ),
            None => helper_failure("the helper process did not answer"),
        });
    };
    let status = child
        .wait()
        .map_err(|e| helper_failure(&format!("cannot wait for the helper process: {e}")))?;
    if !status.success() {
        let said = String::from_utf8_lossy(&stderr).trim().to_string();
        return Err(match said.find(COMPILE_ERROR_MARK) {
            Some(at) => invalid_module(said[at + COMPILE_ERROR_MARK.len()..].trim()),
            None => helper_failure(&format!("the helper process failed ({status}): {said}")),
        });
    }
    Ok(output)
}

fn spawn(command: &HelperCommand, run: &HelperRun) -> std::io::Result<Child> {
    let mut process = Command::new(&command.node);
    process
        .arg(&command.script)
        .arg(run.kind.name())
        .args(&run.args)
        // An Electron executable runs as plain Node with this; Node ignores it.
        .env("ELECTRON_RUN_AS_NODE", "1")
        // The app's preloads, inspector or heap settings are not the helper's.
        .env_remove("NODE_OPTIONS")
        // The cache's size cap in force here, which a helper that writes the cache keeps.
        .env(
            cache::manage::MAX_BYTES_ENV_VAR,
            cache::manage::max_bytes().to_string(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    configure_child(&mut process, run.background, run.outlives_us);
    process.spawn()
}

/// On Linux, a helper dies with the thread that started it (which waits for it, so this
/// happens only when this process dies), unless it is to finish filling the cache; a
/// background helper runs at a lower priority.
#[cfg(target_os = "linux")]
fn configure_child(process: &mut Command, background: bool, outlives_us: bool) {
    use std::os::unix::process::CommandExt;
    // SAFETY: `prctl(PR_SET_PDEATHSIG)` and `setpriority` are async-signal-safe system calls
    // that change only the child's own state between fork and exec.
    unsafe {
        process.pre_exec(move || {
            if !outlives_us {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            }
            if background {
                libc::setpriority(libc::PRIO_PROCESS, 0, 10);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn configure_child(_process: &mut Command, _background: bool, _outlives_us: bool) {}

/// Writes the binary to the helper and reads what it answers, until `deadline`: the compiled
/// code and the helper's stderr, or `None` when the deadline came first.
fn exchange(
    child: &mut Child,
    binary: &[u8],
    deadline: Option<Instant>,
) -> Option<(Vec<u8>, Vec<u8>)> {
    let (Some(mut stdin), Some(mut stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Some((Vec::new(), b"the helper's pipes are missing".to_vec()));
    };
    std::thread::scope(|scope| {
        // A helper that dies early closes its stdin: the write fails, and its status tells why.
        scope.spawn(move || {
            let _ = stdin.write_all(binary);
        });
        // Each pipe has its own reader, so a full one never holds up the other.
        let said = scope.spawn(move || read_bounded(stderr, MAX_STDERR));
        let (done, finished) = mpsc::channel();
        scope.spawn(move || {
            let mut compiled = Vec::new();
            let _ = stdout.read_to_end(&mut compiled);
            let said = said.join().unwrap_or_default();
            let _ = done.send((compiled, said));
        });
        let answer = match deadline {
            Some(deadline) => finished
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .ok(),
            None => finished.recv().ok(),
        };
        if answer.is_none() {
            // Closes the pipes, so the threads above end before the scope does.
            let _ = child.kill();
        }
        answer
    })
}

/// Reads a pipe to its end, keeping at most `limit` bytes.
fn read_bounded(pipe: impl Read, limit: u64) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut pipe = pipe;
    let _ = pipe.by_ref().take(limit).read_to_end(&mut kept);
    let _ = std::io::copy(&mut pipe, &mut std::io::sink());
    kept
}

fn helper_failure(what: &str) -> WasmError {
    WasmError::new(
        ErrorCode::CompileError,
        format!("compiling in a helper process failed: {what}"),
    )
}

/// The helper marks a compile error (the module is not valid) on its stderr with this, so
/// that it reaches the caller as the same 5000 a compile here gives.
const COMPILE_ERROR_MARK: &str = "compile error:";

/// A module compiled in the helper: put in the cache `store_in` when given, and serialized
/// unless it came from a staged file (then the cache is where the parent finds it).
fn compile_module_here(
    kind: EngineKind,
    binary: &[u8],
    store_in: Option<&str>,
    staged: bool,
) -> Result<Vec<u8>, String> {
    engine_of(kind)
        .map_err(|e| e.message)
        .and_then(|engine: &Engine| {
            Module::new(engine, binary).map_err(|e| format!("{COMPILE_ERROR_MARK} {e:#}"))
        })
        .and_then(|module| {
            if let Some(dir) = store_in {
                cache::configure(Some(true), Some(PathBuf::from(dir)));
                let engine = module.engine().clone();
                let key = CacheKey::new(&engine, kind, binary);
                cache::insert(key, module.clone(), Store::MemoryAndDisk);
            }
            if staged {
                return Ok(Vec::new());
            }
            module.serialize().map_err(|e| format!("{e:#}"))
        })
}

/// The helper's side (`lib/compile-helper.js`): compiles a module for the engine named
/// `engine`. Given a cache directory and a staged source file (see `optimize_into_cache`), it
/// reads and removes that file and puts the compiled code in the cache; otherwise it reads
/// the module on stdin and writes the compiled code to stdout. Returns the exit status.
pub fn helper_main(engine: &str, store_in: Option<&str>, source_file: Option<&str>) -> i32 {
    let Some(kind) = EngineKind::from_name(engine) else {
        eprintln!("unknown engine {engine:?}");
        return 2;
    };
    blocking_stdio();
    let read = match source_file {
        Some(path) => std::fs::read(path).inspect(|_| {
            let _ = std::fs::remove_file(path);
        }),
        None => {
            let mut binary = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut binary)
                .map(|_| binary)
        }
    };
    let binary = match read {
        Ok(binary) => binary,
        Err(e) => {
            eprintln!("cannot read the module: {e}");
            return 1;
        }
    };
    let compiled = if wasmparser::Parser::is_component(&binary) {
        // A component comes here only under a time budget: it is sent back (the parent caches it).
        engine_of(kind).map_err(|e| e.message).and_then(|engine| {
            Component::new(engine, &binary)
                .map_err(|e| format!("{COMPILE_ERROR_MARK} {e:#}"))
                .and_then(|component| component.serialize().map_err(|e| format!("{e:#}")))
        })
    } else {
        compile_module_here(kind, &binary, store_in, source_file.is_some())
    };
    match compiled {
        Ok(bytes) if bytes.is_empty() => 0,
        Ok(bytes) => match std::io::stdout().lock().write_all(&bytes) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("cannot write the compiled code: {e}");
                1
            }
        },
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

/// Node may have made its stdio pipes non-blocking; the helper reads and writes them plainly.
#[cfg(unix)]
fn blocking_stdio() {
    for fd in [0, 1] {
        // SAFETY: F_GETFL / F_SETFL on the process's own stdin and stdout only change whether
        // reads and writes on them wait; no memory is involved.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
}

#[cfg(not(unix))]
fn blocking_stdio() {}
