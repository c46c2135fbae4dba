// First run: real, large WASI programs from the package registries (lib/real-modules.mjs),
// each run in a fresh Node process with an empty cache directory (lib/first-run-child.mjs):
// ours with tiered compilation (the default: baseline code first, optimized code from a niced
// helper process in the background), ours with Cranelift only (tieringMinBytes: Infinity),
// V8 (WebAssembly.compile + node:wasi), and the wasmtime CLI 49 with its cache off, as a
// reference. Then a second run of ours on a warm cache, a compute-heavy run on optimized code
// against V8, and the first compile + instantiate of a 100 MB module.
//
// Slow (minutes): not in the default set of groups; `node bench/run.mjs first-run`.
// RUNTIME_WASM_BENCH_SLOW=1 adds ours' first run of the real 99 MB CPython (about 2 minutes of
// Cranelift on 2 cores: that module uses wasm exceptions, which Winch does not compile).

import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { median, spread } from '../lib/harness.mjs'
import { generatedModule, realModule, wasmtimeCli } from '../lib/real-modules.mjs'
import { packageRoot } from '../lib/runtime.mjs'

export const name = 'first-run'

const child = new URL('../lib/first-run-child.mjs', import.meta.url).pathname
const execFileAsync = promisify(execFile)
const hasTimeV = existsSync('/usr/bin/time')

// A small design for the compute-heavy yosys run: a registered multiply-accumulate and a
// divider, synthesized to gates (without ABC: the in-wasm ABC call crashes node:wasi).
const DESIGN = `module top(input clk, input rst, input [11:0] a, input [11:0] b, input [23:0] c, output reg [23:0] acc, output reg [11:0] q);
  wire [23:0] p = a * b;
  always @(posedge clk) if (rst) begin acc <= 0; q <= 0; end else begin acc <= acc + p + c; q <= (q << 3) ^ (a / (b | 1)); end
endmodule
`

async function inChild(job) {
  const env = { ...process.env, RUNTIME_WASM_BENCH_PACKAGE: packageRoot }
  delete env.RUNTIME_WASM_CACHE_DIR
  const started = process.hrtime.bigint()
  const { stdout } = await execFileAsync(process.execPath, [child, JSON.stringify(job)], { env, maxBuffer: 16 << 20 })
  const result = JSON.parse(stdout.trim().split('\n').pop())
  result.processMs = Number(process.hrtime.bigint() - started) / 1e6
  return result
}

// Runs the wasmtime CLI once; its whole process: wall time and peak RSS (/usr/bin/time).
async function wasmtimeRun(cli, args) {
  const command = hasTimeV ? '/usr/bin/time' : cli
  const argv = hasTimeV ? ['-f', 'maxrss-kb %M', cli, ...args] : args
  const started = process.hrtime.bigint()
  const { stdout, stderr } = await execFileAsync(command, argv, { maxBuffer: 16 << 20 })
  const resultMs = Number(process.hrtime.bigint() - started) / 1e6
  const rss = /maxrss-kb (\d+)/.exec(stderr)
  return { resultMs, rssMB: rss ? Number(rss[1]) / 1024 : null, head: stdout.trim().split('\n')[0] }
}

// Ends the helper processes (background optimizers) that our children left behind in `cacheDir`,
// by their process id, so that they do not share the cores with the next measurement. Returns
// how many there were.
function endHelpers(cacheDir) {
  let ended = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (args.some((a) => a.endsWith('compile-helper.js')) && args.includes(cacheDir)) {
        process.kill(Number(entry), 'SIGKILL')
        ended++
      }
    } catch {
      // Gone already.
    }
  }
  return ended
}

function cacheFiles(cacheDir) {
  try {
    return readdirSync(cacheDir).filter((f) => f.endsWith('.rwc')).length
  } catch {
    return 0
  }
}

