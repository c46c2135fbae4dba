// Fuel accounting: a loop of known length burns fuel in proportion to its length, the tank
// drains across calls and is refilled by setFuel, per-call fuel caps one call without
// refilling anything, and instances made without limits.fuel are unmetered (fuel() is null,
// fuel requests are refused up front with 5002: 5011 is only for a limit that was reached).

import { test } from 'node:test'
import assert from 'node:assert/strict'

import * as rw from '../../index.mjs'
import { LOOPS_WAT, expectCode, expectLimit, startCountWat } from './helpers.mjs'

const loops = await rw.compile(LOOPS_WAT)

/** The fuel one call of count(n) burns, read from the tank before and after. */
async function costOf(instance, n) {
  const before = await instance.fuel()
  assert.deepEqual(await instance.call('count', n), [n])
  const after = await instance.fuel()
  assert.ok(after < before, `count(${n}) must burn fuel (tank ${before} -> ${after})`)
  return before - after
}

test('a loop of known length consumes fuel in proportion to its length', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e12 } })
  const small = 20_000
  const cost = await costOf(instance, small)
  const tenTimes = await costOf(instance, small * 10)
  const hundredTimes = await costOf(instance, small * 100)
  // The per-iteration cost, measured once: a loop body of a handful of instructions.
  const perIteration = (tenTimes - cost) / (small * 9)
  assert.ok(perIteration >= 2 && perIteration <= 30, `one iteration of the loop cost ${perIteration} fuel`)
  assert.ok(Math.abs(tenTimes / cost - 10) <= 0.5, `10x the iterations cost ${tenTimes / cost}x the fuel (${cost} -> ${tenTimes})`)
  assert.ok(
    Math.abs(hundredTimes / cost - 100) <= 5,
    `100x the iterations cost ${hundredTimes / cost}x the fuel (${cost} -> ${hundredTimes})`,
  )
  // The fixed part of a call (entry, return) is small next to the loop.
  const fixed = cost - perIteration * small
  assert.ok(Math.abs(fixed) < 1000, `a call's fixed cost is ${fixed} fuel`)
  // The same call costs the same fuel every time: accounting is deterministic.
  assert.equal(await costOf(instance, small), cost)
  assert.equal(await costOf(instance, small), cost)
  await instance.drop()
})

test('the predicted cost of a loop is what it needs: a little less fuel stops it, a little more completes it', async () => {
  const probe = await rw.instantiate(loops, { limits: { fuel: 1e12 } })
  const n = 100_000
  const cost = await costOf(probe, n)
  await probe.drop()

  const enough = await rw.instantiate(loops, { limits: { fuel: Math.ceil(cost * 1.05) } })
  assert.deepEqual(await enough.call('count', n), [n], `a tank of ${Math.ceil(cost * 1.05)} must run a loop that costs ${cost}`)
  await enough.drop()

  const short = await rw.instantiate(loops, { limits: { fuel: Math.floor(cost * 0.95) } })
  const { error } = await expectLimit(() => short.call('count', n), 'fuel', 'a loop given 95% of its cost')
  assert.equal(error.fuelConsumed, Math.floor(cost * 0.95), 'it burnt the whole tank')
  assert.equal(await short.fuel(), 0)
  await short.drop()

  // The same with per-call fuel on a big tank.
  const tank = await rw.instantiate(loops, { limits: { fuel: 1e12 } })
  assert.deepEqual(await tank.invoke('count', [n], { fuel: Math.ceil(cost * 1.05) }), [n])
  const perCall = await expectLimit(() => tank.invoke('count', [n], { fuel: Math.floor(cost / 2) }), 'fuel', 'half the fuel')
  assert.equal(perCall.error.fuelConsumed, Math.floor(cost / 2))
  await tank.drop()
})

test('fuelConsumed of a stopped call is what it burnt, and the tank goes down by as much', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 10_000_000 } })
  const { error } = await expectLimit(() => instance.invoke('spin', [], { fuel: 1_234_567 }), 'fuel')
  assert.equal(error.fuelConsumed, 1_234_567)
  assert.equal(await instance.fuel(), 10_000_000 - 1_234_567)
  await instance.drop()
})

