// instance.call and the low-level call: DESIGN.md's value rules, explicit types, results.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'

import { call, types } from '../index.mjs'
import { fromFixture, fromWat, rejectsWith, throwsWith } from './core-helpers.mjs'

let arith
before(async () => {
  arith = await fromFixture('arith.wat')
})
after(async () => {
  await arith.drop()
})

const TWO_31 = 2 ** 31
const TWO_32 = 2 ** 32

test('auto inference converts arguments by the export\'s signature', async () => {
  assert.deepEqual(await arith.call('add', 5, 3), [8])
  assert.deepEqual(await arith.call('add64', 5, 3), [8n], 'Numbers become i64 for an i64 parameter')
  assert.deepEqual(await arith.call('add64', 5n, 3n), [8n])
  assert.deepEqual(await arith.call('add64', 5n, 3), [8n])
  assert.deepEqual(await arith.call('fadd32', 1.5, 2.25), [3.75])
  assert.deepEqual(await arith.call('fadd64', 0.1, 0.2), [0.1 + 0.2])
  assert.deepEqual(await arith.call('fadd64', 1, 2), [3], 'integers are fine for floats')
})

test('results are always an array: several results, and [] for none', async () => {
  assert.deepEqual(await arith.call('swap', 1, 2), [2, 1])
  assert.deepEqual(await arith.call('nop'), [])
  const results = await arith.call('add', 1, 1)
  assert.ok(Array.isArray(results))
})

test('several results of mixed types', async () => {
  const instance = await fromWat(`(module
    (func (export "mixed") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
      (local.get 3) (local.get 2) (local.get 1) (local.get 0)))`)
  assert.deepEqual(await instance.call('mixed', -1, -2n, 1.5, 2.5), [2.5, 1.5, -2n, -1])
  await instance.drop()
})

test('i32: the signed and unsigned range, results signed', async () => {
  assert.deepEqual(await arith.call('id_i32', 0), [0])
  assert.deepEqual(await arith.call('id_i32', -1), [-1])
  assert.deepEqual(await arith.call('id_i32', 2 ** 31 - 1), [2 ** 31 - 1])
  assert.deepEqual(await arith.call('id_i32', -TWO_31), [-TWO_31])
  assert.deepEqual(await arith.call('id_i32', 0xffffffff), [-1], '0xFFFFFFFF is taken as its bit pattern')
  assert.deepEqual(await arith.call('id_i32', TWO_31), [-TWO_31])
  assert.deepEqual(await arith.call('id_i32', 0x80000001), [-0x7fffffff])
  assert.deepEqual(await arith.call('id_i32', -0), [0])
  assert.deepEqual(await arith.call('add', 0x7fffffff, 1), [-TWO_31], 'wasm arithmetic wraps, results are signed')
})

test('i32: out of range, fractions, NaN and infinities are 5007', async () => {
  for (const bad of [TWO_32, TWO_32 + 1, -TWO_31 - 1, 2 ** 53, -(2 ** 53), 1.5, -0.5, 0.1, NaN, Infinity, -Infinity]) {
    await rejectsWith(() => arith.call('id_i32', bad), 5007, 'id_i32')
  }
})

test('i64: BigInt range edges, unsigned values wrap to their bit pattern', async () => {
  assert.deepEqual(await arith.call('id_i64', 0n), [0n])
  assert.deepEqual(await arith.call('id_i64', -(2n ** 63n)), [-(2n ** 63n)])
  assert.deepEqual(await arith.call('id_i64', 2n ** 63n - 1n), [2n ** 63n - 1n])
  assert.deepEqual(await arith.call('id_i64', 2n ** 63n), [-(2n ** 63n)])
  assert.deepEqual(await arith.call('id_i64', 2n ** 64n - 1n), [-1n])
  assert.deepEqual(await arith.call('id_i64', 9007199254740993n), [9007199254740993n], 'beyond 2^53 stays exact')
  assert.deepEqual(await arith.call('add64', 2n ** 63n - 1n, 1n), [-(2n ** 63n)])
})

