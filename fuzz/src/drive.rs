//! Drives the core with one input: compile, instantiate with random limits, call every
//! exported function with random arguments (right and wrong), poke the memory, drop. Checks
//! that every failure carries a code the operation may give, that argument conversion agrees
//! with the value rules, and that nothing is left behind.

use std::sync::Arc;
use std::time::Duration;

use runtime_wasm::fuzzing::{
    self as core, ArgValue, BigIntValue, CallLimits, Ceilings, ErrorCode, ExportInfo,
    HostImports, InstanceEntry, InstanceLimits, WasiOptions, WasmError,
};

use crate::cases::Rng;
use crate::stats::{hash, Stats};

/// How long a single call may run before its deadline stops it.
const CALL_TIMEOUT: Duration = Duration::from_millis(40);

pub async fn run_case(seed: u64, bytes: &[u8], stats: &mut Stats) {
    let mut rng = Rng::new(seed.rotate_left(17) ^ 0xA5A5);
    let module_id = match core::compile(bytes.to_vec()) {
        Ok(id) => {
            stats.bump("compile.ok");
            stats.distinct_modules.insert(hash(bytes));
            id
        }
        Err(e) => {
            expect(stats, seed, "compile", &e, &[ErrorCode::CompileError]);
            return;
        }
    };
    let instances = 1 + rng.below(2);
    for _ in 0..instances {
        exercise_instance(seed, &module_id, &mut rng, stats).await;
    }
    if let Err(e) = core::drop_module(&module_id) {
        stats.finding(format!("seed {seed}: dropping a live module failed: {e}"));
    }
    match core::drop_module(&module_id) {
        Err(e) if e.code == ErrorCode::InvalidModuleHandle => {}
        other => stats.finding(format!(
            "seed {seed}: a second dropModule did not fail with 5004: {:?}",
            other.map_err(|e| e.to_string())
        )),
    }
}

async fn exercise_instance(seed: u64, module_id: &str, rng: &mut Rng, stats: &mut Stats) {
    let module = match core::module(module_id) {
        Ok(module) => module,
        Err(e) => return stats.finding(format!("seed {seed}: module lookup failed: {e}")),
    };
    let limits = random_limits(rng);
    let instantiated = core::instantiate(
        module,
        WasiOptions::default(),
        limits,
        Ceilings::default(),
        HostImports::default(),
    )
    .await;
    let instance_id = match instantiated {
        Ok(id) => {
            stats.bump("instantiate.ok");
            id
        }
        Err(e) => {
            record_trap(stats, &e);
            return expect(
                stats,
                seed,
                "instantiate",
                &e,
                &[ErrorCode::InstantiateError, ErrorCode::FuelExhausted],
            );
        }
    };
    let entry = match core::instance(&instance_id) {
        Ok(entry) => entry,
        Err(e) => return stats.finding(format!("seed {seed}: instance lookup failed: {e}")),
    };
    let exports = match entry
        .with_store(|store, exports| Ok(exports.describe(store)))
        .await
    {
        Ok(exports) => exports,
        Err(e) => return stats.finding(format!("seed {seed}: describing exports failed: {e}")),
    };
    let functions: Vec<(String, Vec<String>, usize)> = exports
        .into_iter()
        .filter_map(|info| match info {
            ExportInfo::Function {
                name,
                params,
                results,
            } => Some((name, params, results.len())),
            _ => None,
        })
        .take(12)
        .collect();
    for (name, params, result_count) in &functions {
        call_function(seed, &entry, name, params, *result_count, limits, rng, stats).await;
    }
    poke_memory(seed, &entry, rng, stats).await;
    if rng.below(4) == 0 {
        drop_while_busy(seed, &entry, &instance_id, &functions, rng, stats).await;
        return;
    }
    if let Err(e) = core::drop_instance(&instance_id) {
        stats.finding(format!("seed {seed}: dropping a live instance failed: {e}"));
    }
    let after = entry.with_store(|_, _| Ok(())).await;
    if !matches!(after, Err(ref e) if e.code == ErrorCode::InvalidInstanceHandle) {
        stats.finding(format!(
            "seed {seed}: an operation queued after drop did not fail with 5005"
        ));
    }
}

#[allow(clippy::needless_update)] // fields the core may add later keep their defaults
fn random_limits(rng: &mut Rng) -> InstanceLimits {
    InstanceLimits {
        fuel: match rng.below(3) {
            0 => Some(rng.below(2_000_000)),
            _ => None,
        },
        // Always a deadline: a start function may loop forever, and without a limit that is
        // what it is allowed to do. (Each call has its own deadline besides.)
        timeout: Some(Duration::from_millis(match rng.below(4) {
            0 => 1 + rng.below(20),
            _ => 100 + rng.below(400),
        })),
        // Always a budget, so that a module cannot fill the machine's memory (declaring more
        // than the budget is still tried: it fails to instantiate).
        max_memory_bytes: match rng.below(10) {
            0 => Some(rng.below(1 << 20)),
            _ => Some(rng.below(256 << 20)),
        },
        max_table_elements: match rng.below(4) {
            0 => Some(rng.below(10_000)),
            _ => Some(1_000_000),
        },
        ..InstanceLimits::default()
    }
}