test('fuel() reads the tank: it drains across calls and setFuel tops it up', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 5_000_000 } })
  assert.equal(await instance.fuel(), 5_000_000, 'a fresh tank holds what was asked')
  assert.equal(await rw.fuel(instance.id), 5_000_000, 'the low-level fuel() agrees')
  const first = await costOf(instance, 10_000)
  const second = await costOf(instance, 10_000)
  assert.equal(first, second)
  assert.equal(await instance.fuel(), 5_000_000 - first - second, 'each call draws from the same tank')

  // Drain it with an infinite loop: the tank ends empty, and the next call fails at once.
  await expectLimit(() => instance.call('spin'), 'fuel', 'draining the tank')
  assert.equal(await instance.fuel(), 0)
  const empty = await expectLimit(() => instance.call('count', 10), 'fuel', 'a call on an empty tank')
  assert.ok(empty.error.fuelConsumed <= 100, `an empty tank gave ${empty.error.fuelConsumed}`)
  assert.equal(await instance.fuel(), 0)

  // Top up: the instance works again, and the tank reads what was put in minus what was used.
  await instance.setFuel(1_000_000)
  assert.equal(await instance.fuel(), 1_000_000)
  const third = await costOf(instance, 10_000)
  assert.equal(third, first)
  await rw.setFuel(instance.id, 2_000_000n)
  assert.equal(await instance.fuel(), 2_000_000, 'setFuel sets the tank (it does not add)')
  await instance.setFuel(0)
  assert.equal(await instance.fuel(), 0)
  await expectLimit(() => instance.call('count', 10), 'fuel', 'a call after setFuel(0)')
  await instance.drop()
})

test('per-call fuel smaller than the tank caps the call; what it burns still comes from the tank', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 10_000_000 } })
  const { error } = await expectLimit(() => instance.invoke('spin', [], { fuel: 1_000_000 }), 'fuel')
  assert.equal(error.fuelConsumed, 1_000_000)
  assert.equal(await instance.fuel(), 9_000_000)
  // A completing call with a per-call cap draws only what it used.
  const cost = await costOf(instance, 1000)
  assert.deepEqual(await instance.invoke('count', [1000], { fuel: 1_000_000 }), [1000])
  assert.equal(await instance.fuel(), 9_000_000 - 2 * cost)
  // Per-call fuel larger than the tank does not add to it: the tank still limits the call.
  await instance.setFuel(300_000)
  const capped = await expectLimit(() => instance.invoke('spin', [], { fuel: 1e12 }), 'fuel', 'asking for more than the tank')
  assert.equal(capped.error.fuelConsumed, 300_000)
  assert.equal(await instance.fuel(), 0)
  await instance.drop()
})

test('setFuel and fuel() wait their turn behind a running call', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e12 } })
  const running = instance.invoke('spin', [], { timeoutMs: 150 })
  const topUp = instance.setFuel(777)
  const read = instance.fuel()
  await expectLimit(running, 'timeout')
  await topUp
  assert.equal(await read, 777, 'fuel() queued after setFuel sees the new tank')
  await instance.drop()
})

test('the start function burns fuel from the tank', async () => {
  const iterations = 50_000
  const probe = await rw.instantiate(loops, { limits: { fuel: 1e12 } })
  const loopCost = await costOf(probe, iterations)
  await probe.drop()

  const module = await rw.compile(startCountWat(iterations))
  const instance = await rw.instantiate(module, { limits: { fuel: 10_000_000 } })
  const spent = 10_000_000 - (await instance.fuel())
  assert.ok(Math.abs(spent - loopCost) <= loopCost * 0.05, `the start function burnt ${spent}, a loop of the same length ${loopCost}`)
  await instance.drop()
  await expectLimit(() => rw.instantiate(module, { limits: { fuel: Math.floor(loopCost / 2) } }), 'fuel', 'a start function on half its fuel')
  await rw.dropModule(module)
})

