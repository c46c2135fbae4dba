// Host functions: arguments and results of every value type, sync and async, converted by the
// import's signature with the same rules as `call`; results that do not fit are 5007; callSync
// refuses host functions.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { ErrorCode, callSync, compile, instantiate, types } from '../../index.mjs'
import { rejectsWith, throwsWith } from './helpers.mjs'

const VALUES_WAT = `(module
  (import "env" "i32" (func $i32 (param i32) (result i32)))
  (import "env" "i64" (func $i64 (param i64) (result i64)))
  (import "env" "f32" (func $f32 (param f32) (result f32)))
  (import "env" "f64" (func $f64 (param f64) (result f64)))
  (import "env" "multi" (func $multi (param i32 i64 f32 f64) (result i32 i64 f32 f64)))
  (import "env" "none" (func $none))
  (import "env" "params" (func $params (param i32 i64 f32 f64)))
  (import "env" "results" (func $results (result f64 i32)))
  (global $after (mut i32) (i32.const 0))
  (func (export "i32") (param i32) (result i32) (call $i32 (local.get 0)))
  (func (export "i64") (param i64) (result i64) (call $i64 (local.get 0)))
  (func (export "f32") (param f32) (result f32) (call $f32 (local.get 0)))
  (func (export "f64") (param f64) (result f64) (call $f64 (local.get 0)))
  (func (export "multi") (param i32 i64 f32 f64) (result i32 i64 f32 f64)
    (call $multi (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  ;; the wasm code after the import runs: "after" counts the returns
  (func (export "none") (result i32)
    (call $none)
    (global.set $after (i32.add (global.get $after) (i32.const 1)))
    (global.get $after))
  (func (export "params") (param i32 i64 f32 f64)
    (call $params (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  ;; the results reach wasm in order: f64 then i32, returned swapped
  (func (export "results") (result i32 f64)
    (local $f f64) (local $i i32)
    (call $results)
    (local.set $i)
    (local.set $f)
    (local.get $i) (local.get $f))
  ;; wasm arithmetic on the host's results, so the values really crossed into wasm
  (func (export "i64_plus_one") (param i64) (result i64) (i64.add (call $i64 (local.get 0)) (i64.const 1)))
  (func (export "i32_is_minus_one") (param i32) (result i32) (i32.eq (call $i32 (local.get 0)) (i32.const -1)))
  (func (export "pure") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))`

const moduleId = compile(VALUES_WAT)

/**
 * An instance whose host functions answer with `reply[name](...args)` (the current test's
 * behaviour) and record what they were called with in `seen`. `async`: the functions are async
 * and wait a macrotask before answering.
 */
async function valuesInstance(async) {
  const reply = {}
  const seen = []
  const env = {}
  for (const name of ['i32', 'i64', 'f32', 'f64', 'multi', 'none', 'params', 'results']) {
    env[name] = async
      ? async function (...args) {
          seen.push({ name, args, count: arguments.length })
          await new Promise((resolve) => setImmediate(resolve))
          return reply[name](...args)
        }
      : function (...args) {
          seen.push({ name, args, count: arguments.length })
          return reply[name](...args)
        }
  }
  const instance = await instantiate(await moduleId, { imports: { env } })
  return { instance, reply, seen }
}

