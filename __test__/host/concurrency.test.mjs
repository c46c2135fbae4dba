// Host Promises hold no thread: many instances can wait on slow host functions at once, and
// limits keep running while they wait (a deadline passes, an abort ends the wait, a drop too).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { AbortError, ErrorCode, compile, instantiate } from '../../index.mjs'
import { mustSettle, rejectsWith, sleep } from './helpers.mjs'

const WAITING_WAT = `(module
  (import "env" "wait" (func $wait (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $done (mut i32) (i32.const 0))
  (func (export "wait") (param i32) (result i32)
    (local $r i32)
    (local.set $r (call $wait (local.get 0)))
    (global.set $done (i32.add (global.get $done) (i32.const 1)))
    (local.get $r))
  (func (export "done") (result i32) (global.get $done))
  (func (export "spin") (param i32) (result i32)
    (local $i i32)
    (block $out (loop $again
      (br_if $out (i32.ge_u (local.get $i) (local.get 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $again)))
    (local.get $i))
  (func (export "seven") (result i32) (i32.const 7)))`

const waitingModule = compile(WAITING_WAT)

async function waiting(wait, options = {}) {
  return instantiate(await waitingModule, { ...options, imports: { env: { wait } } })
}

const timer = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms))

describe('many instances awaiting slow host Promises (the pool must not starve)', () => {
  test('64 instances each awaiting a 100 ms host timer finish in well under 64 x 100 ms', { timeout: 30_000 }, async () => {
    const instances = await Promise.all(
      Array.from({ length: 64 }, (_, i) => waiting((x) => timer(100, x + i))),
    )
    for (const round of [1, 2]) {
      const started = performance.now()
      const results = await Promise.all(instances.map((instance) => instance.call('wait', 1000)))
      const elapsed = performance.now() - started
      assert.deepEqual(results, instances.map((_, i) => [1000 + i]))
      assert.ok(elapsed < 3000, `round ${round}: 64 x 100 ms host waits took ${elapsed.toFixed(0)} ms (serial would be 6400 ms)`)
      assert.ok(elapsed >= 95, `round ${round}: finished in ${elapsed.toFixed(0)} ms, before the host timers`)
    }
    await Promise.all(instances.map((instance) => instance.drop()))
  })

  test('while 64 calls wait on host Promises, other calls run and finish', { timeout: 30_000 }, async () => {
    const releases = []
    const blocked = await Promise.all(
      Array.from({ length: 64 }, () => waiting((x) => new Promise((resolve) => releases.push(() => resolve(x))))),
    )
    const pending = blocked.map((instance, i) => instance.call('wait', i))
    while (releases.length < 64) await sleep(5)
    const others = await Promise.all(Array.from({ length: 8 }, () => waiting((x) => x)))
    const outcome = await mustSettle(
      Promise.all([
        ...others.map((instance) => instance.call('spin', 100_000)),
        ...others.map((instance) => instance.call('wait', 5)),
      ]),
      10_000,
      'calls on other instances while 64 host calls wait',
    )
    assert.ok(!outcome.error, outcome.error?.message)
    assert.deepEqual(outcome.value, [...others.map(() => [100_000]), ...others.map(() => [5])])
    for (const release of releases) release()
    assert.deepEqual(await Promise.all(pending), blocked.map((_, i) => [i]))
    await Promise.all([...blocked, ...others].map((instance) => instance.drop()))
  })

  test('calls queued on one instance each wait for their own host Promise, in order', async () => {
    const order = []
    const instance = await waiting(async (x) => {
      order.push(`start ${x}`)
      await timer(15 - x)
      order.push(`end ${x}`)
      return x * 2
    })
    const results = await Promise.all([1, 2, 3, 4].map((x) => instance.call('wait', x)))
    assert.deepEqual(results, [[2], [4], [6], [8]])
    assert.deepEqual(order, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'start 4', 'end 4'])
    assert.deepEqual(await instance.call('done'), [4])
    await instance.drop()
  })
})