test('fuel: Infinity is a metered instance whose tank never runs down', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: Infinity } })
  assert.equal(await instance.fuel(), Infinity)
  assert.deepEqual(await instance.call('count', 100_000), [100_000])
  assert.equal(await instance.fuel(), Infinity)
  await expectLimit(() => instance.invoke('spin', [], { fuel: 10_000 }), 'fuel')
  assert.equal(await instance.fuel(), Infinity)
  await instance.setFuel(1000)
  assert.equal(await instance.fuel(), 1000, 'an unbounded tank can be replaced by a finite one')
  await instance.drop()
})

test('fuel given as a bigint works like a number', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 3_000_000n } })
  assert.equal(await instance.fuel(), 3_000_000)
  const { error } = await expectLimit(() => instance.invoke('spin', [], { fuel: 40_000n }), 'fuel')
  assert.equal(error.fuelConsumed, 40_000)
  await instance.drop()
})

test('an instance made without limits.fuel is unmetered: fuel() is null and fuel requests are refused up front with 5002, not 5011', async () => {
  const instance = await rw.instantiate(loops, { limits: { timeoutMs: 10_000 } })
  assert.equal(await instance.fuel(), null)
  assert.equal(await rw.fuel(instance.id), null)
  const perCall = await expectCode(() => instance.invoke('count', [10], { fuel: 1000 }), 5002, 'per-call fuel on an unmetered instance')
  assert.match(perCall.message, /no fuel metering/)
  assert.match(perCall.message, /limits\.fuel/)
  assert.equal(perCall.reason, undefined, 'this is a refusal, not a stop')
  await expectCode(() => rw.call(instance.id, 'count', [10], { fuel: 1000 }), 5002, 'low-level call with fuel')
  const refill = await expectCode(() => instance.setFuel(1000), 5002, 'setFuel on an unmetered instance')
  assert.match(refill.message, /no fuel metering/)
  assert.equal(await instance.fuel(), null, 'still unmetered')
  assert.deepEqual(await instance.invoke('count', [10], { fuel: null }), [10], 'fuel: null means no per-call fuel')
  assert.deepEqual(await instance.call('get'), [0], 'the refused calls never ran')
  await instance.drop()
})

test('malformed setFuel amounts are 5007 and leave the tank alone', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1000 } })
  for (const amount of [-1, 1.5, Number.NaN, '1000', null, -1n, 2n ** 64n]) {
    await expectCode(() => instance.setFuel(amount), 5007, `setFuel(${typeof amount === 'bigint' ? `${amount}n` : String(amount)})`)
  }
  assert.equal(await instance.fuel(), 1000)
  await instance.drop()
})

test('fuel burnt by a call stopped by its deadline or by an abort is charged to the tank', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e15 } })
  // Stopped by a deadline: tens of milliseconds of an infinite loop burn millions of units.
  const beforeTimeout = await instance.fuel()
  await expectLimit(() => instance.invoke('spin', [], { timeoutMs: 60 }), 'timeout')
  const afterTimeout = await instance.fuel()
  assert.ok(afterTimeout < beforeTimeout, `a loop stopped by its deadline after 60 ms left the tank at ${afterTimeout} (was ${beforeTimeout})`)

  // Stopped by an abort.
  const controller = new AbortController()
  const running = instance.invoke('spin', [], { signal: controller.signal }).catch((error) => error)
  await new Promise((resolve) => setTimeout(resolve, 60))
  controller.abort()
  assert.equal((await running).name, 'AbortError')
  const afterAbort = await instance.fuel()
  assert.ok(afterAbort < afterTimeout, `a loop aborted after 60 ms left the tank at ${afterAbort} (was ${afterTimeout})`)

  // So a tank really bounds the total work of calls that keep hitting their deadline.
  const small = await rw.instantiate(loops, { limits: { fuel: 50_000_000 } })
  let stops = 0
  for (; stops < 50; stops++) {
    const result = await small.invoke('spin', [], { timeoutMs: 30 }).catch((error) => error)
    if (result.reason === 'fuel') break
    assert.equal(result.reason, 'timeout')
  }
  assert.ok(stops < 50, `50 calls of 30 ms each stopped by their deadline never emptied a tank of 50 million (left: ${await small.fuel()})`)
  await small.drop()
  await instance.drop()
})
