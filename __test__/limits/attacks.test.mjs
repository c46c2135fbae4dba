// Adversarial combinations of limits and waits that the other suites in this folder do not try:
// linked instances whose callee sleeps, calls queued behind a sleeping call, a drop with calls
// queued, an abort while a host function awaits this.call, late host results, start functions
// that sleep, run() and the CLI on a sleeping _start, 200 sleeping instances dropped at once, a
// worker terminated while its guest sleeps, callSync against output back-pressure, initial
// memories over the budget, and a stdout flood to a callback that takes a few ms per chunk.
//
// Every wait is bounded; the sleeping guests would otherwise sleep 10 s or more, so the
// lateness bounds here (about 1 s) are generous for slow CI machines and still catch a hang.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

import * as rw from '../../index.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const INDEX = join(ROOT, 'index.mjs')
const CLI = join(ROOT, 'bin', 'runtime-wasm.js')

const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** How late (after the limit applied) a stopped call may settle. */
const LATE_MS = 1000
/** How long a guest would otherwise sleep. */
const LONG_SLEEP_MS = 20_000

/** settles `promise` or gives up after `ms`: { settled, ok, value, error, ms } (ms from now). */
async function within(promise, ms) {
  const started = now()
  let timer
  const guard = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms)
  })
  const outcome = await Promise.race([
    Promise.resolve(promise).then(
      (value) => ({ settled: true, ok: true, value }),
      (error) => ({ settled: true, ok: false, error }),
    ),
    guard,
  ])
  clearTimeout(timer)
  return { ...outcome, ms: now() - started }
}

/** Asserts that `outcome` is a rejection with `code` (and `reason` for 5011). */
function assertRejected(outcome, code, label) {
  assert.ok(outcome.settled, `${label}: did not settle within its guard`)
  assert.equal(outcome.ok, false, `${label}: resolved ${JSON.stringify(outcome.value)}`)
  assert.equal(outcome.error.code, code, `${label}: ${outcome.error.code} ${outcome.error.message}`)
  if (code === rw.ErrorCode.FuelExhausted) assert.equal(outcome.error.reason, 'timeout', label)
}

const SLEEP_FN = `
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (func $sleep (export "sleep") (param $ms i32) (result i32)
    (i64.store (i32.const 0) (i64.const 1))
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.mul (i64.extend_i32_u (local.get $ms)) (i64.const 1000000)))
    (i64.store (i32.const 32) (i64.const 0))
    (i32.store16 (i32.const 40) (i32.const 0))
    (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
`
const SLEEPER_WAT = `(module ${SLEEP_FN} (memory (export "memory") 1))`
/** Imports "other"."sleep" and re-exports it as "sleep"; "add" stands alone. */
const CALLER_WAT = `(module
  (import "other" "sleep" (func $s (param i32) (result i32)))
  (func (export "sleep") (param i32) (result i32) local.get 0 call $s)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))`
