// compileFile under a manifest: only files whose real path matches a `load` pattern load, and
// the bytes compiled are those of the file that was checked. Each attack asserts the 5009,
// that nothing from outside was loaded or leaked, and that nothing outside changed.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'

import {
  ALLOWED_VALUE,
  assertDenied,
  makeWorld,
  manifest,
  outsideSnapshot,
  removeWorld,
  runChild,
  valueModule,
} from './helpers.mjs'

const WASM_ONLY = manifest('load = ["./wasm/*.wasm"]')

// Runs `attempts` (paths) through compileFile in one child; each must be a 5009.
function assertAllDenied(world, attempts, options) {
  const before = outsideSnapshot(world)
  const out = runChild(
    world,
    `out.results = []
     for (const file of ${JSON.stringify(attempts)}) out.results.push({ file, outcome: await load(file) })`,
    options,
  )
  for (const { file, outcome } of out.results) {
    assertDenied(outcome, `compileFile(${JSON.stringify(file)})`)
    assert.ok(outcome.manifest?.endsWith('manifest.app.toml'), 'the error names the manifest')
    assert.ok(outcome.message.includes(JSON.stringify(file)), `the error names the path: ${outcome.message}`)
  }
  assert.deepEqual(outsideSnapshot(world), before, 'nothing changed')
}

test('an allowed file loads, by relative, absolute and doubled-slash paths', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    const out = runChild(
      world,
      `out.relative = await load('./wasm/ok.wasm')
       out.bare = await load('wasm/ok.wasm')
       out.absolute = await load(${JSON.stringify(world.path('app/wasm/ok.wasm'))})
       out.doubled = await load('./wasm//ok.wasm')`,
    )
    for (const outcome of Object.values(out)) assert.deepEqual(outcome, { ok: true, value: ALLOWED_VALUE })
  } finally {
    removeWorld(world)
  }
})

test('denied: ./wasm/../secret.wasm', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    assertAllDenied(world, ['./wasm/../secret.wasm', 'wasm/../../outside/secret.wasm'])
  } finally {
    removeWorld(world)
  }
})

test('denied: a symlink inside ./wasm that points outside', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    world.symlink('../../outside/secret.wasm', 'app/wasm/evil.wasm')
    world.symlink(world.path('outside/secret.wasm'), 'app/wasm/absolute.wasm')
    world.symlink('../secret.wasm', 'app/wasm/sibling.wasm')
    assertAllDenied(world, ['./wasm/evil.wasm', './wasm/absolute.wasm', './wasm/sibling.wasm'])
  } finally {
    removeWorld(world)
  }
})

test('denied: a directory symlink inside ./wasm that points outside', () => {
  const world = makeWorld({ manifest: manifest('load = ["./wasm/**/*.wasm"]') })
  try {
    world.symlink('../../outside', 'app/wasm/plugins')
    assertAllDenied(world, ['./wasm/plugins/secret.wasm'])
  } finally {
    removeWorld(world)
  }
})

test('denied: // in paths', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    assertAllDenied(world, [
      './/wasm//..//secret.wasm',
      `/${world.path('outside/secret.wasm')}`,
      `${world.path('app/wasm')}//..//..//outside//secret.wasm`,
    ])
  } finally {
    removeWorld(world)
  }
})

test('denied: trailing dots and slashes', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    world.write('app/wasm/ok.wasm.', valueModule(2))
    assertAllDenied(world, [
      './wasm/ok.wasm/.',
      './wasm/ok.wasm/..',
      './wasm/ok.wasm/',
      './wasm/.',
      './wasm/..',
      './wasm/ok.wasm.',
      './wasm/missing.wasm/..',
      './wasm/...',
    ])
  } finally {
    removeWorld(world)
  }
})

test('denied: `~` in a compileFile path is not expanded, and ~-patterns hold against escapes', () => {
  const world = makeWorld({ manifest: manifest('load = ["~/plugins/*.wasm"]') })
  try {
    world.write('home/plugins/ok.wasm', valueModule(ALLOWED_VALUE))
    world.symlink('../../outside/secret.wasm', 'home/plugins/evil.wasm')
    world.write('home/secret.wasm', valueModule(2))
    assertAllDenied(world, [
      '~/plugins/ok.wasm',
      '~/secret.wasm',
      `${world.home}/plugins/../secret.wasm`,
      `${world.home}/plugins/evil.wasm`,
    ])
  } finally {
    removeWorld(world)
  }
})

