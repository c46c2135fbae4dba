// Infinite loops: stopped by fuel and by deadlines, set per instance or per call, through
// instance.call, instance.invoke, the low-level call() and callSync, in start functions,
// _initialize and run(); the instance stays usable after every stop.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import * as rw from '../../index.mjs'
import {
  HOST_WAIT_WAT,
  INITIALIZE_LOOP_WAT,
  LOOPS_WAT,
  START_EXPORT_LOOP_WAT,
  START_LOOP_WAT,
  expectCode,
  expectLimit,
  expectTimeout,
  now,
  outcome,
  sleep,
} from './helpers.mjs'

const loops = await rw.compile(LOOPS_WAT)

async function usableAfter(instance, what) {
  assert.deepEqual(await instance.call('count', 1000), [1000], `${what}: the instance must stay usable`)
}

test('instance timeoutMs stops an infinite loop made with instance.call, and the instance stays usable', async () => {
  const instance = await rw.instantiate(loops, { limits: { timeoutMs: 150 } })
  const { error } = await expectTimeout(() => instance.call('spin'), 150)
  assert.match(error.message, /deadline/)
  assert.equal(error.fuelConsumed, undefined, 'a timeout is not a fuel stop')
  await usableAfter(instance, 'after a timeout')
  // The deadline applies to every call, not just the first.
  await expectTimeout(() => instance.call('spin'), 150, { what: 'the second infinite loop' })
  assert.deepEqual(await instance.call('get'), [2], 'both loops ran')
  await instance.drop()
})

test('instance timeoutMs applies to invoke and to the low-level call() too', async () => {
  const instance = await rw.instantiate(loops, { limits: { timeoutMs: 120 } })
  await expectTimeout(() => instance.invoke('spin', []), 120, { what: 'invoke without options' })
  await expectTimeout(() => instance.invoke('spin', [], {}), 120, { what: 'invoke with empty options' })
  await expectTimeout(() => rw.call(instance.id, 'spin'), 120, { what: 'low-level call without options' })
  await expectTimeout(() => rw.call(instance.id, 'spin', [], { fuel: null, timeoutMs: null, signal: null }), 120, {
    what: 'low-level call with null options',
  })
  await usableAfter(instance, 'after four timeouts')
  await instance.drop()
})

test('per-call timeoutMs on invoke and on the low-level call() stops an unlimited instance', async () => {
  const instance = await rw.instantiate(loops)
  await expectTimeout(() => instance.invoke('spin', [], { timeoutMs: 100 }), 100, { what: 'invoke' })
  await usableAfter(instance, 'after an invoke timeout')
  await expectTimeout(() => rw.call(instance.id, 'spin', [], { timeoutMs: 100 }), 100, { what: 'low-level call' })
  await usableAfter(instance, 'after a low-level call timeout')
  // A per-call deadline is for that call only: the next call has none.
  assert.deepEqual(await instance.invoke('count', [200_000]), [200_000])
  await instance.drop()
})

test('the earlier of the instance deadline and the call deadline applies', async () => {
  const long = await rw.instantiate(loops, { limits: { timeoutMs: 30_000 } })
  const shorter = await expectTimeout(() => long.invoke('spin', [], { timeoutMs: 100 }), 100, { what: 'call asks for less' })
  assert.ok(shorter.ms < 5_000, `the call's 100 ms deadline must win over the instance's 30 s, took ${shorter.ms} ms`)
  await long.drop()

  const short = await rw.instantiate(loops, { limits: { timeoutMs: 100 } })
  const capped = await expectTimeout(() => short.invoke('spin', [], { timeoutMs: 30_000 }), 100, { what: 'call asks for more' })
  assert.ok(capped.ms < 5_000, `the instance's 100 ms deadline must win over the call's 30 s, took ${capped.ms} ms`)
  await short.drop()
})

test('a deadline counts the time spent queued behind another call of the instance', async () => {
  const instance = await rw.instantiate(loops)
  const started = now()
  const first = instance.invoke('spin', [], { timeoutMs: 400 })
  const queued = instance.invoke('bump', [], { timeoutMs: 100 })
  const stop = await expectTimeout(queued, 100, { what: 'the queued call', started })
  assert.ok(stop.ms < 400 + 1500, `the queued call's deadline passed while it waited, yet it took ${stop.ms} ms`)
  await expectTimeout(first, 400, { what: 'the running call', started })
  // The queued call was stopped before it ran: only the spin counted.
  assert.deepEqual(await instance.call('get'), [1], 'the queued call must never have run')
  await instance.drop()
})