const PROGRAM_WAT = `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i64.store (i32.const 0) (i64.const 1))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 20000000000))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))`
const WRITER_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func $write (param $len i32) (result i32)
    (i32.store (i32.const 256) (i32.const 1024))
    (i32.store (i32.const 260) (local.get $len))
    (call $w (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 300)))
  ;; writes 64 KiB at a time until a write fails (never, for a callback)
  (func (export "flood") (result i32)
    (loop $l (br_if $l (i32.eqz (call $write (i32.const 65536))))) (i32.const 1))
  ;; n writes of 64 KiB; the first failing errno, else 0
  (func (export "writeN") (param $n i32) (result i32) (local $r i32)
    (block $b (loop $l
      (local.set $r (call $write (i32.const 65536)))
      (br_if $b (local.get $r))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n))))
    (local.get $r))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))`

const sleeper = await rw.compile(SLEEPER_WAT)
const caller = await rw.compile(CALLER_WAT)
const writer = await rw.compile(WRITER_WAT)

async function dropQuietly(...instances) {
  for (const instance of instances) await instance.drop().catch(() => {})
}

// ---------------------------------------------------------------------------------------------
// Linked instances (imports: { other: instance }) whose callee sleeps.

for (const limit of ['caller limits.timeoutMs', 'caller invoke timeoutMs', 'caller AbortSignal', 'caller drop()', 'callee limits.timeoutMs']) {
  test(`a linked callee sleeping 20 s is stopped by the ${limit} in time; the rest stays usable`, { timeout: 20_000 }, async () => {
    const callee = await rw.instantiate(sleeper, limit === 'callee limits.timeoutMs' ? { limits: { timeoutMs: 200 } } : {})
    const linked = await rw.instantiate(caller, {
      imports: { other: callee },
      limits: limit === 'caller limits.timeoutMs' ? { timeoutMs: 200 } : {},
    })
    const controller = new AbortController()
    const started = now()
    let call
    if (limit === 'caller invoke timeoutMs') call = linked.invoke('sleep', [LONG_SLEEP_MS], { timeoutMs: 200 })
    else if (limit === 'caller AbortSignal') call = linked.invoke('sleep', [LONG_SLEEP_MS], { signal: controller.signal })
    else call = linked.invoke('sleep', [LONG_SLEEP_MS])
    if (limit === 'caller AbortSignal') setTimeout(() => controller.abort(new Error('enough')), 200)
    if (limit === 'caller drop()') setTimeout(() => linked.drop(), 200)
    const outcome = await within(call, 200 + LATE_MS + 3000)
    const code = { 'caller AbortSignal': 'ABORT_ERR', 'caller drop()': rw.ErrorCode.InvalidInstanceHandle }[limit] ?? rw.ErrorCode.FuelExhausted
    assertRejected(outcome, code, limit)
    assert.ok(outcome.ms < 200 + LATE_MS, `${limit}: settled after ${outcome.ms.toFixed(0)} ms`)
    assert.ok(now() - started >= 150, 'stopped too early')
    // The callee is free again at once (its linked call was stopped, not left queued).
    assert.deepEqual((await within(callee.call('add', 2, 3), 3000)).value, [5])
    const nap = await within(callee.call('sleep', 10), 3000)
    assert.deepEqual(nap.value, [0], 'the callee sleeps normally afterwards')
    if (limit !== 'caller drop()') {
      assert.deepEqual((await within(linked.call('add', 2, 3), 3000)).value, [5])
      assert.deepEqual((await within(linked.invoke('sleep', [10], { timeoutMs: 3000 }), 3000)).value, [0])
    }
    await dropQuietly(linked, callee)
  })
}

test('a linked call queued behind a busy callee is stopped by the caller\'s deadline, abort or drop; the callee\'s own call is untouched', { timeout: 30_000 }, async () => {
  for (const limit of ['timeout', 'abort', 'drop']) {
    const callee = await rw.instantiate(sleeper)
    const linked = await rw.instantiate(caller, { imports: { other: callee } })
    const busy = within(callee.invoke('sleep', [1200], { timeoutMs: 10_000 }), 10_000)
    await sleep(20)
    const controller = new AbortController()
    const call = limit === 'timeout' ? linked.invoke('sleep', [10], { timeoutMs: 200 }) : linked.invoke('sleep', [10], { signal: controller.signal })
    setTimeout(() => (limit === 'abort' ? controller.abort() : limit === 'drop' ? linked.drop() : undefined), 200)
    const outcome = await within(call, 5000)
    assertRejected(outcome, { timeout: rw.ErrorCode.FuelExhausted, abort: 'ABORT_ERR', drop: rw.ErrorCode.InvalidInstanceHandle }[limit], limit)
    assert.ok(outcome.ms < 200 + LATE_MS, `${limit}: settled after ${outcome.ms.toFixed(0)} ms`)
    const own = await busy
    assert.deepEqual(own.value, [0], `${limit}: the callee's own sleep completes`)
    assert.deepEqual((await within(callee.call('add', 1, 2), 3000)).value, [3])
    await dropQuietly(linked, callee)
  }
})

