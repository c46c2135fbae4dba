// Execution limits while the guest waits in the host instead of spinning. A deadline
// (limits.timeoutMs or a call's timeoutMs), an AbortSignal or drop() must settle a call promptly
// whatever the guest is doing: running, sleeping in WASI poll_oneoff (6 s, 10 s, 10^12 ms),
// polling in a loop of short sleeps, reading or polling an inherited stdin that never gets data,
// awaiting a host function that never resolves, or re-entering itself through this.call. After
// a deadline or an abort the instance stays usable. The stdin, 10^12 ms and re-entry cases run in
// child processes (waits-child.mjs, sharing waits-common.mjs with this file): the first two to
// see that nothing keeps the process alive, the last so that whatever a stop leaves running
// cannot weigh on the rest of this file.
//
// And the waits around them: a FIFO in a preopen must not pin a thread (600 guests opening one
// leave compile() and file reads prompt and the thread count bounded); callSync never blocks the
// JS thread on a wait (5002, naming callSync); maxMemoryBytes and maxTableElements are budgets
// per instance, summed over its memories and tables; a guest flooding a slow stdout callback is
// held back (bounded RSS, at most about 1 MiB undelivered); per-call fuel on an instance without
// limits.fuel is refused up front with an error that says so.
//
// The runtime should settle within 50 ms of a limit. CI machines are slow and noisy, so the
// bounds asserted here are about a second; the lateness measured is printed as a diagnostic.

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import * as rw from '../../index.mjs'
import { LIMIT_KINDS, fixturePath, hostState, now, settleBy, sleep, start, stopWhileWaiting, summarize } from './waits-common.mjs'

/** The limit in most cases: a deadline of this many ms, or an abort / drop() this long after the call. */
const LIMIT_MS = 300
/** The re-entry cases run under a 500 ms deadline. */
const REENTRY_LIMIT_MS = 500
/** How late after its limit a call may settle here (the runtime aims at 50 ms). */
const LATE_MS = 1000
/** How long after the limit we wait for a call before calling it stuck. */
const GUARD_EXTRA_MS = LATE_MS + 500
/** How long a plain call after a stop may take. */
const USABLE_MS = 1500
/** The most threads this process may have while guests wait. */
const MAX_THREADS = 100
const MiB = 1 << 20
const PAGE = 65536

const waitsModule = await rw.compileFile(fixturePath('waits.wat'))
const hostModule = await rw.compileFile(fixturePath('waits_host.wat'))

const fmt = (ms) => (typeof ms === 'number' ? ms.toFixed(1) : String(ms))
const show = (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))

/** This process's thread count, from /proc/self/status. */
function threadCount() {
  const match = /^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return match ? Number(match[1]) : Number.NaN
}

/** Samples threadCount() every 10 ms until stop(), which returns the largest count seen. */
function watchThreads() {
  let most = threadCount()
  const timer = setInterval(() => (most = Math.max(most, threadCount())), 10)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(most, threadCount())
    },
  }
}

/**
 * How many of this process's threads the kernel shows blocked opening a FIFO (waiting for the
 * other end), from /proc/self/task/<tid>/wchan; undefined when that cannot be read.
 */
function threadsBlockedOnFifos() {
  try {
    let blocked = 0
    let readable = false
    for (const task of readdirSync('/proc/self/task')) {
      let wchan
      try {
        wchan = readFileSync(`/proc/self/task/${task}/wchan`, 'utf8')
      } catch {
        continue
      }
      if (/^[a-z_]/.test(wchan)) readable = true
      if (wchan === 'wait_for_partner') blocked++
    }
    return readable ? blocked : undefined
  } catch {
    return undefined
  }
}

/** A small module of its own (a fresh compile, not a cache hit). */
const uniqueAddWat = () =>
  `(module (global (export "nonce") i64 (i64.const ${BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000))}))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`

/**
 * Checks a stopWhileWaiting() result (here or from the child process): the call settled, not
 * later than LATE_MS after its limit, with the limit's error; the instance still answers (or,
 * after drop(), rejects with 5005); `probeMin`: the export `probe` reported at least that much
 * (the guest really reached its wait).
 */
function checkStopped(t, label, r, { probeMin } = {}) {
  const drop = r.drop ? `; drop() resolved ${fmt(r.drop.lateMs)} ms after it was called` : ''
  t.diagnostic(
    r.settled
      ? `${label}: settled ${fmt(r.lateMs)} ms after the limit (${r.lateMs <= 50 ? 'within' : 'NOT within'} 50 ms), ${fmt(r.ms)} ms after the call${drop}`
      : `${label}: still pending ${fmt(r.ms)} ms after the call`,
  )
  assert.ok(r.settled, `${label}: still pending ${fmt(r.ms)} ms after the call, ${fmt(r.lateMs)} ms after its limit`)
  assert.equal(r.ok, false, `${label}: resolved with ${show(r.value)} instead of being stopped`)
  assert.ok(r.lateMs <= LATE_MS, `${label}: settled ${fmt(r.lateMs)} ms after its limit (allowed: ${LATE_MS} ms; the runtime aims at 50 ms)`)
  const e = r.error
  switch (r.limit) {
    case 'limits.timeoutMs':
    case 'invoke timeoutMs':
      assert.equal(e?.isWasmError, true, `${label}: expected a 5011 WasmError, got ${show(e)}`)
      assert.equal(e.code, 5011, `${label}: expected 5011, got ${show(e)}`)
      assert.equal(e.reason, 'timeout', `${label}: expected reason "timeout", got ${show(e)}`)
      assert.equal(typeof e.elapsedMs, 'number', `${label}: elapsedMs missing: ${show(e)}`)
      assert.ok(e.elapsedMs >= r.limitMs, `${label}: elapsedMs ${e.elapsedMs} is before the ${r.limitMs} ms deadline`)
      assert.ok(r.ms >= r.limitMs - 5, `${label}: rejected ${fmt(r.ms)} ms after the call, before its ${r.limitMs} ms deadline`)
      break
    case 'AbortSignal':
      assert.equal(e?.name, 'AbortError', `${label}: expected an AbortError, got ${show(e)}`)
      assert.equal(e.isAbortError, true, `${label}: not the package's AbortError: ${show(e)}`)
      assert.equal(e.isWasmError, false, `${label}: an abort is not a WasmError: ${show(e)}`)
      assert.equal(e.code, 'ABORT_ERR')
      assert.equal(e.causeIsReason, true, `${label}: the cause must be the signal's reason: ${show(e)}`)
      break
    case 'drop()':
      assert.equal(e?.isWasmError, true, `${label}: expected a 5005 WasmError, got ${show(e)}`)
      assert.equal(e.code, 5005, `${label}: expected 5005, got ${show(e)}`)
      assert.ok(r.drop.settled, `${label}: drop() itself was still pending ${fmt(r.drop.ms)} ms after it was called`)
      assert.equal(r.drop.ok, true, `${label}: drop() failed: ${show(r.drop.error)}`)
      assert.ok(r.drop.lateMs <= LATE_MS, `${label}: drop() took ${fmt(r.drop.lateMs)} ms`)
      assert.ok(r.afterDrop.settled, `${label}: a call after drop() was still pending after ${USABLE_MS} ms`)
      assert.equal(r.afterDrop.ok, false, `${label}: a call after drop() succeeded`)
      assert.equal(r.afterDrop.error?.code, 5005, `${label}: a call after drop(): ${show(r.afterDrop.error)}`)
      break
    default:
      assert.fail(`unknown limit ${r.limit}`)
  }
  if (r.limit !== 'drop()') {
    assert.ok(r.usable.settled, `${label}: add(2, 3) after the stop was still pending after ${USABLE_MS} ms: the instance is stuck`)
    assert.equal(r.usable.ok, true, `${label}: add(2, 3) after the stop failed: ${show(r.usable.error)}`)
    assert.deepEqual(r.usable.value, [5], `${label}: add(2, 3) after the stop`)
    t.diagnostic(`${label}: add(2, 3) after the stop answered in ${fmt(r.usable.ms)} ms`)
    if (probeMin !== undefined) {
      assert.ok(r.probe?.ok && r.probe.value[0] >= probeMin, `${label}: the guest never reached its wait: ${show(r.probe)}`)
    }
  }
}

