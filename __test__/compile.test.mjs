// compile, compileFile and dropModule.
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'

import { compile, compileFile, dropModule, instantiate, WasmError } from '../index.mjs'
import { ANSWER_WASM, EMPTY_WASM, fixture, rejectsWith, tempDir } from './core-helpers.mjs'

async function answerOf(moduleId) {
  const instance = await instantiate(moduleId)
  const results = await instance.call('answer')
  await instance.drop()
  return results
}

test('compile accepts a Uint8Array and resolves a module id string', async () => {
  const id = await compile(new Uint8Array(ANSWER_WASM))
  assert.equal(typeof id, 'string')
  assert.ok(id.length > 0)
  assert.deepEqual(await answerOf(id), [42])
})

test('compile accepts a Buffer', async () => {
  const id = await compile(Buffer.from(ANSWER_WASM))
  assert.deepEqual(await answerOf(id), [42])
})

test('compile accepts an ArrayBuffer', async () => {
  const bytes = new Uint8Array(ANSWER_WASM)
  const id = await compile(bytes.buffer)
  assert.deepEqual(await answerOf(id), [42])
})

test('compile accepts other typed-array views and honours their byteOffset and length', async () => {
  // The module sits in the middle of a larger buffer with garbage on both sides.
  const backing = new ArrayBuffer(ANSWER_WASM.length + 16)
  new Uint8Array(backing).fill(0xee)
  new Uint8Array(backing, 8, ANSWER_WASM.length).set(ANSWER_WASM)
  const views = [
    new Uint8Array(backing, 8, ANSWER_WASM.length),
    new Int8Array(backing, 8, ANSWER_WASM.length),
    new Uint8ClampedArray(backing, 8, ANSWER_WASM.length),
    new DataView(backing, 8, ANSWER_WASM.length),
    Buffer.from(backing, 8, ANSWER_WASM.length),
  ]
  for (const view of views) {
    const id = await compile(view)
    assert.deepEqual(await answerOf(id), [42], view.constructor.name)
  }
  // A wider element type over a module whose byte length is a multiple of its element size.
  const evenBytes = new Uint8Array(EMPTY_WASM)
  const id = await compile(new Uint16Array(evenBytes.buffer))
  assert.equal(typeof id, 'string')
})

test('compile accepts WAT text', async () => {
  const id = await compile('(module (func (export "answer") (result i32) (i32.const 42)))')
  assert.deepEqual(await answerOf(id), [42])
})

test('compile accepts the smallest valid module (magic and version only)', async () => {
  const id = await compile(new Uint8Array(EMPTY_WASM))
  const instance = await instantiate(id)
  assert.deepEqual(await instance.getExports(), [])
  await instance.drop()
})

test('every compile resolves a different module id', async () => {
  const ids = await Promise.all(Array.from({ length: 5 }, () => compile(new Uint8Array(ANSWER_WASM))))
  assert.equal(new Set(ids).size, ids.length)
})

test('invalid binary bytes reject with 5000 and wasmtime\'s reason', async () => {
  // A binary that starts right but is cut short.
  await rejectsWith(() => compile(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x09])), 5000, /\S{3,}/)
  const truncated = await rejectsWith(() => compile(new Uint8Array(ANSWER_WASM.slice(0, 20))), 5000)
  assert.match(truncated.message, /end|eof|unexpected/i)
  // A wrong version number.
  const version = await rejectsWith(() => compile(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00])), 5000)
  assert.match(version.message, /version/i)
  // Garbage bytes and an empty input.
  await rejectsWith(() => compile(new Uint8Array([1, 2, 3, 4])), 5000)
  await rejectsWith(() => compile(new Uint8Array(0)), 5000)
})

test('a valid binary that fails validation rejects with 5000', async () => {
  // The function claims to return i32 but its body is empty: a type mismatch.
  const bytes = [...ANSWER_WASM.slice(0, 31), 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b]
  const error = await rejectsWith(() => compile(new Uint8Array(bytes)), 5000)
  assert.match(error.message, /type mismatch|expected|values remaining|invalid/i)
})

