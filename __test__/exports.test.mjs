// getExports, and calls to exports that are missing or are not functions (5003).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'

import { call, getExports } from '../index.mjs'
import { fromFixture, fromWat, rejectsWith } from './core-helpers.mjs'

let arith
before(async () => {
  arith = await fromFixture('arith.wat')
})
after(async () => {
  await arith.drop()
})

const ARITH_FUNCTIONS = [
  'add', 'add64', 'div_s', 'fadd32', 'fadd64', 'id_f32', 'id_f64', 'id_i32', 'id_i64', 'load8',
  'loop_forever', 'mul', 'nop', 'oob', 'recurse', 'spin', 'store8', 'sub', 'swap', 'unreachable',
]

function byName(exports) {
  return Object.fromEntries(exports.map((entry) => [entry.name, entry]))
}

test('getExports lists every export with its kind, in declaration order', async () => {
  const exports = await arith.getExports()
  assert.ok(Array.isArray(exports))
  const names = exports.map((e) => e.name)
  assert.deepEqual(names.slice(0, 4), ['memory', 'table', 'counter', 'pi'])
  assert.deepEqual(names.slice(4).sort(), [...ARITH_FUNCTIONS].sort())
  for (const entry of exports) assert.ok(['function', 'memory', 'table', 'global'].includes(entry.kind), entry.kind)
})

test('getExports describes functions with params and results', async () => {
  const exports = byName(await arith.getExports())
  assert.deepEqual(exports.add, { name: 'add', kind: 'function', params: ['i32', 'i32'], results: ['i32'] })
  assert.deepEqual(exports.add64, { name: 'add64', kind: 'function', params: ['i64', 'i64'], results: ['i64'] })
  assert.deepEqual(exports.fadd32, { name: 'fadd32', kind: 'function', params: ['f32', 'f32'], results: ['f32'] })
  assert.deepEqual(exports.fadd64, { name: 'fadd64', kind: 'function', params: ['f64', 'f64'], results: ['f64'] })
  assert.deepEqual(exports.swap, { name: 'swap', kind: 'function', params: ['i32', 'i32'], results: ['i32', 'i32'] })
  assert.deepEqual(exports.nop, { name: 'nop', kind: 'function', params: [], results: [] })
})

test('getExports describes memory, table and globals', async () => {
  const exports = byName(await arith.getExports())
  assert.deepEqual(exports.memory, { name: 'memory', kind: 'memory', pages: 1, minimum: 1, maximum: 4 })
  assert.deepEqual(exports.table, { name: 'table', kind: 'table', element: 'funcref', size: 2, minimum: 2, maximum: 10 })
  assert.deepEqual(exports.counter, { name: 'counter', kind: 'global', type: 'i32', mutable: true, value: 7 })
  assert.deepEqual(exports.pi, { name: 'pi', kind: 'global', type: 'f64', mutable: false, value: Math.PI })
})

test('getExports shows the current memory size and current global values', async () => {
  const instance = await fromWat(`(module
    (memory (export "memory") 1)
    (global $g (export "g") (mut i64) (i64.const -5))
    (func (export "set") (param i64) (global.set $g (local.get 0))))`)
  let exports = byName(await instance.getExports())
  assert.deepEqual(exports.memory, { name: 'memory', kind: 'memory', pages: 1, minimum: 1, maximum: null })
  assert.deepEqual(exports.g, { name: 'g', kind: 'global', type: 'i64', mutable: true, value: -5n })
  await instance.memory.grow(2)
  await instance.call('set', 2n ** 62n)
  exports = byName(await instance.getExports())
  assert.equal(exports.memory.pages, 3)
  assert.equal(exports.memory.minimum, 1)
  assert.equal(exports.g.value, 2n ** 62n)
  await instance.drop()
})

