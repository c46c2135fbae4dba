// The manifest's ceilings for the execution limits: max_fuel, max_timeout_ms, max_memory and
// max_instances under [capabilities.wasm]. An instance or a call may ask for less, never more:
// asking for more (or for nothing) is clamped to the ceiling, capabilities() shows the
// ceilings, and one instance past max_instances is 5001. The policy is process-wide, so each
// scenario runs in a child process whose cwd holds its manifest.app.toml.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { LOOPS_WAT, MiB, memoryWat, runChild } from './helpers.mjs'

/** A fresh directory holding manifest.app.toml with `lines` under [capabilities.wasm]. */
function appWithManifest(...lines) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rw-limits-')))
  fs.writeFileSync(path.join(dir, 'manifest.app.toml'), ['[app]', 'name = "limits"', '', '[capabilities.wasm]', ...lines, ''].join('\n'))
  fs.mkdirSync(path.join(dir, 'cache'))
  return dir
}

function inChild(dir, body) {
  return runChild(`const LOOPS = ${JSON.stringify(LOOPS_WAT)}\nconst BIG = ${JSON.stringify(memoryWat(17))}\n${body}`, {
    cwd: dir,
    env: { RUNTIME_WASM_CACHE_DIR: path.join(dir, 'cache') },
  })
}

