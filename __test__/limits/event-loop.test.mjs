// The event loop stays responsive while long calls with limits run: a 5 ms interval timer keeps
// firing (its largest gap stays well under 100 ms) while infinite loops, fuel stops, aborts,
// memory and table bombs, stack overflows, runaway start functions and host waits all run.
// (Making 16 long calls in one turn is covered in parallel.test.mjs.)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as nextTurn } from 'node:timers/promises'

import * as rw from '../../index.mjs'
import {
  HOST_WAIT_WAT,
  LOOPS_WAT,
  MiB,
  START_EXPORT_LOOP_WAT,
  START_LOOP_WAT,
  now,
  outcome,
  idleEventLoopGap,
  sleep,
  watchEventLoop,
} from './helpers.mjs'

/**
 * The longest the event loop may stall (a 5 ms interval timer): 100 ms, or twice what this
 * machine alone stalls it when it is too loaded to keep even that (measured before the tests).
 */
const IDLE_GAP_MS = await idleEventLoopGap()
const MAX_EVENT_LOOP_GAP_MS = Math.max(100, 2 * IDLE_GAP_MS)

const loops = await rw.compile(LOOPS_WAT)

test('a 5 ms interval keeps firing while every kind of limited long call runs', async () => {
  const startLoop = await rw.compile(START_LOOP_WAT)
  const commandLoop = await rw.compile(START_EXPORT_LOOP_WAT)
  const hostWait = await rw.compile(HOST_WAIT_WAT)
  const timed = await Promise.all(Array.from({ length: 4 }, () => rw.instantiate(loops, { limits: { timeoutMs: 400 } })))
  const metered = await Promise.all(Array.from({ length: 2 }, () => rw.instantiate(loops, { limits: { fuel: 1e15 } })))
  const fuelStop = await rw.instantiate(loops, { limits: { fuel: 1e15 } })
  const aborted = await rw.instantiate(loops)
  const bombs = await rw.instantiate(loops, { limits: { maxMemoryBytes: 256 * MiB, maxTableElements: 200_000 } })
  const deep = await Promise.all(Array.from({ length: 2 }, () => rw.instantiate(loops, { limits: { timeoutMs: 5000 } })))
  const host = await rw.instantiate(hostWait, { limits: { timeoutMs: 400 }, imports: { host: { wait: () => new Promise(() => {}) } } })
  const quick = await rw.instantiate(loops)
  const controller = new AbortController()
  await sleep(20)

  const watch = watchEventLoop(5)
  const started = now()
  // Long calls are made one per turn of the event loop, as requests would arrive.
  const running = []
  const start = async (what, operation) => {
    running.push(outcome(operation, started).then((result) => ({ what, ...result })))
    await nextTurn()
  }
  for (const instance of timed) await start('instance timeout', () => instance.call('spin'))
  for (const instance of metered) await start('per-call timeout, metered', () => instance.invoke('spin', [], { timeoutMs: 400 }))
  await start('per-call fuel', () => fuelStop.invoke('spin', [], { fuel: 300_000_000, timeoutMs: 3000 }))
  await start('abort', () => aborted.invoke('spin', [], { signal: controller.signal }))
  await start('memory bomb', () => bombs.call('grow_all'))
  await start('table bomb', () => bombs.call('table_grow_all'))
  for (const instance of deep) await start('stack overflow', () => instance.call('recurse', 0))
  await start('host wait', () => host.call('waits'))
  await start('runaway start function', () => rw.instantiate(startLoop, { limits: { timeoutMs: 400 } }))
  await start('runaway command', () => rw.run(commandLoop, { limits: { timeoutMs: 400 } }))
  setTimeout(() => controller.abort('stop'), 200)

  // Meanwhile, quick calls keep answering.
  const quickLatencies = []
  while (now() - started < 350) {
    const result = await outcome(() => quick.call('count', 100))
    assert.equal(result.ok, true)
    quickLatencies.push(result.ms)
    await sleep(20)
  }
  const results = await Promise.all(running)
  const { ticks, maxGap } = watch.stop()
  const total = now() - started

  const byWhat = (what) => results.filter((r) => r.what === what)
  for (const r of [...byWhat('instance timeout'), ...byWhat('per-call timeout, metered'), ...byWhat('host wait')]) {
    assert.equal(r.error?.reason, 'timeout', `${r.what}: ${r.error ?? 'resolved'}`)
  }
  for (const r of [...byWhat('runaway start function'), ...byWhat('runaway command')]) {
    assert.equal(r.error?.code, 5011, `${r.what}: ${r.error ?? 'resolved'}`)
  }
  assert.equal(byWhat('per-call fuel')[0].error?.code, 5011)
  assert.equal(byWhat('abort')[0].error?.name, 'AbortError')
  assert.deepEqual(byWhat('memory bomb')[0].value, [4096])
  assert.deepEqual(byWhat('table bomb')[0].value, [200_000])
  for (const r of byWhat('stack overflow')) assert.equal(r.error?.trap, 'call stack exhausted')

  assert.ok(ticks >= 10, `a 5 ms interval fired only ${ticks} times in ${total.toFixed(0)} ms`)
  assert.ok(maxGap < MAX_EVENT_LOOP_GAP_MS, `the event loop stalled for ${maxGap.toFixed(0)} ms (idle machine: ${IDLE_GAP_MS.toFixed(0)} ms; ${ticks} ticks in ${total.toFixed(0)} ms)`)
  const slowest = Math.max(...quickLatencies)
  assert.ok(slowest < 500, `a quick call took ${slowest.toFixed(0)} ms while the long calls ran`)

  for (const instance of [...timed, ...metered, fuelStop, aborted, bombs, ...deep, host, quick]) await instance.drop()
  for (const id of [startLoop, commandLoop, hostWait]) await rw.dropModule(id)
})

test('a long call returns its Promise after a short first slice, and the loop turns until it ends', async () => {
  const instance = await rw.instantiate(loops, { limits: { timeoutMs: 600 } })
  const watch = watchEventLoop(5)
  const before = now()
  const running = instance.call('spin')
  const heldFor = now() - before
  const result = await outcome(running, before)
  const { ticks, maxGap } = watch.stop()
  assert.equal(result.error?.reason, 'timeout')
  assert.ok(heldFor < MAX_EVENT_LOOP_GAP_MS, `making the call held the JS thread for ${heldFor.toFixed(0)} ms (idle machine: ${IDLE_GAP_MS.toFixed(0)} ms)`)
  assert.ok(maxGap < MAX_EVENT_LOOP_GAP_MS, `the event loop stalled for ${maxGap.toFixed(0)} ms (idle machine: ${IDLE_GAP_MS.toFixed(0)} ms) during a 600 ms loop`)
  assert.ok(ticks >= 20, `a 5 ms interval fired ${ticks} times during a 600 ms loop`)
  await instance.drop()
})

test('the event loop keeps turning while a long metered call burns through a big tank', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 400_000_000, timeoutMs: 10_000 } })
  const watch = watchEventLoop(5)
  const result = await outcome(() => instance.call('spin'))
  const { ticks, maxGap } = watch.stop()
  assert.equal(result.error?.code, 5011)
  assert.ok(maxGap < MAX_EVENT_LOOP_GAP_MS, `the event loop stalled for ${maxGap.toFixed(0)} ms (idle machine: ${IDLE_GAP_MS.toFixed(0)} ms; ${ticks} ticks in ${result.ms.toFixed(0)} ms)`)
  await instance.drop()
})
