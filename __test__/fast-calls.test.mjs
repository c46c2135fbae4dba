// The hot call path: instance.call / callSync and the low-level call / callSync with primitive
// arguments go through function handles (resolved once per instance and name) and raw
// arguments. Everything they do must be exactly what the general path does: the same results,
// the same errors, the same order, the same limits. The general path is reached here through
// invoke() with options, which never takes the fast path.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'

import { WasmError, call, callSync } from '../index.mjs'
import { fromFixture, fromWat, rejectsWith, throwsWith } from './core-helpers.mjs'

let arith
before(async () => {
  arith = await fromFixture('arith.wat')
})
after(async () => {
  await arith.drop()
})

// What an operation did, in a form that compares: its results, or its error's code and message.
async function outcome(operation) {
  try {
    return { results: await operation() }
  } catch (error) {
    assert.ok(error instanceof WasmError || error instanceof TypeError, `unexpected error ${error}`)
    return { code: error.code, name: error.name, message: error.message }
  }
}

function outcomeSync(operation) {
  try {
    return { results: operation() }
  } catch (error) {
    return { code: error.code, name: error.name, message: error.message }
  }
}

const VALUES = [
  0, 1, -1, 7, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 1.5, -0, NaN, Infinity, -Infinity,
  2 ** 53, 2 ** 53 + 2, 5n, -1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 200n, -(2n ** 63n),
  null, undefined, true, 'seven', Symbol('s'), () => 1,
]
const EXPORTS = { add: 2, sub: 2, mul: 2, add64: 2, fadd32: 2, fadd64: 2, id_i32: 1, id_i64: 1, id_f32: 1, id_f64: 1, swap: 2, div_s: 2, nop: 0 }

test('every value and arity gives the same outcome on the fast path, the general path and callSync', async () => {
  let compared = 0
  for (const [name, arity] of Object.entries(EXPORTS)) {
    const argLists = [[], [1], [1, 2], [1, 2, 3]].filter((a) => a.length !== arity)
    for (const value of VALUES) argLists.push(Array(arity).fill(value))
    for (const value of VALUES) if (arity === 2) argLists.push([3, value], [value, 3])
    for (const args of argLists) {
      const fast = await outcome(() => arith.call(name, ...args))
      const general = await outcome(() => arith.invoke(name, args, {}))
      const sync = outcomeSync(() => arith.callSync(name, ...args))
      const lowLevel = await outcome(() => call(arith.id, name, args))
      const lowLevelSync = outcomeSync(() => callSync(arith.id, name, args))
      const shown = `${name}(${args.map((a) => (typeof a === 'symbol' ? 'Symbol' : String(a))).join(', ')})`
      assert.deepEqual(fast, general, `${shown}: fast vs general path`)
      assert.deepEqual(sync, general, `${shown}: callSync vs general path`)
      assert.deepEqual(lowLevel, general, `${shown}: low-level call vs general path`)
      assert.deepEqual(lowLevelSync, general, `${shown}: low-level callSync vs general path`)
      compared++
    }
  }
  assert.ok(compared > 300, `only ${compared} argument lists compared`)
})

test('results keep their shape: one value, several values, none', async () => {
  assert.deepEqual(await arith.call('add', 2, 3), [5])
  assert.deepEqual(arith.callSync('add', 2, 3), [5])
  assert.deepEqual(await arith.call('swap', 1, 2), [2, 1])
  assert.deepEqual(arith.callSync('swap', 1, 2), [2, 1])
  assert.deepEqual(await arith.call('nop'), [])
  assert.deepEqual(arith.callSync('nop'), [])
  assert.deepEqual(await arith.call('id_i64', -5n), [-5n])
  assert.deepEqual(arith.callSync('id_i64', 2n ** 63n), [-(2n ** 63n)])
})

test('traps, unknown exports and bad names are the same errors as before', async () => {
  await rejectsWith(() => arith.call('unreachable'), 5002, /unreachable/)
  throwsWith(() => arith.callSync('unreachable'), 5002, /unreachable/)
  await rejectsWith(() => arith.call('div_s', 1, 0), 5002, /divide by zero/i)
  await rejectsWith(() => arith.call('no_such_export', 1), 5003, /no_such_export/)
  throwsWith(() => arith.callSync('no_such_export', 1), 5003, /no_such_export/)
  await rejectsWith(() => arith.call('memory'), 5003, /memory/)
  await assert.rejects(() => arith.call(42), TypeError)
  assert.throws(() => arith.callSync(42), TypeError)
  const again = await arith.call('add', 1, 1)
  assert.deepEqual(again, [2], 'the instance stays usable after failed calls')
})

test('call() never throws synchronously: every failure is a rejected Promise', async () => {
  for (const args of [['add', 'x', 1], ['add'], ['no_such_export'], ['unreachable']]) {
    let pending
    assert.doesNotThrow(() => {
      pending = arith.call(...args)
    })
    assert.equal(typeof pending.then, 'function')
    await assert.rejects(pending, WasmError)
  }
})