for (const mode of ['sync', 'async']) {
  describe(`${mode} host functions`, () => {
    const async = mode === 'async'

    test('i32: arguments arrive as signed Numbers, results take the unsigned pattern', async () => {
      const { instance, reply, seen } = await valuesInstance(async)
      reply.i32 = (x) => x + 1
      assert.deepEqual(await instance.call('i32', 7), [8])
      assert.deepEqual(await instance.call('i32', -5), [-4])
      reply.i32 = (x) => x
      assert.deepEqual(await instance.call('i32', 0xffffffff), [-1])
      assert.deepEqual(await instance.call('i32', 2 ** 31), [-(2 ** 31)])
      assert.deepEqual(await instance.call('i32', 2 ** 31 - 1), [2 ** 31 - 1])
      assert.deepEqual(
        seen.map((s) => s.args[0]),
        [7, -5, -1, -(2 ** 31), 2 ** 31 - 1],
      )
      for (const s of seen) assert.equal(typeof s.args[0], 'number')
      reply.i32 = () => 0xffffffff
      assert.deepEqual(await instance.call('i32', 0), [-1])
      assert.deepEqual(await instance.call('i32_is_minus_one', 0), [1])
      reply.i32 = () => 2 ** 31
      assert.deepEqual(await instance.call('i32', 0), [-(2 ** 31)])
      reply.i32 = () => -(2 ** 31)
      assert.deepEqual(await instance.call('i32', 0), [-(2 ** 31)])
      reply.i32 = () => types.i32(12)
      assert.deepEqual(await instance.call('i32', 0), [12])
      await instance.drop()
    })

    test('i64: arguments arrive as BigInt, results may be BigInt or safe-integer Numbers', async () => {
      const { instance, reply, seen } = await valuesInstance(async)
      reply.i64 = (x) => x * 2n
      assert.deepEqual(await instance.call('i64', 21n), [42n])
      assert.deepEqual(await instance.call('i64', -21), [-42n])
      reply.i64 = (x) => x
      const max = 2n ** 63n - 1n
      const min = -(2n ** 63n)
      assert.deepEqual(await instance.call('i64', max), [max])
      assert.deepEqual(await instance.call('i64', min), [min])
      assert.deepEqual(await instance.call('i64', 2n ** 64n - 1n), [-1n])
      assert.deepEqual(
        seen.map((s) => s.args[0]),
        [21n, -21n, max, min, -1n],
      )
      for (const s of seen) assert.equal(typeof s.args[0], 'bigint')
      reply.i64 = () => 2n ** 64n - 1n // the unsigned pattern of -1
      assert.deepEqual(await instance.call('i64', 0n), [-1n])
      reply.i64 = () => 2n ** 63n // the unsigned pattern of min
      assert.deepEqual(await instance.call('i64', 0n), [min])
      reply.i64 = () => 42
      assert.deepEqual(await instance.call('i64', 0n), [42n])
      reply.i64 = () => Number.MAX_SAFE_INTEGER
      assert.deepEqual(await instance.call('i64', 0n), [BigInt(Number.MAX_SAFE_INTEGER)])
      reply.i64 = () => -Number.MAX_SAFE_INTEGER
      assert.deepEqual(await instance.call('i64_plus_one', 0n), [-BigInt(Number.MAX_SAFE_INTEGER) + 1n])
      reply.i64 = () => types.i64(2n ** 62n)
      assert.deepEqual(await instance.call('i64', 0n), [2n ** 62n])
      await instance.drop()
    })

    test('f32: arguments are f32 values, results round like Math.fround; NaN, infinities and -0 pass', async () => {
      const { instance, reply, seen } = await valuesInstance(async)
      reply.f32 = (x) => x
      assert.deepEqual(await instance.call('f32', 1.5), [1.5])
      assert.deepEqual(await instance.call('f32', 0.1), [Math.fround(0.1)])
      assert.equal(seen[1].args[0], Math.fround(0.1), 'the host sees the f32 value')
      reply.f32 = () => 0.1
      assert.deepEqual(await instance.call('f32', 0), [Math.fround(0.1)])
      reply.f32 = () => 1e40
      assert.deepEqual(await instance.call('f32', 0), [Infinity])
      for (const special of [NaN, Infinity, -Infinity, -0]) {
        reply.f32 = (x) => {
          assert.ok(Object.is(x, special), `the host got ${x} for ${special}`)
          return special
        }
        const [result] = await instance.call('f32', special)
        assert.ok(Object.is(result, special), `${special} came back as ${result}`)
      }
      reply.f32 = () => types.f32(2.5)
      assert.deepEqual(await instance.call('f32', 0), [2.5])
      await instance.drop()
    })

    test('f64: values pass exactly; NaN, infinities, -0 and subnormals pass', async () => {
      const { instance, reply, seen } = await valuesInstance(async)
      reply.f64 = (x) => x
      for (const value of [0.1, Math.PI, Number.MAX_VALUE, 5e-324, -0, NaN, Infinity, -Infinity]) {
        const [result] = await instance.call('f64', value)
        assert.ok(Object.is(result, value), `${value} came back as ${result}`)
        assert.ok(Object.is(seen.at(-1).args[0], value), `the host got ${seen.at(-1).args[0]} for ${value}`)
      }
      reply.f64 = () => 1 / 3
      assert.deepEqual(await instance.call('f64', 0), [1 / 3])
      reply.f64 = () => types.f64(-2.75)
      assert.deepEqual(await instance.call('f64', 0), [-2.75])
      await instance.drop()
    })

    test('several results come from an array, in order', async () => {
      const { instance, reply, seen } = await valuesInstance(async)
      reply.multi = (a, b, c, d) => [a - 1, b * 3n, c * 2, -d]
      assert.deepEqual(await instance.call('multi', 10, 2n ** 40n, 0.25, 6.5), [9, 3n * 2n ** 40n, 0.5, -6.5])
      assert.deepEqual(seen[0].args, [10, 2n ** 40n, 0.25, 6.5])
      assert.deepEqual(seen[0].args.map((x) => typeof x), ['number', 'bigint', 'number', 'number'])
      reply.multi = () => [0xffffffff, 2n ** 64n - 2n, 0.1, -0]
      const results = await instance.call('multi', 0, 0n, 0, 0)
      assert.deepEqual(results.slice(0, 3), [-1, -2n, Math.fround(0.1)])
      assert.ok(Object.is(results[3], -0))
      reply.results = () => [2.5, 7]
      assert.deepEqual(await instance.call('results'), [7, 2.5])
      reply.results = () => [types.f64(1), types.i32(-1)]
      assert.deepEqual(await instance.call('results'), [-1, 1])
      await instance.drop()
    })

    test('no results: the function returns nothing, and the wasm code after the import runs', async () => {
      const { instance, reply, seen } = await valuesInstance(async)
      reply.none = () => undefined
      assert.deepEqual(await instance.call('none'), [1])
      assert.deepEqual(await instance.call('none'), [2])
      assert.equal(seen[0].count, 0, 'a function without parameters gets no arguments')
      reply.params = () => {}
      assert.deepEqual(await instance.call('params', -3, 2n ** 63n, 1.25, -0.5), [])
      assert.deepEqual(seen.at(-1).args, [-3, -(2n ** 63n), 1.25, -0.5])
      assert.equal(seen.at(-1).count, 4)
      await instance.drop()
    })

    test('results that do not fit the import are 5007 naming the import; the instance stays usable', async () => {
      const { instance, reply } = await valuesInstance(async)
      const bad = [
        ['i32', 1.5],
        ['i32', 2 ** 32],
        ['i32', -(2 ** 31) - 1],
        ['i32', NaN],
        ['i32', '1'],
        ['i32', 1n],
        ['i32', undefined],
        ['i32', null],
        ['i32', true],
        ['i32', {}],
        ['i32', [1]],
        ['i64', 2n ** 64n],
        ['i64', -(2n ** 63n) - 1n],
        ['i64', 2 ** 53],
        ['i64', 1.5],
        ['i64', '1'],
        ['f32', '1'],
        ['f32', 1n],
        ['f64', 1n],
        ['f64', undefined],
        ['f64', types.i32(1)],
        ['i32', types.i64(1n)],
      ]
      for (const [name, value] of bad) {
        reply[name] = () => value
        const arg = name === 'i64' ? 0n : 0
        const error = await rejectsWith(() => instance.call(name, arg), ErrorCode.TypeError, `env::${name}`)
        assert.equal(error.code, 5007, `${name} <- ${String(value)}`)
        reply[name] = (x) => x
        assert.deepEqual(await instance.call(name, arg), [arg], `usable after ${name} <- ${String(value)}`)
      }
      reply.multi = () => 5
      await rejectsWith(() => instance.call('multi', 0, 0n, 0, 0), 5007, 'env::multi')
      reply.multi = () => [1, 2n, 3]
      await rejectsWith(() => instance.call('multi', 0, 0n, 0, 0), 5007, 'env::multi')
      reply.multi = () => [1, 2n, 3, 4, 5]
      await rejectsWith(() => instance.call('multi', 0, 0n, 0, 0), 5007, 'env::multi')
      reply.multi = () => [1, 2n, 3, 'four']
      await rejectsWith(() => instance.call('multi', 0, 0n, 0, 0), 5007, 'env::multi')
      reply.multi = () => [1.5, 2n, 3, 4]
      await rejectsWith(() => instance.call('multi', 0, 0n, 0, 0), 5007, 'env::multi')
      reply.multi = () => undefined
      await rejectsWith(() => instance.call('multi', 0, 0n, 0, 0), 5007, 'env::multi')
      reply.multi = (...args) => args
      assert.deepEqual(await instance.call('multi', 1, 2n, 3, 4), [1, 2n, 3, 4])
      await instance.drop()
    })
  })
}

