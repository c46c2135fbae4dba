// WASI: exit statuses, args, env, preopens and standard streams reach (or don't reach) the program.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'

import { compile, compileFile, instantiate, WasmError } from '../index.mjs'
import { coreFixture, fixture, fromFixture, rejectsWith, tempDir } from './core-helpers.mjs'

const envModule = compileFile(fixture('wasi_env.wat'))
const fileModule = compileFile(fixture('wasi_file.wat'))

/** Runs `_start` and returns its exit status: 0 when it resolves [], else err.exitCode. */
async function exitStatus(instance) {
  try {
    assert.deepEqual(await instance.call('_start'), [])
    return 0
  } catch (error) {
    assert.ok(error instanceof WasmError, String(error))
    assert.equal(error.code, 5002, error.message)
    assert.equal(typeof error.exitCode, 'number', `not an exit: ${error.message}`)
    return error.exitCode
  } finally {
    await instance.drop()
  }
}

test('_start that returns resolves []', async () => {
  const instance = await fromFixture('wasi_exit.wat')
  assert.deepEqual(await instance.call('_start'), [])
  await instance.drop()
})

test('proc_exit(0) resolves []', async () => {
  const instance = await fromFixture('wasi_exit.wat')
  assert.deepEqual(await instance.call('exit_with', 0), [])
  await instance.drop()
})

test('proc_exit(3) rejects with 5002 and exitCode 3', async () => {
  const instance = await fromFixture('wasi_exit.wat')
  const error = await rejectsWith(() => instance.call('exit_with', 3), 5002, '3')
  assert.equal(error.exitCode, 3)
  assert.equal(error.trap, undefined, 'an exit is not a trap')
  const other = await rejectsWith(() => instance.call('exit_with', 125), 5002)
  assert.equal(other.exitCode, 125)
  await instance.drop()
})

test('a trap has no exitCode', async () => {
  const instance = await fromFixture('arith.wat')
  const error = await rejectsWith(() => instance.call('unreachable'), 5002)
  assert.equal(error.exitCode, undefined)
  await instance.drop()
})

test('args reach the program (argc)', async () => {
  const moduleId = await envModule
  assert.equal(await exitStatus(await instantiate(moduleId, { args: ['tool'] })), 10)
  assert.equal(await exitStatus(await instantiate(moduleId, { args: ['tool', '--verbose', 'input.txt'] })), 30)
  assert.equal(await exitStatus(await instantiate(moduleId, { args: [] })), 0)
})

test('env reaches the program (envc)', async () => {
  const moduleId = await envModule
  assert.equal(await exitStatus(await instantiate(moduleId, { env: { HOME: '/home/user', PATH: '/bin' } })), 2)
  assert.equal(await exitStatus(await instantiate(moduleId, { env: {} })), 0)
})

test('args and env together', async () => {
  const moduleId = await envModule
  const config = { args: ['tool', '--config', 'app.toml'], env: { APP_MODE: 'production', DEBUG: '0', EMPTY: '' } }
  assert.equal(await exitStatus(await instantiate(moduleId, config)), 33)
})

test('the host environment does not leak into the sandbox', async () => {
  assert.ok(Object.keys(process.env).length > 0)
  assert.equal(await exitStatus(await instantiate(await envModule)), 0)
})

test('args and env contents reach the program byte for byte', async () => {
  // Copies args_get / environ_get output into memory; the test reads it back.
  const moduleId = await compile(`(module
    (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    ;; counts at 0..15, pointer arrays at 256 and 512, strings at 1024 (args) and 2048 (env)
    (func (export "collect") (result i32 i32)
      (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
      (drop (call $environ_sizes_get (i32.const 8) (i32.const 12)))
      (drop (call $args_get (i32.const 256) (i32.const 1024)))
      (drop (call $environ_get (i32.const 512) (i32.const 2048)))
      (i32.load (i32.const 4))
      (i32.load (i32.const 12))))`)
  const instance = await instantiate(moduleId, { args: ['tool', 'héllo wörld', ''], env: { GREETING: 'hi there', X: 'a=b' } })
  const [argBytes, envBytes] = await instance.call('collect')
  const decode = async (offset, length) =>
    new TextDecoder().decode(await instance.memory.read(offset, length)).split('\0').slice(0, -1)
  assert.deepEqual(await decode(1024, argBytes), ['tool', 'héllo wörld', ''])
  assert.deepEqual((await decode(2048, envBytes)).sort(), ['GREETING=hi there', 'X=a=b'])
  await instance.drop()
})

test('a preopened directory is readable: the program reads the file\'s bytes', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'hello.txt'), 'hello, sandbox!') // 15 bytes
  const moduleId = await fileModule
  assert.equal(await exitStatus(await instantiate(moduleId, { preopens: { '/data': dir } })), 15)
  const instance = await instantiate(moduleId, { preopens: { '/': dir } })
  assert.deepEqual(await instance.call('read_file'), [15])
  assert.equal(new TextDecoder().decode(await instance.memory.read(64, 15)), 'hello, sandbox!')
  await instance.drop()
})

test('a preopen host path may be relative to the working directory', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'hello.txt'), 'abc')
  const relativeDir = relative(process.cwd(), dir)
  assert.ok(!relativeDir.startsWith('/'))
  assert.equal(await exitStatus(await instantiate(await fileModule, { preopens: { '/data': relativeDir } })), 3)
})

test('a missing file in the preopen is ENOENT inside the program', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'sub'))
  const instance = await instantiate(await fileModule, { preopens: { '/data': dir } })
  assert.deepEqual(await instance.call('read_file'), [-44])
  await instance.drop()
})

test('without preopens the program has no directory to open (EBADF)', async () => {
  const instance = await instantiate(await fileModule)
  assert.deepEqual(await instance.call('read_file'), [-8])
  await instance.drop()
  // _start exits with 100 when the open fails.
  assert.equal(await exitStatus(await instantiate(await fileModule)), 100)
})

test('stdout and stderr are discarded by default and reach the host with inheritStdout / inheritStderr', () => {
  const child = coreFixture('stdio-child.mjs')
  const quiet = spawnSync(process.execPath, [child, 'quiet'], { encoding: 'utf8', timeout: 30_000 })
  assert.equal(quiet.status, 0, quiet.stderr)
  assert.equal(quiet.stdout, 'child done\n')
  assert.equal(quiet.stderr, '')

  const loud = spawnSync(process.execPath, [child, 'inherit'], { encoding: 'utf8', timeout: 30_000 })
  assert.equal(loud.status, 0, loud.stderr)
  assert.equal(loud.stdout, 'hello from wasi\nchild done\n')
  assert.equal(loud.stderr, 'wasm says hi on stderr\n')
})
