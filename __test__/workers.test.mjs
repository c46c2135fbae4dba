// Embedding: the addon is context-aware (it loads and works in several worker threads at once,
// and in the main thread beside them), a worker that ends mid-call stops that call and harms
// nothing else, and the binary links against Node-API only (no Node-internal symbols), as
// Electron needs.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

import { compile, instantiate, run } from '../index.mjs'

const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))
const PROBE = fileURLToPath(new URL('./fixtures/cli/probe.wasm', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))

const PLUGIN = `(module
  (import "host" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello from wasm")
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "hello") (call $log (i32.const 0) (i32.const 15)))
  (func (export "spin") (loop br 0)))`

// What each worker does: everything a plugin host does, then reports back.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const rw = require(${JSON.stringify(INDEX)})
;(async () => {
  const logged = []
  const moduleId = await rw.compile(${JSON.stringify(PLUGIN)})
  const instance = await rw.instantiate(moduleId, {
    imports: { host: { async log(ptr, len) { logged.push(new TextDecoder().decode(await this.memory.read(ptr, len))) } } },
  })
  const sums = []
  for (let i = 0; i < 50; i++) sums.push((await instance.call('add', workerData.base, i))[0])
  await instance.call('hello')
  const timedOut = await instance.invoke('spin', [], { timeoutMs: 100 }).then(() => 'no', (e) => e.reason)
  const ran = await rw.run(${JSON.stringify(PROBE)}, { args: ['probe', 'exit', String(workerData.base % 100)] })
  if (workerData.spin) {
    parentPort.postMessage({ spinning: true })
    await instance.call('spin') // never ends: the worker is terminated during it
  }
  await instance.drop()
  await rw.dropModule(moduleId)
  parentPort.postMessage({ sums, logged, timedOut, exitCode: ran.exitCode })
})().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }))
`

function startWorker(workerData) {
  const worker = new Worker(WORKER, { eval: true, workerData })
  const firstMessage = new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  return { worker, firstMessage }
}

test('two workers load and use the addon at once, beside the main thread', async () => {
  const workers = [startWorker({ base: 1000 }), startWorker({ base: 2000 })]
  // The main thread works at the same time.
  const moduleId = await compile(PLUGIN)
  const instance = await instantiate(moduleId, { imports: { host: { log() {} } } })
  const mainSums = []
  for (let i = 0; i < 50; i++) mainSums.push((await instance.call('add', 0, i))[0])
  const results = await Promise.all(workers.map(({ firstMessage }) => firstMessage))
  for (const [index, result] of results.entries()) {
    assert.equal(result.error, undefined, result.error)
    const base = (index + 1) * 1000
    assert.deepEqual(result.sums, Array.from({ length: 50 }, (_, i) => base + i))
    assert.deepEqual(result.logged, ['hello from wasm'])
    assert.equal(result.timedOut, 'timeout')
    assert.equal(result.exitCode, 0)
  }
  assert.deepEqual(mainSums, Array.from({ length: 50 }, (_, i) => i))
  await Promise.all(workers.map(({ worker }) => worker.terminate()))
  await instance.drop()
})

test('a worker terminated during a wasm call harms neither the process nor other workers', async () => {
  const spinning = startWorker({ base: 3000, spin: true })
  const message = await spinning.firstMessage
  assert.equal(message.spinning, true, message.error)
  const other = startWorker({ base: 4000 })
  const started = performance.now()
  await spinning.worker.terminate()
  assert.ok(performance.now() - started < 5000, 'terminate() does not wait for the wasm call')
  // The worker's call stops with it: no thread of this process keeps spinning.
  const before = process.cpuUsage()
  await new Promise((resolve) => setTimeout(resolve, 500))
  const { user, system } = process.cpuUsage(before)
  assert.ok((user + system) / 1000 < 300, `${(user + system) / 1000} ms of CPU in 500 ms after terminate()`)
  const result = await other.firstMessage
  assert.equal(result.error, undefined, result.error)
  assert.equal(result.sums[49], 4049)
  await other.worker.terminate()
  // The main thread still works, and so does a new worker.
  const { exitCode } = await run(PROBE, { args: ['probe', 'exit', '7'] })
  assert.equal(exitCode, 7)
  const fresh = startWorker({ base: 5000 })
  assert.equal((await fresh.firstMessage).sums[0], 5000)
  await fresh.worker.terminate()
})

const NATIVE = readdirSync(ROOT).filter((name) => /^runtime-wasm\..*\.node$/.test(name))
const NM = spawnSync('nm', ['--version']).status === 0
test('the binary links against Node-API only: no Node, V8 or libuv internals', { skip: !NM ? 'nm (binutils) is not installed' : NATIVE.length === 0 && 'no locally built binary' }, () => {
  for (const name of NATIVE) {
    const file = fileURLToPath(new URL(`../${name}`, import.meta.url))
    const undefinedSymbols = spawnSync('nm', ['-D', '--undefined-only', file], { encoding: 'utf8' }).stdout
    const strong = undefinedSymbols
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([kind]) => kind === 'U')
      .map(([, symbol]) => symbol)
    assert.ok(strong.some((symbol) => symbol.startsWith('napi_')), 'uses Node-API')
    const foreign = strong.filter((symbol) => !symbol.startsWith('napi_') && !/@(GLIBC|GCC)_/.test(symbol))
    assert.deepEqual(foreign, [], `${name} needs symbols beyond Node-API and the C runtime`)
    const exported = spawnSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' }).stdout
    assert.match(exported, / T napi_register_module_v1\n/, 'registers as a Node-API module')
  }
})
