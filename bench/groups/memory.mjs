// Linear-memory transfer between JS and an instance: 64 MiB read out and written in, and a
// 4 KiB round trip. V8's side copies out of / into `memory.buffer` (what a JS host does).

import { interleaved, nsPerOp, spread } from '../lib/harness.mjs'
import { memoryModule } from '../lib/modules.mjs'
import { ours } from '../lib/runtime.mjs'

export const name = 'memory'

const MiB = 1 << 20
const LARGE = 64 * MiB
const SMALL = 4096
const PAGES = LARGE / 65536 + 1

export async function run({ rounds, quick }) {
  const bytes = memoryModule(PAGES)
  const moduleId = await ours.compile(bytes)
  const instance = await ours.instantiate(moduleId)
  const { instance: v8Instance } = await WebAssembly.instantiate(bytes)
  const v8Memory = v8Instance.exports.memory

  const source = new Uint8Array(LARGE)
  for (let i = 0; i < LARGE; i += 4096) source[i] = (i / 4096) & 0xff
  source[LARGE - 1] = 0x5a

  // Both sides hold the same bytes before anything is timed, and reads see what writes wrote.
  await instance.memory.write(0, source)
  new Uint8Array(v8Memory.buffer).set(source)
  const back = await instance.memory.read(0, LARGE)
  if (back.length !== LARGE || back[4096] !== 1 || back[LARGE - 1] !== 0x5a) throw new Error('memory.read did not return what memory.write wrote')

  const largeRepeats = quick ? 1 : 3
  const smallRepeats = quick ? 1000 : 20_000
  const small = source.subarray(0, SMALL)
  const gbps = (ns, size) => size / ns
  const rows = []

  const read = await interleaved({
    rounds,
    ours: () => nsPerOp(() => instance.memory.read(0, LARGE), largeRepeats),
    v8: () => nsPerOp(async () => new Uint8Array(v8Memory.buffer, 0, LARGE).slice(), largeRepeats),
  })
  rows.push({
    name: 'read 64 MiB (copy out to a new Uint8Array)',
    unit: 'GB/s', better: 'higher', ours: gbps(read.ours, LARGE), v8: gbps(read.v8, LARGE), spread: spread(read),
    target: { text: 'ours ≥ 2 GB/s', met: gbps(read.ours, LARGE) >= 2 },
    note: 'V8: `new Uint8Array(memory.buffer, 0, n).slice()`',
  })

  const write = await interleaved({
    rounds,
    ours: () => nsPerOp(() => instance.memory.write(0, source), largeRepeats),
    v8: () => nsPerOp(async () => new Uint8Array(v8Memory.buffer).set(source), largeRepeats),
  })
  rows.push({
    name: 'write 64 MiB (from a Uint8Array)',
    unit: 'GB/s', better: 'higher', ours: gbps(write.ours, LARGE), v8: gbps(write.v8, LARGE), spread: spread(write),
    target: { text: 'ours ≥ 2 GB/s', met: gbps(write.ours, LARGE) >= 2 },
    note: 'V8: `new Uint8Array(memory.buffer).set(data)`',
  })

  const smallRead = await interleaved({
    rounds,
    ours: () => nsPerOp(() => instance.memory.read(0, SMALL), smallRepeats),
    v8: () => nsPerOp(async () => new Uint8Array(v8Memory.buffer, 0, SMALL).slice(), smallRepeats),
  })
  rows.push({ name: 'read 4 KiB, in sequence', unit: 'us', better: 'lower', ours: smallRead.ours / 1000, v8: smallRead.v8 / 1000, spread: spread(smallRead) })

  const smallWrite = await interleaved({
    rounds,
    ours: () => nsPerOp(() => instance.memory.write(0, small), smallRepeats),
    v8: () => nsPerOp(async () => new Uint8Array(v8Memory.buffer).set(small), smallRepeats),
  })
  rows.push({ name: 'write 4 KiB, in sequence', unit: 'us', better: 'lower', ours: smallWrite.ours / 1000, v8: smallWrite.v8 / 1000, spread: spread(smallWrite) })

  await instance.drop()
  await ours.dropModule(moduleId)
  return rows
}
