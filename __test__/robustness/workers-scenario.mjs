// Worker-thread scenarios, run in a child process by workers.test.mjs (a crash is then seen as
// a crash). Prints one JSON line per scenario: { scenario, ok, details }.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const INDEX = fileURLToPath(new URL('../../index.js', import.meta.url))
const api = require(INDEX)
const native = require('../../binding.js')

const PLUGIN = `(module
  (import "host" "wait" (func $wait (result i32)))
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "spin") (loop (br 0)))
  (func (export "wait") (result i32) (call $wait)))`

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const rw = require(${JSON.stringify(INDEX)})
const native = require(${JSON.stringify(fileURLToPath(new URL('../../binding.js', import.meta.url)))})
;(async () => {
  const { base, job, sharedModule } = workerData
  const moduleId = sharedModule ?? (await rw.compile(${JSON.stringify(PLUGIN)}))
  const imports = { host: { wait: () => new Promise(() => {}) } } // never answers
  const instances = []
  for (let i = 0; i < 5; i++) instances.push(await rw.instantiate(moduleId, { imports }))
  const sums = []
  for (let i = 0; i < 200; i++) sums.push((await instances[i % 5].call('add', base, i))[0])
  const fib = (await instances[0].call('fib', 20))[0]
  if (job === 'hang') {
    // Calls that never end by themselves, then the worker is terminated during them.
    instances[1].call('spin').catch(() => {})
    instances[2].call('wait').catch(() => {})
    instances[3].call('add', 1, 2).catch(() => {}) // queued behind nothing: finishes
    instances[1].call('add', 1, 2).catch(() => {}) // queued behind the spin
    parentPort.postMessage({ ready: true, ids: instances.map((i) => i.id), moduleId, handles: native.liveHandles() })
    return
  }
  parentPort.postMessage({ sums, fib, ids: instances.map((i) => i.id) })
  if (job === 'keep') return // ends without dropping: its handles go with it
  for (const instance of instances) await instance.drop()
  if (!sharedModule) await rw.dropModule(moduleId)
})().catch((error) => parentPort.postMessage({ error: String((error && error.stack) || error) }))
`

function startWorker(workerData) {
  const worker = new Worker(WORKER, { eval: true, workerData })
  const message = new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  const exited = new Promise((resolve) => worker.once('exit', resolve))
  return { worker, message, exited }
}

async function until(check, ms = 5000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (check()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return check()
}

function report(scenario, ok, details) {
  console.log(JSON.stringify({ scenario, ok, details }))
}

const baseline = native.liveHandles()
const sameAsBaseline = () => {
  const now = native.liveHandles()
  return now.modules === baseline.modules && now.instances === baseline.instances
}

// 1. Four workers at once, each compiling and calling, while the main thread does the same.
{
  const workers = [1, 2, 3, 4].map((n) => startWorker({ base: n * 1000, job: 'work' }))
  const moduleId = await api.compile(PLUGIN)
  const main = await api.instantiate(moduleId, { imports: { host: { wait: () => 0 } } })
  const mainSums = []
  for (let i = 0; i < 200; i++) mainSums.push((await main.call('add', 0, i))[0])
  const results = await Promise.all(workers.map((w) => w.message))
  await Promise.all(workers.map((w) => w.exited))
  const problems = []
  results.forEach((result, index) => {
    if (result.error) problems.push(result.error)
    const base = (index + 1) * 1000
    if (JSON.stringify(result.sums) !== JSON.stringify(Array.from({ length: 200 }, (_, i) => base + i))) problems.push(`worker ${index} sums`)
    if (result.fib !== 6765) problems.push(`worker ${index} fib ${result.fib}`)
  })
  if (JSON.stringify(mainSums) !== JSON.stringify(Array.from({ length: 200 }, (_, i) => i))) problems.push('main sums')
  await main.drop()
  await api.dropModule(moduleId)
  if (!(await until(sameAsBaseline))) problems.push(`handles left: ${JSON.stringify(native.liveHandles())}`)
  report('four workers compile and call at once', problems.length === 0, problems)
}

// 2. A worker terminated during calls (a wasm loop, a host function that never answers, a queued
// call): the process lives on, and the worker's module and instances are freed.
{
  const { worker, message } = startWorker({ base: 0, job: 'hang' })
  const ready = await message
  const problems = []
  if (ready.error) problems.push(ready.error)
  if (ready.handles?.instances !== baseline.instances + 5) problems.push(`worker made ${JSON.stringify(ready.handles)}`)
  await new Promise((resolve) => setTimeout(resolve, 50)) // the calls are running
  await worker.terminate()
  if (!(await until(sameAsBaseline))) problems.push(`handles left after terminate: ${JSON.stringify(native.liveHandles())}`)
  for (const id of ready.ids ?? []) {
    const outcome = await api.call(id, 'add', [1, 2]).then(
      () => 'resolved',
      (error) => error.code,
    )
    if (outcome !== 5005) problems.push(`${id} after terminate: ${outcome}`)
  }
  // The main thread still works.
  const moduleId = await api.compile(PLUGIN)
  const instance = await api.instantiate(moduleId, { imports: { host: { wait: () => 7 } } })
  const [waited] = await instance.call('wait')
  if (waited !== 7) problems.push(`main call after terminate: ${waited}`)
  await instance.drop()
  await api.dropModule(moduleId)
  report('a worker terminated mid-call: no crash, its handles freed', problems.length === 0, problems)
}

// 3. Ids are process-wide: a worker instantiates the main thread's module; the worker's own
// instances end with it, the main thread's module does not.
{
  const moduleId = await api.compile(PLUGIN)
  const { message, exited } = startWorker({ base: 5000, job: 'keep', sharedModule: moduleId })
  const result = await message
  await exited
  const problems = []
  if (result.error) problems.push(result.error)
  if (result.sums?.[1] !== 5001) problems.push(`worker sums ${result.sums?.slice(0, 3)}`)
  if (!(await until(() => native.liveHandles().instances === baseline.instances))) problems.push('the worker instances were not freed')
  const instance = await api.instantiate(moduleId, { imports: { host: { wait: () => 1 } } })
  const [sum] = await instance.call('add', 2, 3)
  if (sum !== 5) problems.push('the shared module stopped working')
  await instance.drop()
  await api.dropModule(moduleId)
  if (!sameAsBaseline()) problems.push(`handles left: ${JSON.stringify(native.liveHandles())}`)
  report('module ids are shared between threads; each thread owns what it made', problems.length === 0, problems)
}

// 4. Workers terminated again and again during calls: no crash, no growth.
{
  const problems = []
  for (let round = 0; round < 8; round++) {
    const { worker, message } = startWorker({ base: round, job: 'hang' })
    const ready = await message
    if (ready.error) problems.push(ready.error)
    await worker.terminate()
  }
  if (!(await until(sameAsBaseline))) problems.push(`handles left: ${JSON.stringify(native.liveHandles())}`)
  report('eight workers terminated mid-call one after another', problems.length === 0, problems)
}
