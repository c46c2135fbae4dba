// Core dumps on trap: instantiate({ coredumpOnTrap: path }) writes a standard wasm core dump
// (a wasm binary with `core` and `corestack` sections and the memories) when a call traps, and
// the error names it. Never into a preopen, never over an existing file or through a symlink.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import rw from '../index.js'
import { fixture, tempDir } from './core-helpers.mjs'

const { compile, instantiate, run, ErrorCode } = rw
const CLI = fileURLToPath(new URL('../bin/runtime-wasm.js', import.meta.url))

// Writes a marker into memory, then traps.
const MARKED = `(module (memory (export "memory") 1)
  (func (export "crash")
    (i64.store (i32.const 4096) (i64.const 0x2144554f4c4f4f43))
    unreachable)
  (func (export "fine") (result i32) (i32.const 7)))`

function parsedDump(file) {
  const bytes = fs.readFileSync(file)
  const module = new WebAssembly.Module(bytes)
  return { bytes, sections: (name) => WebAssembly.Module.customSections(module, name).length }
}

test('a trapping call writes a core dump holding the stack and the memory; the error names it', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'crash.core')
  const instance = await instantiate(await compile(MARKED), { coredumpOnTrap: file })
  assert.deepEqual(await instance.call('fine'), [7])
  assert.equal(fs.existsSync(file), false, 'nothing is written without a trap')
  const error = await instance.call('crash').then(() => null, (e) => e)
  assert.equal(error?.code, ErrorCode.CallError)
  assert.equal(error.coredump, file)
  assert.match(error.message.split('\n')[0], new RegExp(`\\(core dump written to ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`))
  const dump = parsedDump(file)
  assert.equal(dump.sections('core'), 1)
  assert.equal(dump.sections('corestack'), 1)
  assert.ok(dump.bytes.includes(Buffer.from('COOLOUD!')), 'the memory is in the dump')
  assert.equal(fs.statSync(file).mode & 0o777, 0o600)
  await instance.drop()
})

test('an existing file is never overwritten; the error says the dump was not written', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'taken.core')
  fs.writeFileSync(file, 'mine')
  const instance = await instantiate(await compile(MARKED), { coredumpOnTrap: file })
  const error = await instance.call('crash').then(() => null, (e) => e)
  assert.equal(error?.coredump, undefined)
  assert.match(error.message.split('\n')[0], /core dump not written to .*taken\.core: File exists/)
  assert.equal(fs.readFileSync(file, 'utf8'), 'mine')
  // Nor through a symlink that points elsewhere.
  const link = path.join(dir, 'link.core')
  fs.symlinkSync(path.join(dir, 'elsewhere.core'), link)
  const linked = await instantiate(await compile(MARKED), { coredumpOnTrap: link })
  await linked.call('crash').then(() => null, (e) => e)
  assert.equal(fs.existsSync(path.join(dir, 'elsewhere.core')), false)
  await instance.drop()
  await linked.drop()
})

test('a core dump is never written where the guest can reach it: in a preopen it is a 5010', async (t) => {
  const dir = tempDir(t)
  const sandbox = path.join(dir, 'sandbox')
  fs.mkdirSync(path.join(sandbox, 'deeper'), { recursive: true })
  const id = await compile(MARKED)
  for (const inside of [path.join(sandbox, 'x.core'), path.join(sandbox, 'deeper', 'x.core')]) {
    const error = await instantiate(id, { preopens: { '/data': sandbox }, coredumpOnTrap: inside }).then(() => null, (e) => e)
    assert.equal(error?.code, ErrorCode.WasiError, inside)
    assert.match(error.message, /lies in the preopened directory/)
  }
  // Through a symlinked directory too.
  fs.symlinkSync(sandbox, path.join(dir, 'alias'))
  const aliased = await instantiate(id, { preopens: { '/data': sandbox }, coredumpOnTrap: path.join(dir, 'alias', 'x.core') }).then(() => null, (e) => e)
  assert.equal(aliased?.code, ErrorCode.WasiError)
  for (const bad of ['', 5, path.join(dir, 'missing-dir', 'x.core')]) {
    const error = await instantiate(id, { coredumpOnTrap: bad }).then(() => null, (e) => e)
    assert.equal(error?.code, ErrorCode.WasiError, String(bad))
  }
})

test('the directory is the one checked at instantiate: swapping its path for a symlink into a preopen changes nothing', async (t) => {
  const dir = tempDir(t)
  const sandbox = path.join(dir, 'sandbox')
  const dumps = path.join(dir, 'dumps')
  fs.mkdirSync(sandbox)
  fs.mkdirSync(dumps)
  const instance = await instantiate(await compile(MARKED), { preopens: { '/data': sandbox }, coredumpOnTrap: path.join(dumps, 'x.core') })
  fs.renameSync(dumps, path.join(dir, 'dumps.old'))
  fs.symlinkSync(sandbox, dumps)
  const error = await instance.call('crash').then(() => null, (e) => e)
  assert.equal(fs.existsSync(path.join(sandbox, 'x.core')), false, 'nothing reached the preopen')
  assert.equal(fs.existsSync(path.join(dir, 'dumps.old', 'x.core')), true, 'written in the directory that was checked')
  assert.ok(error.coredump.endsWith('x.core'))
  await instance.drop()
})

test('run() and runtime-wasm run --coredump-on-trap write it for a real C program', async (t) => {
  const dir = tempDir(t)
  const viaRun = path.join(dir, 'run.core')
  const error = await run(fixture('debug/trap.wasm'), { args: ['trap', '0'], coredumpOnTrap: viaRun }).then(() => null, (e) => e)
  assert.equal(error?.coredump, viaRun)
  assert.equal(parsedDump(viaRun).sections('corestack'), 1)
  const viaCli = path.join(dir, 'cli.core')
  const out = spawnSync(process.execPath, [CLI, 'run', '--coredump-on-trap', viaCli, fixture('debug/trap.wasm'), '0'], { encoding: 'utf8' })
  assert.equal(out.status, 134, out.stderr)
  assert.match(out.stderr, /core dump written to .*cli\.core/)
  assert.equal(parsedDump(viaCli).sections('core'), 1)
})
