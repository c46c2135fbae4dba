// Compute: CPU-bound kernels (C compiled to wasm, see ../kernels) run by both runtimes from the
// same bytes, and a WASI command run through `_start` (ours: run(); V8: node:wasi).

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WASI } from 'node:wasi'
import { elapsedNs, interleaved, now, spread } from '../lib/harness.mjs'
import { kernelsModule, wasiCommandModule } from '../lib/modules.mjs'
import { ours } from '../lib/runtime.mjs'

export const name = 'compute'

const MiB = 1 << 20
const HASH_BYTES = 64 * MiB

// Each kernel: its export, arguments, how many calls make one sample, and how the sample is
// reported (throughput in bytes, or time per call).
const KERNELS = [
  { label: 'fnv1a hash of 64 MiB', fn: 'fnv1a', args: (p) => [p, HASH_BYTES], calls: 2, bytes: HASH_BYTES },
  { label: 'xxh64-style hash of 64 MiB', fn: 'xxh64', args: (p) => [p, HASH_BYTES], calls: 8, bytes: HASH_BYTES },
  { label: 'nbody, 1,000,000 steps', fn: 'nbody', args: () => [1_000_000], calls: 1 },
  { label: 'fannkuch-redux(10)', fn: 'fannkuch', args: () => [10], calls: 1 },
  { label: 'fib(32), recursive calls', fn: 'fib', args: () => [32], calls: 4 },
  { label: 'quicksort of 1M i32', fn: 'sort', args: () => [1 << 20, 7], calls: 1 },
]

const WASI_ARGS = ['wasi-command', '16', String(1 << 18), '3']

const ms = (ns) => ns / 1e6
const target = (row) => ({ text: 'ours ≥ 0.9x V8', met: advantage(row) >= 0.9 })

export async function run({ rounds, quick }) {
  const bytes = kernelsModule()
  const kernels = quick ? KERNELS.slice(0, 2) : KERNELS
  const { instance: v8Instance } = await WebAssembly.instantiate(bytes)
  const v8 = { exports: v8Instance.exports, buffer: v8Instance.exports.fill(HASH_BYTES, 1) }
  const rows = [
    ...(await kernelRows(bytes, {}, kernels, rounds, v8, (row) => ({ name: row.name, target }))),
    // The same kernels compiled `trusted` (no epoch checks): the speed the host gets for code
    // it trusts, beside V8 in the same run. Target: at least 0.95x V8 on every kernel.
    ...(await kernelRows(bytes, { trusted: true }, kernels, rounds, v8, (row) => ({
      name: `${row.name}, trusted`,
      target: (r) => ({ text: 'trusted ≥ 0.95x V8', met: advantage(r) >= 0.95 }),
    }))),
  ]
  rows.push(await parallelTrusted(bytes, rounds))
  rows.push(await wasiCommand(rounds))
  return rows
}

const advantage = (row) => (row.better === 'lower' ? row.v8 / row.ours : row.ours / row.v8)

// Each kernel on a module compiled with `options`, interleaved with V8 on the same bytes;
// `label(row)` names the row and picks its target.
async function kernelRows(bytes, options, kernels, rounds, v8, label) {
  const moduleId = await ours.compile(bytes, options)
  const instance = await ours.instantiate(moduleId)
  const [buffer] = await instance.call('fill', HASH_BYTES, 1)
  const rows = []
  for (const kernel of kernels) {
    const [expected] = await instance.call(kernel.fn, ...kernel.args(buffer))
    const actual = v8.exports[kernel.fn](...kernel.args(v8.buffer))
    if (expected !== actual) throw new Error(`${kernel.fn}: runtime-wasm returned ${expected}, V8 returned ${actual}`)
    const result = await interleaved({
      rounds,
      ours: async () => {
        const start = now()
        for (let c = 0; c < kernel.calls; c++) await instance.call(kernel.fn, ...kernel.args(buffer))
        return elapsedNs(start) / kernel.calls
      },
      v8: async () => {
        const start = now()
        for (let c = 0; c < kernel.calls; c++) v8.exports[kernel.fn](...kernel.args(v8.buffer))
        return elapsedNs(start) / kernel.calls
      },
    })
    const row = kernel.bytes
      ? { name: kernel.label, unit: 'GB/s', better: 'higher', ours: kernel.bytes / result.ours, v8: kernel.bytes / result.v8 }
      : { name: kernel.label, unit: 'ms', better: 'lower', ours: ms(result.ours), v8: ms(result.v8) }
    const { name, target: targetOf } = label(row)
    rows.push({ ...row, name, spread: spread(result), target: targetOf(row) })
  }
  await instance.drop()
  await ours.dropModule(moduleId)
  return rows
}

