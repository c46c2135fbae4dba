// Instantiate + drop of an already compiled module: a tiny plain module, the kernels module
// (8 MiB of memory, a data segment, a table, a global) and a WASI command (ours: with its WASI
// context; V8: a new node:wasi WASI object and its imports).

import { WASI } from 'node:wasi'
import { interleaved, nsPerOp, spread } from '../lib/harness.mjs'
import { callModule, kernelsModule, wasiCommandModule } from '../lib/modules.mjs'
import { ours } from '../lib/runtime.mjs'

export const name = 'instantiate'

const WASI_OPTIONS = { args: ['wasi-command', '1'], env: { HOME: '/home/plugin', LANG: 'C' } }

export async function run({ rounds, quick }) {
  const count = quick ? 50 : 300
  const rows = []
  const cases = [
    { label: 'plain module (add)', bytes: callModule() },
    { label: 'kernels module (8 MiB memory, data, table)', bytes: kernelsModule() },
  ]
  for (const { label, bytes } of cases) {
    const moduleId = await ours.compile(bytes)
    const v8Module = await WebAssembly.compile(bytes)
    const result = await interleaved({
      rounds,
      ours: () => nsPerOp(async () => {
        const instance = await ours.instantiate(moduleId)
        await instance.drop()
      }, count),
      v8: () => nsPerOp(() => WebAssembly.instantiate(v8Module, {}), count),
    })
    await ours.dropModule(moduleId)
    rows.push(row(`${label}, instantiate + drop`, result, 'V8: `await WebAssembly.instantiate(module)`; the instance is left to the garbage collector'))
  }

  const wasiBytes = wasiCommandModule()
  const moduleId = await ours.compile(wasiBytes)
  const v8Module = await WebAssembly.compile(wasiBytes)
  const result = await interleaved({
    rounds,
    ours: () => nsPerOp(async () => {
      const instance = await ours.instantiate(moduleId, WASI_OPTIONS)
      await instance.drop()
    }, count),
    v8: () => nsPerOp(async () => {
      const wasi = new WASI({ version: 'preview1', ...WASI_OPTIONS, returnOnExit: true })
      return WebAssembly.instantiate(v8Module, wasi.getImportObject())
    }, count),
  })
  await ours.dropModule(moduleId)
  rows.push(row('WASI command (17 MiB memory), instantiate + drop', result, 'V8: `new WASI(...)` from node:wasi, then `await WebAssembly.instantiate(module, wasi.getImportObject())`'))
  return rows
}

function row(label, result, note) {
  const r = { name: label, unit: 'us', better: 'lower', ours: result.ours / 1000, v8: result.v8 / 1000, spread: spread(result), note }
  return { ...r, target: { text: 'ours ≤ V8', met: r.ours <= r.v8 } }
}