#[allow(clippy::too_many_arguments)]
async fn call_function(
    seed: u64,
    entry: &Arc<InstanceEntry>,
    name: &str,
    params: &[String],
    result_count: usize,
    limits: InstanceLimits,
    rng: &mut Rng,
    stats: &mut Stats,
) {
    let func = match entry.exports.function(name) {
        Ok(func) => func.clone(),
        Err(e) => return stats.finding(format!("seed {seed}: exported {name:?} not found: {e}")),
    };
    let wrong_arity = rng.below(10) == 0;
    let mut args: Vec<ArgValue> = Vec::new();
    let mut all_valid = !wrong_arity;
    for ty in params {
        let (value, valid) = random_arg(ty, rng);
        all_valid &= valid;
        args.push(value);
    }
    if wrong_arity {
        if args.is_empty() || rng.below(2) == 0 {
            args.push(ArgValue::Number(0.0));
        } else {
            args.pop();
        }
    }
    let converted = core::to_wasm_args(name, &func.params, &args);
    let params_in = match (converted, all_valid) {
        (Ok(values), true) => values,
        (Err(e), false) => {
            stats.bump("args.rejected");
            return expect(stats, seed, "args", &e, &[ErrorCode::TypeError]);
        }
        (Ok(_), false) => {
            return stats.finding(format!(
                "seed {seed}: {name:?}{params:?} accepted invalid arguments {args:?}"
            ))
        }
        (Err(e), true) => {
            return stats.finding(format!(
                "seed {seed}: {name:?}{params:?} rejected valid arguments {args:?}: {e}"
            ))
        }
    };
    let call_limits = CallLimits {
        fuel: match (limits.fuel, rng.below(3)) {
            (Some(_), 0) => Some(rng.below(100_000)),
            _ => None,
        },
        timeout: Some(CALL_TIMEOUT),
        ..CallLimits::default()
    };
    let call = match entry.call(&func, params_in, call_limits) {
        Ok((call, _)) => call,
        // Per-call fuel on an unmetered instance is refused up front (5002).
        Err(e) => return expect(stats, seed, "call.start", &e, &[ErrorCode::CallError]),
    };
    match call.await {
        Ok(results) => {
            stats.bump("call.ok");
            if results.len() != result_count && !results.is_empty() {
                stats.finding(format!(
                    "seed {seed}: {name:?} returned {} results, its type has {result_count}",
                    results.len()
                ));
            }
            for value in &results {
                let _ = core::from_wasm(value);
            }
        }
        Err(e) => {
            record_trap(stats, &e);
            expect(
                stats,
                seed,
                "call",
                &e,
                &[ErrorCode::CallError, ErrorCode::FuelExhausted],
            );
        }
    }
}

/// A value for a parameter of type `ty`, and whether the value rules accept it.
fn random_arg(ty: &str, rng: &mut Rng) -> (ArgValue, bool) {
    const SPECIAL: &[f64] = &[
        0.0, -0.0, 1.0, -1.0, 0.5, -1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY,
        2147483647.0, 2147483648.0, -2147483648.0, -2147483649.0, 4294967295.0, 4294967296.0,
        9007199254740991.0, 9007199254740992.0, -9007199254740991.0, 1e300, f64::MIN_POSITIVE,
    ];
    let value = match rng.below(8) {
        0..=2 => ArgValue::Number(SPECIAL[rng.below(SPECIAL.len() as u64) as usize]),
        3 => ArgValue::Number((rng.next() as i64 >> rng.below(64)) as f64),
        4 => ArgValue::BigInt(BigIntValue {
            negative: rng.below(2) == 0,
            magnitude: match rng.below(6) {
                0 => None,
                1 => Some(u128::from(rng.next()) << 64 | u128::from(rng.next())),
                2 => Some(1u128 << 63),
                3 => Some(1u128 << 64),
                _ => Some(u128::from(rng.next() >> rng.below(64))),
            },
        }),
        5 => ArgValue::Null,
        6 => {
            let (inner, _) = random_arg(ty, rng);
            let tag = ["i32", "i64", "f32", "f64", "v128", "externref", "bogus"]
                [rng.below(7) as usize]
                .to_string();
            ArgValue::Tagged {
                ty: tag,
                value: Box::new(inner),
            }
        }
        _ => ArgValue::Other(["string", "boolean", "object", "undefined", "symbol"]
            [rng.below(5) as usize]),
    };
    let valid = accepts(ty, &value);
    (value, valid)
}