/** Runs `body` and returns what reached process 'unhandledRejection' meanwhile. */
async function collectUnhandled(body) {
  const unhandled = []
  const onUnhandled = (reason) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    await body()
    await sleep(50)
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
  return unhandled
}

// ---------------------------------------------------------------------------------------------
// Every kind of limit against every kind of wait, in this process.

const IN_PROCESS_WAITS = [
  { wait: 'running (an infinite loop)', name: 'spin', args: [], probe: 'started' },
  { wait: 'a poll_oneoff sleep of 6 s', name: 'sleep_ms', args: [6000n], probe: 'started' },
  { wait: 'a poll_oneoff sleep of 10 s', name: 'sleep_ms', args: [10_000n], probe: 'started' },
  // Each sleep is 1 ms: up to 8000 of them, so 8 s or more unless a limit stops the loop.
  { wait: 'polling (a loop of 1 ms poll_oneoff sleeps)', name: 'poll_loop', args: [8000], probe: 'polls' },
  { wait: 'an async host function that never resolves', name: 'waits', args: [], host: true },
]
// Re-entry through this.call runs in child processes: see the last part of this file.

describe('a limit settles a call promptly whatever the guest waits on', () => {
  for (const { wait, name, args, probe, host } of IN_PROCESS_WAITS) {
    for (const limit of LIMIT_KINDS) {
      const label = `${wait} / ${limit}`
      test(label, { timeout: 30_000 }, async (t) => {
        const state = host ? hostState() : undefined
        let result
        const unhandled = await collectUnhandled(async () => {
          try {
            result = await stopWhileWaiting({
              moduleId: host ? hostModule : waitsModule,
              options: host ? { imports: state.imports } : {},
              name,
              args,
              limit,
              limitMs: LIMIT_MS,
              guardMs: LIMIT_MS + GUARD_EXTRA_MS,
              usableMs: USABLE_MS,
              probe,
            })
          } finally {
            state?.release()
          }
        })
        checkStopped(t, label, result, { probeMin: probe ? 1 : undefined })
        if (state) assert.equal(state.waits, 1, 'the guest was waiting on its host function')
        assert.deepEqual(unhandled.map(String), [], `${label}: unhandled rejections`)
      })
    }
  }

  test('limits.timeoutMs stops an _initialize that sleeps 10 s in poll_oneoff: instantiate rejects with 5011', { timeout: 30_000 }, async (t) => {
    const reactor = await rw.compileFile(fixturePath('waits_reactor.wat'))
    const started = now()
    const outcome = await settleBy(start(() => rw.instantiate(reactor, { limits: { timeoutMs: LIMIT_MS } })), LIMIT_MS + GUARD_EXTRA_MS)
    const late = outcome.at - started - LIMIT_MS
    t.diagnostic(`instantiate settled ${fmt(late)} ms after the deadline`)
    assert.ok(outcome.settled, `instantiate was still pending ${fmt(outcome.at - started)} ms after it began`)
    if (outcome.ok) await outcome.value.drop()
    assert.equal(outcome.ok, false, 'the instantiate of a sleeping _initialize resolved')
    assert.ok(outcome.error instanceof rw.WasmError, `expected a WasmError, got ${outcome.error}`)
    assert.equal(outcome.error.code, 5011, outcome.error.message)
    assert.equal(outcome.error.reason, 'timeout')
    assert.ok(late <= LATE_MS, `instantiate settled ${fmt(late)} ms after its deadline`)
    // The same module with a deadline too short for it: the next instantiate is just as prompt.
    const again = await settleBy(start(() => rw.instantiate(reactor, { limits: { timeoutMs: 50 } })), 50 + GUARD_EXTRA_MS)
    assert.equal(again.settled && again.error?.code, 5011)
    await rw.dropModule(reactor)
  })

  test('run() with limits.timeoutMs stops a _start that sleeps 10 s in poll_oneoff', { timeout: 30_000 }, async (t) => {
    const started = now()
    const outcome = await settleBy(start(() => rw.run(waitsModule, { limits: { timeoutMs: LIMIT_MS } })), LIMIT_MS + GUARD_EXTRA_MS)
    const late = outcome.at - started - LIMIT_MS
    t.diagnostic(`run() settled ${fmt(late)} ms after the deadline`)
    assert.ok(outcome.settled, `run() was still pending ${fmt(outcome.at - started)} ms after it began`)
    assert.equal(outcome.ok, false, `run() resolved ${show(outcome.value)}`)
    assert.equal(outcome.error?.code, 5011, String(outcome.error?.message))
    assert.equal(outcome.error.reason, 'timeout')
    assert.ok(late <= LATE_MS, `run() settled ${fmt(late)} ms after its deadline`)
  })

  test('64 instances sleeping in poll_oneoff hold no thread: other calls and compile() answer, all 64 stop on time', { timeout: 40_000 }, async (t) => {
    const deadline = 600
    const sleepers = await Promise.all(Array.from({ length: 64 }, () => rw.instantiate(waitsModule, { limits: { timeoutMs: deadline } })))
    const quick = await rw.instantiate(waitsModule)
    const threadsBefore = threadCount()
    const threads = watchThreads()
    const started = now()
    const calls = sleepers.map((sleeper) => settleBy(start(() => sleeper.invoke('sleep_ms', [10_000n])), deadline + GUARD_EXTRA_MS))
    await sleep(100)
    const quickStarted = now()
    const answer = await settleBy(start(() => quick.call('add', 2, 3)), 2000)
    const compiled = await settleBy(start(() => rw.compile(uniqueAddWat())), 5000)
    const compiledMs = compiled.at - answer.at
    const results = await Promise.all(calls)
    const mostThreads = threads.stop()
    const latest = Math.max(...results.map((r) => r.at)) - started - deadline
    t.diagnostic(`a quick call answered in ${fmt(answer.at - quickStarted)} ms, compile() in ${fmt(compiledMs)} ms while 64 guests slept`)
    t.diagnostic(`the last of the 64 sleepers settled ${fmt(latest)} ms after the deadline; threads ${threadsBefore} before, at most ${mostThreads}`)

    assert.ok(answer.settled && answer.ok, `a quick call on another instance: ${show({ ...answer, error: summarize(answer.error) })}`)
    assert.deepEqual(answer.value, [5])
    assert.ok(answer.at - quickStarted < 1000, `a quick call took ${fmt(answer.at - quickStarted)} ms while 64 guests slept`)
    assert.ok(compiled.settled && compiled.ok, `compile() while 64 guests slept: ${show({ ...compiled, error: summarize(compiled.error) })}`)
    assert.ok(compiledMs < 3000, `compile() took ${fmt(compiledMs)} ms while 64 guests slept`)
    const notStopped = results.filter((r) => !r.settled || r.ok || r.error?.code !== 5011 || r.error.reason !== 'timeout')
    assert.equal(notStopped.length, 0, `${notStopped.length} of 64 sleepers were not stopped by their deadline: ${show(notStopped.slice(0, 3).map((r) => ({ ...r, error: summarize(r.error) })))}`)
    assert.ok(latest <= LATE_MS, `the last sleeper settled ${fmt(latest)} ms after the deadline`)
    assert.ok(mostThreads < MAX_THREADS, `${mostThreads} threads while 64 guests slept (before: ${threadsBefore})`)
    const usable = await settleBy(Promise.all(sleepers.map((sleeper) => sleeper.call('add', 1, 1))), 3000)
    assert.ok(usable.settled && usable.ok, `the sleepers after their deadline: ${show({ ...usable, error: summarize(usable.error) })}`)
    await Promise.all([...sleepers, quick].map((instance) => settleBy(start(() => instance.drop()), 3000)))
  })
})

