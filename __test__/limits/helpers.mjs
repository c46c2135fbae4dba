// Shared by the execution-limit tests: hostile modules (WebAssembly text, which compile()
// accepts), assertions for the errors a limit produces, timing helpers and an event-loop
// monitor. Timing bounds in these tests are wide on purpose: they must hold on a slow, loaded
// two-core machine, so they check ordering and generous upper bounds, never tight figures.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

import { AbortError, WasmError } from '../../index.mjs'

export const PACKAGE_URL = new URL('../../index.mjs', import.meta.url).href
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The workhorse module. `counter` counts the calls of `spin`, `spin_for` and `bump` that really
 * started running wasm code, so a test can tell whether a call ran at all.
 *   spin()        counter += 1, then loops forever
 *   bump()        counter += 1, returns the counter
 *   get()         returns the counter
 *   count(n)      a loop of exactly n iterations; returns n
 *   recurse(n)    unbounded recursion (each frame holds a few locals)
 *   depth(n)      recursion n deep, returns n
 *   grow(pages)   memory.grow: the previous size in pages, or -1
 *   grow_all()    grows memory one page at a time until memory.grow fails; returns the size reached
 *   table_grow(n) table.grow: the previous size, or -1
 *   table_grow_all() the same bomb for the table
 *   poke(addr, v) / peek(addr) one byte of memory
 */
export const LOOPS_WAT = `(module
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (memory (export "memory") 1)
  (table $t (export "table") 1 funcref)
  (func (export "spin")
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (loop $forever (br $forever)))
  (func (export "bump") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter))
  (func (export "get") (result i32) (global.get $counter))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i))
  (func $recurse (export "recurse") (param $n i32) (result i32)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local.set $a (i64.extend_i32_u (local.get $n)))
    (i32.add
      (call $recurse (i32.add (local.get $n) (i32.const 1)))
      (i32.wrap_i64 (i64.add (local.get $a) (i64.add (local.get $b) (i64.add (local.get $c) (local.get $d)))))))
  (func $depth (export "depth") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get $n) (i32.const 1)))))))
  (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages)))
  (func (export "grow_all") (result i32)
    (block $full
      (loop $more
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more)))
    (memory.size))
  (func (export "table_grow") (param $n i32) (result i32) (table.grow $t (ref.null func) (local.get $n)))
  (func (export "table_grow_all") (result i32)
    (block $full
      (loop $more
        (br_if $full (i32.eq (table.grow $t (ref.null func) (i32.const 1)) (i32.const -1)))
        (br $more)))
    (table.size $t))
  (func (export "poke") (param $addr i32) (param $value i32) (i32.store8 (local.get $addr) (local.get $value)))
  (func (export "peek") (param $addr i32) (result i32) (i32.load8_u (local.get $addr)))
)`

/** A module whose start function never returns. */
export const START_LOOP_WAT = `(module (func $start (loop $l (br $l))) (start $start))`

/** A reactor whose _initialize never returns. */
export const INITIALIZE_LOOP_WAT = `(module (memory (export "memory") 1) (func (export "_initialize") (loop $l (br $l))))`

/** A WASI command whose _start never returns. */
export const START_EXPORT_LOOP_WAT = `(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))`

/** A module whose start function runs a loop of exactly n iterations. */
export const startCountWat = (n) => `(module
  (func $start (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const ${n})))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
  (start $start)
  (func (export "nop")))`

/** A module whose start function overflows the stack. */
export const START_RECURSION_WAT = `(module
  (func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
  (func $start (drop (call $r (i32.const 0))))
  (start $start))`

/** A module with a memory of `pages` initial pages (and an optional declared maximum). */
export const memoryWat = (pages, max) =>
  `(module (memory (export "memory") ${pages}${max === undefined ? '' : ` ${max}`}) (func (export "size") (result i32) (memory.size)))`