// Regression: a linked call that met a dropped callee failed with the callee's 5005, and the
// caller took that 5005 for its own drop and freed its store, dead from then on. Now only an
// instance's own drop frees its store.
test('dropping the instance a caller imports from does not kill the caller (idle callee)', { timeout: 20_000 }, async () => {
  const callee = await rw.instantiate(sleeper)
  const linked = await rw.instantiate(caller, { imports: { other: callee } })
  await callee.drop()
  const through = await within(linked.call('sleep', 1), 3000)
  assert.ok(through.settled && !through.ok, 'a call through the dropped import fails')
  const add = await within(linked.call('add', 2, 3), 3000)
  assert.ok(add.ok, `the caller was not dropped, yet: ${add.error?.code} ${add.error?.message}`)
  assert.deepEqual(add.value, [5])
  await dropQuietly(linked)
})

test('dropping the callee while a caller waits on it stops the call in time; the caller stays usable', { timeout: 20_000 }, async () => {
  const callee = await rw.instantiate(sleeper)
  const linked = await rw.instantiate(caller, { imports: { other: callee } })
  const call = within(linked.call('sleep', LONG_SLEEP_MS), 5000)
  await sleep(150)
  await callee.drop()
  const outcome = await call
  assert.ok(outcome.settled && !outcome.ok, 'the waiting call fails')
  assert.ok(outcome.ms < 150 + LATE_MS, `settled after ${outcome.ms.toFixed(0)} ms`)
  const add = await within(linked.call('add', 2, 3), 3000)
  assert.ok(add.ok, `the caller was not dropped, yet: ${add.error?.code} ${add.error?.message}`)
  assert.deepEqual(add.value, [5])
  assert.ok((await within(linked.getExports(), 3000)).ok, 'getExports on the caller')
  await dropQuietly(linked)
})

test('dropping the middle of a chain A -> B -> C(sleeping) leaves A usable', { timeout: 20_000 }, async () => {
  const c = await rw.instantiate(sleeper)
  const b = await rw.instantiate(caller, { imports: { other: c } })
  const a = await rw.instantiate(caller, { imports: { other: b } })
  const call = within(a.call('sleep', LONG_SLEEP_MS), 5000)
  await sleep(150)
  await b.drop()
  const outcome = await call
  assert.ok(outcome.settled && !outcome.ok && outcome.ms < 150 + LATE_MS, `settled ${outcome.settled} after ${outcome.ms.toFixed(0)} ms`)
  assert.deepEqual((await within(c.call('add', 1, 2), 3000)).value, [3], 'C is usable')
  const add = await within(a.call('add', 1, 2), 3000)
  assert.ok(add.ok, `A was not dropped, yet: ${add.error?.code} ${add.error?.message}`)
  await dropQuietly(a, c)
})

// Regression: only the callee's id crossed into the caller, so nothing kept the callee's
// Instance object alive: once collected, its finalizer dropped it under its caller.
// `imports: { math: await instantiate(mathModule) }` broke at the next garbage collection.
test('a callee referenced only by the imports of its caller is not freed by the garbage collector', { timeout: 20_000 }, async () => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc')
  const linked = await rw.instantiate(caller, { imports: { other: await rw.instantiate(sleeper) } })
  for (let i = 0; i < 5; i++) {
    gc()
    await sleep(50)
  }
  const through = await within(linked.call('sleep', 1), 3000)
  assert.ok(through.ok, `the linked call failed: ${through.error?.code} ${through.error?.message}`)
  assert.deepEqual(through.value, [0])
  await dropQuietly(linked)
})

// ---------------------------------------------------------------------------------------------
// One instance's queue.

