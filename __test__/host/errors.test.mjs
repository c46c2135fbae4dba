// Host functions that throw or reject: the wasm call rejects with 5002 whose `cause` is the very
// value thrown, and the instance stays usable. Imports that are missing or of the wrong kind
// make instantiate reject with 5001 naming them.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { ErrorCode, WasmError, compile, instantiate } from '../../index.mjs'
import { rejectsWith } from './helpers.mjs'

// "count" increments a global before calling the host and again after it returns, so a failed
// host call shows how far the wasm code got; "calls" reads it.
const FAILING_WAT = `(module
  (import "env" "work" (func $work (param i32) (result i32)))
  (global $before (mut i32) (i32.const 0))
  (global $after (mut i32) (i32.const 0))
  (func (export "run") (param i32) (result i32)
    (global.set $before (i32.add (global.get $before) (i32.const 1)))
    (call $work (local.get 0))
    (global.set $after (i32.add (global.get $after) (i32.const 1))))
  (func (export "counts") (result i32 i32) (global.get $before) (global.get $after)))`

const failingModule = compile(FAILING_WAT)

/** An instance whose env.work is `work`. */
async function failing(work) {
  return instantiate(await failingModule, { imports: { env: { work } } })
}

describe('a host function that throws or rejects', () => {
  const thrownValues = () => [
    ['an Error', new Error('boom')],
    ['a RangeError', new RangeError('out of range')],
    ['an object', { reason: 'not found', status: 404 }],
    ['a string', 'plain string'],
    ['a number', 17],
    ['null', null],
    ['a symbol', Symbol('thrown')],
  ]

  for (const [label, style] of [
    ['throws synchronously', (value) => () => { throw value }],
    ['returns a rejected Promise', (value) => () => Promise.reject(value)],
    ['is async and throws after awaiting', (value) => async () => { await new Promise((r) => setTimeout(r, 5)); throw value }],
  ]) {
    test(`${label}: 5002 whose cause is the thrown value itself`, async () => {
      for (const [what, value] of thrownValues()) {
        const instance = await failing(style(value))
        const error = await rejectsWith(() => instance.call('run', 1), ErrorCode.CallError, 'env::work')
        assert.ok(error instanceof WasmError)
        assert.ok('cause' in error, `${what}: the error has a cause`)
        assert.equal(error.cause, value, `${what}: the cause is the very value thrown`)
        assert.equal(error.exitCode, undefined)
        await instance.drop()
      }
    })
  }

  test('the instance stays usable: its state is kept and the next calls run', async () => {
    let fail = true
    const thrown = new Error('first call fails')
    const instance = await failing((x) => {
      if (fail) throw thrown
      return x * 2
    })
    const error = await rejectsWith(() => instance.call('run', 1), 5002)
    assert.equal(error.cause, thrown)
    assert.deepEqual(await instance.call('counts'), [1, 0], 'the wasm code before the import ran, after it did not')
    fail = false
    assert.deepEqual(await instance.call('run', 21), [42])
    assert.deepEqual(await instance.call('counts'), [2, 1])
    fail = true
    await rejectsWith(() => instance.call('run', 1), 5002)
    fail = false
    assert.deepEqual(await instance.call('run', 5), [10])
    assert.deepEqual(await instance.call('counts'), [4, 2])
    await instance.drop()
  })

  test('each failing call gets its own cause, also when many fail at once', async () => {
    const instances = await Promise.all(
      Array.from({ length: 6 }, () =>
        failing(async (x) => {
          await new Promise((r) => setTimeout(r, (x * 7) % 13))
          throw new Error(`failure ${x}`)
        }),
      ),
    )
    const calls = []
    for (let i = 0; i < 30; i++) calls.push(instances[i % instances.length].call('run', i).then(
      () => assert.fail('resolved'),
      (error) => [i, error],
    ))
    for (const [i, error] of await Promise.all(calls)) {
      assert.equal(error.code, 5002)
      assert.ok(error.cause instanceof Error)
      assert.equal(error.cause.message, `failure ${i}`)
    }
    await Promise.all(instances.map((instance) => instance.drop()))
  })

  test('a WasmError thrown by the host is wrapped in a new 5002, not passed through', async () => {
    const inner = new WasmError(ErrorCode.MemoryError, 'thrown by the host')
    const instance = await failing(() => { throw inner })
    const error = await rejectsWith(() => instance.call('run', 1), ErrorCode.CallError)
    assert.notEqual(error, inner)
    assert.equal(error.cause, inner)
    await instance.drop()
  })

  test('failures through invoke() with options carry the cause too', async () => {
    const thrown = new TypeError('bad input')
    const instance = await failing(async () => { throw thrown })
    const error = await rejectsWith(
      () => instance.invoke('run', [1], { timeoutMs: 10_000, signal: new AbortController().signal }),
      ErrorCode.CallError,
    )
    assert.equal(error.cause, thrown)
    await instance.drop()
  })
})

