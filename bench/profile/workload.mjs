// Small, single-purpose workloads to run under a profiler (see perf.sh), each spending nearly
// all of its time in one operation of runtime-wasm:
//
//   node bench/profile/workload.mjs call|call-sync|instantiate|read|write|fib [count]

import { callModule, kernelsModule, memoryModule } from '../lib/modules.mjs'
import { ours } from '../lib/runtime.mjs'

const MiB = 1 << 20

const workloads = {
  // Sequential awaited calls of a tiny export.
  async call(count = 2_000_000) {
    const instance = await ours.instantiate(await ours.compile(callModule()))
    for (let i = 0; i < count; i++) await instance.call('add', 1, 2)
  },
  // The same through callSync.
  async 'call-sync'(count = 2_000_000) {
    const instance = await ours.instantiate(await ours.compile(callModule()))
    for (let i = 0; i < count; i++) instance.callSync('add', 1, 2)
  },
  // Instantiate + drop of a tiny module, in sequence.
  async instantiate(count = 20_000) {
    const moduleId = await ours.compile(callModule())
    for (let i = 0; i < count; i++) await (await ours.instantiate(moduleId)).drop()
  },
  // 64 MiB copied out of linear memory, `count` times.
  async read(count = 40) {
    const instance = await ours.instantiate(await ours.compile(memoryModule(64 * 16 + 1)))
    for (let i = 0; i < count; i++) await instance.memory.read(0, 64 * MiB)
  },
  // 64 MiB copied into linear memory, `count` times.
  async write(count = 40) {
    const instance = await ours.instantiate(await ours.compile(memoryModule(64 * 16 + 1)))
    const data = new Uint8Array(64 * MiB).fill(7)
    for (let i = 0; i < count; i++) await instance.memory.write(0, data)
  },
  // A kernel of wasm-to-wasm calls.
  async fib(count = 20) {
    const instance = await ours.instantiate(await ours.compile(kernelsModule()))
    for (let i = 0; i < count; i++) await instance.call('fib', 32)
  },
}

const [name, count] = process.argv.slice(2)
if (!(name in workloads)) {
  console.error(`usage: node bench/profile/workload.mjs ${Object.keys(workloads).join('|')} [count]`)
  process.exit(2)
}
await workloads[name](count === undefined ? undefined : Number(count))
