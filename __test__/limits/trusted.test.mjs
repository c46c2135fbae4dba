// Trusted modules: compiled without interruption checks, for code the host trusts. Full speed;
// no deadline, abort or fuel can be given to them (each is refused with a clear error, never
// silently ignored); calls start on the pool; drop() waits for a running call.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import rw from '../../index.js'
import { manifest, runChild, withWorld } from '../capabilities/helpers.mjs'
import { fixture, rejectsWith, tempDir } from '../core-helpers.mjs'

const { compile, instantiate, run, ErrorCode } = rw
const CLI = fileURLToPath(new URL('../../bin/runtime-wasm.js', import.meta.url))

const SPIN = `(module
  (import "host" "wait" (func $wait))
  (func (export "spin") (param i32) (result i32) (local i32)
    (loop $again
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "waits") (call $wait)))`

const never = () => new Promise(() => {})

test('a trusted module computes like any other, callSync included', async () => {
  const id = await compile(SPIN, { trusted: true })
  const instance = await instantiate(id, { imports: { host: { wait: () => {} } } })
  assert.deepEqual(await instance.call('spin', 1_000_000), [1_000_000])
  assert.deepEqual(await instance.call('add', 2, 3), [5])
  assert.deepEqual(instance.callSync('add', 4, 5), [9])
  await instance.drop()
})

test('deadlines, fuel and aborts are refused for a trusted module, never ignored', async () => {
  const id = await compile(SPIN, { trusted: true })
  const imports = { host: { wait: () => {} } }
  await rejectsWith(() => instantiate(id, { imports, limits: { fuel: 100 } }), ErrorCode.InstantiateError, 'compiled trusted', 'fuel')
  await rejectsWith(() => instantiate(id, { imports, limits: { timeoutMs: 100 } }), ErrorCode.InstantiateError, 'compiled trusted', 'deadline')
  const instance = await instantiate(id, { imports, limits: { maxMemoryBytes: 1 << 20 } })
  await rejectsWith(() => instance.invoke('spin', [5], { timeoutMs: 100 }), ErrorCode.CallError, 'cannot have a deadline')
  await rejectsWith(() => instance.invoke('spin', [5], { fuel: 100 }), ErrorCode.CallError, 'cannot have fuel')
  await rejectsWith(() => instance.invoke('spin', [5], { signal: new AbortController().signal }), ErrorCode.CallError, 'cannot have an AbortSignal')
  await rejectsWith(() => instance.setFuel(10), ErrorCode.CallError, 'cannot have fuel')
  assert.equal(await instance.fuel(), null)
  assert.deepEqual(await instance.invoke('spin', [5]), [5])
  await instance.drop()
})

test('a long trusted call runs on the pool: the event loop keeps turning', async () => {
  const id = await compile(SPIN, { trusted: true })
  const instance = await instantiate(id, { imports: { host: { wait: () => {} } } })
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  const started = performance.now()
  await instance.call('spin', 2_000_000_000)
  const elapsed = performance.now() - started
  clearInterval(timer)
  if (elapsed > 100) assert.ok(ticks > 0, `no timer fired in ${Math.round(elapsed)} ms`)
  await instance.drop()
})

test('drop() waits for a running trusted call, which ends with its result', async () => {
  const id = await compile(SPIN, { trusted: true })
  const instance = await instantiate(id, { imports: { host: { wait: () => {} } } })
  // About 0.5 s of spinning here; at least 0.1 s on any machine this suite runs on.
  const call = instance.call('spin', 1_500_000_000)
  await new Promise((resolve) => setTimeout(resolve, 20))
  const dropping = performance.now()
  await instance.drop()
  const waited = performance.now() - dropping
  assert.ok(waited > 100, `drop() resolved after ${Math.round(waited)} ms, before the call could end`)
  assert.deepEqual(await call, [1_500_000_000])
  await rejectsWith(() => instance.call('add', 1, 2), ErrorCode.InvalidInstanceHandle)
})

test('a trusted call waiting for the host stops when the instance is dropped', async () => {
  const id = await compile(SPIN, { trusted: true })
  const instance = await instantiate(id, { imports: { host: { wait: never } } })
  const call = instance.call('waits').then(() => null, (error) => error)
  await new Promise((resolve) => setTimeout(resolve, 20))
  await instance.drop()
  assert.equal((await call)?.code, ErrorCode.InvalidInstanceHandle)
})

test('trusted and checked code of the same bytes are separate modules', async () => {
  const imports = { host: { wait: () => {} } }
  const checked = await instantiate(await compile(SPIN), { imports, limits: { timeoutMs: 50 } })
  const trusted = await instantiate(await compile(SPIN, { trusted: true }), { imports })
  await rejectsWith(() => checked.call('spin', 2_000_000_000), ErrorCode.FuelExhausted)
  assert.deepEqual(await trusted.call('spin', 1000), [1000])
  await checked.drop()
  await trusted.drop()
})

test('trusted is a boolean; run() and compileFile take it', async (t) => {
  for (const bad of ['yes', 1, {}]) await assert.rejects(compile(SPIN, { trusted: bad }), TypeError)
  const dir = tempDir(t)
  const file = path.join(dir, 'exit.wat')
  fs.writeFileSync(file, fs.readFileSync(fixture('wasi_exit.wat')))
  const result = await run(file, { trusted: true, args: ['wasi_exit', '3'] })
  assert.equal(typeof result.exitCode, 'number')
  await rejectsWith(() => run(file, { trusted: true, limits: { timeoutMs: 10 } }), ErrorCode.InstantiateError, 'compiled trusted')
})

test('a manifest that sets max_timeout_ms or max_fuel leaves no room for trusted instances', () => {
  withWorld({ manifest: manifest('max_timeout_ms = 1000') }, (world) => {
    const out = runChild(world, `
      const id = await rw.compile('(module (func (export "f")))', { trusted: true })
      out.trusted = await attempt(() => rw.instantiate(id))
      out.checked = await attempt(async () => { await rw.instantiate(await rw.compile('(module (func (export "f")))')); return 'ok' })`)
    assert.equal(out.trusted.code, 5001)
    assert.ok(out.trusted.message.includes("max_timeout_ms"), out.trusted.message)
    assert.deepEqual(out.checked, { ok: true, value: 'ok' })
  })
})

test('runtime-wasm run --trusted; with --fuel or --timeout it is a usage error', (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'exit.wat')
  fs.writeFileSync(file, '(module (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32))) (memory (export "memory") 1) (func (export "_start") (call $e (i32.const 3))))')
  const cli = (...args) => spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8' })
  assert.equal(cli('--trusted', file).status, 3)
  const wrong = cli('--trusted', '--timeout', '10', file)
  assert.equal(wrong.status, 2)
  assert.match(wrong.stderr, /--trusted code cannot be stopped: it takes no --timeout/)
})