test('i64: BigInts outside -2^63..2^64-1 are 5007', async () => {
  for (const bad of [2n ** 64n, 2n ** 64n + 1n, -(2n ** 63n) - 1n, 2n ** 200n, -(2n ** 200n)]) {
    await rejectsWith(() => arith.call('id_i64', bad), 5007, 'id_i64')
  }
})

test('i64: safe-integer Numbers are accepted, unsafe ones, fractions and NaN are 5007', async () => {
  assert.deepEqual(await arith.call('id_i64', Number.MAX_SAFE_INTEGER), [BigInt(Number.MAX_SAFE_INTEGER)])
  assert.deepEqual(await arith.call('id_i64', Number.MIN_SAFE_INTEGER), [BigInt(Number.MIN_SAFE_INTEGER)])
  assert.deepEqual(await arith.call('id_i64', -1), [-1n])
  for (const bad of [2 ** 53, Number.MAX_SAFE_INTEGER + 2, -(2 ** 53), 2 ** 63, 2 ** 64, 1.5, NaN, Infinity, -Infinity]) {
    await rejectsWith(() => arith.call('id_i64', bad), 5007, 'id_i64')
  }
})

test('f32: rounds like Math.fround; NaN, infinities and -0 pass through', async () => {
  for (const value of [0.1, 1 / 3, 3.14, 16777217, 1e-45, 3.4028235e38, 1e39, -1e39, 5e-324]) {
    const [result] = await arith.call('id_f32', value)
    assert.ok(Object.is(result, Math.fround(value)), `${value} -> ${result}, expected ${Math.fround(value)}`)
  }
  assert.ok(Number.isNaN((await arith.call('id_f32', NaN))[0]))
  assert.deepEqual(await arith.call('id_f32', Infinity), [Infinity])
  assert.deepEqual(await arith.call('id_f32', -Infinity), [-Infinity])
  const [negativeZero] = await arith.call('id_f32', -0)
  assert.ok(Object.is(negativeZero, -0), 'f32 -0 stays -0')
  const [sum] = await arith.call('fadd32', 0.1, 0.2)
  assert.equal(sum, Math.fround(Math.fround(0.1) + Math.fround(0.2)))
})

test('f64: any Number passes through exactly, including NaN, infinities and -0', async () => {
  for (const value of [0.1, Math.PI, Number.MAX_VALUE, Number.MIN_VALUE, -1e308, 2 ** 53 + 2, Infinity, -Infinity]) {
    assert.deepEqual(await arith.call('id_f64', value), [value])
  }
  assert.ok(Number.isNaN((await arith.call('id_f64', NaN))[0]))
  const [negativeZero] = await arith.call('id_f64', -0)
  assert.ok(Object.is(negativeZero, -0), 'f64 -0 stays -0')
})

test('strings, booleans, objects, arrays, undefined, null, symbols and functions are 5007', async () => {
  const bad = ['1', '', true, false, {}, [], [1], undefined, null, Symbol('x'), () => 1, new Number(1)]
  for (const name of ['id_i32', 'id_i64', 'id_f32', 'id_f64']) {
    for (const value of bad) {
      await rejectsWith(() => arith.call(name, value), 5007, name)
    }
  }
})

test('BigInt for an i32 or a float parameter is 5007', async () => {
  await rejectsWith(() => arith.call('id_i32', 1n), 5007)
  await rejectsWith(() => arith.call('id_f32', 1n), 5007)
  await rejectsWith(() => arith.call('id_f64', 1n), 5007)
})

test('wrong arity is 5007', async () => {
  await rejectsWith(() => arith.call('add', 1), 5007, 'add')
  await rejectsWith(() => arith.call('add'), 5007)
  await rejectsWith(() => arith.call('add', 1, 2, 3), 5007)
  await rejectsWith(() => arith.call('nop', 1), 5007)
})

test('the message of a 5007 names the argument\'s position and the expected type', async () => {
  const error = await rejectsWith(() => arith.call('add', 1, 2.5), 5007, 'add', 'i32')
  assert.match(error.message, /2/)
})

test('a failed conversion runs nothing: the instance is unchanged and usable', async () => {
  await arith.call('store8', 100, 7)
  await rejectsWith(() => arith.call('store8', 100, 'x'), 5007)
  await rejectsWith(() => arith.call('store8', 100.5, 9), 5007)
  assert.deepEqual(await arith.call('load8', 100), [7])
})