test('denied: globs do not cross path segments or match hidden names', () => {
  const world = makeWorld({ manifest: manifest('load = ["./wasm/*.wasm", "./one/*/x.wasm", "./q/?.wasm"]') })
  try {
    world.write('app/wasm/sub/x.wasm', valueModule(2))
    world.write('app/wasm/.hidden.wasm', valueModule(2))
    world.write('app/one/a/b/x.wasm', valueModule(2))
    world.write('app/q/ab.wasm', valueModule(2))
    world.write('app/q/a/b.wasm', valueModule(2))
    world.write('app/wasm.evil/x.wasm', valueModule(2))
    assertAllDenied(world, [
      './wasm/sub/x.wasm',
      './wasm/.hidden.wasm',
      './one/a/b/x.wasm',
      './q/ab.wasm',
      './q/a/b.wasm',
      './wasm.evil/x.wasm',
    ])
  } finally {
    removeWorld(world)
  }
})

test('`**` crosses segments, but never out of its resolved prefix', () => {
  const world = makeWorld({ manifest: manifest('load = ["./deep/**/*.wasm"]') })
  try {
    world.write('app/deep/a.wasm', valueModule(ALLOWED_VALUE))
    world.write('app/deep/x/y/z.wasm', valueModule(ALLOWED_VALUE))
    world.symlink('../../outside', 'app/deep/x/out')
    const out = runChild(
      world,
      `out.top = await load('./deep/a.wasm')
       out.nested = await load('./deep/x/y/z.wasm')
       out.escape = await load('./deep/x/out/secret.wasm')
       out.dotdot = await load('./deep/x/y/../../../secret.wasm')`,
    )
    assert.deepEqual(out.top, { ok: true, value: ALLOWED_VALUE })
    assert.deepEqual(out.nested, { ok: true, value: ALLOWED_VALUE })
    assertDenied(out.escape)
    assertDenied(out.dotdot)
  } finally {
    removeWorld(world)
  }
})

test('a missing file in an allowed place is an IoError; outside, the same failure is a 5009', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    const out = runChild(
      world,
      `out.inside = await load('./wasm/missing.wasm')
       out.outsideExisting = await load('../outside/secret.wasm')
       out.outsideMissing = await load('../outside/missing.wasm')
       out.nowhere = await load('../nowhere/missing.wasm')`,
    )
    assert.equal(out.inside.code, 5008)
    // Outside, a file that exists and one that does not fail alike: no existence oracle.
    assertDenied(out.outsideExisting)
    assertDenied(out.outsideMissing)
    assertDenied(out.nowhere)
  } finally {
    removeWorld(world)
  }
})

test('denied alike: dangling symlinks in an allowed place, whether their outside target exists or not', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    world.symlink('../../outside/missing.wasm', 'app/wasm/to-missing.wasm')
    world.symlink('../../outside/secret.wasm', 'app/wasm/to-existing.wasm')
    world.symlink('../../outside/secret.wasm/x', 'app/wasm/through-file.wasm')
    world.symlink('to-missing.wasm', 'app/wasm/chain.wasm')
    assertAllDenied(world, ['./wasm/to-missing.wasm', './wasm/to-existing.wasm', './wasm/through-file.wasm', './wasm/chain.wasm'])
  } finally {
    removeWorld(world)
  }
})

test('a symlink that resolves into an allowed place loads (the real path is what counts)', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    world.symlink('wasm/ok.wasm', 'app/alias.wasm')
    const out = runChild(world, `out.alias = await load('./alias.wasm')`)
    assert.deepEqual(out.alias, { ok: true, value: ALLOWED_VALUE })
  } finally {
    removeWorld(world)
  }
})