/** A module with a table of `elements` initial elements. */
export const tableWat = (elements) =>
  `(module (table (export "table") ${elements} funcref) (func (export "size") (result i32) (table.size 0)))`

/** A module that calls the host function host.wait (whatever it returns) and then returns 7. */
export const HOST_WAIT_WAT = `(module
  (import "host" "wait" (func $wait))
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (func (export "waits") (result i32) (call $wait) (i32.const 7))
  (func (export "bump") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter)))`

export const PAGE = 65536
export const MiB = 1 << 20

export const now = () => performance.now()
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Settles `operation` (a Promise, or a function that starts one: then the clock starts before
 * it is called, since a call first runs a short slice on the JS thread before returning its
 * Promise) and reports how: { ok, value | error, ms } with ms measured from `started`.
 */
export async function outcome(operation, started = now()) {
  try {
    const value = await (typeof operation === 'function' ? operation() : operation)
    return { ok: true, value, ms: now() - started }
  } catch (error) {
    return { ok: false, error, ms: now() - started }
  }
}

function show(value) {
  if (value instanceof Error) {
    return `${value.name} ${value.code ?? ''}: ${value.message.split('\n')[0]} ${JSON.stringify({ ...value })}`
  }
  try {
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))
  } catch {
    return String(value)
  }
}

/** Asserts `result` (from outcome()) is a rejection; returns the error. */
export function rejected(result, what) {
  assert.equal(result.ok, false, `${what}: expected a rejection, got ${show(result.value)}`)
  return result.error
}

/**
 * Asserts that `operation` (see outcome()) rejects with a 5011 WasmError for `reason` ("fuel" or "timeout");
 * resolves to { error, ms } (ms from `started`, by the JS clock).
 */
export async function expectLimit(operation, reason, what = 'the call', started = now()) {
  const result = await outcome(operation, started)
  const error = rejected(result, what)
  assert.ok(error instanceof WasmError, `${what}: expected a WasmError, got ${show(error)}`)
  assert.equal(error.code, 5011, `${what}: expected 5011, got ${show(error)}`)
  assert.equal(error.name, 'FuelExhausted')
  assert.equal(error.reason, reason, `${what}: expected reason ${reason}, got ${show(error)}`)
  assert.match(error.message, /execution limit reached/)
  assert.equal(typeof error.elapsedMs, 'number', `${what}: elapsedMs missing: ${show(error)}`)
  assert.ok(error.elapsedMs >= 0)
  if (reason === 'fuel') {
    assert.equal(typeof error.fuelConsumed, 'number', `${what}: fuelConsumed missing: ${show(error)}`)
    assert.ok(Number.isInteger(error.fuelConsumed) && error.fuelConsumed >= 0, show(error))
  }
  return { error, ms: result.ms }
}

/**
 * Asserts a timeout stop: reason "timeout", not before the deadline (by the core's clock and,
 * with a little slack for the two clocks, by ours), and not later than `within` ms after it.
 */
export async function expectTimeout(operation, timeoutMs, { within = 1500, what = 'the call', started = now() } = {}) {
  const { error, ms } = await expectLimit(operation, 'timeout', what, started)
  assert.ok(error.elapsedMs >= timeoutMs, `${what}: stopped after ${error.elapsedMs} ms, before its ${timeoutMs} ms deadline`)
  assert.ok(ms >= timeoutMs - 5, `${what}: rejected ${ms} ms after the call, before its ${timeoutMs} ms deadline`)
  assert.ok(ms < timeoutMs + within, `${what}: a ${timeoutMs} ms deadline stopped it only after ${ms.toFixed(0)} ms`)
  return { error, ms }
}