// ---------------------------------------------------------------------------------------------
// Waits only a process of their own can show: an inherited stdin that never gets data, and a
// 10^12 ms sleep that must not keep the process alive.

const CHILD = fileURLToPath(new URL('./waits-child.mjs', import.meta.url))
const CHILD_SCENARIOS = {
  forever: ['a poll_oneoff sleep of 10^12 ms'],
  stdin: ['fd_read on an inherited stdin that never gets data', 'poll_oneoff on an inherited stdin that never gets data'],
}
/** How long a child may take in all (a child whose every case hangs up to its guard finishes well within). */
const CHILD_HARD_MS = 60_000
/** How long a child may take to end by itself once it reported it is done. */
const CHILD_EXIT_MS = 5000

/**
 * Runs waits-child.mjs with `config` ({ scenario, limits?, delayMs? }; the timing constants are
 * added) and a stdin pipe that nobody writes to or closes. Resolves { records, doneAt, exitMs,
 * keptAlive, killed, code, signal, stderr }: exitMs is how long after { done } it ended by
 * itself, keptAlive whether it had to be killed after done. With `killOnDone` it is killed as
 * soon as it is done (for what a stop may leave behind in it).
 */
function runWaitsChild(config, { limitMs = LIMIT_MS, killOnDone = false } = {}) {
  const env = { ...process.env }
  delete env.NODE_TEST_CONTEXT
  delete env.RUNTIME_WASM_MANIFEST
  const argument = JSON.stringify({ limitMs, guardMs: limitMs + GUARD_EXTRA_MS, usableMs: USABLE_MS, ...config })
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, argument], { cwd: tmpdir(), env, stdio: ['pipe', 'pipe', 'pipe'] })
    const run = { records: [], doneAt: undefined, exitMs: undefined, keptAlive: false, killed: false, stderr: '' }
    let buffered = ''
    let exitTimer
    const hardTimer = setTimeout(() => {
      run.killed = true
      child.kill('SIGKILL')
    }, CHILD_HARD_MS)
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk
      let newline
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        if (!line.startsWith('@@')) continue
        const record = JSON.parse(line.slice(2))
        run.records.push(record)
        if (record.done) {
          run.doneAt = now()
          if (killOnDone) child.kill('SIGKILL')
          exitTimer = setTimeout(() => {
            run.keptAlive = true
            child.kill('SIGKILL')
          }, CHILD_EXIT_MS)
        }
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => (run.stderr += chunk))
    child.on('close', (code, signal) => {
      clearTimeout(hardTimer)
      clearTimeout(exitTimer)
      if (run.doneAt !== undefined && !run.keptAlive) run.exitMs = now() - run.doneAt
      run.code = code
      run.signal = signal
      child.stdin.destroy()
      resolve(run)
    })
  })
}

function childSummary(run) {
  const last = run.records.at(-1)
  return `child ${run.killed ? 'killed after ' + CHILD_HARD_MS + ' ms' : `ended (status ${run.code}, signal ${run.signal})`}; last record: ${show(last)}; stderr: ${run.stderr.slice(-2000)}`
}

