// Tiered compilation: a large module starts on baseline code (Winch) while a helper process
// compiles the optimized code (Cranelift) in the background and writes it to the cache; later
// instances get it. Here every module counts as large (tieringMinBytes: 0); the setting is
// process-wide, and each test file runs in its own process.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import rw from '../index.js'
import { fixture, rejectsWith, tempDir } from './core-helpers.mjs'
import { manyFunctions } from './limits/compile-bomb.mjs'

const { compile, instantiate, dropModule, moduleTier, whenOptimized, run, configure, ErrorCode } = rw
const PACKAGE = fileURLToPath(new URL('../index.js', import.meta.url))

configure({ tieringMinBytes: 0, cache: false })

// Each test compiles its own module (an extra global makes it unique), so that none is served
// by a module another test made.
let serial = 0
const unique = (wat) => `${wat.slice(0, -1)} (global i32 (i32.const ${++serial})))`

const SPIN = `(module
  (func (export "spin") (param i32) (result i32) (local i32)
    (loop $again
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "forever") (loop $again (br $again))))`

test('a large module starts on baseline code, then new instances get optimized code', async () => {
  const id = await compile(unique(SPIN))
  assert.equal(moduleTier(id), 'baseline')
  const early = await instantiate(id)
  assert.deepEqual(await early.call('spin', 1000), [1000])
  assert.equal(await whenOptimized(id), true)
  assert.equal(moduleTier(id), 'optimized')
  const late = await instantiate(id)
  assert.deepEqual(await late.call('spin', 1000), [1000])
  // The early instance keeps its baseline code, and works as before.
  assert.deepEqual(await early.call('spin', 2000), [2000])
  await early.drop()
  await late.drop()
  await dropModule(id)
})

test('limits hold on baseline code: deadlines, aborts, fuel', async () => {
  const id = await compile(unique(SPIN))
  assert.equal(moduleTier(id), 'baseline')
  const timed = await instantiate(id, { limits: { timeoutMs: 100 } })
  await rejectsWith(() => timed.call('forever'), ErrorCode.FuelExhausted)
  const aborted = new AbortController()
  setTimeout(() => aborted.abort(), 50)
  await assert.rejects(timed.invoke('forever', [], { signal: aborted.signal, timeoutMs: 60_000 }), { name: 'AbortError' })
  // The metered code of a large module is tiered too: no full optimizing compile up front.
  const metered = await instantiate(id, { limits: { fuel: 10_000 } })
  const error = await metered.call('spin', 1_000_000_000).then(() => null, (e) => e)
  assert.equal(error?.code, ErrorCode.FuelExhausted)
  assert.equal(error.reason, 'fuel')
  await timed.drop()
  await metered.drop()
  await whenOptimized(id)
})

test('host functions and WASI work on baseline code', async () => {
  const id = await compile(unique(`(module
    (import "host" "twice" (func $twice (param i32) (result i32)))
    (func (export "go") (param i32) (result i32) (call $twice (local.get 0))))`))
  assert.equal(moduleTier(id), 'baseline')
  const instance = await instantiate(id, { imports: { host: { twice: async (n) => n * 2 } } })
  assert.deepEqual(await instance.call('go', 21), [42])
  await instance.drop()
  const result = await run(fixture('wasi_exit.wat'), { args: ['wasi_exit', '7'] })
  assert.equal(typeof result.exitCode, 'number')
  await whenOptimized(id)
})

test('a module Winch cannot compile (tail calls) gets optimized code at once', async () => {
  const id = await compile(unique(`(module
    (func $loop (export "count") (param i32) (result i32)
      (if (result i32) (i32.eqz (local.get 0))
        (then (i32.const 0))
        (else (return_call $loop (i32.sub (local.get 0) (i32.const 1)))))))`))
  assert.equal(moduleTier(id), 'optimized')
  assert.equal(await whenOptimized(id), true)
  const instance = await instantiate(id)
  assert.deepEqual(await instance.call('count', 100_000), [0])
  await instance.drop()
})

test('an invalid module fails the same way whether or not it is tiered', async () => {
  const invalid = '(module (func (result i32)))'
  const tiered = await compile(invalid).then(() => null, (e) => e)
  configure({ tieringMinBytes: Infinity })
  const untiered = await compile(invalid).then(() => null, (e) => e)
  configure({ tieringMinBytes: 0 })
  assert.equal(tiered.code, ErrorCode.CompileError)
  assert.equal(tiered.message, untiered.message)
})

test('tieringMinBytes: below it a module is optimized at once; Infinity turns tiering off', async () => {
  configure({ tieringMinBytes: 1 << 20 })
  const small = await compile(unique(SPIN))
  assert.equal(moduleTier(small), 'optimized')
  configure({ tieringMinBytes: Infinity })
  const off = await compile(manyFunctions(10))
  assert.equal(moduleTier(off), 'optimized')
  configure({ tieringMinBytes: 0 })
  for (const bad of [-1, 1.5, '1', NaN, null]) {
    assert.throws(() => configure({ tieringMinBytes: bad }), TypeError, String(bad))
  }
})

