// Deadlines under parallel load: many infinite loops at once share the pool fairly. On a
// two-core machine, 16 instances each spinning with timeoutMs 200 all stop within a generous
// multiple of 200 ms, a quick call on a 17th instance made meanwhile completes promptly, and
// the event loop keeps turning.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import * as rw from '../../index.mjs'
import { LOOPS_WAT, expectTimeout, idleEventLoopGap, now, outcome, sleep, watchEventLoop } from './helpers.mjs'

const loops = await rw.compile(LOOPS_WAT)

const SPINNERS = 16
const TIMEOUT_MS = 200
/** All 16 must have stopped by then (10x the deadline: a slow, loaded machine). */
const ALL_STOPPED_WITHIN_MS = 2000
/** The quick call on the 17th instance. */
const QUICK_WITHIN_MS = 500
/**
 * The longest the event loop may stall (a 5 ms interval timer): 100 ms, or twice what this
 * machine alone stalls it when it is too loaded to keep even that (measured before the tests).
 */
const IDLE_GAP_MS = await idleEventLoopGap()
const MAX_EVENT_LOOP_GAP_MS = Math.max(100, 2 * IDLE_GAP_MS)

async function spinners(limits) {
  return Promise.all(Array.from({ length: SPINNERS }, () => rw.instantiate(loops, { limits })))
}

test('16 infinite loops with an instance timeoutMs of 200 all stop in time; a 17th instance answers meanwhile', async () => {
  const instances = await spinners({ timeoutMs: TIMEOUT_MS })
  const quick = await rw.instantiate(loops)
  const started = now()
  const stops = instances.map((instance, i) =>
    expectTimeout(() => instance.call('spin'), TIMEOUT_MS, { within: ALL_STOPPED_WITHIN_MS, what: `spinner ${i}` }),
  )
  await sleep(50)
  // While all 16 spin: a quick call on another instance, and one with a deadline of its own.
  const quickCall = await outcome(() => quick.call('count', 1000))
  assert.deepEqual(quickCall.value, [1000])
  assert.ok(quickCall.ms < QUICK_WITHIN_MS, `a quick call made while 16 loops spin took ${quickCall.ms.toFixed(0)} ms`)
  const quickInvoke = await outcome(() => quick.invoke('count', [1000], { timeoutMs: 1000 }))
  assert.deepEqual(quickInvoke.value, [1000])
  assert.ok(quickInvoke.ms < QUICK_WITHIN_MS, `a quick invoke made while 16 loops spin took ${quickInvoke.ms.toFixed(0)} ms`)

  const results = await Promise.all(stops)
  const total = now() - started
  assert.ok(total < ALL_STOPPED_WITHIN_MS, `16 loops with a 200 ms deadline took ${total.toFixed(0)} ms to stop`)
  for (const { error } of results) assert.ok(error.elapsedMs < ALL_STOPPED_WITHIN_MS)
  // Every instance is usable after, and every loop had really run.
  for (const instance of instances) assert.deepEqual(await instance.call('get'), [1])
  for (const instance of [...instances, quick]) await instance.drop()
})

test('16 infinite loops with a per-call timeoutMs of 200 (invoke and low-level call) all stop in time', async () => {
  const instances = await spinners(undefined)
  const quick = await rw.instantiate(loops, { limits: { fuel: 1e9 } })
  const started = now()
  const stops = instances.map((instance, i) =>
    expectTimeout(
      () =>
        i % 2 === 0
          ? instance.invoke('spin', [], { timeoutMs: TIMEOUT_MS })
          : rw.call(instance.id, 'spin', [], { timeoutMs: TIMEOUT_MS }),
      TIMEOUT_MS,
      { within: ALL_STOPPED_WITHIN_MS, what: `spinner ${i}` },
    ),
  )
  await sleep(50)
  const quickCall = await outcome(() => quick.call('count', 1000))
  assert.deepEqual(quickCall.value, [1000])
  assert.ok(quickCall.ms < QUICK_WITHIN_MS, `a quick metered call made while 16 loops spin took ${quickCall.ms.toFixed(0)} ms`)
  await Promise.all(stops)
  assert.ok(now() - started < ALL_STOPPED_WITHIN_MS)
  for (const instance of [...instances, quick]) await instance.drop()
})

test('16 metered infinite loops with a deadline share the pool just as fairly', async () => {
  const instances = await spinners({ fuel: 1e15, timeoutMs: TIMEOUT_MS })
  const quick = await rw.instantiate(loops)
  const started = now()
  const stops = instances.map((instance, i) =>
    expectTimeout(() => instance.call('spin'), TIMEOUT_MS, { within: ALL_STOPPED_WITHIN_MS, what: `metered spinner ${i}` }),
  )
  await sleep(50)
  const quickCall = await outcome(() => quick.call('count', 1000))
  assert.ok(quickCall.ms < QUICK_WITHIN_MS, `a quick call made while 16 metered loops spin took ${quickCall.ms.toFixed(0)} ms`)
  await Promise.all(stops)
  assert.ok(now() - started < ALL_STOPPED_WITHIN_MS)
  for (const instance of [...instances, quick]) await instance.drop()
})

test('a long finite call keeps making progress while 16 loops spin, and finishes after they stop', async () => {
  const instances = await spinners({ timeoutMs: TIMEOUT_MS })
  const worker = await rw.instantiate(loops, { limits: { timeoutMs: 20_000 } })
  const stops = instances.map((instance) => outcome(() => instance.call('spin')))
  // A call that needs a few hundred ms of CPU: it must not starve behind the spinners.
  const long = outcome(() => worker.call('count', 200_000_000))
  for (const stop of await Promise.all(stops)) assert.equal(stop.error?.reason, 'timeout')
  const result = await long
  assert.equal(result.ok, true, `the long call failed: ${result.error}`)
  assert.deepEqual(result.value, [200_000_000])
  for (const instance of [...instances, worker]) await instance.drop()
})

test('the event loop keeps turning while 16 loops with deadlines are started and run', async () => {
  const instances = await spinners({ timeoutMs: TIMEOUT_MS })
  await sleep(20)
  const watch = watchEventLoop(5)
  const started = now()
  const stops = instances.map((instance) => outcome(() => instance.call('spin')))
  const results = await Promise.all(stops)
  const { ticks, maxGap } = watch.stop()
  const total = now() - started
  for (const result of results) assert.equal(result.error?.reason, 'timeout')
  assert.ok(ticks >= 10, `a 5 ms interval fired only ${ticks} times in ${total.toFixed(0)} ms`)
  assert.ok(
    maxGap < MAX_EVENT_LOOP_GAP_MS,
    `the event loop stalled for ${maxGap.toFixed(0)} ms (idle machine: ${IDLE_GAP_MS.toFixed(0)} ms) while 16 loops were started and ran (${ticks} ticks in ${total.toFixed(0)} ms)`,
  )
  for (const instance of instances) await instance.drop()
})