test('calls queued behind a sleeping call settle by their own shorter deadline or abort; the next call still runs', { timeout: 20_000 }, async () => {
  const instance = await rw.instantiate(sleeper)
  const head = within(instance.invoke('sleep', [1500], { timeoutMs: 1000 }), 10_000)
  const timed = within(instance.invoke('add', [1, 2], { timeoutMs: 150 }), 5000)
  const controller = new AbortController()
  const aborted = within(instance.invoke('add', [1, 2], { signal: controller.signal }), 5000)
  const tail = within(instance.invoke('add', [1, 2]), 10_000)
  setTimeout(() => controller.abort(), 100)
  const t = await timed
  assertRejected(t, rw.ErrorCode.FuelExhausted, 'queued with timeoutMs 150')
  assert.ok(t.ms < 150 + LATE_MS, `queued deadline settled after ${t.ms.toFixed(0)} ms`)
  const a = await aborted
  assertRejected(a, 'ABORT_ERR', 'queued with an abort at 100 ms')
  assert.ok(a.ms < 100 + LATE_MS, `queued abort settled after ${a.ms.toFixed(0)} ms`)
  assertRejected(await head, rw.ErrorCode.FuelExhausted, 'the sleeping head')
  assert.deepEqual((await tail).value, [3])
  await instance.drop()
})

test('drop() with a sleeping call and operations queued behind it settles them all with 5005 at once', { timeout: 20_000 }, async () => {
  const instance = await rw.instantiate(sleeper)
  const operations = [
    instance.call('sleep', LONG_SLEEP_MS),
    instance.call('sleep', LONG_SLEEP_MS),
    instance.call('add', 1, 2),
    instance.getExports(),
    instance.memory.read(0, 4),
  ].map((operation) => within(operation, 5000))
  await sleep(100)
  const dropped = now()
  await instance.drop()
  for (const outcome of await Promise.all(operations)) assertRejected(outcome, rw.ErrorCode.InvalidInstanceHandle, 'queued')
  assert.ok(now() - dropped < LATE_MS, `settled ${(now() - dropped).toFixed(0)} ms after drop()`)
})

// ---------------------------------------------------------------------------------------------
// Host functions.

test('a deadline or an abort stops a call whose host function awaits this.call of a sleeping export', { timeout: 20_000 }, async () => {
  const module = await rw.compile(`(module (import "h" "f" (func $f (result i32))) ${SLEEP_FN} (memory (export "memory") 1)
    (func (export "go") (result i32) call $f))`)
  const instance = await rw.instantiate(module, {
    imports: {
      h: {
        async f() {
          const [result] = await this.call('sleep', LONG_SLEEP_MS)
          return result
        },
      },
    },
  })
  for (const limit of ['timeout', 'abort']) {
    const controller = new AbortController()
    const call = limit === 'timeout' ? instance.invoke('go', [], { timeoutMs: 200 }) : instance.invoke('go', [], { signal: controller.signal })
    if (limit === 'abort') setTimeout(() => controller.abort(), 200)
    const outcome = await within(call, 5000)
    assertRejected(outcome, limit === 'timeout' ? rw.ErrorCode.FuelExhausted : 'ABORT_ERR', limit)
    assert.ok(outcome.ms < 200 + LATE_MS, `${limit}: settled after ${outcome.ms.toFixed(0)} ms`)
    assert.deepEqual((await within(instance.call('add', 2, 3), 3000)).value, [5])
    assert.deepEqual((await within(instance.call('sleep', 10), 3000)).value, [0])
  }
  await instance.drop()
})

