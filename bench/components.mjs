#!/usr/bin/env node
// Components against jco: the same component (__test__/fixtures/components/types.wasm, world
// test:types/types, which imports only test:types/host) run by runtime-wasm and, transpiled by
// jco to JS + core wasm, by V8 in the same process. Prints medians side by side and the ratio
// ours/jco.
//
//   node bench/components.mjs                 every figure (1.5 to 3.5 minutes on 2 cores)
//   node bench/components.mjs --rounds 9      more rounds per figure (default 5)
//   node bench/components.mjs --quick         a smoke run: one round, smaller batches
//   node bench/components.mjs --json out.json also write the rows (and the machine) as JSON
//
// jco is not a dependency of this package. It is looked for in $JCO_DIR (default
// /tmp/jco-bench), installed there with
//   npm install --no-save --prefix /tmp/jco-bench @bytecodealliance/jco @bytecodealliance/preview2-shim
// Without it the jco column is left empty and says why. The component is transpiled at bench
// time (`jco transpile --instantiation async`) into a temporary folder, removed at the end.

import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { isDeepStrictEqual } from 'node:util'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { elapsedNs, interleaved, median, now, nsPerOp, percentile, spread } from './lib/harness.mjs'
import { describeMachine, machine } from './lib/machine.mjs'
import { formatValue } from './lib/table.mjs'
import { ours, packageRoot } from './lib/runtime.mjs'

const COMPONENT = join(packageRoot, '__test__/fixtures/components/types.wasm')
const DEFAULT_JCO_DIR = '/tmp/jco-bench'
const INSTALL_HINT = `npm install --no-save --prefix ${DEFAULT_JCO_DIR} @bytecodealliance/jco @bytecodealliance/preview2-shim`
const GOAL_RATIO = 3 // a call within 3x of jco's
const STALL_MS = 10 // "no event-loop stall": the largest timer gap stays below this
const LONG_CALL_MS = 1000

function parseArgs(argv) {
  const options = { rounds: 5, quick: false, json: null }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--rounds') options.rounds = Number(argv[++i])
    else if (arg === '--quick') options.quick = true
    else if (arg === '--json') options.json = argv[++i]
    else if (arg === '--help' || arg === '-h') options.help = true
    else throw new Error(`unknown argument ${JSON.stringify(arg)}`)
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error('--rounds takes a positive integer')
  if (options.quick) options.rounds = 1
  return options
}

// The host side of test:types/host, the same functions for both runtimes.
const host = {
  log(_msg) {},
  fetchValue(_key) {
    return 'v'
  },
  addOne(x) {
    return x + 1n
  },
  tick(n) {
    return n
  },
}
const imports = { 'test:types/host': host }

// Functions the component imports besides those above (the fixture may grow): stubs that fail
// if called, so that both runtimes can instantiate it; the benchmark calls none of them.
function addStubs(world) {
  const iface = world.imports.find((i) => i.name === 'test:types/host')
  for (const f of iface?.functions ?? []) {
    const name = f.name.replace(/-([a-z])/g, (_, c) => c.toUpperCase())
    if (!(name in host)) {
      host[name] = () => {
        throw new Error(`test:types/host#${f.name} is not used by this benchmark`)
      }
    }
  }
}

// echo-bag's argument: a record holding a list of 10 records, strings and numeric lists.
function makeBag() {
  return {
    items: Array.from({ length: 10 }, (_, i) => ({ x: i, y: 3 - 7 * i, labelText: `point-${i}` })),
    tags: ['alpha', 'beta', 'gamma', 'delta', 'epsilon'],
    bytes: Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 255),
    nums: Uint32Array.from({ length: 16 }, (_, i) => i * 1_000_003),
    floats: Float64Array.from({ length: 8 }, (_, i) => i / 3),
    big: BigInt64Array.from({ length: 4 }, (_, i) => BigInt(i) * -(2n ** 40n)),
    maybe: 'something',
    pair: [7, 'seven'],
  }
}

// --- jco ---------------------------------------------------------------------------------

