// Components beside the rest of the runtime: worker threads, compile budgets, output
// callbacks, aborts while a host function waits, and concurrent instances.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

import { ErrorCode, compile, compileFile, instantiate } from '../index.mjs'
import { ECHOES } from './component-helpers.mjs'

const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))
const TYPES = fileURLToPath(new URL('./fixtures/components/types.wasm', import.meta.url))
const COMMAND = fileURLToPath(new URL('./fixtures/components/command.wasm', import.meta.url))
const API = 'test:types/api'

const HOST = {
  'test:types/host': { ...ECHOES, log() {}, fetchValue: (key) => `v:${key}`, addOne: (x) => x + 1n, tick: (n) => n },
}

test('components work in several worker threads at once, each with its own instances', async () => {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const rw = require(${JSON.stringify(INDEX)})
    ;(async () => {
      const id = await rw.compileFile(workerData.file)
      const host = { 'test:types/host': { log() {}, fetchValue: (k) => 'w' + workerData.n + ':' + k, addOne: (x) => x + 1n, tick: (n) => n } }
      // Only the host functions this test uses: the rest trap if called.
      const instance = await rw.instantiate(id, { imports: host, unknownImports: 'trap' })
      const greeting = await instance.call('greet', 'worker ' + workerData.n)
      const fetched = await instance.call('${API}#call-host', 'key')
      const counter = await instance.call('${API}#[constructor]counter', workerData.n)
      const value = await counter.increment(1)
      await counter.drop()
      await instance.drop()
      parentPort.postMessage({ greeting, fetched, value })
    })().catch((error) => parentPort.postMessage({ error: String(error && error.message) }))
  `
  const results = await Promise.all(
    [1, 2, 3].map(
      (n) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(source, { eval: true, workerData: { file: TYPES, n } })
          worker.once('message', resolve)
          worker.once('error', reject)
        }),
    ),
  )
  assert.deepEqual(results, [1, 2, 3].map((n) => ({ greeting: `Hello, worker ${n}!`, fetched: `ok:w${n}:key`, value: n + 1 })))
})

test('compile budgets count the core functions inside a component', async () => {
  await assert.rejects(compileFile(TYPES, { limits: { maxFunctions: 2 } }), (error) => error.code === ErrorCode.CompileError && error.limit !== undefined)
  await assert.rejects(compile(readFileSync(TYPES), { limits: { maxBytes: 1000 } }), (error) => error.code === ErrorCode.CompileError)
})

test("a component command's output reaches stdout callbacks, and the call settles after it", async () => {
  const id = await compileFile(COMMAND)
  const chunks = []
  const instance = await instantiate(id, { args: ['command', 'echo-args', 'x'], stdout: (chunk) => chunks.push(Buffer.from(chunk).toString()) })
  const run = (await instance.getExports()).find((e) => e.kind === 'interface' && e.name.startsWith('wasi:cli/run@'))
  await instance.call(`${run.name}#run`)
  assert.equal(chunks.join(''), 'command\necho-args\nx\n')
  await instance.drop()
})

test('an abort stops a component call whose host function waits, and a drop stops a spinning one', async () => {
  const id = await compileFile(TYPES)
  const waiting = await instantiate(id, { imports: { 'test:types/host': { ...HOST['test:types/host'], fetchValue: () => new Promise(() => {}) } } })
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 50)
  await assert.rejects(waiting.invoke(`${API}#call-host`, ['k'], { signal: controller.signal }), { name: 'AbortError' })
  await waiting.drop()
  const spinning = await instantiate(id, { imports: HOST })
  const call = spinning.call(`${API}#spin`)
  setTimeout(() => spinning.drop(), 50)
  await assert.rejects(call, (error) => error.code === ErrorCode.InvalidInstanceHandle)
})

test('calls on different component instances run in parallel; on one instance, in order', async () => {
  const id = await compileFile(TYPES)
  const instances = await Promise.all([1, 2, 3, 4].map(() => instantiate(id, { imports: HOST })))
  const greetings = await Promise.all(instances.map((instance, i) => instance.call('greet', `n${i}`)))
  assert.deepEqual(greetings, ['Hello, n0!', 'Hello, n1!', 'Hello, n2!', 'Hello, n3!'])
  const counter = await instances[0].call(`${API}#[constructor]counter`, 0)
  const steps = await Promise.all(Array.from({ length: 20 }, () => counter.increment(1)))
  assert.deepEqual(steps, Array.from({ length: 20 }, (_, i) => i + 1))
  await counter.drop()
  for (const instance of instances) await instance.drop()
})

test("WASI 0.3 future and stream values: a function that would pass one to JS is refused by name, nothing runs", async () => {
  const component = await compile(`(component
    (core module $m
      (memory (export "mem") 1)
      (func (export "make") (result i32) unreachable)
      (func (export "echo") (param i32) (result i32) (local.get 0)))
    (core instance $i (instantiate $m))
    (type $bytes (stream u8))
    (type $ready (future u32))
    (type $page (tuple string $bytes))
    (func (export "numbers") (result $bytes) (canon lift (core func $i "make")))
    (func (export "page") (result (option $page)) (canon lift (core func $i "make") (memory (core memory $i "mem"))))
    (func (export "failure") (result (result u32 (error (tuple string $ready)))) (canon lift (core func $i "make") (memory (core memory $i "mem"))))
    (func (export "echo") (param "x" u32) (result u32) (canon lift (core func $i "echo"))))`)
  const instance = await instantiate(component)
  for (const [name, what] of [['numbers', 'stream'], ['page', 'stream'], ['failure', 'future']]) {
    await assert.rejects(instance.call(name), (error) => {
      assert.equal(error.code, ErrorCode.TypeError, error.message)
      assert.match(error.message, new RegExp(`^"${name}" \\(func\\(\\) -> .*\\) cannot be called from JS: its result holds a ${what}`))
      return true
    })
  }
  // nothing ran (the core function traps; a trapped component instance could not be entered again)
  assert.equal(await instance.call('echo', 9), 9)

  const importing = await compile(`(component
    (type $ready (future u32))
    (import "wait-for" (func (param "ready" $ready)))
    (import "plain" (func (param "x" u32))))`)
  await assert.rejects(instantiate(importing, { imports: { 'wait-for': () => {}, plain: () => {} } }), (error) => {
    assert.equal(error.code, ErrorCode.InstantiateError, error.message)
    assert.match(error.message, /the host function wait-for \(func\(ready: future\)\) cannot come from JS: parameter `ready` holds a future/)
    return true
  })
})
