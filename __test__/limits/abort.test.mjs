// Cancellation with an AbortSignal: before the call starts (it rejects at once and the wasm
// code never runs), while it runs, while it is queued, and after it ended (no effect). An
// aborted call rejects with an AbortError whose cause is the signal's reason; a call queued
// behind it still runs, and the instance stays usable.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'

import * as rw from '../../index.mjs'
import {
  HOST_WAIT_WAT,
  LOOPS_WAT,
  assertAbortError,
  expectLimit,
  now,
  outcome,
  rejected,
  settledBeforeNextMacrotask,
  sleep,
} from './helpers.mjs'

const loops = await rw.compile(LOOPS_WAT)

/** How long after abort() a call may take to reject (generous: a loaded machine). */
const ABORT_WITHIN_MS = 1000

test('an already aborted signal rejects at once, and the wasm code never runs', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e9, timeoutMs: 10_000 } })
  const controller = new AbortController()
  const reason = new Error('request went away')
  controller.abort(reason)

  const viaInvoke = instance.invoke('bump', [], { signal: controller.signal })
  assert.ok(await settledBeforeNextMacrotask(viaInvoke), 'invoke with an aborted signal must reject at once')
  assertAbortError(rejected(await outcome(viaInvoke), 'invoke'), reason, 'invoke')

  const lowLevel = rw.call(instance.id, 'spin', [], { signal: controller.signal, timeoutMs: 50 })
  assert.ok(await settledBeforeNextMacrotask(lowLevel), 'the low-level call must reject at once')
  assertAbortError(rejected(await outcome(lowLevel), 'low-level call'), reason, 'low-level call')

  // A signal aborted without a reason: the cause is the signal's default reason.
  const plain = new AbortController()
  plain.abort()
  const error = rejected(await outcome(instance.invoke('bump', [], { signal: plain.signal })), 'default reason')
  assertAbortError(error, plain.signal.reason, 'default reason')
  assert.equal(error.cause.name, 'AbortError')

  assert.equal(await instance.fuel(), 1e9, 'no aborted call burnt fuel')
  assert.deepEqual(await instance.call('get'), [0], 'no aborted call ran any wasm code')
  await instance.drop()
})

test('aborting a running infinite loop stops it promptly; the instance stays usable', async () => {
  const instance = await rw.instantiate(loops)
  const controller = new AbortController()
  const reason = { why: 'user cancelled' }
  const running = outcome(() => instance.invoke('spin', [], { signal: controller.signal }))
  await sleep(100)
  const abortedAt = now()
  controller.abort(reason)
  const result = await running
  const error = rejected(result, 'the aborted loop')
  assertAbortError(error, reason)
  const late = now() - abortedAt
  assert.ok(late < ABORT_WITHIN_MS, `the loop stopped ${late.toFixed(0)} ms after abort()`)
  assert.ok(result.ms >= 100, 'it ran until the abort')
  assert.deepEqual(await instance.call('get'), [1], 'the loop had started')
  assert.deepEqual(await instance.call('count', 1000), [1000], 'usable after')
  await instance.drop()
})

test('abort during a run on the low-level call(), and on instances with fuel and deadlines', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e15, timeoutMs: 30_000 } })
  const controller = new AbortController()
  const running = outcome(() => rw.call(instance.id, 'spin', [], { signal: controller.signal, timeoutMs: 20_000 }))
  await sleep(50)
  const abortedAt = now()
  controller.abort('stop')
  assertAbortError(rejected(await running, 'low-level call'), 'stop', 'low-level call')
  assert.ok(now() - abortedAt < ABORT_WITHIN_MS)
  assert.ok((await instance.fuel()) < 1e15, 'what the aborted call burnt came from the tank')
  assert.deepEqual(await instance.call('count', 10), [10])
  await instance.drop()
})

test('AbortSignal.timeout() stops a loop with an AbortError whose cause is a TimeoutError', async () => {
  const instance = await rw.instantiate(loops)
  const signal = AbortSignal.timeout(100)
  const result = await outcome(() => instance.invoke('spin', [], { signal }))
  const error = rejected(result, 'AbortSignal.timeout')
  assertAbortError(error, signal.reason)
  assert.equal(error.cause.name, 'TimeoutError')
  assert.ok(result.ms >= 95 && result.ms < 100 + ABORT_WITHIN_MS, `stopped after ${result.ms} ms`)
  await instance.drop()
})