test('instance fuel stops an infinite loop on instance.call, invoke and the low-level call()', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 2_000_000 } })
  const { error } = await expectLimit(() => instance.call('spin'), 'fuel')
  assert.equal(error.fuelConsumed, 2_000_000, 'the whole tank was burnt')
  assert.match(error.message, /out of fuel/)
  assert.equal(await instance.fuel(), 0)

  await instance.setFuel(1_000_000)
  const viaInvoke = await expectLimit(() => instance.invoke('spin', []), 'fuel', 'invoke')
  assert.equal(viaInvoke.error.fuelConsumed, 1_000_000)

  await instance.setFuel(500_000)
  const lowLevel = await expectLimit(() => rw.call(instance.id, 'spin'), 'fuel', 'low-level call')
  assert.equal(lowLevel.error.fuelConsumed, 500_000)

  await instance.setFuel(1_000_000)
  await usableAfter(instance, 'after fuel stops and a refill')
  await instance.drop()
})

test('per-call fuel stops an infinite loop on invoke and on the low-level call()', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e12 } })
  const viaInvoke = await expectLimit(() => instance.invoke('spin', [], { fuel: 300_000 }), 'fuel', 'invoke')
  assert.equal(viaInvoke.error.fuelConsumed, 300_000)
  const lowLevel = await expectLimit(() => rw.call(instance.id, 'spin', [], { fuel: 200_000n }), 'fuel', 'low-level call')
  assert.equal(lowLevel.error.fuelConsumed, 200_000)
  await usableAfter(instance, 'after per-call fuel stops')
  await instance.drop()
})

test('fuel: Infinity meters the instance without a limit of its own, so per-call fuel stops loops', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: Infinity } })
  const { error } = await expectLimit(() => instance.invoke('spin', [], { fuel: 100_000 }), 'fuel')
  assert.equal(error.fuelConsumed, 100_000)
  assert.equal(await instance.fuel(), Infinity, 'an unbounded tank is never drawn down')
  await expectTimeout(() => instance.invoke('spin', [], { timeoutMs: 100 }), 100, { what: 'a metered loop with a deadline' })
  await usableAfter(instance, 'after stops on an unbounded tank')
  await instance.drop()
})

test('fuel and deadline together: whichever comes first stops the loop', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e15, timeoutMs: 100 } })
  await expectTimeout(() => instance.call('spin'), 100, { what: 'a huge tank with a short deadline' })
  const { error } = await expectLimit(() => instance.invoke('spin', [], { fuel: 50_000 }), 'fuel', 'little fuel with a deadline')
  assert.equal(error.fuelConsumed, 50_000)
  await instance.drop()
})

test('callSync is stopped by the instance deadline and by its fuel (it throws)', async () => {
  const timed = await rw.instantiate(loops, { limits: { timeoutMs: 80 } })
  const started = now()
  let thrown
  try {
    timed.callSync('spin')
  } catch (error) {
    thrown = error
  }
  const ms = now() - started
  assert.ok(thrown instanceof rw.WasmError, `callSync of an infinite loop must throw, got ${thrown}`)
  assert.equal(thrown.code, 5011)
  assert.equal(thrown.reason, 'timeout')
  assert.ok(ms >= 75 && ms < 80 + 1500, `callSync stopped after ${ms} ms`)
  assert.deepEqual(timed.callSync('count', 10), [10], 'usable after')
  await timed.drop()

  const fueled = await rw.instantiate(loops, { limits: { fuel: 100_000 } })
  assert.throws(
    () => fueled.callSync('spin'),
    (error) => error.code === 5011 && error.reason === 'fuel' && error.fuelConsumed === 100_000,
  )
  await fueled.drop()
})

test('an infinite start function fails instantiate with 5011 (timeout or fuel)', async () => {
  const module = await rw.compile(START_LOOP_WAT)
  const timed = await expectTimeout(() => rw.instantiate(module, { limits: { timeoutMs: 100 } }), 100, { what: 'start function' })
  assert.match(timed.error.message, /deadline/)
  const fueled = await expectLimit(() => rw.instantiate(module, { limits: { fuel: 500_000 } }), 'fuel', 'start function')
  assert.equal(fueled.error.fuelConsumed, 500_000)
  await rw.dropModule(module)
})