test('race: a file swapped for a symlink to outside between check and read never yields the outside bytes', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    world.write('app/staging/allowed.wasm', valueModule(ALLOWED_VALUE))
    world.write('app/wasm/race.wasm', valueModule(ALLOWED_VALUE))
    const before = outsideSnapshot(world, [world.path('app/wasm'), world.path('app/staging')])
    const swapper = `
      const { workerData } = require('node:worker_threads')
      const fs = require('node:fs')
      const { flag, target, allowed, outside } = workerData
      const stop = new Int32Array(flag)
      for (let i = 0; i < 200000 && Atomics.load(stop, 0) === 0; i++) {
        const tmp = target + '.tmp'
        try { fs.rmSync(tmp, { force: true }) } catch {}
        if (i % 2 === 0) fs.symlinkSync(outside, tmp)
        else fs.linkSync(allowed, tmp)
        fs.renameSync(tmp, target)
      }`
    const out = runChild(
      world,
      `const { Worker } = await import('node:worker_threads')
       const flag = new SharedArrayBuffer(4)
       const worker = new Worker(${JSON.stringify(swapper)}, { eval: true, workerData: {
         flag,
         target: ${JSON.stringify(world.path('app/wasm/race.wasm'))},
         allowed: ${JSON.stringify(world.path('app/staging/allowed.wasm'))},
         outside: ${JSON.stringify(world.path('outside/secret.wasm'))},
       } })
       const done = new Promise((resolve) => worker.on('exit', resolve))
       out.values = {}
       out.codes = {}
       for (let i = 0; i < 300; i++) {
         const outcome = await load('./wasm/race.wasm')
         if (outcome.ok) out.values[outcome.value] = (out.values[outcome.value] ?? 0) + 1
         else out.codes[outcome.code] = (out.codes[outcome.code] ?? 0) + 1
       }
       Atomics.store(new Int32Array(flag), 0, 1)
       await done
       fs.rmSync(${JSON.stringify(world.path('app/wasm/race.wasm'))}, { force: true })
       fs.copyFileSync(${JSON.stringify(world.path('app/staging/allowed.wasm'))}, ${JSON.stringify(world.path('app/wasm/race.wasm'))})
       out.after = await load('./wasm/race.wasm')`,
      { timeout: 120_000 },
    )
    const loaded = Object.entries(out.values)
    const denied = Object.entries(out.codes)
    assert.equal(
      [...loaded, ...denied].reduce((sum, [, n]) => sum + n, 0),
      300,
      `every attempt either loaded or was denied: ${JSON.stringify(out)}`,
    )
    for (const [value] of loaded) assert.equal(Number(value), ALLOWED_VALUE, `only the allowed module ever loaded: ${JSON.stringify(out)}`)
    for (const [code] of denied) assert.equal(Number(code), 5009, `failures are denials: ${JSON.stringify(out)}`)
    assert.deepEqual(out.after, { ok: true, value: ALLOWED_VALUE })
    assert.deepEqual(outsideSnapshot(world, [world.path('app/wasm'), world.path('app/staging')]), before)
  } finally {
    removeWorld(world)
  }
})

test('compile(bytes) is not gated by load', () => {
  const world = makeWorld({ manifest: manifest('load = []') })
  try {
    const out = runChild(
      world,
      `out.bytes = await attempt(async () => {
         const id = await rw.compile(fs.readFileSync('./secret.wasm', 'utf8'))
         const [value] = await (await rw.instantiate(id)).call('value')
         return value
       })
       out.file = await load('./secret.wasm')`,
    )
    assert.deepEqual(out.bytes, { ok: true, value: 2 })
    assertDenied(out.file)
  } finally {
    removeWorld(world)
  }
})

test('relative load entries resolve against the manifest directory, not the current directory', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    world.write('outside/wasm/ok.wasm', valueModule(2))
    const out = runChild(
      world,
      `rw.configure({ manifest: ${JSON.stringify(path.join(world.app, 'manifest.app.toml'))} })
       out.capabilities = rw.capabilities()
       out.cwdRelative = await load('./wasm/ok.wasm')
       out.appFile = await load(${JSON.stringify(world.path('app/wasm/ok.wasm'))})`,
      { cwd: world.outside },
    )
    assert.deepEqual(out.capabilities.load, [`${world.app}/wasm/*.wasm`])
    assertDenied(out.cwdRelative)
    assert.deepEqual(out.appFile, { ok: true, value: ALLOWED_VALUE })
  } finally {
    removeWorld(world)
  }
})
