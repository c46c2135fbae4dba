// instance.memory and the low-level memory API: read, write, size, grow, bounds and choice of memory.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'

import { memory } from '../index.mjs'
import { coreFixture, fromFixture, fromWat, rejectsWith } from './core-helpers.mjs'

const PAGE = 65536

test('write then read round-trips, and wasm sees the bytes', async () => {
  const instance = await fromFixture('arith.wat')
  await instance.memory.write(0, new TextEncoder().encode('Hello\0'))
  const bytes = await instance.memory.read(0, 6)
  assert.ok(bytes instanceof Uint8Array)
  assert.equal(bytes.length, 6)
  assert.equal(new TextDecoder().decode(bytes), 'Hello\0')
  assert.deepEqual(await instance.call('load8', 1), ['e'.charCodeAt(0)])
  await instance.call('store8', 300, 0xab)
  assert.deepEqual([...(await instance.memory.read(299, 3))], [0, 0xab, 0])
  await instance.drop()
})

test('read returns a copy, not a live view', async () => {
  const instance = await fromFixture('arith.wat')
  const before = await instance.memory.read(0, 4)
  await instance.memory.write(0, [9, 9, 9, 9])
  assert.deepEqual([...before], [0, 0, 0, 0])
  before[0] = 7
  assert.deepEqual([...(await instance.memory.read(0, 4))], [9, 9, 9, 9])
  await instance.drop()
})

test('write accepts Uint8Array, Buffer, ArrayBuffer, typed-array views and number arrays', async () => {
  const instance = await fromFixture('arith.wat')
  await instance.memory.write(0, new Uint8Array([1, 2, 3]))
  await instance.memory.write(3, Buffer.from([4, 5, 6]))
  await instance.memory.write(6, new Uint8Array([7, 8, 9]).buffer)
  await instance.memory.write(9, [10, 11, 12])
  const backing = new Uint8Array([0xee, 13, 14, 15, 0xee])
  await instance.memory.write(12, backing.subarray(1, 4))
  await instance.memory.write(15, new DataView(backing.buffer, 1, 3))
  assert.deepEqual([...(await instance.memory.read(0, 18))], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 13, 14, 15])
  await instance.drop()
})

test('reads and writes of zero bytes, and up to the very last byte, succeed', async () => {
  const instance = await fromFixture('arith.wat')
  assert.equal((await instance.memory.read(0, 0)).length, 0)
  assert.equal((await instance.memory.read(PAGE, 0)).length, 0)
  await instance.memory.write(PAGE, [])
  await instance.memory.write(PAGE - 2, [0xfe, 0xff])
  assert.deepEqual([...(await instance.memory.read(PAGE - 2, 2))], [0xfe, 0xff])
  const whole = await instance.memory.read(0, PAGE)
  assert.equal(whole.length, PAGE)
  assert.equal(whole[PAGE - 1], 0xff)
  await instance.drop()
})

test('size is in 64 KiB pages; grow returns the previous size', async () => {
  const instance = await fromFixture('arith.wat')
  assert.equal(await instance.memory.size(), 1)
  assert.equal(await instance.memory.grow(1), 1)
  assert.equal(await instance.memory.size(), 2)
  assert.equal(await instance.memory.grow(0), 2)
  assert.equal(await instance.memory.grow(2), 2)
  assert.equal(await instance.memory.size(), 4)
  // The new pages are zeroed and addressable.
  assert.deepEqual([...(await instance.memory.read(4 * PAGE - 4, 4))], [0, 0, 0, 0])
  await instance.memory.write(4 * PAGE - 1, [1])
  await instance.drop()
})

test('grow past the maximum is 5006 with the numbers, and the size is unchanged', async () => {
  const instance = await fromFixture('arith.wat') // memory 1..4 pages
  await instance.memory.grow(1)
  const error = await rejectsWith(() => instance.memory.grow(3), 5006, '3', '2', '4')
  assert.ok(error.message.length > 0)
  assert.equal(await instance.memory.size(), 2)
  assert.equal(await instance.memory.grow(2), 2, 'growing to exactly the maximum works')
  await rejectsWith(() => instance.memory.grow(1), 5006)
  assert.equal(await instance.memory.size(), 4)
  await instance.drop()
})

test('grow beyond the 4 GiB limit of a memory without a maximum is 5006', async () => {
  const instance = await fromWat('(module (memory (export "memory") 1))')
  await rejectsWith(() => instance.memory.grow(65536), 5006, '65536')
  assert.equal(await instance.memory.size(), 1)
  await instance.drop()
})

test('a read past the end is 5006 with the offset and length', async () => {
  const instance = await fromFixture('arith.wat')
  await rejectsWith(() => instance.memory.read(PAGE - 2, 4), 5006, String(PAGE - 2), '4')
  await rejectsWith(() => instance.memory.read(PAGE, 1), 5006, String(PAGE))
  await rejectsWith(() => instance.memory.read(0, PAGE + 1), 5006, String(PAGE + 1))
  await rejectsWith(() => instance.memory.read(2 ** 40, 1), 5006)
  await rejectsWith(() => instance.memory.read(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), 5006)
  await instance.drop()
})

