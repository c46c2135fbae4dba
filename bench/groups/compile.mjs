// Compile: a generated multi-MB module (lib/large-module.mjs), each measurement in a fresh child
// process (lib/compile-child.mjs). Cold: nothing cached. Warm: a new process compiling the same
// bytes again, which for ours is a load from its disk cache when it has one. V8 has no disk
// cache for wasm in Node, and its WebAssembly.compile only validates (it compiles each function
// lazily, on its first call), so its optimizing compile of the whole module is shown as well.

import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { median, spread } from '../lib/harness.mjs'
import { largeModule } from '../lib/large-module.mjs'
import { hasConfigure, packageRoot } from '../lib/runtime.mjs'

export const name = 'compile'

const FUNCTIONS = 2500
const child = new URL('../lib/compile-child.mjs', import.meta.url).pathname
const execFileAsync = promisify(execFile)

async function measure(engine, file, { cacheDir, nodeFlags = [] } = {}) {
  const env = { ...process.env, RUNTIME_WASM_BENCH_PACKAGE: packageRoot }
  if (cacheDir) env.RUNTIME_WASM_CACHE_DIR = cacheDir
  const args = [...nodeFlags, child, engine, file, ...(cacheDir ? [cacheDir] : [])]
  const { stdout } = await execFileAsync(process.execPath, args, { env, maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').pop())
}

export async function run({ rounds, quick }) {
  const root = mkdtempSync(join(tmpdir(), 'runtime-wasm-bench-compile-'))
  try {
    const bytes = largeModule({ functions: quick ? 400 : FUNCTIONS })
    const file = join(root, 'large.wasm')
    writeFileSync(file, bytes)
    const mb = (bytes.length / 1e6).toFixed(1)

    await measure('v8', file) // warms the file cache and Node's own startup
    // A cold compile of ours takes seconds, so it is sampled twice; the warm loads and V8's
    // compiles (milliseconds) once a round; V8's optimizing compile of it all once.
    const samples = { oursCold: [], oursWarm: [], oursRepeat: [], v8Cold: [], v8Warm: [], v8Repeat: [], v8Eager: [] }
    const measured = quick ? 1 : Math.min(rounds, 3)
    const coldRounds = quick ? 1 : 2
    let cacheDir = null
    for (let round = 0; round < measured; round++) {
      const oursSide = async () => {
        if (round < coldRounds) {
          cacheDir = join(root, `cache-${round}`)
          const cold = await measure('ours', file, { cacheDir })
          samples.oursCold.push(cold.compileMs)
          samples.oursRepeat.push(cold.repeatMs)
        }
        const warm = await measure('ours', file, { cacheDir })
        samples.oursWarm.push(warm.compileMs)
      }
      const v8Side = async () => {
        const cold = await measure('v8', file)
        const warm = await measure('v8', file)
        samples.v8Cold.push(cold.compileMs)
        samples.v8Repeat.push(cold.repeatMs)
        samples.v8Warm.push(warm.compileMs)
        if (round === 0 && !quick) {
          const eager = await measure('v8', file, { nodeFlags: ['--no-wasm-lazy-compilation', '--no-liftoff'] })
          samples.v8Eager.push(eager.compileMs)
        }
      }
      for (const side of round % 2 === 0 ? [oursSide, v8Side] : [v8Side, oursSide]) await side()
    }

    const m = (key) => median(samples[key])
    const spreadOf = (oursKey, v8Key) => spread({ samples: { ours: samples[oursKey], v8: samples[v8Key] } })
    const cache = hasConfigure() ? 'disk cache' : 'no disk cache in this version'
    const warmAdvantage = m('v8Warm') / m('oursWarm')
    return [
      {
        name: `cold, new process (${mb} MB, ${quick ? 400 : FUNCTIONS} functions)`,
        unit: 'ms', better: 'lower', ours: m('oursCold'), v8: m('v8Cold'), spread: spreadOf('oursCold', 'v8Cold'),
        note: `ours: a full optimizing compile (Cranelift), written to the cache when there is one; V8: WebAssembly.compile, which validates and leaves each function to be compiled on its first call; medians of ${coldRounds} processes (ours) and ${measured} (V8)`,
      },
      {
        name: `warm, new process (ours: ${cache})`,
        unit: 'ms', better: 'lower', ours: m('oursWarm'), v8: m('v8Warm'), spread: spreadOf('oursWarm', 'v8Warm'),
        target: { text: 'ours ≥ 10x faster than V8', met: warmAdvantage >= 10 },
      },
      {
        name: 'same bytes again in the same process',
        unit: 'ms', better: 'lower', ours: m('oursRepeat'), v8: m('v8Repeat'), spread: spreadOf('oursRepeat', 'v8Repeat'),
      },
      ...(quick ? [] : [{
        name: 'cold vs V8 compiling all of it with its optimizing tier',
        unit: 'ms', better: 'lower', ours: m('oursCold'), v8: m('v8Eager'),
        note: 'V8 run once with --no-wasm-lazy-compilation --no-liftoff (TurboFan for every function up front): the work that matches ours',
      }]),
    ]
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
