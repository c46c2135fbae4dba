// Splits the cost of `await instance.call("add", 1, 2)` into its layers by timing each layer
// alone, from V8's plain call up to the public Instance method (the general path by string id
// and export name, the fast path by call target, and the public methods that pick one):
//
//   node bench/profile/call-breakdown.mjs [--calls N]
//
// The native binding is reached directly here (an internal interface, used only to measure).

import { createRequire } from 'node:module'
import { join } from 'node:path'
import { median, nsPerOp, nsPerOpSync } from '../lib/harness.mjs'
import { callModule } from '../lib/modules.mjs'
import { hasCallSync, ours, packageRoot } from '../lib/runtime.mjs'

const require = createRequire(import.meta.url)
const native = require(join(packageRoot, 'binding.js'))

const calls = Number(process.argv[process.argv.indexOf('--calls') + 1]) || 200_000
const ROUNDS = 5

const bytes = callModule()
const { instance: v8Instance } = await WebAssembly.instantiate(bytes)
const { add } = v8Instance.exports
const moduleId = await ours.compile(bytes)
const instance = await ours.instantiate(moduleId)
const id = instance.id

const syncResult = native.call(id, 'add', [1, 2])
const inline = Array.isArray(syncResult)

// The fast path's call target: the instance's number times 2^20 plus the function's handle
// (see index.js's FastCalls).
const fast = typeof native.callSyncFast === 'function'
const target = fast ? Number(id.slice('instance:'.length)) * 2 ** 20 + native.resolveFunction(id, 'add') : undefined
const fastLayers = fast
  ? [
      ['native.callSyncFast(target, 1, 2) (the fast path of callSync)', () => nsPerOpSync(() => native.callSyncFast(target, 1, 2), calls)],
      ['native.callFast(target, 1, 2) (the fast path of call; done in its first slice)', () => nsPerOpSync(() => native.callFast(target, 1, 2), calls)],
    ]
  : []

const layers = [
  ['V8: exports.add(1, 2)', () => nsPerOpSync(() => add(1, 2), calls)],
  ['V8: await exports.add(1, 2) in an async function', () => nsPerOp(async () => add(1, 2), calls)],
  ['an async function awaiting nothing', () => nsPerOp(async () => {}, calls)],
  ['a native call that checks one value (checkValue("i32", 1))', () => nsPerOpSync(() => native.checkValue('i32', 1), calls)],
  [
    inline ? 'native.call(id, "add", [1, 2]) (finished in its first slice: no Promise)' : 'await native.call(id, "add", [1, 2])',
    inline ? () => nsPerOpSync(() => native.call(id, 'add', [1, 2]), calls) : () => nsPerOp(() => native.call(id, 'add', [1, 2]), calls),
  ],
  ['await native.call(id, "add", [1, 2]) in an async function', () => nsPerOp(async () => native.call(id, 'add', [1, 2]), calls)],
  ...fastLayers,
  ...(hasCallSync(instance) ? [['instance.callSync("add", 1, 2)', () => nsPerOpSync(() => instance.callSync('add', 1, 2), calls)]] : []),
  ['await call(id, "add", [1, 2]) (low-level API)', () => nsPerOp(() => ours.call(id, 'add', [1, 2]), calls)],
  ['await instance.call("add", 1, 2)', () => nsPerOp(() => instance.call('add', 1, 2), calls)],
]

const results = layers.map(([label]) => ({ label, samples: [] }))
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [index, [, measure]] of layers.entries()) {
    const ns = await measure()
    if (round > 0) results[index].samples.push(ns)
  }
}

console.log(`per-call cost, medians of ${ROUNDS} rounds of ${calls} calls (ns)`)
for (const { label, samples } of results) console.log(`${median(samples).toFixed(1).padStart(9)}  ${label}`)
await instance.drop()
await ours.dropModule(moduleId)