test('a host function that throws or returns after its call was stopped changes nothing', { timeout: 20_000 }, async () => {
  const module = await rw.compile(`(module (import "h" "f" (func $f (result i32))) (func (export "go") (result i32) call $f)
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))`)
  const unhandled = []
  const onUnhandled = (error) => unhandled.push(error)
  process.on('unhandledRejection', onUnhandled)
  try {
    for (const late of ['throws', 'returns']) {
      const instance = await rw.instantiate(module, {
        imports: {
          h: {
            async f() {
              await sleep(400)
              if (late === 'throws') throw new Error('too late')
              return 7
            },
          },
        },
      })
      const outcome = await within(instance.invoke('go', [], { timeoutMs: 100 }), 5000)
      assertRejected(outcome, rw.ErrorCode.FuelExhausted, late)
      assert.ok(outcome.ms < 100 + LATE_MS)
      await sleep(600) // the late answer arrives meanwhile
      assert.deepEqual((await within(instance.call('add', 2, 3), 3000)).value, [5])
      await instance.drop()
    }
    assert.deepEqual(unhandled, [])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})

// ---------------------------------------------------------------------------------------------
// Start functions, run() and the command line.

test('limits.timeoutMs stops a start function that sleeps, awaits a host function or calls a linked sleeper: 5011 in time', { timeout: 20_000 }, async () => {
  const cases = {
    sleeps: [`(module ${SLEEP_FN} (memory (export "memory") 1) (func $st (drop (call $sleep (i32.const 20000)))) (start $st))`, {}],
    'awaits a host function': [`(module (import "h" "f" (func $f)) (func $st (call $f)) (start $st))`, { imports: { h: { f: () => new Promise(() => {}) } } }],
  }
  const callee = await rw.instantiate(sleeper)
  cases['calls a linked sleeper'] = [`(module (import "o" "sleep" (func $s (param i32) (result i32))) (func $st (drop (call $s (i32.const 20000)))) (start $st))`, { imports: { o: callee } }]
  for (const [label, [wat, options]] of Object.entries(cases)) {
    const module = await rw.compile(wat)
    const outcome = await within(rw.instantiate(module, { ...options, limits: { timeoutMs: 300 } }), 5000)
    assertRejected(outcome, rw.ErrorCode.FuelExhausted, label)
    assert.ok(outcome.ms < 300 + LATE_MS, `${label}: settled after ${outcome.ms.toFixed(0)} ms`)
  }
  assert.deepEqual((await within(callee.call('add', 1, 2), 3000)).value, [3], 'the linked callee is free again')
  await callee.drop()
})

test('run() with limits.timeoutMs stops a _start sleeping in poll_oneoff (path and module id)', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-attacks-'))
  const file = join(dir, 'prog.wat')
  writeFileSync(file, PROGRAM_WAT)
  for (const source of [file, await rw.compile(PROGRAM_WAT)]) {
    const outcome = await within(rw.run(source, { limits: { timeoutMs: 300 } }), 5000)
    assertRejected(outcome, rw.ErrorCode.FuelExhausted, `run(${source})`)
    assert.ok(outcome.ms < 300 + LATE_MS, `settled after ${outcome.ms.toFixed(0)} ms`)
  }
})

test('runtime-wasm run --timeout 300 on a sleeping program exits 124 quickly', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-attacks-'))
  const file = join(dir, 'prog.wat')
  writeFileSync(file, PROGRAM_WAT)
  const started = now()
  const child = spawnSync(process.execPath, [CLI, 'run', '--timeout', '300', file], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] })
  const ms = now() - started
  assert.equal(child.status, 124, `status ${child.status} signal ${child.signal}: ${child.stderr}`)
  assert.match(child.stderr, /--timeout/)
  assert.ok(ms < 300 + 5000, `exited after ${ms.toFixed(0)} ms (node startup included)`)
})

// ---------------------------------------------------------------------------------------------
// Many instances, worker threads.