test('explicit types.* values', async () => {
  assert.deepEqual(await arith.call('add', types.i32(2), types.i32(3)), [5])
  assert.deepEqual(await arith.call('add', types.i32(2), 3), [5], 'explicit and inferred may be mixed')
  assert.deepEqual(await arith.call('id_i32', types.i32(0xffffffff)), [-1])
  assert.deepEqual(await arith.call('add64', types.i64(9007199254740993n), types.i64(1)), [9007199254740994n])
  assert.deepEqual(await arith.call('id_f32', types.f32(0.1)), [Math.fround(0.1)])
  assert.deepEqual(await arith.call('id_f64', types.f64(2.718281828)), [2.718281828])
})

test('an explicit type that differs from the parameter type is 5007', async () => {
  await rejectsWith(() => arith.call('id_i32', types.i64(1n)), 5007, 'id_i32')
  await rejectsWith(() => arith.call('id_i32', types.i64(1)), 5007)
  await rejectsWith(() => arith.call('id_i32', types.f64(1)), 5007)
  await rejectsWith(() => arith.call('id_i64', types.i32(1)), 5007)
  await rejectsWith(() => arith.call('id_f32', types.f64(1)), 5007)
  await rejectsWith(() => arith.call('id_f64', types.f32(1)), 5007)
})

test('types.* return frozen { type, value } objects', () => {
  const cases = [
    [types.i32(42), 'i32', 42],
    [types.i64(9007199254740993n), 'i64', 9007199254740993n],
    [types.i64(7), 'i64', 7],
    [types.f32(3.14), 'f32', 3.14],
    [types.f64(2.718281828), 'f64', 2.718281828],
  ]
  for (const [tagged, type, value] of cases) {
    assert.ok(Object.isFrozen(tagged), `${type} value is frozen`)
    assert.deepEqual({ ...tagged }, { type, value })
    assert.equal(tagged.type, type)
    assert.equal(tagged.value, value)
  }
})

test('types.* validate synchronously and throw 5007', () => {
  throwsWith(() => types.i32(1.5), 5007)
  throwsWith(() => types.i32(2 ** 32), 5007)
  throwsWith(() => types.i32(-(2 ** 31) - 1), 5007)
  throwsWith(() => types.i32(NaN), 5007)
  throwsWith(() => types.i32('1'), 5007)
  throwsWith(() => types.i32(1n), 5007)
  throwsWith(() => types.i64(2n ** 64n), 5007)
  throwsWith(() => types.i64(-(2n ** 63n) - 1n), 5007)
  throwsWith(() => types.i64(2 ** 53), 5007)
  throwsWith(() => types.i64(0.5), 5007)
  throwsWith(() => types.f32('x'), 5007)
  throwsWith(() => types.f64(1n), 5007)
  throwsWith(() => types.f64(undefined), 5007)
  // Valid edges do not throw.
  types.i32(-(2 ** 31))
  types.i32(2 ** 32 - 1)
  types.i64(2n ** 64n - 1n)
  types.i64(-(2n ** 63n))
  types.f32(NaN)
  types.f64(-0)
})

test('low-level call(instanceId, name, args) with tagged and plain values', async () => {
  assert.deepEqual(await call(arith.id, 'add', [{ type: 'i32', value: 10 }, { type: 'i32', value: 32 }]), [42])
  assert.deepEqual(await call(arith.id, 'add', [10, 3]), [13])
  assert.deepEqual(await call(arith.id, 'fadd64', [{ type: 'f64', value: 3.14 }, 1]), [4.140000000000001])
  assert.deepEqual(await call(arith.id, 'add64', [types.i64(1n), 2n]), [3n])
  assert.deepEqual(await call(arith.id, 'nop', []), [])
  assert.deepEqual(await call(arith.id, 'nop'), [])
  await rejectsWith(() => call(arith.id, 'add', [{ type: 'i64', value: 1n }, 2]), 5007)
  await rejectsWith(() => call(arith.id, 'add', [{ type: 'i32', value: 1.5 }, 2]), 5007)
  await rejectsWith(() => call(arith.id, 'add', [1]), 5007)
})