describe('host functions during instantiation', () => {
  const STARTING_WAT = `(module
    (import "env" "init" (func $init (result i32)))
    (memory (export "memory") 1)
    (global $g (mut i32) (i32.const 0))
    (func $start (global.set $g (call $init)))
    (start $start)
    (func (export "_initialize") (global.set $g (i32.add (global.get $g) (call $init))))
    (func (export "g") (result i32) (global.get $g)))`

  test('the start function and _initialize may call async host functions that use this.memory', async () => {
    let calls = 0
    const instance = await instantiate(await compile(STARTING_WAT), {
      imports: {
        env: {
          async init() {
            calls++
            await this.memory.write(100 + calls, [calls])
            return calls * 10
          },
        },
      },
    })
    assert.equal(calls, 2)
    assert.deepEqual(await instance.call('g'), [30])
    assert.deepEqual([...(await instance.memory.read(101, 2))], [1, 2])
    await instance.drop()
  })

  test('a host function that throws there rejects instantiate, with the thrown value as the cause', async () => {
    const thrown = new Error('cannot start')
    const error = await instantiate(await compile(STARTING_WAT), { imports: { env: { init: () => { throw thrown } } } }).then(
      () => assert.fail('instantiate resolved'),
      (e) => e,
    )
    assert.ok(error instanceof WasmError, String(error))
    assert.ok([ErrorCode.InstantiateError, ErrorCode.CallError].includes(error.code), error.message)
    assert.match(error.message, /env::init/)
    assert.equal(error.cause, thrown)
  })
})

describe('imports that are missing or of the wrong kind', () => {
  const NEEDS_WAT = `(module
    (import "env" "log" (func $log (param i32)))
    (import "env" "lookup" (func $lookup (param i32 i32) (result i32)))
    (func (export "go") (call $log (call $lookup (i32.const 1) (i32.const 2)))))`

  test('a missing function import is 5001 naming it', async () => {
    const moduleId = await compile(NEEDS_WAT)
    await rejectsWith(() => instantiate(moduleId, { imports: { env: { log() {} } } }), ErrorCode.InstantiateError, 'env', 'lookup')
    await rejectsWith(() => instantiate(moduleId, { imports: { env: { lookup: () => 1 } } }), ErrorCode.InstantiateError, 'env', 'log')
    await rejectsWith(() => instantiate(moduleId, { imports: { other: { log() {}, lookup: () => 1 } } }), ErrorCode.InstantiateError, 'env')
    await rejectsWith(() => instantiate(moduleId), ErrorCode.InstantiateError, 'env')
    await rejectsWith(() => instantiate(moduleId, { imports: {} }), ErrorCode.InstantiateError, 'env')
    const instance = await instantiate(moduleId, { imports: { env: { log() {}, lookup: () => 1 } } })
    assert.deepEqual(await instance.call('go'), [])
    await instance.drop()
  })

  test('a missing import from a module that is not WASI is named with its module', async () => {
    const moduleId = await compile(`(module (import "plugin_host" "fetch_value" (func (result i64))))`)
    await rejectsWith(() => instantiate(moduleId), ErrorCode.InstantiateError, 'plugin_host', 'fetch_value')
  })

  test('an entry that is not a function is 5001 naming it', async () => {
    const moduleId = await compile(NEEDS_WAT)
    for (const value of [42, 'log', null, {}, [], 1n, true]) {
      await rejectsWith(
        () => instantiate(moduleId, { imports: { env: { log: value, lookup: () => 1 } } }),
        ErrorCode.InstantiateError,
        'log',
      )
    }
    for (const value of [42, 'env', null, []]) {
      await rejectsWith(() => instantiate(moduleId, { imports: { env: value } }), ErrorCode.InstantiateError, 'env')
    }
    await rejectsWith(() => instantiate(moduleId, { imports: 'env' }), ErrorCode.InstantiateError, 'imports')
  })

  test('a function given for a global, memory or table import is 5001 naming it', async () => {
    for (const wat of [
      `(module (import "env" "limit" (global i32)))`,
      `(module (import "env" "limit" (memory 1)))`,
      `(module (import "env" "limit" (table 1 funcref)))`,
    ]) {
      const moduleId = await compile(wat)
      await rejectsWith(() => instantiate(moduleId, { imports: { env: { limit: () => 1 } } }), ErrorCode.InstantiateError, 'env', 'limit')
      await rejectsWith(() => instantiate(moduleId), ErrorCode.InstantiateError, 'limit')
    }
  })

  test('an imports object whose getter throws is 5001 with the thrown value as the cause', async () => {
    const moduleId = await compile(NEEDS_WAT)
    const thrown = new Error('getter')
    const env = { lookup: () => 1 }
    Object.defineProperty(env, 'log', { enumerable: true, get() { throw thrown } })
    const error = await rejectsWith(() => instantiate(moduleId, { imports: { env } }), ErrorCode.InstantiateError)
    assert.equal(error.cause, thrown)
  })

  test('unused extra host functions are accepted', async () => {
    const moduleId = await compile(NEEDS_WAT)
    const instance = await instantiate(moduleId, { imports: { env: { log() {}, lookup: () => 1, extra() {} }, unused: { f() {} } } })
    assert.deepEqual(await instance.call('go'), [])
    await instance.drop()
  })
})
