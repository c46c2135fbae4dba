// Execution model: calls run off the JS thread, different instances in parallel, calls on one
// instance in order; a long call never blocks the event loop and stops when its instance is dropped.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { compile, compileFile, instantiate } from '../index.mjs'
import { fixture, fromWat, rejectsWith, sleep } from './core-helpers.mjs'

// Counts down an i64 (so long runs do not need more than 2^31 iterations); returns n.
const SPIN_WAT = `(module
  (func (export "spin") (param $n i64) (result i64)
    (local $i i64)
    (local.set $i (local.get $n))
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get $i)))
        (local.set $i (i64.sub (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $n)))`

const COUNTER_WAT = `(module
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  (func (export "bump_slowly") (param $spin i32) (result i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $spin)))
      (local.set $spin (i32.sub (local.get $spin) (i32.const 1)))
      (br $next)))
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n)))`

test('200 concurrent calls on 20 instances all give the right results', async () => {
  const moduleId = await compileFile(fixture('arith.wat'))
  const instances = await Promise.all(Array.from({ length: 20 }, () => instantiate(moduleId)))
  assert.equal(new Set(instances.map((i) => i.id)).size, 20)
  const calls = []
  const expected = []
  for (let k = 0; k < 200; k++) {
    const instance = instances[k % 20]
    switch (k % 4) {
      case 0:
        calls.push(instance.call('add', k, 1000))
        expected.push([k + 1000])
        break
      case 1:
        calls.push(instance.call('mul', k, -3))
        expected.push([k * -3])
        break
      case 2:
        calls.push(instance.call('add64', BigInt(k), 2n ** 40n))
        expected.push([BigInt(k) + 2n ** 40n])
        break
      default:
        calls.push(instance.call('spin', 10_000 + k))
        expected.push([10_000 + k])
    }
  }
  assert.deepEqual(await Promise.all(calls), expected)
  await Promise.all(instances.map((instance) => instance.drop()))
})

test('calls on one instance run one at a time, in the order they were made', async () => {
  const instance = await fromWat(COUNTER_WAT)
  const pending = []
  for (let k = 0; k < 100; k++) pending.push(instance.call('bump'))
  assert.deepEqual(await Promise.all(pending), Array.from({ length: 100 }, (_, k) => [k + 1]))

  // Slow and fast calls interleaved still finish in order.
  const mixed = []
  for (let k = 0; k < 20; k++) {
    mixed.push(k % 2 === 0 ? instance.call('bump_slowly', 2_000_000) : instance.call('bump'))
  }
  assert.deepEqual(await Promise.all(mixed), Array.from({ length: 20 }, (_, k) => [101 + k]))
  await instance.drop()
})

test('memory operations are queued in order with calls on the same instance', async () => {
  const instance = await fromFixture()
  const ops = [
    instance.memory.write(0, [1]),
    instance.call('load8', 0),
    instance.call('store8', 0, 2),
    instance.memory.read(0, 1),
    instance.memory.write(0, [3]),
    instance.call('load8', 0),
    instance.memory.grow(1),
    instance.memory.size(),
  ]
  const [, first, , second, , third, previous, size] = await Promise.all(ops)
  assert.deepEqual(first, [1])
  assert.deepEqual([...second], [2])
  assert.deepEqual(third, [3])
  assert.equal(previous, 1)
  assert.equal(size, 2)
  await instance.drop()
})

async function fromFixture() {
  return instantiate(await compileFile(fixture('arith.wat')))
}

async function timeSpin(instance, n) {
  const start = performance.now()
  assert.deepEqual(await instance.call('spin', n), [n])
  return performance.now() - start
}

/** Runs one spin call while a 10 ms interval ticks; returns the elapsed time and the largest gap. */
async function spinWhileTicking(instance, iterations) {
  const ticks = []
  const interval = setInterval(() => ticks.push(performance.now()), 10)
  const start = performance.now()
  const pending = instance.call('spin', iterations)
  const synchronous = performance.now() - start // time the JS thread spent inside call()
  const [result] = await pending
  const end = performance.now()
  clearInterval(interval)
  assert.equal(result, iterations)
  const marks = [start, ...ticks.filter((t) => t >= start && t <= end), end]
  let maxGap = 0
  let where = 0
  for (let k = 1; k < marks.length; k++) {
    if (marks[k] - marks[k - 1] > maxGap) [maxGap, where] = [marks[k] - marks[k - 1], k]
  }
  return { elapsed: end - start, maxGap, where, tickCount: marks.length - 2, synchronous }
}

