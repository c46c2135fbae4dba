// instantiate under a manifest: a host directory may be preopened only if its real path is, or
// lies inside, a declared directory; `preopens_readonly` directories only read-only. Each
// denial asserts the 5009 and that nothing outside was touched.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { assertDenied, makeWorld, manifest, outsideSnapshot, removeWorld, runChild } from './helpers.mjs'

const DATA_ONLY = manifest('preopens = ["./data"]')

// Tries each preopen (guest "/sandbox" -> host entry) in one child; returns the outcomes.
function tryPreopens(world, entries, options) {
  return runChild(
    world,
    `out.results = []
     for (const host of ${JSON.stringify(entries)}) {
       out.results.push(await attempt(async () => {
         const guest = await sandbox({ '/sandbox': host })
         const seen = await guest.read('inside.txt')
         await guest.instance.drop()
         return seen
       }))
     }`,
    options,
  ).results
}

function assertAllDenied(world, entries, options) {
  const before = outsideSnapshot(world)
  const results = tryPreopens(world, entries, options)
  results.forEach((outcome, index) => {
    const host = typeof entries[index] === 'string' ? entries[index] : entries[index].path
    assertDenied(outcome, `preopen ${JSON.stringify(host)}`)
    assert.ok(outcome.message.includes(JSON.stringify(host)), `the error names the host path: ${outcome.message}`)
    assert.ok(outcome.manifest?.endsWith('manifest.app.toml'), 'the error names the manifest')
  })
  assert.deepEqual(outsideSnapshot(world), before, 'nothing changed')
}

test('an allowed directory and a nested directory inside it can be preopened', () => {
  const world = makeWorld({ manifest: DATA_ONLY })
  try {
    world.write('app/data/nested/deeper/inside.txt', 'nested-data')
    const out = runChild(
      world,
      `const top = await sandbox({ '/sandbox': './data' })
       out.top = await top.read('inside.txt')
       out.written = await top.write('new.txt', 'written-by-guest')
       const nested = await sandbox({ '/n': './data/nested/deeper' })
       out.nested = await nested.read('inside.txt')
       const absolute = await sandbox({ '/a': ${JSON.stringify(world.path('app/data'))} })
       out.absolute = await absolute.read('inside.txt')`,
    )
    assert.deepEqual(out.top, { result: 11, text: 'inside-data' })
    assert.equal(out.written, 16)
    assert.deepEqual(out.nested, { result: 11, text: 'nested-data' })
    assert.deepEqual(out.absolute, { result: 11, text: 'inside-data' })
  } finally {
    removeWorld(world)
  }
})

test('denied: preopens outside the declared directories', () => {
  const world = makeWorld({ manifest: DATA_ONLY })
  try {
    world.write('app/data2/inside.txt', 'sibling with a shared prefix')
    world.write('outside/inside.txt', 'outside')
    assertAllDenied(world, ['.', '..', './data/..', './data2', world.outside, '/', './data/../../outside', '//'])
  } finally {
    removeWorld(world)
  }
})

test('denied: a preopen that is a symlink to outside, directly or inside an allowed directory', () => {
  const world = makeWorld({ manifest: DATA_ONLY })
  try {
    world.write('outside/inside.txt', 'outside')
    world.symlink('../../outside', 'app/data/link')
    world.symlink(world.outside, 'app/data/absolute-link')
    assertAllDenied(world, ['./data/link', './data/absolute-link', './data/link/.'])
  } finally {
    removeWorld(world)
  }
})

test('denied: a missing directory outside is a 5009, not a "does not exist"', () => {
  const world = makeWorld({ manifest: DATA_ONLY })
  try {
    const results = tryPreopens(world, ['../outside/missing', './data/missing'])
    assertDenied(results[0])
    assert.equal(results[1].code, 5010, 'a missing directory inside an allowed one is a WASI config error')
  } finally {
    removeWorld(world)
  }
})