test('getExports names every value type: f32 globals, externref tables, v128 and reference params', async () => {
  const instance = await fromWat(`(module
    (func (export "refs") (param funcref externref) (result v128) (v128.const i64x2 0 0))
    (global (export "gf") (mut f32) (f32.const 1.5))
    (table (export "t") 0 externref)
    (memory (export "m") 0))`)
  const exports = byName(await instance.getExports())
  assert.deepEqual(exports.refs, { name: 'refs', kind: 'function', params: ['funcref', 'externref'], results: ['v128'] })
  assert.deepEqual(exports.gf, { name: 'gf', kind: 'global', type: 'f32', mutable: true, value: 1.5 })
  assert.deepEqual(exports.t, { name: 't', kind: 'table', element: 'externref', size: 0, minimum: 0, maximum: null })
  assert.deepEqual(exports.m, { name: 'm', kind: 'memory', pages: 0, minimum: 0, maximum: null })
  await instance.drop()
})

test('a module with no exports has getExports() == []', async () => {
  const instance = await fromWat('(module (func (nop)))')
  assert.deepEqual(await instance.getExports(), [])
  await instance.drop()
})

test('low-level getExports(instanceId) gives the same list', async () => {
  assert.deepEqual(await getExports(arith.id), await arith.getExports())
})

test('a missing export is 5003 listing the function exports', async () => {
  const error = await rejectsWith(() => arith.call('nope'), 5003, 'nope')
  for (const name of ARITH_FUNCTIONS) assert.ok(error.message.includes(name), `lists ${name}`)
  await rejectsWith(() => call(arith.id, 'Add', [1, 2]), 5003, 'Add', 'add')
  await rejectsWith(() => arith.call(''), 5003)
})

test('an export that is a memory, a global or a table is 5003 listing the function exports', async () => {
  for (const name of ['memory', 'counter', 'pi', 'table']) {
    const error = await rejectsWith(() => arith.call(name), 5003, name)
    assert.ok(error.message.includes('add64') && error.message.includes('swap'), error.message)
  }
})

test('5003 on a module without function exports says there are none', async () => {
  const instance = await fromWat('(module (memory (export "memory") 1))')
  const error = await rejectsWith(() => instance.call('memory'), 5003, 'memory')
  assert.match(error.message, /no function|none|exports no/i)
  await instance.drop()
})

// --- a module's imports and exports, before any instance ---

test('moduleImports and moduleExports list every kind with its type, in declaration order', async () => {
  const { compile, moduleImports, moduleExports, dropModule } = await import('../index.mjs')
  const id = await compile(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
    (import "env" "mem" (memory 1 10))
    (import "env" "g" (global (mut i64)))
    (import "env" "t" (table 2 funcref))
    (func (export "f") (param i32 f64) (result i64) (i64.const 1))
    (global (export "G") f32 (f32.const 1))
    (export "m" (memory 0))
    (export "t" (table 0)))`)
  assert.deepEqual(moduleImports(id), [
    { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'function', params: ['i32', 'i32', 'i32', 'i32'], results: ['i32'] },
    { module: 'env', name: 'mem', kind: 'memory', minimum: 1, maximum: 10, shared: false, memory64: false },
    { module: 'env', name: 'g', kind: 'global', type: 'i64', mutable: true },
    { module: 'env', name: 't', kind: 'table', element: 'funcref', minimum: 2, maximum: null },
  ])
  assert.deepEqual(moduleExports(id), [
    { name: 'f', kind: 'function', params: ['i32', 'f64'], results: ['i64'] },
    { name: 'G', kind: 'global', type: 'f32', mutable: false },
    { name: 'm', kind: 'memory', minimum: 1, maximum: 10, shared: false, memory64: false },
    { name: 't', kind: 'table', element: 'funcref', minimum: 2, maximum: null },
  ])
  await dropModule(id)
  assert.throws(() => moduleImports(id), (e) => e.code === 5004)
  assert.throws(() => moduleExports(42), (e) => e.code === 5004)
})