test('200 instances sleeping in poll_oneoff, all dropped at once: every call settles with 5005 promptly, no thread is left', { timeout: 30_000 }, async () => {
  const threads = () => readdirSync('/proc/self/task').length
  const before = threads()
  const instances = []
  for (let i = 0; i < 200; i++) instances.push(await rw.instantiate(sleeper))
  const calls = instances.map((instance) => within(instance.call('sleep', LONG_SLEEP_MS), 10_000))
  await sleep(300)
  const dropped = now()
  await Promise.all(instances.map((instance) => instance.drop()))
  const outcomes = await Promise.all(calls)
  const settledMs = now() - dropped
  for (const outcome of outcomes) assertRejected(outcome, rw.ErrorCode.InvalidInstanceHandle, 'dropped sleeper')
  assert.ok(settledMs < 2000, `all settled ${settledMs.toFixed(0)} ms after the drops`)
  await sleep(300)
  assert.ok(threads() <= before + 8, `threads ${before} -> ${threads()}`)
})

test('a worker terminated while its guest sleeps, and one whose instance the main thread drops: no crash, the process exits', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-attacks-'))
  writeFileSync(join(dir, 'child.mjs'), `
    import { compile, instantiate } from ${JSON.stringify(INDEX)}
    import { parentPort } from 'node:worker_threads'
    const instance = await instantiate(await compile(${JSON.stringify(SLEEPER_WAT)}))
    globalThis.keep = instance
    parentPort.postMessage(instance.id)
    instance.call('sleep', 30000).then(() => parentPort.postMessage('resolved'), (e) => parentPort.postMessage('rejected ' + e.code))
  `)
  writeFileSync(join(dir, 'main.mjs'), `
    import { Worker } from 'node:worker_threads'
    import { dropInstance } from ${JSON.stringify(INDEX)}
    const start = () => {
      const worker = new Worker(new URL('./child.mjs', import.meta.url))
      return new Promise((resolve) => worker.once('message', (id) => resolve({ worker, id })))
    }
    const a = await start()
    await new Promise((r) => setTimeout(r, 200))
    await a.worker.terminate()
    const b = await start()
    await new Promise((r) => setTimeout(r, 200))
    const said = new Promise((resolve) => b.worker.on('message', resolve))
    await dropInstance(b.id)
    console.log('worker:', await said)
    await b.worker.terminate()
    console.log('done')
  `)
  const started = now()
  const child = spawnSync(process.execPath, [join(dir, 'main.mjs')], { encoding: 'utf8', timeout: 20_000 })
  const ms = now() - started
  assert.equal(child.status, 0, `status ${child.status} signal ${child.signal}: ${child.stdout} ${child.stderr}`)
  assert.match(child.stdout, /worker: rejected 5005/)
  assert.match(child.stdout, /done/)
  assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`)
})

// ---------------------------------------------------------------------------------------------
// Output, callSync, memory budgets.

test('callSync writing to a stdout callback: a small write works, a write past the 1 MiB back-pressure throws 5002 naming callSync', { timeout: 20_000 }, async () => {
  let delivered = 0
  const instance = await rw.instantiate(writer, { stdout: (chunk) => { delivered += chunk.length } })
  assert.deepEqual(instance.callSync('writeN', 1), [0])
  assert.throws(() => instance.callSync('writeN', 32), (error) => error.code === rw.ErrorCode.CallError && /callSync/.test(error.message))
  await sleep(100)
  assert.ok(delivered >= 2 * 65536 && delivered % 65536 === 0, `delivered ${delivered}: what was accepted arrives whole`)
  assert.deepEqual(instance.callSync('add', 1, 2), [3])
  await instance.drop()
  const piped = await rw.instantiate(writer, { stdout: 'pipe', outputLimitBytes: 100_000 })
  const [errno] = piped.callSync('writeN', 4)
  assert.notEqual(errno, 0, 'a write past outputLimitBytes fails with an errno, not a wait')
  assert.equal((await piped.readStdout()).length, 100_000)
  await piped.drop()
})

test('initial memories (or tables) that together exceed the budget fail to instantiate with 5001', { timeout: 20_000 }, async () => {
  const MiB = 1 << 20
  const three = await rw.compile('(module (memory (export "a") 64) (memory (export "b") 64) (memory (export "c") 64))')
  const over = await within(rw.instantiate(three, { limits: { maxMemoryBytes: 10 * MiB } }), 5000)
  assert.equal(over.error?.code, rw.ErrorCode.InstantiateError)
  const fits = await rw.instantiate(three, { limits: { maxMemoryBytes: 12 * MiB } })
  await fits.drop()
  const mixed = await rw.compile('(module (memory (export "a") i64 100) (memory (export "b") 100))')
  assert.equal((await within(rw.instantiate(mixed, { limits: { maxMemoryBytes: 12 * MiB } }), 5000)).error?.code, rw.ErrorCode.InstantiateError)
  const tables = await rw.compile('(module (table 600 funcref) (table 600 externref))')
  assert.equal((await within(rw.instantiate(tables, { limits: { maxTableElements: 1000 } }), 5000)).error?.code, rw.ErrorCode.InstantiateError)
})

// Regression: output callbacks starved the event loop. Each chunk is a call of a napi
// threadsafe function, Node drains up to 1000 queued calls per wakeup, and a flooding guest
// refilled the queue as fast as the callback emptied it: with a callback taking 3 ms a chunk,
// no timer ran for seconds. A delivered chunk now gives its room back on the next turn.
test('a stdout flood to a callback taking 3 ms a chunk leaves the event loop free: a timer-driven abort stops it in time', { timeout: 30_000 }, async () => {
  const instance = await rw.instantiate(writer, {
    stdout: () => {
      const until = now() + 3
      while (now() < until);
    },
  })
  let timerAt
  const started = now()
  setTimeout(() => {
    timerAt = now() - started
  }, 100)
  const call = instance.invoke('flood', [], { timeoutMs: 8000, signal: AbortSignal.timeout(200) })
  const outcome = await within(call, 15_000)
  assert.ok(outcome.settled, 'settled')
  assert.ok(timerAt !== undefined && timerAt < 100 + LATE_MS, `a 100 ms timer ran after ${timerAt?.toFixed(0)} ms (call settled after ${outcome.ms.toFixed(0)} ms)`)
  assert.equal(outcome.error?.name, 'AbortError', `settled with ${outcome.error?.code} ${outcome.error?.message}`)
  assert.ok(outcome.ms < 200 + 2 * LATE_MS, `aborted at 200 ms, settled after ${outcome.ms.toFixed(0)} ms`)
  assert.deepEqual((await within(instance.call('add', 1, 2), 3000)).value, [3])
  await instance.drop()
})

// A deadline is not held up by output still on its way: with a callback taking 30 ms a chunk,
// the up to 1 MiB in flight would take half a second to deliver. The stopped call settles at
// its deadline, and what the guest wrote before it still reaches the callback afterwards.
test('a call stopped by its deadline during an output flood settles at once; its output still arrives after', { timeout: 30_000 }, async () => {
  let received = 0
  let receivedAfterSettle = 0
  let settled = false
  const instance = await rw.instantiate(writer, {
    stdout: (chunk) => {
      received += chunk.length
      if (settled) receivedAfterSettle += chunk.length
      const until = now() + 30
      while (now() < until);
    },
    limits: { timeoutMs: 300 },
  })
  const outcome = await within(instance.call('flood'), 15_000)
  settled = true
  assertRejected(outcome, 5011, 'flood under a 300 ms deadline')
  assert.equal(outcome.error.reason, 'timeout')
  assert.ok(outcome.ms < 300 + LATE_MS, `the deadline was 300 ms; the call settled after ${outcome.ms.toFixed(0)} ms`)
  // The rest of what it wrote is delivered on later turns.
  let last = -1
  while (last !== received) {
    last = received
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.ok(receivedAfterSettle > 0, `nothing arrived after the call settled (received ${received} bytes in all)`)
  assert.deepEqual((await within(instance.call('add', 1, 2), 3000)).value, [3])
  await instance.drop()
})