test('denied: a preopens_readonly directory preopened read-write; allowed read-only', () => {
  const world = makeWorld({ manifest: manifest('preopens_readonly = ["./config"]') })
  try {
    world.write('app/config/inside.txt', 'config-data')
    world.write('app/config/sub/inside.txt', 'config-sub')
    assertAllDenied(world, ['./config', './config/sub', { path: './config', readonly: false }])
    const results = tryPreopens(world, [{ path: './config', readonly: true }, { path: './config/sub', readonly: true }])
    assert.deepEqual(results[0], { ok: true, value: { result: 11, text: 'config-data' } })
    assert.deepEqual(results[1], { ok: true, value: { result: 10, text: 'config-sub' } })
  } finally {
    removeWorld(world)
  }
})

test('denied: a read-write preopen that contains a read-only directory', () => {
  const world = makeWorld({ manifest: manifest('preopens = ["./data"]', 'preopens_readonly = ["./data/config"]') })
  try {
    world.write('app/data/config/inside.txt', 'config-data')
    assertAllDenied(world, ['./data', './data/config'])
    const results = tryPreopens(world, [{ path: './data', readonly: true }, { path: './data/config', readonly: true }])
    assert.equal(results[0].ok, true)
    assert.deepEqual(results[1], { ok: true, value: { result: 11, text: 'config-data' } })
  } finally {
    removeWorld(world)
  }
})

test('the preopen object form is strict: a misspelt key is an error, never a read-write preopen', () => {
  const world = makeWorld({ manifest: manifest('preopens = ["./data"]') })
  try {
    const results = tryPreopens(world, [
      { path: './data', readOnly: true },
      { path: './data', readonly: 'yes' },
      { readonly: true },
      { path: 42 },
    ])
    for (const outcome of results) {
      assert.equal(outcome.ok, false)
      assert.equal(outcome.code, 5010, JSON.stringify(outcome))
    }
  } finally {
    removeWorld(world)
  }
})

test('race: a preopen swapped for a symlink to outside is denied or gets the checked directory', () => {
  const world = makeWorld({ manifest: DATA_ONLY })
  try {
    world.write('app/data/real/inside.txt', 'inside-data')
    world.write('outside/dir/inside.txt', 'outside')
    world.symlink(world.path('app/data/real'), 'app/data/swap')
    const before = outsideSnapshot(world, [world.path('app/data')])
    const swapper = `
      const { workerData } = require('node:worker_threads')
      const fs = require('node:fs')
      const { flag, target, real, outside } = workerData
      const stop = new Int32Array(flag)
      for (let i = 0; i < 200000 && Atomics.load(stop, 0) === 0; i++) {
        const tmp = target + '.tmp'
        try { fs.rmSync(tmp, { force: true }) } catch {}
        fs.symlinkSync(i % 2 === 0 ? outside : real, tmp)
        fs.renameSync(tmp, target)
      }`
    const out = runChild(
      world,
      `const { Worker } = await import('node:worker_threads')
       const flag = new SharedArrayBuffer(4)
       const worker = new Worker(${JSON.stringify(swapper)}, { eval: true, workerData: {
         flag,
         target: ${JSON.stringify(world.path('app/data/swap'))},
         real: ${JSON.stringify(world.path('app/data/real'))},
         outside: ${JSON.stringify(world.path('outside/dir'))},
       } })
       const done = new Promise((resolve) => worker.on('exit', resolve))
       out.seen = {}
       out.codes = {}
       for (let i = 0; i < 150; i++) {
         const outcome = await attempt(async () => {
           const guest = await sandbox({ '/sandbox': './data/swap' })
           const { text } = await guest.read('inside.txt')
           await guest.instance.drop()
           return text
         })
         if (outcome.ok) out.seen[outcome.value] = (out.seen[outcome.value] ?? 0) + 1
         else out.codes[outcome.code] = (out.codes[outcome.code] ?? 0) + 1
       }
       Atomics.store(new Int32Array(flag), 0, 1)
       await done`,
      { timeout: 120_000 },
    )
    for (const text of Object.keys(out.seen)) assert.equal(text, 'inside-data', JSON.stringify(out))
    for (const code of Object.keys(out.codes)) assert.equal(Number(code), 5009, JSON.stringify(out))
    assert.deepEqual(outsideSnapshot(world, [world.path('app/data')]), before)
  } finally {
    removeWorld(world)
  }
})