// Finds jco, transpiles the component into a temporary folder and loads it. Resolves
// { version, instantiate, dir } or { missing: reason }.
async function loadJco() {
  const base = resolve(process.env.JCO_DIR ?? DEFAULT_JCO_DIR)
  const candidates = [join(base, 'node_modules/@bytecodealliance/jco'), base]
  const root = candidates.find((dir) => existsSync(join(dir, 'package.json')) && readJson(join(dir, 'package.json')).name === '@bytecodealliance/jco')
  if (!root) {
    return { missing: `no jco in ${base} (set JCO_DIR, or install it there: ${INSTALL_HINT})` }
  }
  const pkg = readJson(join(root, 'package.json'))
  const bin = join(root, typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.jco)
  const dir = mkdtempSync(join(tmpdir(), 'runtime-wasm-jco-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true })) // also when a check fails
  try {
    execFileSync(process.execPath, [bin, 'transpile', COMPONENT, '-o', dir, '--instantiation', 'async', '--name', 'types', '-q', '--no-typescript'], { stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    return { missing: `jco ${pkg.version} (${root}) failed to transpile the component: ${String(error.stderr || error.message).trim()}` }
  }
  const generated = await import(pathToFileURL(join(dir, 'types.js')).href)
  // The core modules, compiled once (the counterpart of our compiled id).
  const cores = new Map()
  const getCoreModule = (path) => {
    let module = cores.get(path)
    if (module === undefined) {
      module = new WebAssembly.Module(readFileSync(join(dir, path)))
      cores.set(path, module)
    }
    return module
  }
  // jco 1.3x's bindings try WebAssembly.promising (JSPI) once per export at every instantiation;
  // where Node has no JSPI (Node 20) each try throws a TypeError, whose message V8 builds by
  // re-parsing the whole instantiate function: that, not wasm, is most of their instantiation.
  const promisingTries = (readFileSync(join(dir, 'types.js'), 'utf8').match(/WebAssembly\.promising\(/g) ?? []).length
  const jspiNote = promisingTries > 0 && typeof WebAssembly.promising !== 'function'
    ? `jco's instantiate tries WebAssembly.promising ${promisingTries} times, which this Node lacks: each try throws a TypeError (V8 re-parses the instantiate function to word its message)`
    : null
  return { version: pkg.version, root, dir, jspiNote, instantiate: () => generated.instantiate(getCoreModule, imports) }
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'))
}

// --- measuring ---------------------------------------------------------------------------

function us(ns) {
  return ns == null || Number.isNaN(ns) ? null : ns / 1000
}

function callRow(name, result, note) {
  const r = { name, unit: 'us', ours: us(result.ours), jco: us(result.v8), spread: spread(result), note }
  r.goal = r.jco == null ? null : { text: `ours ≤ ${GOAL_RATIO}x jco`, met: r.ours <= GOAL_RATIO * r.jco }
  return r
}

function same(label, a, b) {
  if (!isDeepStrictEqual(a, b)) {
    throw new Error(`${label}: runtime-wasm returned ${inspectValue(a)}, jco returned ${inspectValue(b)}`)
  }
}

function inspectValue(v) {
  return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : ArrayBuffer.isView(x) ? `${x.constructor.name}[${[...x]}]` : x))
}

// Runs `call` (resolving when the long call is done) while a 1 ms interval timer records the
// gaps between its ticks and monitorEventLoopDelay samples the loop (as bench/groups/eventloop.mjs).
async function observe(call) {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  const gaps = []
  let last = now()
  const timer = setInterval(() => {
    const t = now()
    gaps.push(Number(t - last) / 1e6)
    last = t
  }, 1)
  histogram.enable()
  await new Promise((r) => setTimeout(r, 20))
  last = now()
  const start = now()
  let outcome
  try {
    outcome = await call()
  } catch (error) {
    outcome = error
  }
  const callMs = elapsedNs(start) / 1e6
  await new Promise((r) => setTimeout(r, 5))
  histogram.disable()
  clearInterval(timer)
  return { callMs, maxGapMs: Math.max(...gaps), p99GapMs: percentile(gaps, 99), loopDelayMaxMs: histogram.max / 1e6, outcome }
}

// A worker thread busy for `ms`: the competition for the CPU that a call on the pool brings.
async function busyWorker(ms) {
  const worker = new Worker(
    `const end = Date.now() + ${ms}; while (Date.now() < end); require('node:worker_threads').parentPort.postMessage('done')`,
    { eval: true },
  )
  await once(worker, 'message')
  await worker.terminate()
}

// n for host-ticks(n) to take about `ms` on one side: timed at a probe size, scaled, then timed
// again at a third of that and scaled once more (ours' cost per host call differs between short
// and long runs of them, so one probe misses by 2 to 3x).
async function calibrateTicks(run, probe, ms) {
  const clamp = (k) => Math.max(1, Math.min(2 ** 32 - 1, Math.round(k)))
  const perTick = async (k) => {
    const start = now()
    await run(k)
    return elapsedNs(start) / k
  }
  await run(clamp(probe / 10))
  const first = clamp((ms * 1e6) / (await perTick(probe)))
  const third = clamp(first / 3)
  return clamp((ms * 1e6) / (await perTick(third)))
}

async function run({ rounds, quick }) {
  const id = await ours.compileFile(COMPONENT)
  addStubs(ours.componentWorld(id))
  const jco = await loadJco()
  const hasJco = !jco.missing
  const inst = await ours.instantiate(id, { imports })
  const root = hasJco ? await jco.instantiate() : null

  // Both runtimes must agree before anything is timed.
  const bag = makeBag()
  const ourGreet = await inst.call('greet', 'Ada')
  if (ourGreet !== 'Hello, Ada!') throw new Error(`greet: runtime-wasm returned ${inspectValue(ourGreet)}`)
  const ourBag = await inst.call('test:types/api#echo-bag', bag)
  same('echo-bag (ours against its argument)', ourBag, bag)
  if (hasJco) {
    same('greet', ourGreet, root.greet('Ada'))
    same('add', await inst.call('add', 2, 40), root.add(2, 40))
    same('echo-bag', ourBag, root.api.echoBag(bag))
    same('host-add', await inst.call('test:types/api#host-add', 41n), root.api.hostAdd(41n))
    same('host-ticks', await inst.call('test:types/api#host-ticks', 100), root.api.hostTicks(100))
  }

  const scale = quick ? 0.1 : 1
  const n = (count) => Math.max(10, Math.round(count * scale))
  const jcoSide = (fn) => (hasJco ? fn : undefined)
  const rows = []

  // (1) calls that return at once.
  const greet = await interleaved({
    rounds,
    ours: () => nsPerOp(() => inst.call('greet', 'Ada'), n(20_000)),
    v8: jcoSide(() => nsPerOp(() => root.greet('Ada'), n(20_000))),
  })
  rows.push(callRow('await call("greet", "Ada"), string -> string', greet, 'jco: `await root.greet("Ada")` inside an async function'))

  const add = await interleaved({
    rounds,
    ours: () => nsPerOp(() => inst.call('add', 1, 2), n(20_000)),
    v8: jcoSide(() => nsPerOp(() => root.add(1, 2), n(20_000))),
  })
  rows.push(callRow('await call("add", 1, 2), s32 -> s32 (the call path alone)', add))

  const echoBag = await interleaved({
    rounds,
    ours: () => nsPerOp(() => inst.call('test:types/api#echo-bag', bag), n(10_000)),
    v8: jcoSide(() => nsPerOp(() => root.api.echoBag(bag), n(10_000))),
  })
  rows.push(callRow('await call("test:types/api#echo-bag", bag), bag -> bag', echoBag, 'bag: 10 points (s32, s32, string), 5 strings, 64 bytes, 16 u32, 8 f64, 4 s64, an option<string> and a tuple<u8, string>'))

  // (2) calls into the host: one export call making one host call, and the cost per host call.
  const hostAdd = await interleaved({
    rounds,
    ours: () => nsPerOp(() => inst.call('test:types/api#host-add', 41n), n(2_000)),
    v8: jcoSide(() => nsPerOp(() => root.api.hostAdd(41n), n(2_000))),
  })
  rows.push(callRow('await call("test:types/api#host-add", 41n): one call, one host call', hostAdd))

  const TICKS = 200
  const ticks = await interleaved({
    rounds,
    ours: async () => (await nsPerOp(() => inst.call('test:types/api#host-ticks', TICKS), n(100))) / TICKS,
    v8: jcoSide(async () => (await nsPerOp(() => root.api.hostTicks(TICKS), n(100))) / TICKS),
  })
  rows.push({ ...callRow(`host-ticks(${TICKS}): per host call (guest -> JS tick(i) -> guest)`, ticks), goal: null })

  // (3) instantiate + drop of the compiled component. (jco 1.3x takes tens of ms per
  // instantiation on Node 20, see loadJco: its batch is sized to about 0.3 s.)
  let jcoInstantiations = 0
  if (hasJco) {
    const perOp = await nsPerOp(() => jco.instantiate(), 3)
    jcoInstantiations = Math.max(5, Math.min(n(300), Math.round(3e8 / perOp)))
  }
  const instantiate = await interleaved({
    rounds,
    ours: () => nsPerOp(async () => {
      const i = await ours.instantiate(id, { imports })
      await i.drop()
    }, n(300)),
    v8: jcoSide(() => nsPerOp(() => jco.instantiate(), jcoInstantiations)),
  })
  rows.push({
    ...callRow('instantiate + drop (compiled beforehand)', instantiate, 'ours: `await instantiate(id, { imports })` then `await instance.drop()`; jco: `await instantiate(getCoreModule, imports)` of the transpiled component, its 3 core modules compiled beforehand, the instance left to the garbage collector' + (jco.jspiNote ? `. ${jco.jspiNote}` : '')),
    goal: null,
  })

  // (4) the event loop during a long call.
  const measured = quick ? 1 : Math.min(rounds, 3)
  const longMs = quick ? 200 : LONG_CALL_MS
  const ourTicksN = await calibrateTicks((k) => inst.call('test:types/api#host-ticks', k), quick ? 500 : 2_000, longMs)
  const jcoTicksN = hasJco ? await calibrateTicks(async (k) => root.api.hostTicks(k), quick ? 1_000 : 20_000, longMs) : null
  const samples = { spin: [], ticks: [], jco: [] }
  for (let round = 0; round < measured; round++) {
    const spinner = await ours.instantiate(id, { imports }) // a deadline leaves an instance unusable
    const order = round % 2 === 0 ? ['spin', 'ticks', 'jco'] : ['jco', 'ticks', 'spin']
    for (const side of order) {
      if (side === 'spin') {
        const s = await observe(() => spinner.invoke('test:types/api#spin', [], { timeoutMs: longMs }))
        if (s.outcome?.code !== 5011) throw new Error(`spin with a deadline: expected a 5011, got ${inspectValue(s.outcome?.message ?? s.outcome)}`)
        samples.spin.push(s)
      } else if (side === 'ticks') {
        samples.ticks.push(await observe(() => inst.call('test:types/api#host-ticks', ourTicksN)))
      } else if (hasJco) {
        samples.jco.push(await observe(async () => root.api.hostTicks(jcoTicksN)))
      }
    }
    await spinner.drop()
  }
  const med = (side, key) => (samples[side].length ? median(samples[side].map((s) => s[key])) : null)
  const sp = (a, key) => spread({ samples: { ours: samples[a].map((s) => s[key]), v8: samples.jco.map((s) => s[key]) } })
  const loopRows = (side, label) => [
    {
      name: `${label}: max timer gap`,
      unit: 'ms', ours: med(side, 'maxGapMs'), jco: med('jco', 'maxGapMs'), spread: sp(side, 'maxGapMs'),
      goal: { text: `ours < ${STALL_MS} ms (no stall)`, met: med(side, 'maxGapMs') < STALL_MS },
    },
    { name: `${label}: p99 timer gap`, unit: 'ms', ours: med(side, 'p99GapMs'), jco: med('jco', 'p99GapMs'), spread: sp(side, 'p99GapMs') },
    { name: `${label}: max event-loop delay`, unit: 'ms', ours: med(side, 'loopDelayMaxMs'), jco: med('jco', 'loopDelayMaxMs'), spread: sp(side, 'loopDelayMaxMs') },
    { name: `${label}: duration of the call`, unit: 'ms', ours: med(side, 'callMs'), jco: med('jco', 'callMs'), spread: sp(side, 'callMs'), ratioless: true },
  ]
  // The machine's floor: the same observation while a worker thread (no wasm) spins as long.
  const control = await observe(() => busyWorker(longMs))
  const jcoLong = `${hasJco ? `; jco: hostTicks(${jcoTicksN}), synchronous on the JS thread` : ''}. Control, no wasm: while a worker thread spins ${longMs} ms, the largest gap is ${control.maxGapMs.toFixed(1)} ms and the p99 gap ${control.p99GapMs.toFixed(1)} ms (this machine's floor at this load)`
  rows.push(
    ...loopRows('spin', `event loop, ours spin() stopped by timeoutMs ${longMs}`).map((r, i) => (i === 0 ? { ...r, note: `medians over ${measured} calls per side; a 1 ms setInterval and monitorEventLoopDelay${jcoLong}` } : r)),
    ...loopRows('ticks', `event loop, ours host-ticks(${ourTicksN})`).map((r, i) => (i === 0 ? { ...r, note: 'ours runs each host call on the JS thread, between which the loop turns' } : r)),
  )

  await inst.drop()
  await ours.dropModule(id)
  if (hasJco) rmSync(jco.dir, { recursive: true, force: true })
  return { rows, jco }
}

// --- output ------------------------------------------------------------------------------

// Which build was measured: the checkout's commit (and whether its tree has changes) and when
// the addon was built, since the addon may be rebuilt between runs.
function describeBuild() {
  let commit = null
  let dirty = null
  try {
    commit = execFileSync('git', ['-C', packageRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    dirty = execFileSync('git', ['-C', packageRoot, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== ''
  } catch {
    // Not a git checkout.
  }
  const addon = readdirSync(packageRoot).filter((f) => f.endsWith('.node')).map((f) => `${f} built ${statSync(join(packageRoot, f)).mtime.toISOString().replace(/\.\d+Z$/, 'Z')}`)
  const text = `${packageRoot}${commit ? ` at ${commit}${dirty ? ' (tree has uncommitted changes)' : ''}` : ''}${addon.length ? `, ${addon.join(', ')}` : ''}`
  return { commit, dirty, addon, text }
}

function significant(v) {
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3
  return v.toFixed(digits)
}

function ratioCell(row) {
  if (row.ratioless || row.ours == null || row.jco == null || row.jco <= 0) return '—'
  return `${significant(row.ours / row.jco)}x`
}

function goalCell(row) {
  if (!row.goal) return ''
  return `${row.goal.text}: ${row.goal.met === true ? 'met' : row.goal.met === false ? 'MISSED' : 'n/a'}`
}

function formatTable(rows, jcoLabel) {
  const header = ['benchmark', 'ours', jcoLabel, 'ours/jco', 'spread', 'goal']
  const lines = rows.map((row) => [
    row.name,
    formatValue(row.ours, row.unit),
    formatValue(row.jco, row.unit),
    ratioCell(row),
    row.spread === undefined || Number.isNaN(row.spread) ? '' : `±${Math.round(row.spread * 100)}%`,
    goalCell(row),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const render = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [render(header), rule, ...lines.map(render)].join('\n')
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  if (options.help) {
    console.log('usage: node bench/components.mjs [--rounds N] [--quick] [--json FILE]   (jco from $JCO_DIR, default /tmp/jco-bench)')
    return
  }
  const m = machine()
  const build = describeBuild()
  const started = now()
  const { rows, jco } = await run(options)
  const seconds = elapsedNs(started) / 1e9
  const jcoLabel = jco.missing ? 'jco' : `jco ${jco.version}`
  console.log(`runtime-wasm components vs ${jco.missing ? 'jco (not found)' : `${jcoLabel} on V8`}; ${describeMachine(m)}`)
  console.log(`runtime-wasm: ${build.text}`)
  console.log(`component: ${COMPONENT} (${readFileSync(COMPONENT).length} bytes, sha256 ${createHash('sha256').update(readFileSync(COMPONENT)).digest('hex').slice(0, 12)}); medians of ${options.rounds} interleaved rounds after a warm-up round`)
  if (jco.missing) console.log(`jco column skipped: ${jco.missing}`)
  console.log()
  console.log(formatTable(rows, jcoLabel))
  console.log('\n"ours/jco": ours\' time over jco\'s (above 1: ours is slower); "spread": half the range of the samples around their median, the larger of the two sides.')
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`)
  if (notes.length) console.log(`\nNotes:\n${notes.join('\n')}`)
  const goals = rows.filter((r) => r.goal)
  const count = (met) => goals.filter((r) => r.goal.met === met).length
  console.log(`\nGoals: ${count(true)} met, ${count(false)} missed, ${count(null)} not measurable here; total ${seconds.toFixed(0)} s`)
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify({ machine: m, build, jco: jco.missing ? { missing: jco.missing } : { version: jco.version, root: jco.root }, rounds: options.rounds, seconds, rows }, null, 2)}\n`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
