// Soak: instantiate -> call -> drop and compile -> drop, many times over, with the resident set
// size measured after a warm-up and at the end. Fails (exit 1) when it grew by 10% or more, or
// when a handle was left behind.
//
//   node --expose-gc bench/soak/soak.mjs [--cycles 100000] [--compiles 10000]
//
// Takes a few minutes: it is not part of `npm test`. Its last results are in README.md here.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const api = require('../../index.js')
const native = require('../../binding.js')

const option = (name, fallback) => {
  const at = process.argv.indexOf(name)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}
const CYCLES = option('--cycles', 100_000)
const COMPILES = option('--compiles', 10_000)
const WARM_UP = 0.05 // the first 5% of each phase
const MAX_GROWTH = 0.1

const WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.add (local.get 0) (local.get 1)))
  (func (export "fill") (param i32) (memory.fill (i32.const 0) (local.get 0) (i32.const 4096))))`

function rssMB() {
  globalThis.gc?.()
  return process.memoryUsage().rss / 2 ** 20
}

async function phase(name, total, cycle) {
  const warmUp = Math.max(1, Math.floor(total * WARM_UP))
  const started = Date.now()
  const samples = []
  let before = 0
  for (let i = 0; i < total; i++) {
    await cycle(i)
    if (i + 1 === warmUp) before = rssMB()
    if ((i + 1) % Math.max(1, Math.floor(total / 10)) === 0) samples.push(Math.round(rssMB()))
  }
  const after = rssMB()
  const growth = (after - before) / before
  const result = {
    phase: name,
    cycles: total,
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    rssAfterWarmUpMB: Number(before.toFixed(1)),
    rssAtEndMB: Number(after.toFixed(1)),
    growthPercent: Number((growth * 100).toFixed(2)),
    samplesMB: samples,
    ok: growth < MAX_GROWTH,
  }
  console.log(JSON.stringify(result))
  return result
}

const startRss = rssMB()
const moduleId = await api.compile(WAT)
const results = []

results.push(
  await phase('instantiate -> call -> drop', CYCLES, async (i) => {
    const instance = await api.instantiate(moduleId, i % 3 === 0 ? { stdout: 'pipe', env: { N: String(i) } } : undefined)
    const [sum] = await instance.call('add', i, 1)
    if (sum !== (i + 1) | 0) throw new Error(`cycle ${i}: add returned ${sum}`)
    if (i % 10 === 0) await instance.call('fill', i & 0xff)
    await instance.drop()
  }),
)

// Compile for real each time (the compiled-code cache would make most of these loads), with a
// different module every time so nothing is shared in memory either.
api.configure?.({ cache: false })
results.push(
  await phase('compile -> drop', COMPILES, async (i) => {
    const id = await api.compile(WAT.replace('(i32.const 0))', `(i32.const ${i}))`))
    await api.dropModule(id)
  }),
)

await api.dropModule(moduleId)
const handles = native.liveHandles()
const summary = {
  summary: true,
  node: process.version,
  startRssMB: Number(startRss.toFixed(1)),
  endRssMB: Number(rssMB().toFixed(1)),
  handlesLeft: handles,
  ok: results.every((r) => r.ok) && handles.modules === 0 && handles.instances === 0,
}
console.log(JSON.stringify(summary))
process.exitCode = summary.ok ? 0 : 1