test('an infinite _initialize fails instantiate with 5011 (timeout or fuel)', async () => {
  const module = await rw.compile(INITIALIZE_LOOP_WAT)
  await expectTimeout(() => rw.instantiate(module, { limits: { timeoutMs: 100 } }), 100, { what: '_initialize' })
  await expectLimit(() => rw.instantiate(module, { limits: { fuel: 500_000 } }), 'fuel', '_initialize')
  await rw.dropModule(module)
})

test('run() of a WASI command that never ends rejects with 5011', async () => {
  const module = await rw.compile(START_EXPORT_LOOP_WAT)
  await expectTimeout(() => rw.run(module, { limits: { timeoutMs: 100 } }), 100, { what: 'run with timeoutMs' })
  await expectLimit(() => rw.run(module, { limits: { fuel: 500_000 } }), 'fuel', 'run with fuel')
  await rw.dropModule(module)
})

test('a deadline keeps running while a host function is pending, and the instance stays usable', async () => {
  const module = await rw.compile(HOST_WAIT_WAT)
  let waits = 0
  const instance = await rw.instantiate(module, {
    limits: { timeoutMs: 150 },
    imports: {
      host: {
        // The first call never settles: a hostile host-side wait. Later ones resolve.
        wait: () => (++waits === 1 ? new Promise(() => {}) : Promise.resolve()),
      },
    },
  })
  await expectTimeout(() => instance.call('waits'), 150, { what: 'a call waiting on a host Promise' })
  assert.deepEqual(await instance.call('waits'), [7], 'a later call whose host function resolves works')
  assert.deepEqual(await instance.call('bump'), [1])
  await instance.drop()
  await rw.dropModule(module)
})

test('many loops stopped one after another leave the instance and the process healthy', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e12 } })
  for (let i = 0; i < 20; i++) {
    if (i % 2 === 0) await expectLimit(() => instance.invoke('spin', [], { fuel: 20_000 + i }), 'fuel')
    else await expectTimeout(() => instance.invoke('spin', [], { timeoutMs: 5 }), 5, { within: 2000 })
  }
  assert.deepEqual(await instance.call('get'), [20])
  await usableAfter(instance, 'after 20 stops')
  await instance.drop()
})

test('malformed limits and call options are refused with clear codes, before anything runs', async () => {
  await expectCode(rw.instantiate(loops, { limits: { fuel: -1 } }), 5001, 'limits.fuel = -1')
  await expectCode(rw.instantiate(loops, { limits: { timeoutMs: 'soon' } }), 5001, 'limits.timeoutMs = "soon"')
  await expectCode(rw.instantiate(loops, { limits: { maxMemoryBytes: 1.5 } }), 5001, 'limits.maxMemoryBytes = 1.5')
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e9 } })
  await expectCode(instance.invoke('bump', [], { fuel: -5 }), 5007, 'fuel: -5')
  await expectCode(instance.invoke('bump', [], { fuel: 0.5 }), 5007, 'fuel: 0.5')
  await expectCode(instance.invoke('bump', [], { timeoutMs: -1 }), 5007, 'timeoutMs: -1')
  await expectCode(instance.invoke('bump', [], { timeoutMs: 'x' }), 5007, 'timeoutMs: "x"')
  const badSignal = await outcome(instance.invoke('bump', [], { signal: { aborted: true } }))
  assert.equal(badSignal.ok, false)
  assert.ok(badSignal.error instanceof TypeError && !(badSignal.error instanceof rw.WasmError), String(badSignal.error))
  const badOptions = await outcome(rw.call(instance.id, 'bump', [], 42))
  assert.ok(badOptions.error instanceof TypeError, String(badOptions.error))
  assert.deepEqual(await instance.call('get'), [0], 'none of the refused calls ran')
  await instance.drop()
})

test('an instance left spinning is stopped by drop() (5005), without waiting for a limit', async () => {
  const instance = await rw.instantiate(loops, { limits: { timeoutMs: 60_000 } })
  const started = now()
  const running = instance.call('spin')
  await sleep(50)
  await instance.drop()
  const error = await expectCode(running, 5005, 'a call on a dropped instance')
  assert.ok(now() - started < 2000, 'drop stops the loop promptly')
  assert.ok(error instanceof rw.WasmError)
})
