// The compiled-code cache as a managed thing: a size cap kept by removing the least recently
// used files, cacheInfo / pruneCache / clearCache, and the CLI's `cache` and `compile`.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import rw from '../index.js'
import { tempDir } from './core-helpers.mjs'

const CLI = fileURLToPath(new URL('../bin/runtime-wasm.js', import.meta.url))
const { compile, dropModule, cacheInfo, pruneCache, clearCache, configure } = rw

// A module of its own for each n, so each makes its own cache file.
const moduleText = (n) => `(module (func (export "f") (result i32) i32.const ${n}))`

async function compileAndDrop(n) {
  await dropModule(await compile(moduleText(n)))
}

test('cacheInfo lists the files least recently used first; a load makes a file the most recent', async (t) => {
  const dir = tempDir(t)
  configure({ cacheDir: path.join(dir, 'cache'), tieringMinBytes: Infinity })
  await compileAndDrop(1)
  await compileAndDrop(2)
  let info = cacheInfo()
  assert.equal(info.dir, path.join(dir, 'cache'))
  assert.equal(info.entries.length, 2)
  assert.equal(info.totalBytes, info.entries[0].bytes + info.entries[1].bytes)
  assert.equal(info.maxBytes, 2 ** 31)
  const [first, second] = info.entries
  assert.ok(first.lastUsed <= second.lastUsed)
  assert.match(first.file, /^[0-9a-f]{64}\.rwc$/)
  // Loading the older file (from disk: nothing keeps module 1 alive) makes it the newest.
  await new Promise((resolve) => setTimeout(resolve, 20))
  await compileAndDrop(1)
  info = cacheInfo()
  assert.equal(info.entries[1].file, first.file)
})

test('the cap removes the least recently used files as new ones are written', async (t) => {
  const dir = tempDir(t)
  configure({ cacheDir: path.join(dir, 'capped'), tieringMinBytes: Infinity, cacheMaxBytes: 2 ** 31 })
  await compileAndDrop(10)
  const one = cacheInfo().entries[0].bytes
  // Room for two files (they are all about the same size), not three.
  configure({ cacheMaxBytes: Math.floor(one * 2.5) })
  await new Promise((resolve) => setTimeout(resolve, 20))
  await compileAndDrop(11)
  await new Promise((resolve) => setTimeout(resolve, 20))
  await compileAndDrop(12)
  const info = cacheInfo()
  assert.equal(info.entries.length, 2)
  assert.ok(info.totalBytes <= info.maxBytes)
  // Module 10 was the least recently used: it is gone, and compiles again.
  const before = info.entries.map((e) => e.file)
  await compileAndDrop(10)
  assert.equal(cacheInfo().entries.length, 2)
  assert.ok(!before.includes(cacheInfo().entries[1].file), 'module 10 was written anew')
  configure({ cacheMaxBytes: 2 ** 31 })
})

test('pruneCache and clearCache; bad sizes are TypeErrors', async (t) => {
  const dir = tempDir(t)
  configure({ cacheDir: path.join(dir, 'pruned'), tieringMinBytes: Infinity })
  for (const n of [20, 21, 22]) await compileAndDrop(n)
  const total = cacheInfo().totalBytes
  const kept = pruneCache(total)
  assert.deepEqual(kept, { removed: 0, freedBytes: 0, keptBytes: total })
  const pruned = pruneCache(1)
  assert.equal(pruned.removed, 3)
  assert.equal(pruned.freedBytes, total)
  for (const n of [23, 24]) await compileAndDrop(n)
  assert.equal(clearCache().removed, 2)
  assert.deepEqual(cacheInfo().entries, [])
  for (const bad of [-1, 1.5, '10', NaN]) assert.throws(() => pruneCache(bad), TypeError)
  for (const bad of [-1, 1.5, '10', Infinity]) assert.throws(() => configure({ cacheMaxBytes: bad }), TypeError)
  // Files that are not the cache's own are left alone.
  fs.writeFileSync(path.join(dir, 'pruned', 'notes.txt'), 'mine')
  clearCache()
  assert.equal(fs.readFileSync(path.join(dir, 'pruned', 'notes.txt'), 'utf8'), 'mine')
})

