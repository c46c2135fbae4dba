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