test('bad WAT rejects with 5000 and the parser\'s reason', async () => {
  const error = await rejectsWith(() => compile('(module (func (result i32) i32.const))'), 5000)
  assert.match(error.message, /expected/i)
  await rejectsWith(() => compile('(module (func $f (call $missing)))'), 5000, 'missing')
  await rejectsWith(() => compile('this is not wasm'), 5000)
  await rejectsWith(() => compile(''), 5000)
})

test('compile of something that is not bytes or text rejects with a TypeError', async () => {
  for (const bad of [42, undefined, null, {}, [0, 97, 115, 109, 1, 0, 0, 0]]) {
    const pending = compile(bad)
    assert.ok(pending instanceof Promise, 'compile returns a promise even for bad input')
    await assert.rejects(pending, (error) => {
      assert.ok(error instanceof Error)
      assert.equal(error.name, 'TypeError')
      return true
    })
  }
})

test('compileFile compiles a .wat file (absolute and relative paths)', async () => {
  const absolute = fixture('arith.wat')
  const id = await compileFile(absolute)
  const instance = await instantiate(id)
  assert.deepEqual(await instance.call('add', 2, 3), [5])
  await instance.drop()
  const relativeId = await compileFile(relative(process.cwd(), absolute))
  assert.notEqual(relativeId, id)
  const again = await instantiate(relativeId)
  assert.deepEqual(await again.call('mul', 6, 7), [42])
  await again.drop()
})

test('compileFile compiles a .wasm file', async (t) => {
  const dir = tempDir(t)
  const answer = join(dir, 'answer.wasm')
  writeFileSync(answer, new Uint8Array(ANSWER_WASM))
  assert.deepEqual(await answerOf(await compileFile(answer)), [42])
  const empty = join(dir, 'empty.wasm')
  writeFileSync(empty, new Uint8Array(EMPTY_WASM))
  assert.equal(typeof (await compileFile(empty)), 'string')
})

test('compileFile of an invalid file rejects with 5000', async (t) => {
  const dir = tempDir(t)
  const broken = join(dir, 'broken.wasm')
  writeFileSync(broken, new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff]))
  await rejectsWith(() => compileFile(broken), 5000)
  const badWat = join(dir, 'bad.wat')
  writeFileSync(badWat, '(module (func (result i32) i32.const))')
  await rejectsWith(() => compileFile(badWat), 5000)
})

test('compileFile of a missing file rejects with 5008 naming the path', async (t) => {
  const missing = join(tempDir(t), 'does-not-exist.wasm')
  const error = await rejectsWith(() => compileFile(missing), 5008, missing)
  assert.ok(error instanceof WasmError)
})

test('compileFile of a directory rejects with 5008 naming the path', async (t) => {
  const dir = join(tempDir(t), 'a-directory.wasm')
  mkdirSync(dir)
  await rejectsWith(() => compileFile(dir), 5008, dir)
})

test('dropModule frees a module; instantiating it afterwards is 5004', async () => {
  const id = await compile(new Uint8Array(ANSWER_WASM))
  assert.equal(await dropModule(id), undefined)
  await rejectsWith(() => instantiate(id), 5004)
})

test('instances made from a module keep working after dropModule', async () => {
  const id = await compileFile(fixture('arith.wat'))
  const first = await instantiate(id)
  const second = await instantiate(id)
  await dropModule(id)
  assert.deepEqual(await first.call('add', 20, 22), [42])
  assert.deepEqual(await second.call('sub', 50, 8), [42])
  await first.memory.write(0, [1, 2, 3])
  assert.deepEqual([...(await first.memory.read(0, 3))], [1, 2, 3])
  assert.equal((await second.getExports()).length > 0, true)
  await first.drop()
  await second.drop()
})

test('dropModule of an unknown id is 5004', async () => {
  await rejectsWith(() => dropModule('module:999999999'), 5004)
  await rejectsWith(() => dropModule('not a handle'), 5004)
  await rejectsWith(() => dropModule(''), 5004)
})

test('dropModule twice is 5004 the second time', async () => {
  const id = await compile(new Uint8Array(EMPTY_WASM))
  await dropModule(id)
  await rejectsWith(() => dropModule(id), 5004)
})

test('dropModule of a non-string id is 5004', async () => {
  for (const bad of [42, undefined, null, {}, Symbol('id')]) {
    await rejectsWith(() => dropModule(bad), 5004)
  }
})
