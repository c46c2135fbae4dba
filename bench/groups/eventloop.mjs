// Event-loop delay while one long (about 1 s) wasm call runs: a 1 ms interval timer records the
// gaps between its ticks, and perf_hooks.monitorEventLoopDelay samples the loop's delay. V8 runs
// the call on the JS thread, so its loop is blocked for the whole call.

import { once } from 'node:events'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { elapsedNs, median, now, percentile, spread } from '../lib/harness.mjs'
import { spinModule } from '../lib/modules.mjs'
import { ours } from '../lib/runtime.mjs'

export const name = 'eventloop'

const TARGET_MS = 1000

// Runs `call` (which resolves when the wasm call is done) while observing the event loop.
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
  await new Promise((resolve) => setTimeout(resolve, 20)) // both observers are running
  last = now()
  const start = now()
  await call()
  const callMs = elapsedNs(start) / 1e6
  await new Promise((resolve) => setTimeout(resolve, 5)) // the timer sees the end of the call
  histogram.disable()
  clearInterval(timer)
  return {
    callMs,
    maxGapMs: Math.max(...gaps),
    p99GapMs: percentile(gaps, 99),
    loopDelayMaxMs: histogram.max / 1e6,
  }
}

// The control: a worker thread (no wasm at all) busy for `ms`, the same competition for the
// CPU that a call running on the pool brings. What the timer sees then is the machine's floor.
async function busyWorker(ms) {
  const worker = new Worker(
    `const end = Date.now() + ${ms}; while (Date.now() < end); require('node:worker_threads').parentPort.postMessage('done')`,
    { eval: true },
  )
  await once(worker, 'message')
  await worker.terminate()
}

export async function run({ rounds, quick }) {
  const bytes = spinModule()
  const { instance } = await WebAssembly.instantiate(bytes)
  const spin = instance.exports.spin
  const moduleId = await ours.compile(bytes)
  const ourInstance = await ours.instantiate(moduleId)
  const [expected] = await ourInstance.call('spin', 1000)
  if (expected !== spin(1000)) throw new Error('spin: the two runtimes disagree')

  // Calibrate: how many rounds of the loop take about a second here.
  const probe = quick ? 2e7 : 2e8
  await ourInstance.call('spin', probe / 10)
  const start = now()
  await ourInstance.call('spin', probe)
  const perRound = elapsedNs(start) / probe
  const n = Math.min(2 ** 31 - 1, Math.round((quick ? 200 : TARGET_MS) * 1e6 / perRound))

  const samples = { ours: [], v8: [] }
  const measured = quick ? 1 : Math.min(rounds, 3)
  for (let round = 0; round < measured; round++) {
    const order = round % 2 === 0 ? ['ours', 'v8'] : ['v8', 'ours']
    for (const side of order) {
      samples[side].push(
        side === 'ours'
          ? await observe(() => ourInstance.call('spin', n))
          : await observe(async () => spin(n)),
      )
    }
  }
  await ourInstance.drop()
  await ours.dropModule(moduleId)
  const control = await observe(() => busyWorker(median(samples.ours.map((s) => s.callMs))))

  const med = (side, key) => median(samples[side].map((s) => s[key]))
  const spreadOf = (key) => spread({ samples: { ours: samples.ours.map((s) => s[key]), v8: samples.v8.map((s) => s[key]) } })
  const callMs = med('ours', 'callMs')
  return [
    {
      name: `max timer gap during a ${Math.round(callMs)} ms call`,
      unit: 'ms', better: 'lower', ours: med('ours', 'maxGapMs'), v8: med('v8', 'maxGapMs'), spread: spreadOf('maxGapMs'),
      target: { text: 'ours < 10 ms', met: med('ours', 'maxGapMs') < 10 },
      control: control.maxGapMs,
      note: `a 1 ms setInterval; medians over ${measured} calls per side of spin(${n}). Control, with no wasm: while a worker thread spins as long, the largest gap is ${control.maxGapMs.toFixed(1)} ms and the p99 gap ${control.p99GapMs.toFixed(1)} ms (the machine's floor)`,
    },
    { name: 'p99 timer gap during the call', unit: 'ms', better: 'lower', ours: med('ours', 'p99GapMs'), v8: med('v8', 'p99GapMs'), spread: spreadOf('p99GapMs') },
    {
      name: 'max event-loop delay (monitorEventLoopDelay)', unit: 'ms', better: 'lower',
      ours: med('ours', 'loopDelayMaxMs'), v8: med('v8', 'loopDelayMaxMs'), spread: spreadOf('loopDelayMaxMs'),
      target: { text: 'ours < 10 ms', met: med('ours', 'loopDelayMaxMs') < 10 },
    },
    {
      name: 'duration of the call itself', unit: 'ms', better: 'lower', ours: med('ours', 'callMs'), v8: med('v8', 'callMs'), spread: spreadOf('callMs'),
      note: 'the same loop on both; ours includes the hop to a worker thread and back. V8 runs a long call in its baseline tier (Liftoff) unless the function was hot before: it has no on-stack replacement for wasm',
    },
  ]
}