test('a 2-second wasm loop does not delay a 10 ms interval by more than 50 ms', async () => {
  const instance = await fromWat(SPIN_WAT)
  // Calibrate: iterations per millisecond on this machine (best of three short runs).
  const probe = 20_000_000n
  let best = Infinity
  for (let run = 0; run < 3; run++) best = Math.min(best, await timeSpin(instance, probe))
  let iterations = BigInt(Math.round((Number(probe) / Math.max(best, 1)) * 2000))

  // On a noisy machine the calibration can be off: if the loop came out much shorter than 2 s,
  // scale it up and measure again. Every run counts for the gap.
  let run
  for (let attempt = 0; attempt < 3; attempt++) {
    run = await spinWhileTicking(instance, iterations)
    const detail = `max gap ${run.maxGap.toFixed(1)} ms (10 ms + 50 ms allowed) at tick ${run.where} of ${run.tickCount + 1}, ` +
      `over ${run.elapsed.toFixed(0)} ms; call() itself held the JS thread ${run.synchronous.toFixed(1)} ms`
    assert.ok(run.maxGap <= 60, `the interval was delayed: ${detail}`)
    assert.ok(run.tickCount >= run.elapsed / 60, `too few ticks: ${run.tickCount} in ${run.elapsed.toFixed(0)} ms`)
    if (run.elapsed >= 1500) break
    iterations = (iterations * 2200n) / BigInt(Math.max(1, Math.round(run.elapsed)))
  }
  assert.ok(run.elapsed >= 1500, `the loop should run about 2 s, ran ${run.elapsed.toFixed(0)} ms`)
  await instance.drop()
})

test('a long call does not hold up calls on other instances', async () => {
  const moduleId = await compile(SPIN_WAT)
  const busy = await instantiate(moduleId)
  const free = await fromFixture()
  const long = busy.call('spin', 2n ** 62n) // would run for years
  await sleep(20)
  const start = performance.now()
  for (let k = 0; k < 20; k++) assert.deepEqual(await free.call('add', k, 1), [k + 1])
  const elapsed = performance.now() - start
  assert.ok(elapsed < 2000, `other instances were held up: ${elapsed.toFixed(0)} ms for 20 tiny calls`)
  await busy.drop()
  await rejectsWith(() => long, 5005)
  await free.drop()
})

test('dropping an instance during a long call rejects it with 5005 promptly, and the queued calls too', async () => {
  const instance = await fromFixture()
  const long = instance.call('loop_forever')
  const queued = [
    instance.call('add', 1, 2),
    instance.memory.read(0, 1),
    instance.getExports(),
    instance.call('loop_forever'),
  ]
  // Observe settlement without leaving rejections unhandled.
  const settled = Promise.allSettled([long, ...queued])
  await sleep(100)
  const dropStart = performance.now()
  await instance.drop()
  await rejectsWith(() => long, 5005)
  const stopped = performance.now() - dropStart
  assert.ok(stopped < 1000, `the running call took ${stopped.toFixed(0)} ms to stop`)
  for (const outcome of await settled) {
    assert.equal(outcome.status, 'rejected')
    assert.equal(outcome.reason.code, 5005, outcome.reason.message)
    assert.equal(outcome.reason.name, 'InvalidInstanceHandle')
  }
  await rejectsWith(() => instance.call('add', 1, 2), 5005)
})

test('calls made while another instance of the same module runs long are unaffected', async () => {
  const moduleId = await compileFile(fixture('arith.wat'))
  const a = await instantiate(moduleId)
  const b = await instantiate(moduleId)
  const long = a.call('loop_forever')
  const settledLong = long.catch((error) => error)
  assert.deepEqual(await b.call('mul', 6, 7), [42])
  await a.drop()
  const error = await settledLong
  assert.equal(error.code, 5005)
  assert.deepEqual(await b.call('mul', 6, 7), [42])
  await b.drop()
})