const check = (what, result, pattern) => {
  if (result.exitCode !== 0 || !pattern.test(result.head ?? '')) {
    throw new Error(`${what}: unexpected result: exit ${result.exitCode}, first line ${JSON.stringify(result.head)}`)
  }
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`
const s = (msValue) => `${(msValue / 1000).toFixed(1)} s`

export async function run({ rounds, quick }) {
  const root = mkdtempSync(join(tmpdir(), 'runtime-wasm-bench-first-run-'))
  const caches = join(root, 'caches') // never under a preopened directory
  const work = join(root, 'work')
  const scratch = join(root, 'tmp')
  for (const dir of [caches, work, scratch]) mkdirSync(dir)
  writeFileSync(join(work, 'design.v'), DESIGN)
  let cacheCount = 0
  const freshCache = () => {
    const dir = join(caches, `cache-${cacheCount++}`)
    mkdirSync(dir)
    return dir
  }
  const rows = []
  const samples = quick ? 1 : Math.min(rounds, 3)
  try {
    const cli = wasmtimeCli()
    const programs = [
      { module: realModule('yosys'), kind: 'command', args: ['yosys', '-V'], expect: /^Yosys 0\.50/, steady: true },
      { module: realModule('ruby'), kind: 'reactor', args: ['ruby'], call: 'ruby-show-version: func() -> ()', expect: /^ruby 3\.3/ },
    ]
    for (const program of programs) {
      const { module } = program
      if (module.skipped) {
        rows.push({ name: `${module.name}: skipped`, unit: 'ms', better: 'lower', ours: null, v8: null, note: module.skipped })
        continue
      }
      const label = `${module.name} (${mb(module.bytes)})`
      const preopens = module.share ? { '/share': module.share, '/work': work, '/tmp': scratch } : undefined
      const base = { path: module.path, kind: program.kind, args: program.args, call: program.call, preopens }
      const first = { tiered: [], cranelift: [], v8: [], warm: [], wasmtime: [], winch: [] }
      let optimizedRun = null
      let warmCache = null
      let leftHelpers = 0
      for (let round = 0; round < samples; round++) {
        const oursSide = async () => {
          const cacheDir = freshCache()
          const waitOptimized = round === 0
          const r = await inChild({ ...base, engine: 'ours', cacheDir, waitOptimized })
          check(`${module.name}: ours, first run`, r, program.expect)
          leftHelpers += endHelpers(cacheDir)
          first.tiered.push(r)
          if (waitOptimized) {
            optimizedRun = r
            warmCache = cacheDir
            r.cacheFiles = cacheFiles(cacheDir)
          }
        }
        const v8Side = async () => {
          const r = await inChild({ ...base, engine: 'v8' })
          check(`${module.name}: V8, first run`, r, program.expect)
          first.v8.push(r)
        }
        for (const side of round % 2 === 0 ? [oursSide, v8Side] : [v8Side, oursSide]) await side()
        if (!cli.skipped && program.kind === 'command') {
          const dirs = Object.entries(preopens ?? {}).flatMap(([guest, host]) => ['--dir', `${host}::${guest}`])
          const cliArgs = ['run', '-C', 'cache=n', ...dirs, module.path, ...program.args.slice(1)]
          const winch = await wasmtimeRun(cli.path, ['run', '-C', 'cache=n', '-C', 'compiler=winch', ...cliArgs.slice(3)])
          check(`${module.name}: wasmtime CLI, Winch`, { exitCode: 0, ...winch }, program.expect)
          first.winch.push(winch)
          if (round === 0) {
            const cranelift = await wasmtimeRun(cli.path, cliArgs)
            check(`${module.name}: wasmtime CLI, Cranelift`, { exitCode: 0, ...cranelift }, program.expect)
            first.wasmtime.push(cranelift)
          }
        }
      }
      // Cranelift only: what every first run was before tiering (tens of seconds): once.
      {
        const r = await inChild({ ...base, engine: 'ours', cacheDir: freshCache(), tiering: false })
        check(`${module.name}: ours, Cranelift only`, r, program.expect)
        first.cranelift.push(r)
      }
      // Warm: new processes on the cache the waited-for first run filled.
      for (let i = 0; i < samples; i++) {
        const r = await inChild({ ...base, engine: 'ours', cacheDir: warmCache })
        check(`${module.name}: ours, warm`, r, program.expect)
        first.warm.push(r)
      }

      const m = (list, key = 'resultMs') => median(list.map((r) => r[key]))
      const sp = (a, b, key = 'resultMs') => spread({ samples: { ours: a.map((r) => r[key]), v8: b.map((r) => r[key]) } })
      const reference = first.wasmtime.length
        ? `; wasmtime CLI (${cli.version}, -C cache=n, whole process incl. its start-up): Cranelift ${s(m(first.wasmtime))} (${Math.round(m(first.wasmtime, 'rssMB'))} MB peak), Winch ${s(m(first.winch))} (${Math.round(m(first.winch, 'rssMB'))} MB peak)`
        : cli.skipped ? `; wasmtime CLI: ${cli.skipped}` : ''
      const tieredAdvantage = m(first.v8) / m(first.tiered)
      rows.push({
        name: `${label}: first run, tiered (default), time to result`,
        unit: 'ms', better: 'lower', ours: m(first.tiered), v8: m(first.v8), spread: sp(first.tiered, first.v8),
        target: module.name === 'yosys' ? { text: 'ours within 3x of V8', met: tieredAdvantage >= 1 / 3 } : undefined,
        note: `read + compile + instantiate + run ${JSON.stringify(program.kind === 'command' ? program.args.join(' ') : program.call)} in a new process with an empty cache; ours started on ${first.tiered[0].tier} code (compile ${s(m(first.tiered, 'compileMs'))}); V8: WebAssembly.compile (lazy) + node:wasi; medians of ${first.tiered.length} processes each${reference}`,
      })
      rows.push({
        name: `${label}: first run, Cranelift only (tieringMinBytes: Infinity)`,
        unit: 'ms', better: 'lower', ours: m(first.cranelift), v8: m(first.v8),
        note: `one process: what a first run cost before tiering; ${first.tiered[0].tier === 'baseline' ? `tiering is ${(m(first.cranelift) / m(first.tiered)).toFixed(1)}x faster to the first result` : 'tiering did not apply'}`,
      })
      rows.push({
        name: `${label}: first run, peak RSS (tiered / V8)`,
        unit: 'MB', better: 'lower', ours: m(first.tiered, 'rssMB'), v8: m(first.v8, 'rssMB'),
        note: `this process's peak when the result came; the helper compiling the optimized code is another process (not counted). Cranelift only: ${Math.round(first.cranelift[0].rssMB)} MB`,
      })
      if (optimizedRun) {
        rows.push({
          name: `${label}: optimized code in the cache after the first run`,
          unit: 'ms', better: 'lower', ours: optimizedRun.optimizedMs ?? null, v8: null,
          note: `from the start of the first run until whenOptimized() resolved ${optimizedRun.optimized} (tier then: ${optimizedRun.tierAfter}); cache files written: ${optimizedRun.cacheFiles}`,
        })
      }
      const warmTier = first.warm[0]
      rows.push({
        name: `${label}: second run, warm cache (ours) vs V8 first run`,
        unit: 'ms', better: 'lower', ours: m(first.warm), v8: m(first.v8), spread: sp(first.warm, first.v8),
        note: `a new process on the cache the first run filled: tier ${warmTier.tier}, origin ${warmTier.origin ?? 'unknown'}; V8 has no code cache for wasm in Node: its second run is another first run`,
      })
      if (leftHelpers > 0) {
        rows.push({
          name: `${label}: helpers left running after the first run exited`, unit: 'count', better: 'lower', ours: leftHelpers, v8: null,
          note: 'background optimizers still running when the process that started them had exited; ended by pid before the next measurement',
        })
      }

      if (program.steady) {
        // Each side in a process of its own (node:wasi died of SIGTRAP on a second start in one
        // process): ours loads the optimized code from the warm cache; V8 tiers up as it runs.
        const steadyArgs = ['yosys', '-q', '-p', 'read_verilog /work/design.v; synth -top top -noabc; tee -q -o /work/stat.txt stat']
        const steady = { ours: [], v8: [] }
        const steadyCrashes = []
        for (let i = 0; i < samples; i++) {
          for (const engine of i % 2 === 0 ? ['ours', 'v8'] : ['v8', 'ours']) {
            rmSync(join(work, 'stat.txt'), { force: true })
            // node:wasi (Node 20.20.2) dies of SIGSEGV or SIGTRAP in some of these runs (its
            // known fault after memory.grow): a crashed V8 run is retried, twice at most.
            let r
            for (let attempt = 0; ; attempt++) {
              try {
                r = await inChild({ ...base, args: steadyArgs, engine, returnOnExit: false, ...(engine === 'ours' ? { cacheDir: warmCache } : {}) })
                break
              } catch (error) {
                if (engine !== 'v8' || !error.signal) throw error
                steadyCrashes.push(error.signal)
                if (attempt === 2) break
              }
            }
            if (!r) continue
            const stat = existsSync(join(work, 'stat.txt')) ? readFileSync(join(work, 'stat.txt'), 'utf8') : ''
            if (r.exitCode !== 0 || !/Number of cells/.test(stat)) throw new Error(`yosys synth on ${engine} failed: exit ${r.exitCode}`)
            r.runMs = r.resultMs - r.compileMs
            steady[engine].push(r)
          }
        }
        rows.push({
          name: `${label}: steady state, synthesizing a small design (optimized code)`,
          unit: 'ms', better: 'lower', ours: m(steady.ours, 'runMs'), v8: steady.v8.length ? m(steady.v8, 'runMs') : null, spread: sp(steady.ours, steady.v8, 'runMs'),
          note: `yosys synth -noabc of a 12-bit multiply-accumulate and divider: instantiate + run, compile not counted; ours on ${steady.ours[0].tier} code loaded from the cache (${steady.ours[0].origin}); V8 tiering up from Liftoff as it runs; medians of ${samples} processes (ours) and ${steady.v8.length} (V8)${steadyCrashes.length ? `; V8 (node:wasi) runs that crashed: ${steadyCrashes.length} (${[...new Set(steadyCrashes)].join(', ')})` : ''}`,
        })
      }
    }

    // The first compile + instantiate of a 100 MB module on a cold cache.
    const big = generatedModule(quick ? 10 : 100)
    {
      const cacheDir = freshCache()
      const ours = await inChild({ engine: 'ours', path: big.path, kind: 'instantiate', cacheDir })
      endHelpers(cacheDir)
      const v8 = await inChild({ engine: 'v8', path: big.path, kind: 'instantiate' })
      rows.push({
        name: `${big.name} (${big.functions} functions, ${mb(big.bytes)}): first compile + instantiate`,
        unit: 'ms', better: 'lower', ours: ours.resultMs, v8: v8.resultMs,
        target: quick ? undefined : { text: 'ours < 30 s', met: ours.resultMs < 30000 },
        note: `lib/large-module.mjs; ours on ${ours.tier} code, peak RSS ${Math.round(ours.rssMB)} MB (V8 ${Math.round(v8.rssMB)} MB); one process each`,
      })
    }
    if (process.env.RUNTIME_WASM_BENCH_SLOW === '1') {
      const python = realModule('python')
      if (!python.skipped) {
        const cacheDir = freshCache()
        const ours = await inChild({ engine: 'ours', path: python.path, kind: 'compile-only', cacheDir })
        rows.push({
          name: `${python.name} (${mb(python.bytes)}, real, wasm exceptions): first compile`,
          unit: 'ms', better: 'lower', ours: ours.compileMs, v8: null,
          note: `ours on ${ours.tier} code (Winch takes no exceptions), peak RSS ${Math.round(ours.rssMB)} MB; V8 in Node 20 cannot compile it (try_table)`,
        })
      }
    }
    return rows
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