/// The value rules of DESIGN.md, written out independently of src/values.rs.
fn accepts(ty: &str, value: &ArgValue) -> bool {
    const TWO_31: f64 = 2147483648.0;
    const TWO_32: f64 = 4294967296.0;
    const MAX_SAFE: f64 = 9007199254740991.0;
    if let ArgValue::Tagged { ty: tag, value } = value {
        return tag == ty && accepts(ty, value);
    }
    match (ty, value) {
        ("i32", ArgValue::Number(n)) => n.fract() == 0.0 && *n >= -TWO_31 && *n < TWO_32,
        ("i64", ArgValue::Number(n)) => n.fract() == 0.0 && n.abs() <= MAX_SAFE,
        ("i64", ArgValue::BigInt(BigIntValue { negative, magnitude: Some(m) })) => {
            if *negative {
                *m <= 1 << 63
            } else {
                *m <= u128::from(u64::MAX)
            }
        }
        ("f32" | "f64", ArgValue::Number(_)) => true,
        ("v128", ArgValue::BigInt(BigIntValue { negative, magnitude: Some(m) })) => {
            !*negative || *m <= 1 << 127
        }
        (ty, ArgValue::Null) => {
            !matches!(ty, "i32" | "i64" | "f32" | "f64" | "v128")
        }
        _ => false,
    }
}

async fn poke_memory(seed: u64, entry: &Arc<InstanceEntry>, rng: &mut Rng, stats: &mut Stats) {
    for _ in 0..rng.below(6) {
        let offset = random_index(rng);
        let length = random_index(rng).min(1 << 20);
        let op = rng.below(4);
        let outcome = entry
            .with_store(move |store, exports| {
                let memory = core::exported_memory(exports)?;
                match op {
                    0 => core::read(&*store, memory, offset, length).map(|_| ()),
                    1 => core::write(&mut *store, memory, offset, &vec![0xA5; length as usize]),
                    2 => core::grow(&mut *store, memory, offset % 70_000).map(|_| ()),
                    _ => {
                        core::size(&*store, memory);
                        Ok(())
                    }
                }
            })
            .await;
        match outcome {
            Ok(()) => stats.bump(format!("memory.{op}.ok")),
            Err(e) => expect(stats, seed, "memory", &e, &[ErrorCode::MemoryError]),
        }
    }
}

fn random_index(rng: &mut Rng) -> u64 {
    match rng.below(5) {
        0 => 0,
        1 => rng.below(1 << 16),
        2 => rng.below(1 << 24),
        3 => u64::MAX - rng.below(4),
        _ => rng.next() >> rng.below(64),
    }
}

/// Starts calls on the instance and drops it while they are queued or running: each must
/// settle, with a result or with 5005.
async fn drop_while_busy(
    seed: u64,
    entry: &Arc<InstanceEntry>,
    instance_id: &str,
    functions: &[(String, Vec<String>, usize)],
    rng: &mut Rng,
    stats: &mut Stats,
) {
    let mut pending = Vec::new();
    for (name, params, _) in functions.iter().take(4) {
        let Ok(func) = entry.exports.function(name) else {
            continue;
        };
        let args: Vec<ArgValue> = params.iter().map(|ty| zero(ty)).collect();
        let Ok(values) = core::to_wasm_args(name, &func.params, &args) else {
            continue;
        };
        let limits = CallLimits {
            timeout: Some(CALL_TIMEOUT),
            ..CallLimits::default()
        };
        if let Ok((call, _)) = entry.call(func, values, limits) {
            pending.push(tokio::spawn(call));
        }
    }
    tokio::time::sleep(Duration::from_micros(rng.below(2_000))).await;
    if let Err(e) = core::drop_instance(instance_id) {
        stats.finding(format!("seed {seed}: drop while busy failed: {e}"));
    }
    for call in pending {
        match tokio::time::timeout(Duration::from_secs(10), call).await {
            Err(_) => stats.finding(format!("seed {seed}: a call did not settle after drop")),
            Ok(Err(join)) => stats.finding(format!("seed {seed}: a call task failed: {join}")),
            Ok(Ok(Ok(_))) => stats.bump("busy-drop.call.ok"),
            Ok(Ok(Err(e))) => {
                stats.bump(format!("busy-drop.call.err.{}", e.code as u32));
                expect(
                    stats,
                    seed,
                    "busy-drop.call",
                    &e,
                    &[
                        ErrorCode::InvalidInstanceHandle,
                        ErrorCode::CallError,
                        ErrorCode::FuelExhausted,
                    ],
                );
            }
        }
    }
}

fn zero(ty: &str) -> ArgValue {
    match ty {
        "i64" | "v128" => ArgValue::BigInt(BigIntValue {
            negative: false,
            magnitude: Some(0),
        }),
        "i32" | "f32" | "f64" => ArgValue::Number(0.0),
        _ => ArgValue::Null,
    }
}

fn record_trap(stats: &mut Stats, error: &WasmError) {
    if let Some(trap) = &error.details.trap {
        stats.traps.insert(trap.clone());
    }
}

fn expect(stats: &mut Stats, seed: u64, op: &str, error: &WasmError, allowed: &[ErrorCode]) {
    stats.bump(format!("{op}.err.{}", error.code as u32));
    if !allowed.contains(&error.code) {
        stats.finding(format!(
            "seed {seed}: {op} failed with unexpected code {}: {}",
            error.code as u32,
            error.message.chars().take(300).collect::<String>()
        ));
    }
}
