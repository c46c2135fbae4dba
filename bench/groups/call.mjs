// Call round trip: one tiny export called from JS, in sequence and with many calls in flight.
// V8's side is the same module run by Node's own WebAssembly.

import { elapsedNs, interleaved, now, nsPerOp, nsPerOpSync, spread } from '../lib/harness.mjs'
import { callModule, ticksModule } from '../lib/modules.mjs'
import { hasCallSync, ours } from '../lib/runtime.mjs'

export const name = 'call'

const SEQUENTIAL = 20_000
const SYNC = 200_000
const IN_FLIGHT = 1_000
const INSTANCES = 10
const BATCHES = 10

function same(label, a, b) {
  if (a !== b) throw new Error(`${label}: runtime-wasm returned ${a}, V8 returned ${b}`)
}

export async function run({ rounds }) {
  const bytes = callModule()
  const moduleId = await ours.compile(bytes)
  const instances = []
  for (let i = 0; i < INSTANCES; i++) instances.push(await ours.instantiate(moduleId))
  const v8Module = await WebAssembly.compile(bytes)
  const v8Instances = []
  for (let i = 0; i < INSTANCES; i++) v8Instances.push(await WebAssembly.instantiate(v8Module))
  const [instance] = instances
  const { exports } = v8Instances[0]

  same('add', (await instance.call('add', 1, 2))[0], exports.add(1, 2))
  same('mix', (await instance.call('mix', 1, 2n, 0.5))[0], exports.mix(1, 2n, 0.5))

  const rows = []
  const us = (ns) => ns / 1000

  const sequential = await interleaved({
    rounds,
    ours: () => nsPerOp(() => instance.call('add', 1, 2), SEQUENTIAL),
    v8: () => nsPerOp(async () => exports.add(1, 2), SEQUENTIAL),
  })
  rows.push({
    name: 'await call("add", 1, 2), in sequence',
    unit: 'us', better: 'lower', ours: us(sequential.ours), v8: us(sequential.v8), spread: spread(sequential),
    target: { text: 'ours < 2 µs', met: us(sequential.ours) < 2 },
    note: 'V8: `await exports.add(1, 2)` inside an async function',
  })

  const syncAvailable = hasCallSync(instance)
  if (syncAvailable) same('callSync add', instance.callSync('add', 1, 2)[0], 3)
  const sync = await interleaved({
    rounds,
    ours: syncAvailable ? async () => nsPerOpSync(() => instance.callSync('add', 1, 2), SYNC) : undefined,
    v8: async () => nsPerOpSync(() => exports.add(1, 2), SYNC),
  })
  rows.push({
    name: 'callSync("add", 1, 2)',
    unit: 'us', better: 'lower', ours: syncAvailable ? us(sync.ours) : null, v8: us(sync.v8), spread: spread(sync),
    target: { text: 'ours < 0.3 µs', met: syncAvailable ? us(sync.ours) < 0.3 : null },
    note: syncAvailable ? 'V8: a plain `exports.add(1, 2)`' : 'instance.callSync does not exist in this version',
  })

  const mixed = await interleaved({
    rounds,
    ours: () => nsPerOp(() => instance.call('mix', 1, 2n, 0.5), SEQUENTIAL),
    v8: () => nsPerOp(async () => exports.mix(1, 2n, 0.5), SEQUENTIAL),
  })
  rows.push({
    name: 'await call("mix", i32, i64, f64), in sequence',
    unit: 'us', better: 'lower', ours: us(mixed.ours), v8: us(mixed.v8), spread: spread(mixed),
  })

  const inFlight = async (callOne) => {
    const start = now()
    for (let b = 0; b < BATCHES; b++) {
      const calls = new Array(IN_FLIGHT)
      for (let i = 0; i < IN_FLIGHT; i++) calls[i] = callOne(i % INSTANCES)
      await Promise.all(calls)
    }
    return (BATCHES * IN_FLIGHT) / (elapsedNs(start) / 1e9)
  }
  const concurrent = await interleaved({
    rounds,
    ours: () => inFlight((i) => instances[i].call('add', 1, 2)),
    v8: () => inFlight(async (i) => v8Instances[i].exports.add(1, 2)),
  })
  rows.push({
    name: `${IN_FLIGHT} calls in flight over ${INSTANCES} instances`,
    unit: 'ops/s', better: 'higher', ours: concurrent.ours, v8: concurrent.v8, spread: spread(concurrent),
    note: 'throughput of Promise.all over 1,000 calls at a time; V8: 1,000 async functions each calling add',
  })

  rows.push(...(await hostCallRows(rounds)))

  for (const i of instances) await i.drop()
  await ours.dropModule(moduleId)
  return rows
}

// A guest calling a JS import: `ticks(n)` makes n host calls (guest -> JS tick(i) -> guest).
// Short runs stay on the JS thread's first slice; long ones go on on the pool, and the JS
// thread takes the guest up again after each host call answered there.
async function hostCallRows(rounds) {
  const bytes = ticksModule()
  const tick = (i) => i & 1
  const moduleId = await ours.compile(bytes)
  const instance = await ours.instantiate(moduleId, { imports: { env: { tick } } })
  const { exports } = await WebAssembly.instantiate(await WebAssembly.compile(bytes), { env: { tick } })
  same('ticks', (await instance.call('ticks', 1000))[0], exports.ticks(1000))
  const rows = []
  for (const [n, count] of [[1, 20_000], [200, 200], [100_000, 2]]) {
    const perCall = await interleaved({
      rounds,
      ours: async () => (await nsPerOp(() => instance.call('ticks', n), count)) / n,
      v8: async () => (await nsPerOp(async () => exports.ticks(n), count)) / n,
    })
    rows.push({
      name: n === 1 ? 'await call("ticks", 1): one call, one host call' : `ticks(${n.toLocaleString('en')}): per host call`,
      unit: 'us', better: 'lower', ours: perCall.ours / 1000, v8: perCall.v8 / 1000, spread: spread(perCall),
      note: n === 1 ? 'V8: `await exports.ticks(1)` with the same JS import' : undefined,
    })
  }
  await instance.drop()
  await ours.dropModule(moduleId)
  return rows
}