test('with the cache off, cacheInfo says so and pruning removes nothing', () => {
  const out = spawnSync(process.execPath, ['-e', `
    const rw = require(${JSON.stringify(fileURLToPath(new URL('../index.js', import.meta.url)))})
    console.log(JSON.stringify([rw.cacheInfo(), rw.clearCache()]))`], { encoding: 'utf8', env: { ...process.env, RUNTIME_WASM_CACHE: 'off' } })
  assert.equal(out.status, 0, out.stderr)
  const [info, cleared] = JSON.parse(out.stdout)
  assert.equal(info.dir, null)
  assert.deepEqual(info.entries, [])
  assert.equal(cleared.removed, 0)
})

test('runtime-wasm compile fills the cache ahead; runtime-wasm cache lists, prunes and clears it', (t) => {
  const dir = tempDir(t)
  const env = { ...process.env, RUNTIME_WASM_CACHE_DIR: path.join(dir, 'cli-cache'), RUNTIME_WASM_CACHE_KEY_DIR: path.join(dir, 'key') }
  const cli = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env })
  const a = path.join(dir, 'a.wat')
  const b = path.join(dir, 'b.wat')
  fs.writeFileSync(a, moduleText(30))
  fs.writeFileSync(b, moduleText(31))
  const compiled = cli('compile', a, b, path.join(dir, 'missing.wasm'))
  assert.equal(compiled.status, 126, compiled.stderr)
  assert.match(compiled.stdout, /a\.wat: optimized code cached in/)
  assert.match(compiled.stdout, /b\.wat: optimized code cached in/)
  assert.match(compiled.stderr, /missing\.wasm: cannot read module file/)
  const listed = JSON.parse(cli('cache', 'list', '--json').stdout)
  assert.equal(listed.entries.length, 2)
  assert.equal(listed.dir, path.join(dir, 'cli-cache'))
  const text = cli('cache')
  assert.equal(text.status, 0)
  assert.match(text.stdout, /2 file\(s\), .* of 2 GiB/)
  const pruned = JSON.parse(cli('cache', 'prune', '--max-size', '1B', '--json').stdout)
  assert.equal(pruned.removed, 2)
  assert.equal(cli('compile', a).status, 0)
  assert.match(cli('cache', 'clear').stdout, /removed 1 file/)
  const wrong = cli('cache', 'shrink')
  assert.equal(wrong.status, 2)
  assert.match(wrong.stderr, /unknown cache action "shrink"/)
  assert.equal(cli('cache', 'list', '--max-size', '1B').status, 2)
  assert.equal(cli('compile').status, 2)
})

test('compile({ fuel: true }) compiles the fuel-metered code up front (its own cache file)', async (t) => {
  const dir = tempDir(t)
  configure({ cacheDir: path.join(dir, 'metered'), tieringMinBytes: Infinity })
  const id = await compile(moduleText(40), { fuel: true })
  assert.equal(cacheInfo().entries.length, 2, 'plain and metered code, both compiled by compile()')
  const instance = await rw.instantiate(id, { limits: { fuel: 1000 } })
  assert.deepEqual(await instance.call('f'), [40])
  await instance.drop()
  await dropModule(id)
  await dropModule(await compile(moduleText(41)))
  assert.equal(cacheInfo().entries.length, 3, 'without it, only the plain code')
  await assert.rejects(compile(moduleText(42), { fuel: 'yes' }), TypeError)
  await assert.rejects(compile(moduleText(42), { fuel: true, trusted: true }), (e) => e.code === 5000 && /exclude each other/.test(e.message))
})