// fib(32) on one trusted instance per core at once, against the same calls one after another:
// trusted calls start on the pool, so they should run side by side. ours: all at once; v8
// column: one after another (on the same instances). The ratio is the speed-up.
async function parallelTrusted(bytes, rounds) {
  const cores = Math.max(2, (await import('node:os')).availableParallelism())
  const moduleId = await ours.compile(bytes, { trusted: true })
  const instances = await Promise.all(Array.from({ length: cores }, () => ours.instantiate(moduleId)))
  const result = await interleaved({
    rounds,
    ours: async () => {
      const start = now()
      await Promise.all(instances.map((instance) => instance.call('fib', 32)))
      return elapsedNs(start)
    },
    v8: async () => {
      const start = now()
      for (const instance of instances) await instance.call('fib', 32)
      return elapsedNs(start)
    },
  })
  for (const instance of instances) await instance.drop()
  await ours.dropModule(moduleId)
  const speedup = result.v8 / result.ours
  return {
    name: `fib(32) on ${cores} trusted instances: all at once vs one after another`,
    unit: 'ms', better: 'lower', ours: ms(result.ours), v8: ms(result.v8), spread: spread(result),
    note: 'the "V8" column here is the same calls run one after another, not V8',
    target: { text: `speed-up ≥ ${(cores * 0.8).toFixed(1)}x`, met: speedup >= cores * 0.8 },
  }
}

// One run of the WASI command, start to exit, with its module already compiled.
async function wasiCommand(rounds) {
  const bytes = wasiCommandModule()
  const moduleId = await ours.compile(bytes)
  const v8Module = await WebAssembly.compile(bytes)
  const dir = mkdtempSync(join(tmpdir(), 'runtime-wasm-bench-'))
  const stdoutPath = join(dir, 'stdout')
  try {
    const runOurs = async () => {
      const { exitCode, stdout } = await ours.run(moduleId, { args: WASI_ARGS })
      if (exitCode !== 0) throw new Error(`the WASI command exited with ${exitCode}`)
      return Buffer.from(stdout).toString()
    }
    const runV8 = async () => {
      const fd = openSync(stdoutPath, 'w')
      try {
        const wasi = new WASI({ version: 'preview1', args: WASI_ARGS, env: {}, stdout: fd, returnOnExit: true })
        const instance = await WebAssembly.instantiate(v8Module, wasi.getImportObject())
        const exitCode = wasi.start(instance)
        if (exitCode !== 0) throw new Error(`the WASI command exited with ${exitCode} under node:wasi`)
      } finally {
        closeSync(fd)
      }
      return readFileSync(stdoutPath, 'utf8')
    }
    const [a, b] = [await runOurs(), await runV8()]
    if (a !== b) throw new Error(`the WASI command printed ${JSON.stringify(a)} here and ${JSON.stringify(b)} under node:wasi`)
    const timed = (fn) => async () => {
      const start = now()
      await fn()
      return elapsedNs(start)
    }
    const result = await interleaved({ rounds, ours: timed(runOurs), v8: timed(runV8) })
    const row = {
      name: `WASI command via _start (${WASI_ARGS.slice(1).join(' ')})`,
      unit: 'ms', better: 'lower', ours: ms(result.ours), v8: ms(result.v8), spread: spread(result),
      note: 'instantiate, run to exit and collect stdout, module compiled beforehand; three CRC-32 passes over 16 MiB and a libc qsort of 256K integers; V8: node:wasi',
    }
    return { ...row, target: target(row) }
  } finally {
    await ours.dropModule(moduleId)
    rmSync(dir, { recursive: true, force: true })
  }
}