test('a thenable result is awaited like a Promise', async () => {
  const instance = await instantiate(await moduleId, {
    imports: {
      env: {
        i32: (x) => ({ then: (resolve) => setTimeout(() => resolve(x * 10), 5) }),
        i64: () => 0n, f32: () => 0, f64: () => 0, multi: () => [0, 0n, 0, 0], none() {}, params() {}, results: () => [0, 0],
      },
    },
  })
  assert.deepEqual(await instance.call('i32', 4), [40])
  await instance.drop()
})

test('many calls in flight on several instances each get their own host results', async () => {
  const instances = await Promise.all(
    Array.from({ length: 8 }, async () => (await valuesInstance(true))),
  )
  for (const { reply } of instances) reply.i64 = async (x) => x + 1000n
  const calls = []
  for (let round = 0; round < 5; round++) {
    instances.forEach(({ instance }, i) => calls.push(instance.call('i64', BigInt(i * 100 + round)).then(([r]) => [i, round, r])))
  }
  for (const [i, round, result] of await Promise.all(calls)) assert.equal(result, BigInt(i * 100 + round) + 1000n)
  await Promise.all(instances.map(({ instance }) => instance.drop()))
})

describe('callSync', () => {
  test('refuses a call that reaches a host function, with a clear 5002 error, and the instance stays usable', async () => {
    const { instance, reply, seen } = await valuesInstance(false)
    reply.i32 = (x) => x + 1
    const error = throwsWith(() => instance.callSync('i32', 1), ErrorCode.CallError, 'callSync', 'env::i32')
    assert.match(error.message, /call\(\)/, 'the message says to use call()')
    throwsWith(() => callSync(instance.id, 'i32', [1]), ErrorCode.CallError, 'callSync')
    assert.equal(seen.length, 0, 'the host function did not run')
    assert.deepEqual(instance.callSync('pure', 5), [15], 'exports that do not reach a host function still run')
    assert.deepEqual(await instance.call('i32', 1), [2])
    await instance.drop()
  })

  test('refuses a call that reaches a linked instance', async () => {
    const provider = await instantiate(await compile(`(module
      (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))`))
    const user = await instantiate(
      await compile(`(module
        (import "math" "twice" (func $twice (param i32) (result i32)))
        (func (export "quad") (param i32) (result i32) (call $twice (call $twice (local.get 0)))))`),
      { imports: { math: provider },
      },
    )
    throwsWith(() => user.callSync('quad', 3), ErrorCode.CallError, 'callSync')
    assert.deepEqual(await user.call('quad', 3), [12])
    assert.deepEqual(provider.callSync('twice', 4), [8])
    await user.drop()
    await provider.drop()
  })
})
