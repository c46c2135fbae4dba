// Structured frames: every trap's WasmError carries `frames`, innermost first, with the module,
// function index and name, offsets, and (for modules with DWARF debug info) file, line and
// column; the message's backtrace shows file:line too. fixtures/debug/trap.c is built with -g.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'

import rw from '../index.js'
import { fixture } from './core-helpers.mjs'

const { compile, instantiate, run } = rw
const TRAP_C = fixture('debug/trap.c')
const TRAP_LINE = fs.readFileSync(TRAP_C, 'utf8').split('\n').findIndex((line) => line.includes('TRAP_LINE')) + 1

test('a C program built with -g reports file, line and column for each frame', async () => {
  const error = await run(fixture('debug/trap.wasm'), { args: ['trap', '0'] }).then(() => null, (e) => e)
  assert.equal(error?.code, 5002)
  assert.match(error.trap, /unreachable/)
  const [inner, caller, main] = error.frames
  assert.deepEqual(
    { name: inner.funcName, file: inner.file, line: inner.line },
    { name: 'checked_divide', file: './trap.c', line: TRAP_LINE },
  )
  assert.equal(typeof inner.column, 'number')
  assert.equal(typeof inner.funcIndex, 'number')
  assert.ok(inner.moduleOffset > 0 && inner.funcOffset >= 0)
  assert.deepEqual([caller.funcName, caller.file, caller.line], ['parse', './trap.c', 14])
  assert.deepEqual([main.funcName, main.file, main.line], ['__main_argc_argv', './trap.c', 19])
  // The message's backtrace says it too, once, after the first line.
  assert.equal(error.message.split('\n')[0], 'call to "_start" failed: wasm trap: wasm `unreachable` instruction executed')
  assert.ok(error.message.includes(`at ./trap.c:${TRAP_LINE}:`), error.message)
  // Without a trap, the program runs normally.
  const ok = await run(fixture('debug/trap.wasm'), { args: ['trap', '5'] })
  assert.equal(Buffer.from(ok.stdout).toString(), '20\n')
})

test('a module without debug info reports names and offsets, and no file', async () => {
  const id = await compile(`(module $calc
    (func $divide (export "divide") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func $outer (export "outer") (param i32) (result i32) (call $divide (i32.const 1) (local.get 0))))`)
  const instance = await instantiate(id)
  const error = await instance.call('outer', 0).then(() => null, (e) => e)
  assert.equal(error?.trap, 'integer divide by zero')
  assert.equal(error.frames.length, 2)
  const [inner, outer] = error.frames
  assert.deepEqual(
    { ...inner, moduleOffset: typeof inner.moduleOffset, funcOffset: typeof inner.funcOffset },
    { module: 'calc', funcIndex: 0, funcName: 'divide', moduleOffset: 'number', funcOffset: 'number', file: null, line: null, column: null },
  )
  assert.equal(outer.funcName, 'outer')
  assert.equal(outer.funcIndex, 1)
  await instance.drop()
})

test('errors that are not traps carry no frames', async () => {
  const id = await compile('(module (func (export "f")))')
  const instance = await instantiate(id)
  const error = await instance.call('missing').then(() => null, (e) => e)
  assert.equal(error?.code, 5003)
  assert.equal(error.frames, undefined)
  await instance.drop()
})

test('names are shown as they are, and a deep stack says where its backtrace stops', async () => {
  const instance = await instantiate(await compile(`(module
    (func $a (export "rec") (param i32) (result i32) (call $b (i32.add (local.get 0) (i32.const 1))))
    (func $b (param i32) (result i32) (call $a (local.get 0))))`))
  const error = await instance.call('rec', 0).then(() => null, (e) => e)
  assert.equal(error?.trap, 'call stack exhausted')
  assert.equal(error.frames.length, 64)
  const lines = error.message.split('\n')
  assert.ok(lines.some((line) => line.endsWith('!a')) && lines.some((line) => line.endsWith('!b')), error.message)
  assert.ok(!/bool|signed char/.test(error.message), 'short names are not demangled as C++')
  assert.match(lines.at(-1), /the backtrace stops at 64 frames/)
  assert.ok(error.message.length < 8192, 'the message stays small')
  await instance.drop()
})