describe('limits while a host Promise is pending', () => {
  test('a call deadline passes during the wait: 5011 "timeout"; the instance stays usable', { timeout: 20_000 }, async () => {
    let context
    let resolveLate
    const instance = await waiting(function (x) {
      context = this
      return new Promise((resolve) => {
        resolveLate = () => resolve(x)
      })
    })
    const started = performance.now()
    const error = await rejectsWith(() => instance.invoke('wait', [1], { timeoutMs: 150 }), ErrorCode.FuelExhausted)
    const elapsed = performance.now() - started
    assert.equal(error.reason, 'timeout')
    assert.equal(typeof error.elapsedMs, 'number')
    assert.ok(error.elapsedMs >= 140, `elapsedMs ${error.elapsedMs}`)
    assert.ok(elapsed < 10_000, `the deadline was noticed only after ${elapsed.toFixed(0)} ms`)
    // the host answers after the call gave up: ignored, and its context is finished
    resolveLate()
    await sleep(10)
    const stale = await context.memory.read(0, 1).then(() => null, (e) => e)
    assert.equal(stale?.code, ErrorCode.CallError)
    assert.deepEqual(await instance.call('seven'), [7])
    assert.deepEqual(await instance.call('done'), [0], 'the wasm code after the import never ran')
    await instance.drop()
  })

  test('the instance\'s limits.timeoutMs applies to host waits too', { timeout: 20_000 }, async () => {
    const instance = await waiting(() => new Promise(() => {}), { limits: { timeoutMs: 150 } })
    const error = await rejectsWith(() => instance.call('wait', 1), ErrorCode.FuelExhausted)
    assert.equal(error.reason, 'timeout')
    assert.deepEqual(await instance.call('seven'), [7])
    await instance.drop()
  })

  test('a host Promise that rejects after the deadline passed is ignored', { timeout: 20_000 }, async () => {
    let rejectLate
    const instance = await waiting(() => new Promise((_, reject) => { rejectLate = reject }))
    await rejectsWith(() => instance.invoke('wait', [1], { timeoutMs: 100 }), ErrorCode.FuelExhausted)
    rejectLate(new Error('too late'))
    await sleep(20)
    assert.deepEqual(await instance.call('seven'), [7])
    await instance.drop()
  })

  test('an abort ends the wait: AbortError whose cause is the reason; the instance stays usable', { timeout: 20_000 }, async () => {
    let calls = 0
    const instance = await waiting(() => {
      calls++
      return new Promise(() => {})
    })
    const controller = new AbortController()
    const reason = new Error('the request went away')
    setTimeout(() => controller.abort(reason), 100)
    const outcome = await mustSettle(instance.invoke('wait', [1], { signal: controller.signal }), 10_000, 'the aborted call')
    assert.ok(outcome.error instanceof AbortError, `expected an AbortError, got ${outcome.error ?? outcome.value}`)
    assert.equal(outcome.error.name, 'AbortError')
    assert.equal(outcome.error.code, 'ABORT_ERR')
    assert.equal(outcome.error.cause, reason)
    assert.equal(calls, 1)
    const already = await mustSettle(instance.invoke('wait', [1], { signal: AbortSignal.abort('gone') }), 5000, 'an already aborted call')
    assert.ok(already.error instanceof AbortError)
    assert.equal(already.error.cause, 'gone')
    assert.equal(calls, 1, 'an already aborted call never reaches the host')
    assert.deepEqual(await instance.call('seven'), [7])
    await instance.drop()
  })

  test('AbortSignal.timeout and a deadline together: the first to come ends the wait', { timeout: 20_000 }, async () => {
    const instance = await waiting(() => new Promise(() => {}))
    const byDeadline = await mustSettle(
      instance.invoke('wait', [1], { timeoutMs: 100, signal: AbortSignal.timeout(60_000) }),
      10_000,
      'the call',
    )
    assert.equal(byDeadline.error?.code, ErrorCode.FuelExhausted)
    const bySignal = await mustSettle(
      instance.invoke('wait', [1], { timeoutMs: 60_000, signal: AbortSignal.timeout(100) }),
      10_000,
      'the call',
    )
    assert.ok(bySignal.error instanceof AbortError, String(bySignal.error))
    await instance.drop()
  })

  test('dropping the instance ends the wait with 5005', { timeout: 20_000 }, async () => {
    let started
    const reached = new Promise((resolve) => { started = resolve })
    const instance = await waiting(() => {
      started()
      return new Promise(() => {})
    })
    const pending = instance.call('wait', 1)
    await reached
    await instance.drop()
    const outcome = await mustSettle(pending, 10_000, 'a call waiting on its host when the instance is dropped')
    assert.equal(outcome.error?.code, ErrorCode.InvalidInstanceHandle, outcome.error?.message)
  })

  test('a deadline reached during the wait leaves other instances\' waits alone', { timeout: 20_000 }, async () => {
    const slow = await waiting((x) => timer(300, x))
    const stuck = await waiting(() => new Promise(() => {}))
    const [a, b] = await Promise.allSettled([
      slow.call('wait', 9),
      stuck.invoke('wait', [1], { timeoutMs: 100 }),
    ])
    assert.deepEqual(a.value, [9])
    assert.equal(b.reason?.code, ErrorCode.FuelExhausted)
    await slow.drop()
    await stuck.drop()
  })
})
