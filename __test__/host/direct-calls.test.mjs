// Host calls made while the JS thread runs the guest (its first slice, or after an earlier
// host call answered there) run directly, with no hand-off; calls on the pool hand their host
// calls to the JS thread. These tests drive long runs of host calls across both, with
// answers at once and Promises mixed, and every way a call can end in the middle of them.
import assert from 'node:assert/strict'
import { Worker } from 'node:worker_threads'
import { describe, test } from 'node:test'

import { AbortError, ErrorCode, compile, instantiate } from '../../index.mjs'
import { fromFixture } from '../core-helpers.mjs'
import { mustSettle } from './helpers.mjs'

// ticks(n): the sum of tick(i) for i < n. forever(): calls tick(i) without end.
// busy_ticks(n, spin): n rounds of `spin` loop iterations, then tick(round); returns the sum.
// inner(x) = x + 1000, for this.call.
const TICKS_WAT = `(module
  (import "env" "tick" (func $tick (param i32) (result i32)))
  (func (export "ticks") (param $n i32) (result i64)
    (local $i i32) (local $sum i64)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (call $tick (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $sum))
  (func (export "forever") (result i32)
    (local $i i32)
    (loop $next
      (drop (call $tick (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))
    (i32.const 0))
  (func (export "busy_ticks") (param $n i32) (param $spin i32) (result i64)
    (local $i i32) (local $j i32) (local $sum i64)
    (block $done (loop $round
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $spun (loop $spin
        (br_if $spun (i32.ge_u (local.get $j) (local.get $spin)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $spin)))
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (call $tick (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $round)))
    (local.get $sum))
  (func (export "inner") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1000))))`

const ticksModule = compile(TICKS_WAT)
const withTick = async (tick) => instantiate(await ticksModule, { imports: { env: { tick } } })
const TIMEOUT = { timeout: 60_000 }

// The sum of f(i) for i < n.
const sumOf = (n, f) => {
  let sum = 0n
  for (let i = 0; i < n; i++) sum += BigInt(f(i))
  return sum
}

// Counts the firings of a 1 ms interval while `work` runs.
async function timerFiringsDuring(work) {
  let firings = 0
  const interval = setInterval(() => firings++, 1)
  try {
    const started = performance.now()
    const value = await work()
    return { value, firings, ms: performance.now() - started }
  } finally {
    clearInterval(interval)
  }
}

describe('long runs of host calls', () => {
  test('200,000 host calls in one call: every answer arrives, and timers fire meanwhile', TIMEOUT, async () => {
    let calls = 0
    const instance = await withTick((i) => {
      calls++
      return i * 2
    })
    const n = 200_000
    const { value, firings, ms } = await timerFiringsDuring(() => instance.call('ticks', n))
    assert.deepEqual(value, [sumOf(n, (i) => i * 2)])
    assert.equal(calls, n)
    // The JS thread runs the host functions, but never the whole call at once.
    if (ms > 100) assert.ok(firings >= 5, `a 1 ms interval fired ${firings} times during a ${ms.toFixed(0)} ms call`)
    await instance.drop()
  })

  test('answers at once and Promises mixed: each host call gets its own answer', TIMEOUT, async () => {
    const instance = await withTick((i) => {
      if (i % 97 === 0) return new Promise((resolve) => setImmediate(() => resolve(i + 1)))
      if (i % 89 === 0) return Promise.resolve(i + 2)
      return i + 3
    })
    const n = 60_000
    const expected = sumOf(n, (i) => (i % 97 === 0 ? i + 1 : i % 89 === 0 ? i + 2 : i + 3))
    assert.deepEqual(await instance.call('ticks', n), [expected])
    // and again, now that the instance's last call was a long one (it starts on the pool)
    assert.deepEqual(await instance.call('ticks', n), [expected])
    await instance.drop()
  })

  test('async host functions: those that await nothing and those that await a timer', TIMEOUT, async () => {
    const instance = await withTick(async (i) => {
      if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
      return i + 1
    })
    const n = 5_000
    assert.deepEqual(await instance.call('ticks', n), [sumOf(n, (i) => i + 1)])
    assert.deepEqual(await instance.call('ticks', n), [sumOf(n, (i) => i + 1)])
    await instance.drop()
  })

  // Such a guest is left to the pool for some of its host calls (it would hold the JS thread
  // for the rest of each tick); the pool task and the JS thread then race for it, and neither
  // may leave the other asleep.
  test('guests that compute between their host calls (some 100 to 300 µs each time)', TIMEOUT, async () => {
    const instances = await Promise.all([1, 2, 3, 4].map(() => withTick((i) => i)))
    for (const spin of [100_000, 200_000, 300_000]) {
      for (let round = 0; round < 3; round++) {
        const calls = instances.map((instance) => mustSettle(instance.call('busy_ticks', 300, spin), 30_000, `busy_ticks(300, ${spin})`))
        for (const outcome of await Promise.all(calls)) assert.deepEqual(outcome.value, [sumOf(300, (i) => i)], String(outcome.error))
      }
    }
    await Promise.all(instances.map((instance) => instance.drop()))
  })

  test('four instances calling their host at once each get their own answers', TIMEOUT, async () => {
    const instances = await Promise.all([1, 2, 3, 4].map((k) => withTick((i) => i * k)))
    const n = 50_000
    const results = await Promise.all(instances.map((instance) => instance.call('ticks', n)))
    results.forEach((result, index) => assert.deepEqual(result, [sumOf(n, (i) => i * (index + 1))]))
    await Promise.all(instances.map((instance) => instance.drop()))
  })
})