test('moduleTier and whenOptimized check their module id', async () => {
  assert.throws(() => moduleTier('module:999999'), (e) => e.code === ErrorCode.InvalidModuleHandle)
  await rejectsWith(() => whenOptimized('module:999999'), ErrorCode.InvalidModuleHandle)
  await rejectsWith(() => whenOptimized(42), ErrorCode.InvalidModuleHandle)
})

test('dropping a module while its optimized code compiles is safe', async () => {
  const id = await compile(manyFunctions(5000, 4))
  assert.equal(moduleTier(id), 'baseline')
  await dropModule(id)
  const again = await compile(unique(SPIN))
  const instance = await instantiate(again)
  assert.deepEqual(await instance.call('spin', 10), [10])
  await instance.drop()
})

test('the helper writes the optimized code to the cache: the next process starts on it', (t) => {
  const dir = tempDir(t)
  const cacheDir = path.join(dir, 'cache')
  const script = path.join(dir, 'child.cjs')
  fs.writeFileSync(script, `
    const rw = require(${JSON.stringify(PACKAGE)})
    rw.configure({ tieringMinBytes: 0, cacheDir: ${JSON.stringify(cacheDir)} })
    ;(async () => {
      const id = await rw.compile(${JSON.stringify(unique(SPIN))})
      const tier = rw.moduleTier(id)
      const optimized = process.argv[2] === 'wait' ? await rw.whenOptimized(id) : null
      const instance = await rw.instantiate(id)
      const [n] = await instance.call('spin', 5)
      console.log(JSON.stringify({ tier, optimized, n, origin: require(${JSON.stringify(path.join(path.dirname(PACKAGE), 'lib/native.js'))}).moduleOrigin(id) }))
    })()`)
  const child = (...args) => {
    const out = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, RUNTIME_WASM_CACHE_KEY_DIR: path.join(dir, 'key') } })
    assert.equal(out.status, 0, out.stderr)
    return JSON.parse(out.stdout)
  }
  assert.deepEqual(child('wait'), { tier: 'baseline', optimized: true, n: 5, origin: 'compiled' })
  assert.deepEqual(child(), { tier: 'optimized', optimized: null, n: 5, origin: 'disk' })
})

test('the helper finishes filling the cache after the process that started it exits', async (t) => {
  const dir = tempDir(t)
  const cacheDir = path.join(dir, 'cache')
  const source = unique(SPIN)
  const script = path.join(dir, 'child.cjs')
  fs.writeFileSync(script, `
    const rw = require(${JSON.stringify(PACKAGE)})
    rw.configure({ tieringMinBytes: 0, cacheDir: ${JSON.stringify(cacheDir)} })
    rw.compile(${JSON.stringify(source)}).then((id) => {
      console.log(rw.moduleTier(id))
      process.exit(0)
    })`)
  const env = { ...process.env, RUNTIME_WASM_CACHE_KEY_DIR: path.join(dir, 'key') }
  const first = spawnSync(process.execPath, [script], { encoding: 'utf8', env })
  assert.equal(first.stdout.trim(), 'baseline', first.stderr)
  const cached = () => fs.existsSync(cacheDir) && fs.readdirSync(cacheDir).some((name) => name.endsWith('.rwc'))
  for (let waited = 0; !cached() && waited < 60_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.ok(cached(), 'the optimized code reached the cache')
  // Nothing else is left in the cache directory: the staged source was removed.
  assert.deepEqual(fs.readdirSync(cacheDir).filter((name) => !name.endsWith('.rwc')), [])
  const second = spawnSync(process.execPath, [script], { encoding: 'utf8', env })
  assert.equal(second.stdout.trim(), 'optimized', second.stderr)
})

test('a time budget bounds the baseline compile too', async () => {
  const error = await compile(manyFunctions(100_000), { limits: { timeoutMs: 100 } }).then(() => null, (e) => e)
  assert.equal(error?.code, ErrorCode.CompileError)
  assert.equal(error.limit, 'timeoutMs')
})

test('a trusted module is tiered too, and its optimized code is trusted code', async () => {
  const id = await compile(unique(SPIN), { trusted: true })
  assert.equal(moduleTier(id), 'baseline')
  const early = await instantiate(id)
  assert.deepEqual(await early.call('spin', 1000), [1000])
  assert.equal(await whenOptimized(id), true)
  const late = await instantiate(id)
  assert.deepEqual(await late.call('spin', 1000), [1000])
  await rejectsWith(() => instantiate(id, { limits: { timeoutMs: 10 } }), ErrorCode.InstantiateError, 'compiled trusted')
  await early.drop()
  await late.drop()
})