describe('in a child process: waits on an inherited stdin, and a 10^12 ms sleep', () => {
  const runs = {}
  const child = (scenario) => (runs[scenario] ??= runWaitsChild({ scenario }))
  for (const [scenario, waits] of Object.entries(CHILD_SCENARIOS)) {
    for (const wait of waits) {
      for (const limit of LIMIT_KINDS) {
        const label = `${wait} / ${limit}`
        test(`${label} (child process)`, { timeout: CHILD_HARD_MS + 10_000 }, async (t) => {
          const run = await child(scenario)
          const record = run.records.find((r) => r.kind === 'stop' && r.wait === wait && r.limit === limit)
          assert.ok(record, `the child never reported this case: ${childSummary(run)}`)
          assert.equal(record.crashed, undefined, record.crashed)
          checkStopped(t, label, record, { probeMin: 1 })
          assert.deepEqual(record.unhandled, [], `${label}: unhandled rejections in the child`)
        })
      }
      test(`callSync of ${wait} throws 5002 at once, naming callSync (child process)`, { timeout: CHILD_HARD_MS + 10_000 }, async (t) => {
        const run = await child(scenario)
        const record = run.records.find((r) => r.kind === 'callSync' && r.wait === wait)
        const began = run.records.some((r) => r.kind === 'callSync-begin' && r.wait === wait)
        assert.ok(record, began ? `callSync of ${wait} never returned: it blocked the JS thread (${childSummary(run)})` : `the child never got to it: ${childSummary(run)}`)
        t.diagnostic(`callSync of ${wait}: threw after ${fmt(record.ms)} ms: ${show(record.error)}`)
        assert.equal(record.threw, true, `callSync returned ${show(record.value)}`)
        assert.equal(record.isWasmError, true, `expected a WasmError, got ${show(record.error)}`)
        assert.equal(record.error.code, 5002, show(record.error))
        assert.match(record.error.message, /callSync/)
        assert.doesNotMatch(record.error.message, /internal error/i)
        assert.ok(record.ms < 1000, `callSync held the JS thread ${fmt(record.ms)} ms`)
        assert.deepEqual(record.usable, { ok: true, value: [5] }, 'callSync of add afterwards')
      })
    }
    test(`the child ends by itself once its calls were stopped (${scenario})`, { timeout: CHILD_HARD_MS + 10_000 }, async (t) => {
      const run = await child(scenario)
      assert.ok(run.doneAt !== undefined, `the child never finished: ${childSummary(run)}`)
      t.diagnostic(`${scenario}: the child ended ${run.keptAlive ? 'only when killed' : `${fmt(run.exitMs)} ms`} after it was done`)
      assert.equal(run.keptAlive, false, `the child was still alive ${CHILD_EXIT_MS} ms after its last call: something (a wait that was never stopped?) keeps the process alive`)
      assert.equal(run.code, 0, childSummary(run))
      assert.deepEqual(run.records.at(-1).unhandled, [], 'unhandled rejections in the child')
    })
  }
})

// ---------------------------------------------------------------------------------------------
// FIFOs in a preopen: opening one must fail fast, never pin a thread.

