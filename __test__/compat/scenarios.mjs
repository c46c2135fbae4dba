// What the compatibility suite checks inside each test runner (vitest's threads and forks
// pools, ava's worker threads and child processes): the package, loaded by its name, used as
// the README shows. Each scenario is a plain async function that throws on failure, so every
// runner runs exactly the same checks.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { isMainThread } from 'node:worker_threads'

import runtime, { AbortError, compile, ErrorCode, instantiate, run, types, WasmError } from 'runtime-wasm'

const PROBE = fileURLToPath(new URL('../fixtures/cli/probe.wasm', import.meta.url))
const encoder = new TextEncoder()
const decoder = new TextDecoder()

const CALCULATOR = `(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "square") (param i64) (result i64) local.get 0 local.get 0 i64.mul)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "spin") (loop br 0)))`

// A plugin that asks its host for a value by name and logs a message, with strings passed
// through linear memory.
const PLUGIN = `(module
  (import "host" "get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "host" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "user")
  (data (i32.const 16) "hello, ")
  (func (export "greet") (result i32)
    (local $n i32)
    (local.set $n (call $get (i32.const 0) (i32.const 4) (i32.const 23) (i32.const 64)))
    (call $log (i32.const 16) (i32.add (i32.const 7) (local.get $n)))
    (local.get $n)))`

export const scenarios = {
  async 'loads in this context and calls exported functions'() {
    const moduleId = await compile(CALCULATOR)
    const instance = await instantiate(moduleId)
    assert.deepEqual(await instance.call('add', 5, 3), [8])
    assert.deepEqual(await instance.call('square', types.i64(3_000_000_000n)), [9_000_000_000_000_000_000n])
    await instance.memory.write(0, encoder.encode('hi'))
    assert.equal(decoder.decode(await instance.memory.read(0, 2)), 'hi')
    await instance.drop()
    await runtime.dropModule(moduleId)
    return isMainThread ? 'main thread' : 'worker thread'
  },

  async 'rejects with WasmError codes, and the instance stays usable'() {
    const instance = await instantiate(await compile(CALCULATOR))
    await assert.rejects(instance.call('div', 1, 0), (error) => {
      assert.ok(error instanceof WasmError)
      assert.equal(error.code, ErrorCode.CallError)
      assert.equal(error.trap, 'integer divide by zero')
      return true
    })
    await assert.rejects(instance.call('add', 'one', 2), (error) => error instanceof WasmError && error.code === ErrorCode.TypeError)
    assert.deepEqual(await instance.call('div', 7, 2), [3])
    await instance.drop()
  },

  async 'stops runaway calls by deadline and by AbortSignal'() {
    const instance = await instantiate(await compile(CALCULATOR))
    await assert.rejects(instance.invoke('spin', [], { timeoutMs: 50 }), (error) => error.code === ErrorCode.FuelExhausted && error.reason === 'timeout')
    await assert.rejects(instance.invoke('spin', [], { signal: AbortSignal.timeout(50) }), (error) => error instanceof AbortError)
    assert.deepEqual(await instance.call('add', 1, 1), [2])
    await instance.drop()
  },

  async 'runs many instances in parallel'() {
    const moduleId = await compile(CALCULATOR)
    const instances = await Promise.all(Array.from({ length: 8 }, () => instantiate(moduleId, { limits: { timeoutMs: 100 } })))
    const outcomes = await Promise.allSettled(instances.map((instance) => instance.call('spin')))
    assert.ok(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason.reason === 'timeout'))
    await Promise.all(instances.map((instance) => instance.drop()))
  },

  async 'runs a WASI command with run(): stdin, captured output and exit status'() {
    const echoed = await run(PROBE, { args: ['probe', 'cat'], stdin: 'from the test\n' })
    assert.equal(echoed.exitCode, 0)
    assert.equal(decoder.decode(echoed.stdout), 'from the test\n')
    const failed = await run(PROBE, { args: ['probe', 'exit', '3'] })
    assert.equal(failed.exitCode, 3)
  },

  async 'host functions read and write strings in the caller memory'() {
    const logged = []
    const values = new Map([['user', 'Ada']])
    const plugin = await instantiate(await compile(PLUGIN), {
      imports: {
        host: {
          async get(keyPtr, keyLen, outPtr, outCapacity) {
            const key = decoder.decode(await this.memory.read(keyPtr, keyLen))
            const value = encoder.encode(values.get(key) ?? '').subarray(0, outCapacity)
            await this.memory.write(outPtr, value)
            return value.length
          },
          async log(ptr, len) {
            logged.push(decoder.decode(await this.memory.read(ptr, len)))
          },
        },
      },
    })
    assert.deepEqual(await plugin.call('greet'), [3])
    assert.deepEqual(logged, ['hello, Ada'])
    await plugin.drop()
  },

  async 'require() and import give the same package'() {
    const required = createRequire(import.meta.url)('runtime-wasm')
    assert.equal(required.compile, compile)
    assert.equal(required.WasmError, WasmError)
    assert.equal(runtime, required)
  },
}