describe('ends in the middle of a run of host calls', () => {
  test('a deadline stops a guest that calls the host without end; the instance stays usable', TIMEOUT, async () => {
    let calls = 0
    const instance = await withTick((i) => {
      calls++
      return i
    })
    const outcome = await mustSettle(instance.invoke('forever', [], { timeoutMs: 300 }), 20_000, 'the call past its deadline')
    assert.equal(outcome.error?.code, ErrorCode.FuelExhausted, String(outcome.error))
    assert.equal(outcome.error.reason, 'timeout')
    assert.ok(calls > 100, `only ${calls} host calls before the deadline`)
    assert.deepEqual(await instance.call('ticks', 10), [45n])
    await instance.drop()
  })

  test('an abort made by the host function itself stops the call', TIMEOUT, async () => {
    const controller = new AbortController()
    const reason = new Error('enough')
    const instance = await withTick((i) => {
      if (i === 50_000) controller.abort(reason)
      return i
    })
    const outcome = await mustSettle(instance.invoke('forever', [], { signal: controller.signal }), 20_000, 'the aborted call')
    assert.ok(outcome.error instanceof AbortError, String(outcome.error))
    assert.equal(outcome.error.cause, reason)
    assert.deepEqual(await instance.call('ticks', 10), [45n])
    await instance.drop()
  })

  test('a host function that throws deep into the run fails the call with what it threw', TIMEOUT, async () => {
    const thrown = new RangeError('tick 120000 is out of range')
    const instance = await withTick((i) => {
      if (i === 120_000) throw thrown
      return i
    })
    const outcome = await mustSettle(instance.call('ticks', 200_000), 20_000, 'the failing call')
    assert.equal(outcome.error?.code, ErrorCode.CallError, String(outcome.error))
    assert.equal(outcome.error.cause, thrown)
    assert.deepEqual(await instance.call('ticks', 10), [45n])
    await instance.drop()
  })

  test('dropping the instance from a timer while it calls the host ends the call with 5005', TIMEOUT, async () => {
    const instance = await withTick((i) => i)
    const pending = instance.call('forever')
    setTimeout(() => instance.drop(), 100)
    const outcome = await mustSettle(pending, 20_000, 'the call of a dropped instance')
    assert.equal(outcome.error?.code, ErrorCode.InvalidInstanceHandle, String(outcome.error))
  })
})

describe('re-entry and other instances from a run of host calls', () => {
  test('this.call late in a long run (after the call left its first slice)', TIMEOUT, async () => {
    const instance = await withTick(function (i) {
      if (i % 20_000 !== 19_999) return i
      return this.call('inner', i).then(([inner]) => inner)
    })
    const n = 100_000
    assert.deepEqual(await instance.call('ticks', n), [sumOf(n, (i) => (i % 20_000 === 19_999 ? i + 1000 : i))])
    await instance.drop()
  })

  test('a host function that calls another instance, which calls its own host', TIMEOUT, async () => {
    const callee = await withTick((i) => i + 1)
    const caller = await withTick(async (i) => {
      if (i % 1000 !== 0) return i
      const [sum] = await callee.call('ticks', 100)
      return Number(sum)
    })
    const n = 20_000
    const calleeSum = Number(sumOf(100, (i) => i + 1))
    assert.deepEqual(await caller.call('ticks', n), [sumOf(n, (i) => (i % 1000 === 0 ? calleeSum : i))])
    await caller.drop()
    await callee.drop()
  })

  test('calling the waiting instance itself from a host function is still refused', TIMEOUT, async () => {
    let refused
    const instance = await withTick(function (i) {
      if (i === 30_000) refused = mustSettle(instance.call('inner', 1), 10_000, 'the refused call')
      return i
    })
    assert.deepEqual(await instance.call('ticks', 40_000), [sumOf(40_000, (i) => i)])
    const outcome = await refused
    assert.equal(outcome.error?.code, ErrorCode.CallError, String(outcome.error ?? outcome.value))
    assert.match(outcome.error.message, /waiting for the host function that makes this call/)
    await instance.drop()
  })
})

test('a component calling its host 100,000 times in one call', TIMEOUT, async () => {
  let ticks = 0
  const instance = await fromFixture('components/types.wasm', {
    imports: { 'test:types/host': { tick: (n) => (ticks++, n) } },
    unknownImports: 'trap',
  })
  const n = 100_000
  // the guest sums tick(i) for i < n in a u32
  const expected = Number(sumOf(n, (i) => i) % 2n ** 32n)
  assert.equal(await instance.call('test:types/api#host-ticks', n), expected)
  assert.equal(ticks, n)
  await instance.drop()
})

test('an instance in a worker thread calls its host 100,000 times', TIMEOUT, async () => {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { compile, instantiate } = require(workerData.index)
    ;(async () => {
      const instance = await instantiate(await compile(workerData.wat), { imports: { env: { tick: (i) => i % 7 } } })
      const [sum] = await instance.call('ticks', 100000)
      await instance.drop()
      parentPort.postMessage(String(sum))
    })().catch((error) => parentPort.postMessage('failed: ' + error.message))`
  const worker = new Worker(source, { eval: true, workerData: { index: new URL('../../index.js', import.meta.url).pathname, wat: TICKS_WAT } })
  const answer = await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  await worker.terminate()
  assert.equal(answer, String(sumOf(100_000, (i) => i % 7)))
})