/** A temporary preopen holding fifo, sub/fifo, link-to-fifo -> fifo and plain.txt ("plain text"). */
function fifoSandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'runtime-wasm-waits-'))
  mkdirSync(join(dir, 'sub'))
  const fifos = [join(dir, 'fifo'), join(dir, 'sub', 'fifo')]
  for (const fifo of fifos) execFileSync('mkfifo', [fifo])
  symlinkSync('fifo', join(dir, 'link-to-fifo'))
  writeFileSync(join(dir, 'plain.txt'), 'plain text')
  const held = []
  return {
    dir,
    // Opens every FIFO read-write, which never blocks on Linux and lets any open blocked on it
    // proceed: so that a runtime that does block there cannot hang this file.
    release() {
      for (const fifo of fifos) held.push(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK))
    },
    cleanup() {
      for (const fd of held.splice(0)) closeSync(fd)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// [export, path offset, path length, what]: see waits_fifo.wat.
const FIFO_OPENS = [
  ['open_read', 256, 4, 'fifo, for reading'],
  ['open_write', 256, 4, 'fifo, for writing'],
  ['open_read_nonblock', 256, 4, 'fifo, for reading, non-blocking'],
  ['open_read', 272, 12, 'a symlink to the fifo'],
  ['open_read', 304, 8, 'sub/fifo'],
  ['read', 256, 4, 'fifo, to read it'],
]

describe('FIFOs in a preopen', () => {
  test('opening a FIFO fails at once with an errno, whichever way; plain files still read', { timeout: 40_000 }, async (t) => {
    const fifoModule = await rw.compileFile(fixturePath('waits_fifo.wat'))
    const sandbox = fifoSandbox()
    const instance = await rw.instantiate(fifoModule, { preopens: { '/sandbox': sandbox.dir } })
    try {
      for (const [name, ptr, len, what] of FIFO_OPENS) {
        const started = now()
        const outcome = await settleBy(start(() => instance.invoke(name, [ptr, len], { timeoutMs: 5000 })), 6000)
        const ms = outcome.at - started
        t.diagnostic(`${what}: ${outcome.settled ? (outcome.ok ? `returned ${outcome.value[0]}` : `rejected ${outcome.error.code}`) : 'still pending'} after ${fmt(ms)} ms`)
        assert.ok(outcome.settled, `${what}: path_open was still pending after 6 s: it blocks`)
        assert.equal(outcome.ok, true, `${what}: the call failed instead of the guest getting an errno: ${show(summarize(outcome.error))}`)
        assert.ok(outcome.value[0] < 0, `${what}: the guest opened the FIFO (fd ${outcome.value[0]}): non-regular files in preopens must be refused`)
        assert.ok(ms < 1000, `${what}: the guest waited ${fmt(ms)} ms for its errno`)
      }
      assert.deepEqual(await instance.call('read', 288, 9), [10], 'plain.txt reads')
    } finally {
      sandbox.release()
      await settleBy(start(() => instance.drop()), 5000)
      sandbox.cleanup()
      await rw.dropModule(fifoModule)
    }
  })

  test('600 guests opening a FIFO at once: compile() and another guest\'s file read stay prompt, threads stay bounded', { timeout: 60_000 }, async (t) => {
    const fifoModule = await rw.compileFile(fixturePath('waits_fifo.wat'))
    const sandbox = fifoSandbox()
    const preopens = { '/sandbox': sandbox.dir }
    const reader = await rw.instantiate(fifoModule, { preopens })
    const openers = []
    let opens = []
    try {
      for (let batch = 0; batch < 6; batch++) {
        openers.push(...(await Promise.all(Array.from({ length: 100 }, () => rw.instantiate(fifoModule, { preopens })))))
      }
      const threadsBefore = threadCount()
      const threads = watchThreads()
      const started = now()
      opens = openers.map((opener, i) => {
        const [name, ptr, len] = FIFO_OPENS[i % FIFO_OPENS.length]
        return settleBy(start(() => opener.call(name, ptr, len)), 10_000)
      })
      const [compiled, read] = await Promise.all([
        settleBy(start(() => rw.compile(uniqueAddWat())), 10_000),
        settleBy(start(() => reader.call('read', 288, 9)), 10_000),
      ])
      const results = await Promise.all(opens)
      const mostThreads = threads.stop()
      const slowest = Math.max(...results.map((r) => r.at)) - started
      t.diagnostic(`compile() took ${fmt(compiled.at - started)} ms, the plain read ${fmt(read.at - started)} ms; the last FIFO open settled after ${fmt(slowest)} ms`)
      t.diagnostic(`threads: ${threadsBefore} before, at most ${mostThreads} during`)

      assert.ok(compiled.settled && compiled.ok, `compile() during the FIFO opens: ${show({ ...compiled, error: summarize(compiled.error) })}`)
      assert.ok(compiled.at - started < 3000, `compile() took ${fmt(compiled.at - started)} ms during the FIFO opens`)
      assert.ok(read.settled && read.ok, `a plain file read during the FIFO opens: ${show({ ...read, error: summarize(read.error) })}`)
      assert.deepEqual(read.value, [10])
      assert.ok(read.at - started < 3000, `a plain file read took ${fmt(read.at - started)} ms during the FIFO opens`)
      const pending = results.filter((r) => !r.settled).length
      const opened = results.filter((r) => r.ok && r.value[0] >= 0).length
      const failed = results.filter((r) => r.settled && !r.ok)
      assert.equal(pending, 0, `${pending} of 600 FIFO opens were still pending after 10 s`)
      assert.equal(opened, 0, `${opened} of 600 guests opened a FIFO`)
      assert.equal(failed.length, 0, `${failed.length} FIFO opens failed as calls: ${show(summarize(failed[0]?.error))}`)
      assert.ok(slowest < 5000, `the FIFO opens took ${fmt(slowest)} ms`)
      assert.ok(mostThreads < MAX_THREADS, `${mostThreads} threads during the FIFO opens (before: ${threadsBefore})`)
    } finally {
      sandbox.release()
      await Promise.all(opens)
      await Promise.all([reader, ...openers].map((instance) => settleBy(start(() => instance.drop()), 5000)))
      sandbox.cleanup()
      await rw.dropModule(fifoModule)
    }
  })

  // Known limitation (README, "Special files"): the file type is checked just before the open,
  // so a FIFO that another process renames into a preopened directory in between is opened
  // (a guest cannot make or bring one). Kept as a todo that reports what happens.
  test('a FIFO swapped in for a plain file while guests open it pins no thread (the check and the open race)', { timeout: 60_000, todo: 'another process swapping a FIFO in between the check and the open is a documented limitation' }, async (t) => {
    const fifoModule = await rw.compileFile(fixturePath('waits_fifo.wat'))
    const sandbox = fifoSandbox()
    // Another process renames a FIFO and a plain file in and out of "target" as fast as it can.
    execFileSync('mkfifo', [join(sandbox.dir, 'swap-fifo')])
    writeFileSync(join(sandbox.dir, 'swap-plain'), 'plain text')
    const swapMs = 1500
    const swapper = spawn(process.execPath, ['-e', `
      const fs = require('node:fs')
      const at = (name) => ${JSON.stringify(sandbox.dir)} + '/' + name
      const end = Date.now() + ${swapMs}
      while (Date.now() < end) {
        fs.renameSync(at('swap-fifo'), at('target'))
        fs.renameSync(at('target'), at('swap-fifo'))
        fs.renameSync(at('swap-plain'), at('target'))
        fs.renameSync(at('target'), at('swap-plain'))
      }`], { stdio: 'ignore' })
    const swapperExit = new Promise((resolve) => swapper.on('exit', resolve))
    const guests = await Promise.all(Array.from({ length: 8 }, () => rw.instantiate(fifoModule, { preopens: { '/sandbox': sandbox.dir } })))
    let swapping = true
    const stuck = []
    const failed = []
    let calls = 0
    let opened = 0
    const loops = guests.map(async (guest, index) => {
      while (swapping) {
        // 50 opens of "target" per call; a call that does not settle in 2 s is pinned.
        const outcome = await settleBy(start(() => guest.call('open_loop', 320, 6, 50)), 2000)
        if (!outcome.settled) return stuck.push(index)
        if (!outcome.ok) return failed.push(summarize(outcome.error))
        calls++
        opened += outcome.value[0]
      }
    })
    let pinned
    try {
      await settleBy(swapperExit, swapMs + 10_000)
      swapping = false
      await settleBy(Promise.all(loops), 2500)
      pinned = threadsBlockedOnFifos()
      t.diagnostic(`${calls} calls of 50 opens each (${opened} opened the plain file); ${stuck.length} guests stuck in a call; ${pinned ?? 'unknown'} threads blocked opening a FIFO`)
      assert.deepEqual(failed, [], 'calls failed')
      assert.ok(calls > 0, 'no call completed')
      assert.deepEqual(stuck, [], `${stuck.length} of 8 guests got stuck opening "target": a FIFO swapped in after the runtime's check was opened, blocking (${pinned ?? 'unknown'} threads blocked in a FIFO open)`)
      if (pinned !== undefined) assert.equal(pinned, 0, `${pinned} threads are blocked opening a FIFO`)
    } finally {
      swapping = false
      swapper.kill('SIGKILL')
      sandbox.release()
      for (const name of ['swap-fifo', 'target']) {
        try {
          closeSync(openSync(join(sandbox.dir, name), constants.O_RDWR | constants.O_NONBLOCK))
        } catch {}
      }
      await settleBy(Promise.all(loops), 5000)
      await Promise.all(guests.map((guest) => settleBy(start(() => guest.drop()), 5000)))
      sandbox.cleanup()
      await rw.dropModule(fifoModule)
    }
  })
})

// ---------------------------------------------------------------------------------------------
// callSync never blocks the JS thread on a wait.

describe('callSync and waits', () => {
  test('callSync of a guest that sleeps or polls throws 5002 at once, naming callSync; the instance stays usable', { timeout: 60_000 }, async (t) => {
    const cases = [
      ['a 3 s sleep', undefined, 'sleep_ms', [3000n]],
      ['a 3 s sleep under limits.timeoutMs', { limits: { timeoutMs: LIMIT_MS } }, 'sleep_ms', [3000n]],
      ['a polling loop', undefined, 'poll_loop', [2000]],
    ]
    for (const [what, options, name, args] of cases) {
      const instance = await rw.instantiate(waitsModule, options)
      for (const [how, callSync] of [
        ['instance.callSync', () => instance.callSync(name, ...args)],
        ['low-level callSync', () => rw.callSync(instance.id, name, args)],
      ]) {
        const started = now()
        let value
        let error
        try {
          value = callSync()
        } catch (thrown) {
          error = thrown
        }
        const ms = now() - started
        t.diagnostic(`${how} of ${what}: ${error ? `threw ${error.code} after ${fmt(ms)} ms: ${error.message.split('\n')[0]}` : `returned ${show(value)} after ${fmt(ms)} ms`}`)
        assert.ok(error, `${how} of ${what} returned ${show(value)} after ${fmt(ms)} ms instead of throwing`)
        assert.ok(error instanceof rw.WasmError, `${how} of ${what}: expected a WasmError, got ${error}`)
        assert.equal(error.code, 5002, `${how} of ${what}: ${error.code} ${error.message}`)
        assert.match(error.message, /callSync/, `${how} of ${what}: the message must say callSync cannot wait`)
        assert.doesNotMatch(error.message, /internal error/i)
        assert.ok(ms < 1000, `${how} of ${what} held the JS thread for ${fmt(ms)} ms`)
        assert.deepEqual(instance.callSync('add', 2, 3), [5], 'callSync works afterwards')
        assert.deepEqual(await instance.call('add', 2, 3), [5], 'call works afterwards')
      }
      await instance.drop()
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Memory and table budgets are per instance: summed over all its memories and tables.

const range = (n) => Array.from({ length: n }, (_, i) => i)

/**
 * `count` memories (memory 0 exported as "memory") of `initial` pages, or tables of `initial`
 * elements: grow(which, n) -> previous size or -1, size(which), total() (sum of the sizes), and
 * bomb(), which grows each of them by one in turn until none can grow, and returns total().
 */
function multiWat(kind, count, initial) {
  const isMemory = kind === 'memory'
  const declare = (i) => (isMemory ? `(memory $m${i}${i === 0 ? ' (export "memory")' : ''} ${initial})` : `(table $m${i}${i === 0 ? ' (export "table")' : ''} ${initial} funcref)`)
  const grow = (i, n) => (isMemory ? `(memory.grow $m${i} ${n})` : `(table.grow $m${i} (ref.null func) ${n})`)
  const size = (i) => (isMemory ? `(memory.size $m${i})` : `(table.size $m${i})`)
  const dispatch = (op) => range(count).map((i) => `(if (i32.eq (local.get $which) (i32.const ${i})) (then (return ${op(i)})))`).join('\n    ')
  const total = range(count).map(size).reduce((sum, next) => `(i32.add ${sum} ${next})`)
  return `(module
  ${range(count).map(declare).join('\n  ')}
  (func $total (export "total") (result i32) ${total})
  (func (export "grow") (param $which i32) (param $n i32) (result i32)
    ${dispatch((i) => grow(i, '(local.get $n)'))}
    (i32.const -2))
  (func (export "size") (param $which i32) (result i32)
    ${dispatch(size)}
    (i32.const -2))
  (func (export "bomb") (result i32) (local $grew i32)
    (loop $round
      (local.set $grew (i32.const 0))
      ${range(count).map((i) => `(if (i32.ne ${grow(i, '(i32.const 1)')} (i32.const -1)) (then (local.set $grew (i32.const 1))))`).join('\n      ')}
      (br_if $round (local.get $grew)))
    (call $total)))`
}

async function expectInstantiateError(moduleId, options, what) {
  const outcome = await settleBy(start(() => rw.instantiate(moduleId, options)), 10_000)
  if (outcome.ok) await outcome.value.drop()
  assert.ok(outcome.settled, `${what}: instantiate still pending after 10 s`)
  assert.equal(outcome.ok, false, `${what}: instantiate succeeded`)
  assert.ok(outcome.error instanceof rw.WasmError, `${what}: ${outcome.error}`)
  assert.equal(outcome.error.code, 5001, `${what}: ${outcome.error.code} ${outcome.error.message}`)
  return outcome.error
}

describe('budgets per instance: several memories and tables share one', () => {
  const BUDGET_PAGES = 512 // 32 MiB

  test('4 memories under maxMemoryBytes 32 MiB: one may take 16 MiB, the next not another 16 MiB', { timeout: 30_000 }, async () => {
    const moduleId = await rw.compile(multiWat('memory', 4, 1))
    const instance = await rw.instantiate(moduleId, { limits: { maxMemoryBytes: 32 * MiB } })
    assert.deepEqual(await instance.call('grow', 0, 255), [1], 'memory 0 grows to 16 MiB (259 pages in all)')
    assert.deepEqual(await instance.call('grow', 1, 255), [-1], 'memory 1 may not grow to 16 MiB too: 514 pages > 32 MiB in all')
    assert.deepEqual(await instance.call('grow', 1, 253), [1], 'memory 1 may take what is left: 512 pages in all')
    assert.deepEqual(await instance.call('total'), [BUDGET_PAGES])
    for (const which of [0, 1, 2, 3]) assert.deepEqual(await instance.call('grow', which, 1), [-1], `memory ${which} may not grow past the budget`)
    const error = await settleBy(start(() => instance.memory.grow(1)), 5000)
    assert.equal(error.ok, false, 'instance.memory.grow past the budget succeeded')
    assert.equal(error.error?.code, 5006, `instance.memory.grow past the budget: ${error.error}`)
    assert.deepEqual(await instance.call('total'), [BUDGET_PAGES], 'refused grows changed nothing')
    await instance.drop()
    await rw.dropModule(moduleId)
  })

  test('a growth bomb over 4 memories stops at 32 MiB in all; initial memories beyond it fail with 5001', { timeout: 30_000 }, async (t) => {
    const bombModule = await rw.compile(multiWat('memory', 4, 1))
    const bomb = await rw.instantiate(bombModule, { limits: { maxMemoryBytes: 32 * MiB } })
    const [pages] = await bomb.call('bomb')
    const sizes = await Promise.all([0, 1, 2, 3].map(async (which) => (await bomb.call('size', which))[0]))
    t.diagnostic(`the bomb reached ${pages} pages (${(pages * PAGE) / MiB} MiB) in all: ${sizes.join(' + ')}`)
    assert.ok(pages * PAGE <= 32 * MiB, `4 memories took ${pages} pages = ${(pages * PAGE) / MiB} MiB under a 32 MiB budget (${sizes.join(' + ')})`)
    assert.equal(pages, BUDGET_PAGES, 'the budget is usable up to its last page')
    await bomb.drop()
    await rw.dropModule(bombModule)

    const over = await rw.compile(multiWat('memory', 4, 160)) // 4 x 10 MiB
    const error = await expectInstantiateError(over, { limits: { maxMemoryBytes: 32 * MiB } }, '4 initial memories of 10 MiB under 32 MiB')
    assert.match(error.message, /memory/)
    await rw.dropModule(over)

    const exact = await rw.compile(multiWat('memory', 4, 128)) // 4 x 8 MiB = 32 MiB
    const full = await rw.instantiate(exact, { limits: { maxMemoryBytes: 32 * MiB } })
    assert.deepEqual(await full.call('bomb'), [BUDGET_PAGES], 'initial memories of exactly the budget: nothing more grows')
    await full.drop()
    await rw.dropModule(exact)
  })

  test('a 32-bit and a 64-bit memory share the budget', { timeout: 30_000 }, async () => {
    const moduleId = await rw.compile(`(module
      (memory $a (export "memory") 1)
      (memory $b i64 1)
      (func (export "grow_a") (param i32) (result i32) (memory.grow $a (local.get 0)))
      (func (export "grow_b") (param i64) (result i64) (memory.grow $b (local.get 0))))`)
    const instance = await rw.instantiate(moduleId, { limits: { maxMemoryBytes: 2 * MiB } }) // 32 pages
    assert.deepEqual(await instance.call('grow_a', 15), [1], 'memory a grows to 16 pages')
    assert.deepEqual(await instance.call('grow_b', 16n), [-1n], 'memory b may not grow to 17 pages: 33 in all')
    assert.deepEqual(await instance.call('grow_b', 15n), [1n], 'memory b takes what is left')
    assert.deepEqual(await instance.call('grow_a', 1), [-1], 'nothing is left')
    assert.deepEqual(await instance.call('grow_b', 1n), [-1n], 'nothing is left')
    await instance.drop()
    await rw.dropModule(moduleId)
  })

  test('4 tables under maxTableElements 1000: the budget is summed, a bomb stops at it, initial tables beyond it fail', { timeout: 30_000 }, async (t) => {
    const moduleId = await rw.compile(multiWat('table', 4, 1))
    const instance = await rw.instantiate(moduleId, { limits: { maxTableElements: 1000 } })
    assert.deepEqual(await instance.call('grow', 0, 499), [1], 'table 0 grows to 500 elements')
    assert.deepEqual(await instance.call('grow', 1, 499), [-1], 'table 1 may not grow to 500 too: 1002 in all')
    assert.deepEqual(await instance.call('grow', 1, 497), [1], 'table 1 takes what is left: 1000 in all')
    for (const which of [0, 1, 2, 3]) assert.deepEqual(await instance.call('grow', which, 1), [-1], `table ${which} may not grow past the budget`)
    assert.deepEqual(await instance.call('total'), [1000])
    await instance.drop()

    const bomb = await rw.instantiate(moduleId, { limits: { maxTableElements: 1000 } })
    const [elements] = await bomb.call('bomb')
    t.diagnostic(`the table bomb reached ${elements} elements in all`)
    assert.ok(elements <= 1000, `4 tables took ${elements} elements under a budget of 1000`)
    assert.equal(elements, 1000, 'the budget is usable up to its last element')
    await bomb.drop()
    await rw.dropModule(moduleId)

    const over = await rw.compile(multiWat('table', 4, 300))
    await expectInstantiateError(over, { limits: { maxTableElements: 1000 } }, '4 initial tables of 300 under 1000')
    await rw.dropModule(over)
    const exact = await rw.compile(multiWat('table', 4, 250))
    const full = await rw.instantiate(exact, { limits: { maxTableElements: 1000 } })
    assert.deepEqual(await full.call('bomb'), [1000], 'initial tables of exactly the budget: nothing more grows')
    await full.drop()
    await rw.dropModule(exact)
  })
})

// ---------------------------------------------------------------------------------------------
// Back-pressure on output.

describe('back-pressure on output', () => {
  test('a guest flooding stdout to a slow callback is held back: RSS stays bounded, about 1 MiB at most undelivered', { timeout: 60_000 }, async (t) => {
    const deadline = 3000
    const chunkBytes = 65536 // what the guest writes per fd_write
    const flood = await rw.compileFile(fixturePath('waits_flood.wat'))
    let delivered = 0
    let chunks = 0
    let started = Infinity
    let slowUntil = Infinity
    let busyAfterDeadline = 0
    // What had reached the callback before its first chunk after the deadline (a timer cannot
    // tell: the slow callback keeps the JS thread busy).
    let deliveredAtDeadline
    let maxRss = 0
    const instance = await rw.instantiate(flood, {
      stdout: (chunk) => {
        const began = now()
        if (began > started + deadline && deliveredAtDeadline === undefined) deliveredAtDeadline = delivered
        delivered += chunk.length
        chunks++
        // A slow consumer: 4 ms of synchronous work per chunk (for a bounded time).
        const until = Math.min(began + 4, slowUntil)
        while (now() < until);
        if (began > started + deadline) busyAfterDeadline += now() - began
        if ((chunks & 15) === 0) maxRss = Math.max(maxRss, process.memoryUsage.rss())
      },
    })
    await sleep(50)
    const rssBefore = process.memoryUsage.rss()
    maxRss = rssBefore
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage.rss())), 20)
    started = now()
    slowUntil = started + deadline + 5000
    // The guest stops writing after 512 MiB accepted (so that a runtime without back-pressure
    // cannot exhaust the machine), then spins until the deadline.
    const outcome = await settleBy(start(() => instance.invoke('flood', [512n * BigInt(MiB)], { timeoutMs: deadline })), deadline + 15_000)
    const deliveredAtSettle = delivered
    deliveredAtDeadline ??= deliveredAtSettle
    const late = outcome.at - started - deadline
    slowUntil = 0
    await sleep(300)
    clearInterval(sampler)
    const deliveredAfter = delivered
    await sleep(200)
    const deliveredLater = delivered
    const written = await settleBy(start(() => instance.call('written')), 5000)
    const failures = await settleBy(start(() => instance.call('failures')), 5000)
    const writtenBytes = written.ok ? Number(written.value[0]) : Number.NaN
    const growth = maxRss - rssBefore
    const backlog = deliveredAfter - deliveredAtDeadline
    const mib = (bytes) => (bytes / MiB).toFixed(2)
    t.diagnostic(`settled ${fmt(late)} ms after the deadline, ${fmt(busyAfterDeadline)} ms of it in the slow callback; the guest wrote ${mib(writtenBytes)} MiB (${failures.value?.[0]} failed writes)`)
    t.diagnostic(`delivered: ${mib(deliveredAtDeadline)} MiB by the deadline, ${mib(deliveredAtSettle)} MiB by the settlement, ${mib(deliveredAfter)} MiB in all, in ${chunks} chunks (backlog at the deadline: ${mib(backlog)} MiB)`)
    t.diagnostic(`RSS grew by ${mib(growth)} MiB (from ${(rssBefore / MiB).toFixed(0)} MiB)`)

    assert.ok(outcome.settled, `the flooding call was still pending ${fmt(outcome.at - started)} ms after it began`)
    assert.equal(outcome.ok, false, 'the flood ended by itself: it should spin until the deadline')
    assert.equal(outcome.error?.code, 5011, `expected the deadline, got ${show(summarize(outcome.error))}`)
    assert.equal(outcome.error.reason, 'timeout')
    assert.ok(growth < 100 * MiB, `RSS grew by ${mib(growth)} MiB while the guest flooded a slow callback`)
    assert.ok(written.ok, `written() afterwards: ${show(summarize(written.error))}`)
    assert.ok(deliveredAtDeadline > 0, 'nothing reached the callback before the deadline')
    assert.ok(backlog <= 2 * MiB, `${mib(backlog)} MiB were still undelivered at the deadline (allowed: about 1 MiB)`)
    // The write the deadline interrupted may have been delivered without the guest counting it.
    assert.ok(deliveredAfter <= writtenBytes + chunkBytes, `the callback got ${deliveredAfter} bytes of ${writtenBytes} written`)
    assert.ok(writtenBytes - deliveredAfter <= 2 * MiB, `${mib(writtenBytes - deliveredAfter)} MiB written were never delivered`)
    assert.equal(deliveredLater, deliveredAfter, 'output kept arriving long after the call was stopped')
    // Delivering the backlog to the slow callback may delay the settlement; nothing else may.
    assert.ok(late - busyAfterDeadline <= LATE_MS, `the call settled ${fmt(late)} ms after its deadline, only ${fmt(busyAfterDeadline)} ms of it spent in the callback`)
    await instance.drop()
    await rw.dropModule(flood)
  })
})

// ---------------------------------------------------------------------------------------------
// Per-call fuel needs a fuel tank.

describe('per-call fuel without limits.fuel', () => {
  test('is refused up front, not as 5011, with a message naming limits.fuel; nothing runs', { timeout: 30_000 }, async (t) => {
    const instance = await rw.instantiate(waitsModule)
    const attempts = [
      ['invoke add', () => instance.invoke('add', [2, 3], { fuel: 1_000_000 })],
      ['invoke spin (with a 2 s deadline as a backstop)', () => instance.invoke('spin', [], { fuel: 1000, timeoutMs: 2000 })],
      ['invoke a 6 s sleep (with a 2 s deadline as a backstop)', () => instance.invoke('sleep_ms', [6000n], { fuel: 1000, timeoutMs: 2000 })],
      ['invoke bump with fuel 0', () => instance.invoke('bump', [], { fuel: 0 })],
      ['invoke bump with a bigint fuel', () => instance.invoke('bump', [], { fuel: 10n ** 9n })],
      ['low-level call', () => rw.call(instance.id, 'bump', [], { fuel: 500 })],
    ]
    for (const [what, attempt] of attempts) {
      const started = now()
      const outcome = await settleBy(start(attempt), 5000)
      const ms = outcome.at - started
      const error = outcome.error
      t.diagnostic(`${what}: ${outcome.ok ? `resolved ${show(outcome.value)}` : `${error?.code} after ${fmt(ms)} ms: ${String(error?.message).split('\n')[0]}`}`)
      assert.ok(outcome.settled, `${what}: still pending after 5 s`)
      assert.equal(outcome.ok, false, `${what}: resolved ${show(outcome.value)}: per-call fuel was ignored`)
      assert.ok(error instanceof rw.WasmError, `${what}: expected a WasmError, got ${error}`)
      assert.notEqual(error.code, 5011, `${what}: 5011 means a limit was reached; this is a misuse: ${error.message}`)
      assert.equal(error.reason, undefined, `${what}: a refusal has no limit reason`)
      assert.match(error.message, /limits\.fuel/, `${what}: the message must name the fix (limits.fuel): ${error.message}`)
      assert.ok(ms < 1000, `${what}: refused only after ${fmt(ms)} ms`)
    }
    assert.deepEqual(await instance.call('started'), [0], 'no refused call ran any wasm')
    // Without fuel, or with null, calls run; an instance with a tank takes per-call fuel.
    assert.deepEqual(await instance.invoke('add', [2, 3], { fuel: null }), [5])
    assert.deepEqual(await instance.invoke('add', [2, 3], { fuel: undefined, timeoutMs: 1000 }), [5])
    await instance.drop()
    const metered = await rw.instantiate(waitsModule, { limits: { fuel: 1_000_000 } })
    assert.deepEqual(await metered.invoke('add', [2, 3], { fuel: 1000 }), [5])
    await metered.drop()
  })
})

// ---------------------------------------------------------------------------------------------
// Re-entry: a host function that calls back into its instance through this.call, recursively
// and without end, under a 500 ms deadline (or stopped by an abort or drop() after 500 ms). Each
// case runs in a child process of its own, killed once it reported, so that whatever a stop
// leaves running dies with it instead of weighing on the rest of this file.

describe('re-entry through this.call without end (a child process per case)', () => {
  const cases = [
    ...LIMIT_KINDS.map((limit) => ({ limit, delayMs: 0 })),
    { limit: 'limits.timeoutMs', delayMs: 1 },
  ]
  for (const { limit, delayMs } of cases) {
    const wait = `re-entry through this.call (${delayMs ? `${delayMs} ms per level` : 'no pause between levels'})`
    const label = `${wait} / ${limit}`
    test(`${label} settles in time; the re-entries stop; memory stays bounded`, { timeout: CHILD_HARD_MS + 10_000 }, async (t) => {
      const run = await runWaitsChild({ scenario: 'reentry', limits: [limit], delayMs }, { limitMs: REENTRY_LIMIT_MS, killOnDone: true })
      const record = run.records.find((r) => r.kind === 'stop')
      assert.ok(record, `the child never reported: ${childSummary(run)}`)
      assert.equal(record.crashed, undefined, record.crashed)
      const { first, second, depth } = record.inspected ?? {}
      t.diagnostic(`${label}: ${first} re-entries, ${depth} deep; RSS grew by ${(record.rssGrowth / MiB).toFixed(1)} MiB`)
      checkStopped(t, label, record, { probeMin: 1 })
      assert.ok(first >= 1, `${label}: the guest never re-entered`)
      assert.equal(second, first, `${label}: the guest kept re-entering after it was stopped (${first}, then ${second})`)
      assert.ok(record.rssGrowth < 256 * MiB, `${label}: RSS grew by ${(record.rssGrowth / MiB).toFixed(0)} MiB while the call was stopped`)
      assert.deepEqual(record.unhandled, [], `${label}: unhandled rejections in the child`)
    })
  }
})