/** Asserts an AbortError carrying `reason` as its cause. */
export function assertAbortError(error, reason, what = 'the call') {
  assert.ok(error instanceof Error, `${what}: expected an AbortError, got ${show(error)}`)
  assert.equal(error.name, 'AbortError', `${what}: expected an AbortError, got ${show(error)}`)
  assert.ok(error instanceof AbortError, `${what}: not the package's AbortError`)
  assert.ok(!(error instanceof WasmError), `${what}: an abort is not a WasmError`)
  assert.equal(error.code, 'ABORT_ERR')
  assert.equal(error.cause, reason, `${what}: the cause must be the signal's reason`)
}

/** Asserts a WasmError of `code`; returns it. */
export async function expectCode(operation, code, what = 'the operation') {
  const result = await outcome(operation)
  const error = rejected(result, what)
  assert.ok(error instanceof WasmError, `${what}: expected a WasmError ${code}, got ${show(error)}`)
  assert.equal(error.code, code, `${what}: expected ${code}, got ${show(error)}`)
  return error
}

/** Whether `promise` is already settled: its reactions run before the next macrotask. */
export async function settledBeforeNextMacrotask(promise) {
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await nextMacrotask()
  return settled
}

/**
 * Watches the event loop with a `periodMs` interval timer. stop() returns
 * { ticks, maxGap, gaps } where a gap is the time between two consecutive firings (the first
 * is measured from start()).
 */
export function watchEventLoop(periodMs = 5) {
  let last = now()
  const gaps = []
  const timer = setInterval(() => {
    const at = now()
    gaps.push(at - last)
    last = at
  }, periodMs)
  return {
    stop() {
      clearInterval(timer)
      // The time since the last firing counts too: a loop blocked at the end shows here.
      gaps.push(now() - last)
      return { ticks: gaps.length - 1, maxGap: Math.max(...gaps), gaps }
    },
  }
}

/**
 * The largest gap of a 5 ms interval over `ms` milliseconds with nothing of ours running: how
 * much this machine alone stalls the event loop right now. Responsiveness bounds are the
 * larger of their nominal value and twice this, so that a machine too loaded to keep a plain
 * timer on time does not fail them, while a stall that the runtime causes still does.
 */
export async function idleEventLoopGap(ms = 300) {
  const watch = watchEventLoop(5)
  await sleep(ms)
  return watch.stop().maxGap
}

/**
 * Runs `source` (an ES module body) in a new Node process with cwd `cwd`. The body sees the
 * package as `rw`, the helpers `attempt(promise)` (→ plain JSON describing the outcome) and
 * `now()`, and fills the object `out`, which is returned. The child's own environment has no
 * RUNTIME_WASM_MANIFEST, so a manifest.app.toml in `cwd` is what it finds.
 */
export function runChild(source, { cwd, env = {}, timeoutMs = 60_000 }) {
  const script = `
import * as rw from ${JSON.stringify(PACKAGE_URL)}
const out = {}
const now = () => performance.now()
async function attempt(promise, started = now()) {
  try {
    const value = await promise
    return { ok: true, value, ms: now() - started }
  } catch (e) {
    return { ok: false, ms: now() - started, code: e?.code, name: e?.name, message: String(e?.message),
             reason: e?.reason, elapsedMs: e?.elapsedMs, fuelConsumed: e?.fuelConsumed,
             isWasmError: e instanceof rw.WasmError }
  }
}
try {
${source}
} catch (e) {
  out.crashed = String(e?.stack ?? e)
}
process.stdout.write('\\n@@' + JSON.stringify(out) + '\\n')
`
  const childEnv = { ...process.env, ...env }
  delete childEnv.RUNTIME_WASM_MANIFEST
  delete childEnv.NODE_TEST_CONTEXT
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-'], { cwd, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith('@@'))
      if (code !== 0 || !line) {
        reject(new Error(`child failed (status ${code}, signal ${signal}):\n${stdout}\n${stderr}`))
        return
      }
      const out = JSON.parse(line.slice(2))
      if (out.crashed) reject(new Error(`child threw: ${out.crashed}\n${stderr}`))
      else resolve(out)
    })
    child.stdin.end(script)
  })
}