test('a write past the end is 5006 and writes nothing (never a partial write)', async () => {
  const instance = await fromFixture('arith.wat')
  await instance.memory.write(PAGE - 4, [0xa1, 0xa2, 0xa3, 0xa4])
  await rejectsWith(() => instance.memory.write(PAGE - 2, [1, 2, 3, 4]), 5006, String(PAGE - 2), '4')
  await rejectsWith(() => instance.memory.write(PAGE - 4, new Uint8Array(5).fill(7)), 5006)
  await rejectsWith(() => instance.memory.write(PAGE, [1]), 5006)
  assert.deepEqual([...(await instance.memory.read(PAGE - 4, 4))], [0xa1, 0xa2, 0xa3, 0xa4])
  await instance.drop()
})

test('negative, fractional, NaN and infinite offsets and lengths are 5006', async () => {
  const instance = await fromFixture('arith.wat')
  for (const bad of [-1, 0.5, 1.5, NaN, Infinity, -Infinity]) {
    await rejectsWith(() => instance.memory.read(bad, 1), 5006)
    await rejectsWith(() => instance.memory.read(0, bad), 5006)
    await rejectsWith(() => instance.memory.write(bad, [1]), 5006)
  }
  for (const bad of [-1, 0.5, NaN, Infinity]) {
    await rejectsWith(() => instance.memory.grow(bad), 5006)
  }
  await rejectsWith(() => instance.memory.read('0', 1), 5006)
  assert.equal(await instance.memory.size(), 1)
  assert.deepEqual([...(await instance.memory.read(0, 2))], [0, 0], 'nothing was written')
  await instance.drop()
})

test('a module without memory: every memory operation is 5006', async () => {
  const instance = await fromFixture('no_memory.wat')
  await rejectsWith(() => instance.memory.read(0, 1), 5006)
  await rejectsWith(() => instance.memory.read(0, 0), 5006)
  await rejectsWith(() => instance.memory.write(0, [1]), 5006)
  await rejectsWith(() => instance.memory.size(), 5006)
  await rejectsWith(() => instance.memory.grow(1), 5006)
  assert.deepEqual(await instance.call('answer'), [42], 'the instance still works')
  await instance.drop()
})

test('a memory that is not exported is not reachable (5006)', async () => {
  const instance = await fromWat('(module (memory 1) (func (export "f")))')
  await rejectsWith(() => instance.memory.size(), 5006)
  await instance.drop()
})

test('without an export named "memory", the first exported memory is used ("mem")', async () => {
  const instance = await fromWat(`(module
    (memory (export "mem") 3 5)
    (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))`)
  assert.equal(await instance.memory.size(), 3)
  await instance.memory.write(5, [77])
  assert.deepEqual(await instance.call('load8', 5), [77])
  assert.equal(await instance.memory.grow(2), 3)
  await rejectsWith(() => instance.memory.grow(1), 5006)
  await instance.drop()
})

test('with several memories, "memory" wins, else the first exported one', async () => {
  const named = await fromWat('(module (memory (export "aaa") 1) (memory (export "memory") 2) (memory (export "zzz") 3))')
  assert.equal(await named.memory.size(), 2)
  await named.drop()
  const unnamed = await fromWat('(module (memory (export "first") 5) (memory (export "second") 2))')
  assert.equal(await unnamed.memory.size(), 5)
  await unnamed.drop()
})

test('low-level memory.read/write/size/grow by instance id', async () => {
  const instance = await fromFixture('arith.wat')
  await memory.write(instance.id, 0, new Uint8Array([1, 2, 3]))
  assert.deepEqual([...(await memory.read(instance.id, 0, 3))], [1, 2, 3])
  assert.equal(await memory.size(instance.id), 1)
  assert.equal(await memory.grow(instance.id, 2), 1)
  assert.equal(await memory.size(instance.id), 3)
  assert.equal(await instance.memory.size(), 3, 'the same memory as instance.memory')
  await rejectsWith(() => memory.read(instance.id, 3 * PAGE, 1), 5006)
  await instance.drop()
})

test('memory changes made by wasm are visible, and memory survives between calls', async () => {
  const instance = await fromWat(`(module
    (memory (export "memory") 1)
    (func (export "fill") (param $ptr i32) (param $len i32) (param $byte i32)
      (memory.fill (local.get $ptr) (local.get $byte) (local.get $len)))
    (func (export "sum") (param $ptr i32) (param $len i32) (result i32)
      (local $total i32)
      (block $done (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $total (i32.add (local.get $total) (i32.load8_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
      (local.get $total)))`)
  await instance.call('fill', 1000, 10, 3)
  assert.deepEqual([...(await instance.memory.read(999, 12))], [0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0])
  await instance.memory.write(2000, [1, 2, 3, 4, 5])
  assert.deepEqual(await instance.call('sum', 2000, 5), [15])
  await instance.drop()
})

test('large reads and writes (4 MiB) round-trip', async () => {
  const instance = await fromWat('(module (memory (export "memory") 64 64))')
  const size = 64 * PAGE
  const data = new Uint8Array(size)
  for (let k = 0; k < size; k++) data[k] = (k * 31 + 7) & 0xff
  await instance.memory.write(0, data)
  const back = await instance.memory.read(0, size)
  assert.equal(back.length, size)
  assert.ok(Buffer.from(back).equals(Buffer.from(data)), 'the bytes read back are the bytes written')
  await rejectsWith(() => instance.memory.read(1, size), 5006)
  await instance.drop()
})

test('large reads reuse freed buffers without showing anything of earlier reads', () => {
  const child = spawnSync(process.execPath, ['--expose-gc', coreFixture('recycle-child.mjs')], { encoding: 'utf8' })
  assert.equal(child.status, 0, child.stderr)
  assert.equal(child.stdout.trim(), 'ok')
})