test('signatures wider than the inline slots: 20 parameters, 20 results', async () => {
  const params = Array.from({ length: 20 }, () => 'i32').join(' ')
  const sum = Array.from({ length: 20 }, (_, i) => `(local.get ${i})`).join(' ') + ' ' + Array(19).fill('(i32.add)').join(' ')
  const results = Array.from({ length: 20 }, (_, i) => `(local.get ${19 - i})`).join(' ')
  const wide = await fromWat(`(module
    (func (export "sum") (param ${params}) (result i32) ${sum})
    (func (export "reverse") (param ${params}) (result ${params}) ${results}))`)
  try {
    const args = Array.from({ length: 20 }, (_, i) => i + 1)
    assert.deepEqual(await wide.call('sum', ...args), [210])
    assert.deepEqual(wide.callSync('sum', ...args), [210])
    assert.deepEqual(await wide.call('reverse', ...args), [...args].reverse())
    assert.deepEqual(wide.callSync('reverse', ...args), [...args].reverse())
    await rejectsWith(() => wide.call('sum', ...args.slice(1)), 5007, /takes 20 argument/)
  } finally {
    await wide.drop()
  }
})

test('reference-typed and v128 parameters work on every path', async () => {
  const refs = await fromWat(`(module
    (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0)))
    (func (export "null_func") (result funcref) (ref.null func))
    (func (export "v") (param v128) (result v128) (local.get 0)))`)
  try {
    assert.deepEqual(await refs.call('is_null', null), [1])
    assert.deepEqual(refs.callSync('is_null', null), [1])
    assert.deepEqual(refs.callSync('null_func'), [null])
    assert.deepEqual(await refs.call('v', 2n ** 100n), [2n ** 100n])
    assert.deepEqual(refs.callSync('v', -1n), [2n ** 128n - 1n])
    throwsWith(() => refs.callSync('is_null', 1), 5007, /null/)
  } finally {
    await refs.drop()
  }
})

test('a dropped instance is 5005 on every path, and handles are never reused', async () => {
  const inst = await fromFixture('arith.wat')
  assert.deepEqual(inst.callSync('add', 1, 2), [3]) // the handle is resolved
  const id = inst.id
  await inst.drop()
  await rejectsWith(() => inst.call('add', 1, 2), 5005)
  throwsWith(() => inst.callSync('add', 1, 2), 5005)
  await rejectsWith(() => call(id, 'add', [1, 2]), 5005)
  throwsWith(() => callSync(id, 'add', [1, 2]), 5005)
  const next = await fromFixture('arith.wat')
  try {
    assert.notEqual(next.id, id)
    await rejectsWith(() => call(id, 'add', [1, 2]), 5005)
    assert.deepEqual(await next.call('add', 1, 2), [3])
  } finally {
    await next.drop()
  }
})

test('ids spelt differently never reach an instance on the fast path', async () => {
  const number = arith.id.slice('instance:'.length)
  for (const id of [`instance:0${number}`, `instance:+${number}`, `instance: ${number}`, `Instance:${number}`, `instance:${number}.0`, number, `instance:${number}n`]) {
    await rejectsWith(() => call(id, 'add', [1, 2]), 5005)
    throwsWith(() => callSync(id, 'add', [1, 2]), 5005)
  }
})

test('fast and general calls on one instance run in the order they were made', async () => {
  const counter = await fromWat(`(module
    (global $n (mut i32) (i32.const 0))
    (func (export "next") (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (global.get $n)))`)
  try {
    const pending = []
    for (let i = 0; i < 100; i++) {
      if (i % 3 === 0) pending.push(counter.invoke('next', [], { timeoutMs: 10_000 }))
      else if (i % 3 === 1) pending.push(counter.call('next'))
      else pending.push(call(counter.id, 'next'))
    }
    const results = (await Promise.all(pending)).map(([n]) => n)
    assert.deepEqual(results, Array.from({ length: 100 }, (_, i) => i + 1))
    assert.deepEqual(counter.callSync('next'), [101])
  } finally {
    await counter.drop()
  }
})

test('callSync on instances that need the async engine (WASI imports, fuel) still works', async () => {
  const wasi = await fromWat(`(module
    (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "fill") (result i32) (call $random (i32.const 0) (i32.const 16))))`)
  const metered = await fromFixture('arith.wat', { limits: { fuel: 1_000_000 } })
  try {
    assert.deepEqual(wasi.callSync('fill'), [0])
    assert.deepEqual(await wasi.call('fill'), [0])
    const before = await metered.fuel()
    assert.deepEqual(metered.callSync('spin', 1000), [1000])
    const afterSync = await metered.fuel()
    assert.ok(afterSync < before, `callSync burns fuel (${before} -> ${afterSync})`)
    assert.deepEqual(await metered.call('spin', 1000), [1000])
    assert.ok((await metered.fuel()) < afterSync, 'call burns fuel')
  } finally {
    await wasi.drop()
    await metered.drop()
  }
})

test('the instance deadline stops a fast call and a fast callSync', async () => {
  const timed = await fromFixture('arith.wat', { limits: { timeoutMs: 50 } })
  try {
    await rejectsWith(() => timed.call('loop_forever'), 5011, /deadline/)
    throwsWith(() => timed.callSync('loop_forever'), 5011, /deadline/)
    assert.deepEqual(timed.callSync('add', 2, 2), [4], 'the instance stays usable')
  } finally {
    await timed.drop()
  }
})
