// Child process of the first-run group: loads one real (or generated) module in a fresh
// process and runs it once, then prints what it measured as one JSON line on stdout.
//
//   node first-run-child.mjs JOB_JSON
//
// JOB: { engine: 'ours' | 'v8', path, kind: 'command' | 'reactor' | 'instantiate', args,
// preopens, call (a reactor's export to call after _initialize), tiering (ours: false sets
// tieringMinBytes: Infinity), cacheDir (ours), waitOptimized (ours: await whenOptimized
// before exiting), steady: { args } (a compute-heavy command run twice after the first).
//
// `resultMs` is from before the file is read to the first result (compile, instantiate, run,
// output collected); Node's start-up and loading the addon are not in it (`loadMs`). `rssMB`
// is this process's peak resident set when the result came (the helper process that compiles
// the optimized code is another process, not counted).

import { closeSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const job = JSON.parse(process.argv[2])
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6
const rssMB = () => process.resourceUsage().maxRSS / 1024
const out = {}

const loadStart = process.hrtime.bigint()
if (job.engine === 'ours') {
  const { ours } = await import('./runtime.mjs')
  if (job.cacheDir) ours.configure({ cacheDir: job.cacheDir })
  if (job.tiering === false) ours.configure({ tieringMinBytes: Infinity })
  const { createRequire } = await import('node:module')
  const { packageRoot } = await import('./runtime.mjs')
  let native = null
  try {
    native = createRequire(join(packageRoot, 'index.js'))('./lib/native.js')
  } catch {
    // An older layout: no origin figure.
  }
  out.loadMs = ms(loadStart)

  const runOnce = async (moduleId, args) => {
    if (job.kind === 'command') {
      const r = await ours.run(moduleId, { args, preopens: job.preopens })
      return { exitCode: r.exitCode, stdout: Buffer.from(r.stdout).toString() }
    }
    const instance = await ours.instantiate(moduleId, { args, stdout: 'pipe', unknownImports: 'trap' })
    try {
      if (job.kind === 'reactor') {
        await instance.call('_initialize')
        await instance.call(job.call)
      }
      return { exitCode: 0, stdout: Buffer.from(await instance.readStdout()).toString() }
    } finally {
      await instance.drop()
    }
  }

  const start = process.hrtime.bigint()
  const moduleId = await ours.compileFile(job.path)
  out.compileMs = ms(start)
  out.tier = typeof ours.moduleTier === 'function' ? ours.moduleTier(moduleId) : 'optimized'
  out.origin = native?.moduleOrigin?.(moduleId) ?? null
  const first = job.kind === 'compile-only' ? { exitCode: 0, stdout: '' } : await runOnce(moduleId, job.args)
  out.resultMs = ms(start)
  out.rssMB = rssMB()
  Object.assign(out, { exitCode: first.exitCode, head: first.stdout.trim().split('\n')[0].slice(0, 120) })
  if (job.waitOptimized && typeof ours.whenOptimized === 'function') {
    out.optimized = await ours.whenOptimized(moduleId)
    out.optimizedMs = ms(start)
    out.tierAfter = ours.moduleTier(moduleId)
  }
  if (job.steady) {
    out.steadyMs = []
    for (let i = 0; i < 2; i++) {
      const t = process.hrtime.bigint()
      const r = await runOnce(moduleId, job.steady.args)
      out.steadyMs.push(ms(t))
      out.steadyExit = r.exitCode
    }
    out.steadyTier = ours.moduleTier(moduleId)
  }
  out.rssEndMB = rssMB()
} else if (job.engine === 'v8') {
  const { WASI } = await import('node:wasi')
  out.loadMs = ms(loadStart)
  // The program's stdout goes to a file, read back to check the result.
  const capture = join(tmpdir(), `runtime-wasm-first-run-${process.pid}.out`)
  const runOnce = async (module, args, returnOnExit = true) => {
    const fd = openSync(capture, 'w')
    try {
      // `yosys -V` ends with exit(0), so returnOnExit is on by default; the group turns it off
      // for the yosys synth: with it, Node 20.20.2 died of SIGTRAP at the end of the synth (a V8
      // fatal error), and a synth that succeeds returns from _start. A second WASI start in the
      // same process died the same way, so the group runs the synth in a process of its own.
      const wasi = new WASI({ version: 'preview1', args, env: {}, preopens: job.preopens ?? {}, stdout: fd, returnOnExit })
      const imports = wasi.getImportObject()
      // A reactor's non-WASI imports: functions that fail if called (like ours' unknownImports: 'trap').
      for (const i of WebAssembly.Module.imports(module)) {
        if (i.kind !== 'function' || i.module === 'wasi_snapshot_preview1') continue
        ;(imports[i.module] ??= {})[i.name] = () => {
          throw new Error(`import ${i.module}.${i.name} called`)
        }
      }
      const instance = await WebAssembly.instantiate(module, imports)
      let exitCode = 0
      if (job.kind === 'command') exitCode = wasi.start(instance) ?? 0
      else if (job.kind === 'reactor') {
        wasi.initialize(instance)
        instance.exports[job.call]()
      }
      return { exitCode, stdout: readFileSync(capture, 'utf8') }
    } finally {
      closeSync(fd)
    }
  }
  const start = process.hrtime.bigint()
  const module = await WebAssembly.compile(readFileSync(job.path))
  out.compileMs = ms(start)
  const first = job.kind === 'instantiate' ? (await WebAssembly.instantiate(module, {}), { exitCode: 0, stdout: '' }) : await runOnce(module, job.args, job.returnOnExit ?? true)
  out.resultMs = ms(start)
  out.rssMB = rssMB()
  Object.assign(out, { exitCode: first.exitCode, head: first.stdout.trim().split('\n')[0].slice(0, 120) })
  if (job.steady) {
    out.steadyMs = []
    for (let i = 0; i < 2; i++) {
      const t = process.hrtime.bigint()
      const r = await runOnce(module, job.steady.args, false)
      out.steadyMs.push(ms(t))
      out.steadyExit = r.exitCode
    }
  }
  out.rssEndMB = rssMB()
} else {
  throw new Error(`unknown engine ${job.engine}`)
}
process.stdout.write(`${JSON.stringify(out)}\n`)