test('a call queued behind an aborted one still runs', async () => {
  const instance = await rw.instantiate(loops)
  const controller = new AbortController()
  const first = outcome(() => instance.invoke('spin', [], { signal: controller.signal }))
  const second = instance.call('bump')
  const third = instance.invoke('count', [500], {})
  await sleep(50)
  controller.abort('enough')
  assertAbortError(rejected(await first, 'the aborted call'), 'enough')
  assert.deepEqual(await second, [2], 'the call queued behind it ran (after the spin counted 1)')
  assert.deepEqual(await third, [500])
  await instance.drop()
})

test('aborting a queued call rejects it at once, it never runs, and the calls around it are unaffected', async () => {
  const instance = await rw.instantiate(loops)
  const controller = new AbortController()
  const started = now()
  const running = outcome(() => instance.invoke('spin', [], { timeoutMs: 500 }), started)
  const queued = outcome(() => instance.invoke('bump', [], { signal: controller.signal }), started)
  const after = instance.call('bump')
  await sleep(50)
  controller.abort('changed my mind')
  const cancelled = await queued
  assertAbortError(rejected(cancelled, 'the queued call'), 'changed my mind')
  const spin = await running
  assert.equal(spin.ok, false)
  assert.equal(spin.error.reason, 'timeout')
  assert.ok(cancelled.ms < spin.ms, `the queued call (${cancelled.ms} ms) must reject before the running one ends (${spin.ms} ms)`)
  assert.deepEqual(await after, [2], 'the aborted call never ran: the counter went spin=1, then this bump=2')
  await instance.drop()
})

test('aborting after the call ended has no effect, and the listener is gone', async () => {
  const instance = await rw.instantiate(loops)
  const controller = new AbortController()
  const unhandled = []
  const onUnhandled = (reason) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    const result = await instance.invoke('count', [1000], { signal: controller.signal })
    assert.deepEqual(result, [1000])
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'the call removed its abort listener')
    controller.abort('too late')
    await sleep(20)
    assert.deepEqual(result, [1000])
    assert.deepEqual(unhandled, [])
    // The instance is fine, and a later call with the (now aborted) signal rejects at once.
    assert.deepEqual(await instance.call('bump'), [1])
    const late = instance.invoke('bump', [], { signal: controller.signal })
    assert.ok(await settledBeforeNextMacrotask(late))
    assertAbortError(rejected(await outcome(late), 'reusing an aborted signal'), 'too late')
    assert.deepEqual(await instance.call('get'), [1])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
  // After a failed call too: the listener is removed when the call settles either way.
  const other = new AbortController()
  await expectLimit(() => instance.invoke('spin', [], { signal: other.signal, timeoutMs: 50 }), 'timeout')
  assert.equal(getEventListeners(other.signal, 'abort').length, 0)
  other.abort()
  assert.deepEqual(await instance.call('count', 3), [3])
  await instance.drop()
})

test('one signal shared by calls on many instances stops them all', async () => {
  const instances = await Promise.all(Array.from({ length: 6 }, () => rw.instantiate(loops)))
  const controller = new AbortController()
  const running = instances.map((instance) => outcome(() => instance.invoke('spin', [], { signal: controller.signal })))
  await sleep(100)
  const abortedAt = now()
  controller.abort('shutdown')
  const results = await Promise.all(running)
  assert.ok(now() - abortedAt < 2 * ABORT_WITHIN_MS, `all stopped ${now() - abortedAt} ms after abort()`)
  for (const result of results) assertAbortError(rejected(result, 'a shared-signal call'), 'shutdown')
  for (const instance of instances) {
    assert.deepEqual(await instance.call('get'), [1])
    await instance.drop()
  }
})

test('abort ends a call waiting on a host function Promise', async () => {
  const module = await rw.compile(HOST_WAIT_WAT)
  const instance = await rw.instantiate(module, { imports: { host: { wait: () => new Promise(() => {}) } } })
  const controller = new AbortController()
  const waiting = outcome(() => instance.invoke('waits', [], { signal: controller.signal }))
  await sleep(50)
  const abortedAt = now()
  controller.abort('bye')
  assertAbortError(rejected(await waiting, 'the waiting call'), 'bye')
  assert.ok(now() - abortedAt < ABORT_WITHIN_MS)
  assert.deepEqual(await instance.call('bump'), [1], 'usable after')
  await instance.drop()
  await rw.dropModule(module)
})