test('max_timeout_ms, max_fuel and max_memory clamp every instance and call, and capabilities() shows them', async () => {
  const dir = appWithManifest('max_fuel = 1_000_000_000_000', 'max_timeout_ms = 300', 'max_memory = "1MiB"')
  try {
    const out = await inChild(
      dir,
      `
      out.capabilities = rw.capabilities()
      const loops = await rw.compile(LOOPS)

      // No limits asked: the ceilings apply anyway.
      const plain = await rw.instantiate(loops)
      out.plainFuel = await plain.fuel()
      out.plainSpin = await attempt(plain.call('spin'))
      out.plainGrow = [await plain.call('grow', 15), await plain.call('grow', 1)]
      out.plainJsGrow = await attempt(plain.memory.grow(1))

      // More than the ceilings asked: clamped.
      const greedy = await rw.instantiate(loops, { limits: { fuel: 5e12, timeoutMs: 60_000, maxMemoryBytes: 64 * 1024 * 1024 } })
      out.greedyFuel = await greedy.fuel()
      out.greedySpin = await attempt(greedy.call('spin'))
      out.greedyInvoke = await attempt(greedy.invoke('spin', [], { timeoutMs: 60_000 }))
      out.greedyLowLevel = await attempt(rw.call(greedy.id, 'spin', [], { timeoutMs: 60_000, fuel: 1e15 }))
      out.greedyGrow = await greedy.call('grow_all')
      await greedy.setFuel(5e12)
      out.greedyRefill = await greedy.fuel()
      const infinite = await rw.instantiate(loops, { limits: { fuel: Infinity } })
      out.infiniteFuel = await infinite.fuel()

      // Less than the ceilings asked: granted as asked.
      const modest = await rw.instantiate(loops, { limits: { fuel: 1000, timeoutMs: 100, maxMemoryBytes: 4 * 65536 } })
      out.modestFuel = await modest.fuel()
      out.modestSpin = await attempt(modest.call('count', 1_000_000))
      await modest.setFuel(1e10)
      out.modestTimeout = await attempt(modest.call('spin'))
      out.modestInvoke = await attempt(modest.invoke('spin', [], { timeoutMs: 50 }))
      out.modestGrow = await modest.call('grow_all')

      // A module whose initial memory is above max_memory, even when limits ask for more.
      const big = await rw.compile(BIG)
      out.bigPlain = await attempt(rw.instantiate(big))
      out.bigGreedy = await attempt(rw.instantiate(big, { limits: { maxMemoryBytes: 64 * 1024 * 1024 } }))

      out.usable = await plain.call('count', 1000)
      `,
    )
    assert.deepEqual(out.capabilities, {
      mode: 'manifest',
      source: path.join(dir, 'manifest.app.toml'),
      origin: 'cwd',
      load: [],
      preopens: [],
      preopensReadonly: [],
      maxFuel: 1e12,
      maxTimeoutMs: 300,
      maxMemory: MiB,
      maxInstances: null,
      maxModuleSize: null,
      maxFunctions: null,
      maxFunctionSize: null,
      maxCompileTimeMs: null,
      net: [],
    })

    const timedOutByCeiling = (outcome, what) => {
      assert.equal(outcome.ok, false, `${what}: ${JSON.stringify(outcome)}`)
      assert.equal(outcome.code, 5011, `${what}: ${JSON.stringify(outcome)}`)
      assert.equal(outcome.reason, 'timeout', `${what}: ${JSON.stringify(outcome)}`)
      assert.ok(outcome.elapsedMs >= 300, `${what}: stopped after ${outcome.elapsedMs} ms, before max_timeout_ms`)
      assert.ok(outcome.ms < 300 + 1500, `${what}: max_timeout_ms of 300 stopped it only after ${outcome.ms} ms`)
    }
    assert.equal(out.plainFuel, 1e12, 'an instance without limits.fuel gets max_fuel')
    timedOutByCeiling(out.plainSpin, 'a call on an instance without limits')
    assert.deepEqual(out.plainGrow, [[1], [-1]], 'memory.grow returns -1 past max_memory')
    assert.equal(out.plainJsGrow.code, 5006, `memory.grow from JS past max_memory: ${JSON.stringify(out.plainJsGrow)}`)

    assert.equal(out.greedyFuel, 1e12, 'limits.fuel above max_fuel is clamped')
    timedOutByCeiling(out.greedySpin, 'limits.timeoutMs of 60 s')
    timedOutByCeiling(out.greedyInvoke, 'invoke with timeoutMs of 60 s')
    timedOutByCeiling(out.greedyLowLevel, 'low-level call with timeoutMs of 60 s')
    assert.deepEqual(out.greedyGrow, [16], 'limits.maxMemoryBytes above max_memory is clamped to 1 MiB (16 pages)')
    assert.equal(out.greedyRefill, 1e12, 'setFuel above max_fuel is clamped')
    assert.equal(out.infiniteFuel, 1e12, 'fuel: Infinity is clamped to max_fuel')

    assert.equal(out.modestFuel, 1000, 'less fuel than max_fuel is granted as asked')
    assert.equal(out.modestSpin.reason, 'fuel', `a small tank still runs out: ${JSON.stringify(out.modestSpin)}`)
    assert.equal(out.modestTimeout.reason, 'timeout')
    assert.ok(out.modestTimeout.elapsedMs >= 100 && out.modestTimeout.ms < 300 + 1500, JSON.stringify(out.modestTimeout))
    assert.equal(out.modestInvoke.reason, 'timeout')
    assert.ok(out.modestInvoke.elapsedMs >= 50, JSON.stringify(out.modestInvoke))
    assert.deepEqual(out.modestGrow, [4], 'a smaller memory budget than max_memory is granted as asked')

    for (const [what, outcome] of [['no limits', out.bigPlain], ['limits above the ceiling', out.bigGreedy]]) {
      assert.equal(outcome.ok, false, `17 pages under max_memory of 1 MiB with ${what}: ${JSON.stringify(outcome)}`)
      assert.equal(outcome.code, 5001, `17 pages under max_memory of 1 MiB with ${what}: ${JSON.stringify(outcome)}`)
    }
    assert.deepEqual(out.usable, [1000])
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('max_fuel alone meters every instance: small tanks run out, and a call cannot ask for more', async () => {
  const dir = appWithManifest('max_fuel = 100_000')
  try {
    const out = await inChild(
      dir,
      `
      out.capabilities = rw.capabilities()
      const loops = await rw.compile(LOOPS)
      const plain = await rw.instantiate(loops)
      out.fuel = await plain.fuel()
      out.spin = await attempt(plain.invoke('spin', [], { fuel: 1e12 }))
      out.afterSpin = await plain.fuel()
      out.refill = await attempt(plain.setFuel(1e12))
      out.refilled = await plain.fuel()
      out.count = await attempt(plain.call('count', 1000))
      out.tooLong = await attempt(plain.call('count', 1_000_000))
      const start = await rw.compile('(module (func $s (loop $l (br $l))) (start $s))')
      out.start = await attempt(rw.instantiate(start, { limits: { fuel: 1e12 } }))
      `,
    )
    assert.equal(out.capabilities.maxFuel, 100_000)
    assert.equal(out.capabilities.maxTimeoutMs, null)
    assert.equal(out.capabilities.maxMemory, null)
    assert.equal(out.fuel, 100_000, 'an instance without limits.fuel is metered with max_fuel')
    assert.equal(out.spin.code, 5011, JSON.stringify(out.spin))
    assert.equal(out.spin.reason, 'fuel')
    assert.ok(out.spin.fuelConsumed <= 100_000, `per-call fuel above the ceiling burnt ${out.spin.fuelConsumed}`)
    assert.equal(out.afterSpin, 0)
    assert.equal(out.refill.ok, true, 'setFuel works on an instance metered by the ceiling')
    assert.equal(out.refilled, 100_000, 'setFuel is clamped to max_fuel')
    assert.equal(out.count.ok, true)
    assert.equal(out.tooLong.reason, 'fuel', 'a loop needing ~9 million units cannot run on a ceiling of 100,000')
    assert.equal(out.start.code, 5011, `an infinite start function under max_fuel: ${JSON.stringify(out.start)}`)
    assert.equal(out.start.reason, 'fuel')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('max_instances: one live instance too many is 5001; dropping one makes room', async () => {
  const dir = appWithManifest('max_instances = 3')
  try {
    const out = await inChild(
      dir,
      `
      out.maxInstances = rw.capabilities().maxInstances
      const loops = await rw.compile(LOOPS)
      const live = []
      for (let i = 0; i < 3; i++) live.push(await rw.instantiate(loops))
      out.fourth = await attempt(rw.instantiate(loops))
      out.fourthWithLimits = await attempt(rw.instantiate(loops, { limits: { fuel: 1000 } }))
      // Failed attempts do not count, and the live ones keep working.
      out.stillWorks = await live[0].call('count', 10)
      await live[1].drop()
      const replacement = await attempt(rw.instantiate(loops))
      out.replacement = replacement.ok
      out.fifth = await attempt(rw.instantiate(loops))
      // An instance that fails to instantiate does not take a place.
      await live[2].drop()
      const bad = await rw.compile(BIG)
      out.failed = await attempt(rw.instantiate(bad, { limits: { maxMemoryBytes: 65536 } }))
      out.afterFailure = (await attempt(rw.instantiate(loops))).ok
      `,
    )
    assert.equal(out.maxInstances, 3)
    for (const [what, outcome] of [['a fourth instance', out.fourth], ['a fourth with limits', out.fourthWithLimits], ['a fourth again', out.fifth]]) {
      assert.equal(outcome.ok, false, `${what}: ${JSON.stringify(outcome)}`)
      assert.equal(outcome.code, 5001, `${what}: ${JSON.stringify(outcome)}`)
      assert.equal(outcome.isWasmError, true)
      assert.match(outcome.message, /max_instances/)
    }
    assert.deepEqual(out.stillWorks, [10])
    assert.equal(out.replacement, true, 'dropping an instance makes room for another')
    assert.equal(out.failed.code, 5001)
    assert.equal(out.afterFailure, true, 'a failed instantiate does not hold a place')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
