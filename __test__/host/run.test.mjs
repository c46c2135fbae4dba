// run(pathOrModuleId, options): a WASI command to its end, like child_process.execFile,
// resolving { exitCode, stdout, stderr }; a non-zero exit status is data.
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { ErrorCode, compile, instantiate, run } from '../../index.mjs'
import { CAT_PROGRAM, decoder, encoder, floodBytes, floodProgram, rejectsWith, tempDir, text } from './helpers.mjs'

const WASI = 'wasi_snapshot_preview1'

// Writes "out:<status>" to stdout and "err:<status>" to stderr, then exits with the status
// given as the first byte of stdin (0 when stdin is empty).
const EXIT_PROGRAM = `(module
  (import "${WASI}" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "${WASI}" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "out:")
  (data (i32.const 110) "err:")
  (func $w (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $status i32)
    (i32.store (i32.const 16) (i32.const 200))
    (i32.store (i32.const 20) (i32.const 1))
    (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
    (if (i32.load (i32.const 24)) (then (local.set $status (i32.load8_u (i32.const 200)))))
    ;; the status as one decimal-ish character: '0' + status mod 10
    (i32.store8 (i32.const 104) (i32.add (i32.const 48) (i32.rem_u (local.get $status) (i32.const 10))))
    (i32.store8 (i32.const 114) (i32.add (i32.const 48) (i32.rem_u (local.get $status) (i32.const 10))))
    (call $w (i32.const 1) (i32.const 100) (i32.const 5))
    (call $w (i32.const 2) (i32.const 110) (i32.const 5))
    (call $proc_exit (local.get $status))))`

// Writes its arguments to stdout and its environment to stderr, each NUL-terminated.
const ARGS_ENV_PROGRAM = `(module
  (import "${WASI}" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "${WASI}" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "${WASI}" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "${WASI}" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $w (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (call $w (i32.const 1) (i32.const 4096) (i32.load (i32.const 4)))
    (drop (call $environ_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $environ_get (i32.const 1024) (i32.const 8192)))
    (call $w (i32.const 2) (i32.const 8192) (i32.load (i32.const 4)))))`

function checkResult(result) {
  assert.deepEqual(Object.keys(result).sort(), ['exitCode', 'stderr', 'stdout', 'truncated'])
  assert.equal(typeof result.exitCode, 'number')
  assert.ok(result.stdout instanceof Uint8Array, 'stdout is a Uint8Array')
  assert.ok(result.stderr instanceof Uint8Array, 'stderr is a Uint8Array')
}

