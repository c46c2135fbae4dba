//! A fuzz harness for the runtime-wasm core that runs on stable Rust: each seed becomes an
//! input (cases.rs), which is driven through the core's own functions (drive.rs). A panic, a
//! hang, an unexpected error code or a leaked handle is a finding; the input is saved to
//! `fuzz/artifacts/<seed>.wasm` and the run ends with status 1.
//!
//! Usage: runtime-wasm-fuzz [--seed FIRST] [--cases N] [--seconds S] [--report SECONDS]
//! Re-run one case: runtime-wasm-fuzz --seed 1234 --cases 1

mod cases;
mod drive;
mod stats;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stats::Stats;

/// A case that runs longer than this is a hang.
const HANG_LIMIT: Duration = Duration::from_secs(60);

struct Options {
    first_seed: u64,
    cases: u64,
    seconds: Option<f64>,
    report_every: f64,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        first_seed: 0,
        cases: u64::MAX,
        seconds: None,
        report_every: 10.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--seed" => options.first_seed = number(&value()?)?,
            "--cases" => options.cases = number(&value()?)?,
            "--seconds" => options.seconds = Some(number::<f64>(&value()?)?),
            "--report" => options.report_every = number(&value()?)?,
            "--help" | "-h" => {
                return Err("usage: runtime-wasm-fuzz [--seed FIRST] [--cases N] [--seconds S] [--report SECONDS]".into())
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.cases == u64::MAX && options.seconds.is_none() {
        options.cases = 1_000;
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("not a number: {text:?}"))
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the tokio runtime: {e}");
            std::process::exit(2);
        }
    };
    let current = Arc::new(AtomicU64::new(u64::MAX));
    let started_ms = Arc::new(AtomicU64::new(0));
    let clock = Instant::now();
    start_watchdog(current.clone(), started_ms.clone(), clock);

    let mut stats = Stats::default();
    let mut last_report = 0.0;
    let deadline = options.seconds.map(Duration::from_secs_f64);
    for seed in options.first_seed.. {
        if stats.cases >= options.cases || deadline.is_some_and(|d| clock.elapsed() >= d) {
            break;
        }
        let case = cases::generate(seed);
        stats.cases += 1;
        stats.input_bytes += case.bytes.len() as u64;
        stats.largest_input = stats.largest_input.max(case.bytes.len());
        stats.bump(format!("kind.{}", case.kind.name()));
        current.store(seed, Ordering::SeqCst);
        started_ms.store(clock.elapsed().as_millis() as u64, Ordering::SeqCst);
        let findings_before = stats.findings.len();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(drive::run_case(seed, &case.bytes, &mut stats))
        }));
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            stats.finding(format!("seed {seed} ({}): PANIC: {message}", case.kind.name()));
        }
        let (modules, instances) = runtime_wasm::fuzzing::live_handles();
        if modules != 0 || instances != 0 {
            stats.finding(format!(
                "seed {seed}: {modules} module(s) and {instances} instance(s) left behind"
            ));
        }
        if stats.findings.len() > findings_before {
            save_artifact(seed, &case.bytes);
        }
        let elapsed = clock.elapsed().as_secs_f64();
        if elapsed - last_report >= options.report_every {
            last_report = elapsed;
            eprintln!("{}", stats.one_line(elapsed));
        }
    }
    current.store(u64::MAX, Ordering::SeqCst);
    let summary = stats.summary(clock.elapsed().as_secs_f64(), options.first_seed);
    println!("{summary}");
    if !stats.findings.is_empty() {
        std::process::exit(1);
    }
}

fn artifacts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts")
}

fn save_artifact(seed: u64, bytes: &[u8]) {
    let dir = artifacts_dir();
    let path = dir.join(format!("{seed}.wasm"));
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, bytes)) {
        eprintln!("cannot save {}: {e}", path.display());
    }
}

/// Ends the run when one case takes longer than HANG_LIMIT.
fn start_watchdog(current: Arc<AtomicU64>, started_ms: Arc<AtomicU64>, clock: Instant) {
    let spawned = std::thread::Builder::new()
        .name("fuzz-watchdog".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            let seed = current.load(Ordering::SeqCst);
            if seed == u64::MAX {
                continue;
            }
            let running = clock.elapsed().as_millis() as u64 - started_ms.load(Ordering::SeqCst);
            if running > HANG_LIMIT.as_millis() as u64 && current.load(Ordering::SeqCst) == seed {
                eprintln!("FINDING: seed {seed}: HANG (running for {running} ms)");
                save_artifact(seed, &cases::generate(seed).bytes);
                std::process::exit(3);
            }
        });
    if let Err(e) = spawned {
        eprintln!("cannot start the watchdog: {e}");
    }
}