describe('run', () => {
  test('with a path: stdin in, stdout and stderr out, exit code 0', async (t) => {
    const dir = tempDir(t)
    const path = join(dir, 'cat.wat')
    writeFileSync(path, CAT_PROGRAM)
    const result = await run(path, { stdin: 'hello\nworld\n' })
    checkResult(result)
    assert.equal(result.exitCode, 0)
    assert.equal(text(result.stdout), 'hello\nworld\n')
    assert.equal(text(result.stderr), 'done\n')
    const bytes = await run(path, { stdin: new Uint8Array([0, 255, 10, 128]) })
    assert.deepEqual(bytes.stdout, new Uint8Array([0, 255, 10, 128]))
  })

  test('with a binary file path', async (t) => {
    const dir = tempDir(t)
    const path = join(dir, 'empty-command.wasm')
    // (module (func (export "_start"))): a command that does nothing and exits with 0
    writeFileSync(path, new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
      0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
      0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, // export "_start" = func 0
      0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code: empty body
    ]))
    const result = await run(path)
    checkResult(result)
    assert.deepEqual(result, { exitCode: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), truncated: { stdout: false, stderr: false } })
  })

  test('with a module id: the module stays compiled and can be run again', async () => {
    const moduleId = await compile(CAT_PROGRAM)
    for (const input of ['first', 'second']) {
      const result = await run(moduleId, { stdin: input })
      checkResult(result)
      assert.deepEqual(result, { exitCode: 0, stdout: encoder.encode(input), stderr: encoder.encode('done\n'), truncated: { stdout: false, stderr: false } })
    }
    const instance = await instantiate(moduleId)
    await instance.drop()
  })

  test('exit codes are data, with the output written before the exit', async () => {
    const moduleId = await compile(EXIT_PROGRAM)
    for (const status of [0, 1, 3, 42, 125]) {
      const result = await run(moduleId, { stdin: new Uint8Array([status]) })
      checkResult(result)
      assert.equal(result.exitCode, status)
      assert.equal(text(result.stdout), `out:${status % 10}`)
      assert.equal(text(result.stderr), `err:${status % 10}`)
    }
    const empty = await run(moduleId)
    assert.equal(empty.exitCode, 0)
  })

  test('args and env reach the program', async () => {
    const moduleId = await compile(ARGS_ENV_PROGRAM)
    const result = await run(moduleId, { args: ['tool', '--flag', 'ünï'], env: { HOME: '/home/user', EMPTY: '' } })
    assert.equal(result.exitCode, 0)
    assert.equal(decoder.decode(result.stdout), 'tool\0--flag\0ünï\0')
    assert.deepEqual(decoder.decode(result.stderr).split('\0').filter(Boolean).sort(), ['EMPTY=', 'HOME=/home/user'])
    const bare = await run(moduleId)
    assert.equal(bare.stdout.length, 0, 'no arguments unless given')
    assert.equal(bare.stderr.length, 0, 'no environment unless given')
  })

  test('preopens reach the program', async (t) => {
    const dir = tempDir(t)
    mkdirSync(join(dir, 'data'))
    writeFileSync(join(dir, 'data', 'hello.txt'), 'hello, run!')
    const fixture = fileURLToPath(new URL('../fixtures/wasi_file.wat', import.meta.url))
    // the fixture exits with the number of bytes it read from hello.txt in its first preopen
    const result = await run(fixture, { preopens: { '/': join(dir, 'data') } })
    assert.equal(result.exitCode, 'hello, run!'.length)
    const without = await run(fixture)
    assert.equal(without.exitCode, 100, 'without a preopen the open fails')
  })

  test('outputLimitBytes caps the captured output: exactly the cap, and the program sees its write fail', async () => {
    const moduleId = await compile(floodProgram({ chunk: 256, count: 40, failExit: 42 }))
    const capped = await run(moduleId, { outputLimitBytes: 1024 })
    checkResult(capped)
    assert.equal(capped.exitCode, 42)
    assert.deepEqual(capped.stdout, floodBytes(1024))
    assert.deepEqual(capped.truncated, { stdout: true, stderr: false })
    const whole = await run(moduleId)
    assert.equal(whole.exitCode, 0, 'under the default cap of 4 MiB')
    assert.deepEqual(whole.truncated, { stdout: false, stderr: false })
    assert.deepEqual(whole.stdout, floodBytes(256 * 40))
  })

  test('the default cap applies to run too: past 4 MiB the program\'s write fails', { timeout: 30_000 }, async () => {
    const moduleId = await compile(floodProgram({ chunk: 1 << 20, count: 5, failExit: 7 }))
    const result = await run(moduleId)
    assert.equal(result.exitCode, 7)
    assert.equal(result.stdout.length, 4 << 20)
  })

  test('host functions in run', async () => {
    const moduleId = await compile(`(module
      (import "env" "answer" (func $answer (result i32)))
      (import "${WASI}" "proc_exit" (func $proc_exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $proc_exit (call $answer))))`)
    const result = await run(moduleId, { imports: { env: { answer: async () => 17 } } })
    assert.equal(result.exitCode, 17)
  })

  test('failures that are not exits reject: trap 5002, limits 5011, no _start 5003, no file 5008, bad module 5000', { timeout: 30_000 }, async (t) => {
    const trap = await compile(`(module (func (export "_start") unreachable))`)
    const error = await rejectsWith(() => run(trap), ErrorCode.CallError)
    assert.equal(error.exitCode, undefined)
    assert.match(error.trap ?? error.message, /unreachable/)
    const spin = await compile(`(module (func (export "_start") (loop $l (br $l))))`)
    const timeout = await rejectsWith(() => run(spin, { limits: { timeoutMs: 100 } }), ErrorCode.FuelExhausted)
    assert.equal(timeout.reason, 'timeout')
    const fuel = await rejectsWith(() => run(spin, { limits: { fuel: 10_000 } }), ErrorCode.FuelExhausted)
    assert.equal(fuel.reason, 'fuel')
    const reactor = await compile(`(module (func (export "main")))`)
    await rejectsWith(() => run(reactor), ErrorCode.ExportNotFound, '_start')
    const dir = tempDir(t)
    await rejectsWith(() => run(join(dir, 'missing.wasm')), ErrorCode.IoError)
    writeFileSync(join(dir, 'bad.wasm'), 'not a module (')
    await rejectsWith(() => run(join(dir, 'bad.wasm')), ErrorCode.CompileError)
    await rejectsWith(() => run(trap, 5), ErrorCode.WasiError)
  })
})
