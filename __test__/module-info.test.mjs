// lib/module-info.js: the reader of a binary module's imports and exports that `runtime-wasm
// inspect` uses. Modules are built byte by byte (fixtures/cli/encode.mjs), and checked against
// what the runtime itself reports for the same bytes.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import { compile, dropModule, instantiate } from '../index.mjs'
import { KIND, TYPE, funcType, limits, module, name, s, section, u, vec } from './fixtures/cli/encode.mjs'

const require = createRequire(import.meta.url)
const { readModuleInfo, ModuleFormatError } = require('../lib/module-info.js')

const importEntry = (moduleName, field, kind, ...desc) => [...name(moduleName), ...name(field), kind, ...desc]
const exportEntry = (field, kind, index) => [...name(field), kind, ...u(index)]

function rejects(bytes, pattern) {
  assert.throws(() => readModuleInfo(bytes), (error) => {
    assert.ok(error instanceof ModuleFormatError, String(error))
    assert.match(error.message, pattern)
    return true
  })
}

/** The exports as the runtime sees them, reduced to the fields both describe. */
async function liveExports(bytes) {
  const moduleId = await compile(bytes)
  const instance = await instantiate(moduleId)
  const exports = await instance.getExports()
  await instance.drop()
  await dropModule(moduleId)
  return exports.map(({ value: _value, pages: _pages, size: _size, ...rest }) => rest)
}

test('function signatures of every numeric and reference type, in the function index space', async () => {
  const bytes = module(
    section(1, vec([
      funcType([TYPE.i32, TYPE.i64, TYPE.f32, TYPE.f64, TYPE.v128], [TYPE.i64]),
      funcType([TYPE.funcref, TYPE.externref], [TYPE.anyref, TYPE.f32]),
      funcType([], []),
    ])),
    section(3, vec([[1], [2], [0]])), // three defined functions
    section(7, vec([exportEntry('refs', KIND.function, 0), exportEntry('nothing', KIND.function, 1), exportEntry('numbers', KIND.function, 2)])),
    section(10, vec([
      [...u(9), 0x00, 0xd0, 0x6e, 0x43, 0, 0, 0, 0, 0x0b], // ref.null any, f32.const 0
      [...u(2), 0x00, 0x0b],
      [...u(4), 0x00, 0x42, 0x00, 0x0b], // i64.const 0
    ])),
  )
  const info = readModuleInfo(bytes)
  assert.deepEqual(info.imports, [])
  assert.deepEqual(info.exports, [
    { name: 'refs', kind: 'function', params: ['funcref', 'externref'], results: ['anyref', 'f32'] },
    { name: 'nothing', kind: 'function', params: [], results: [] },
    { name: 'numbers', kind: 'function', params: ['i32', 'i64', 'f32', 'f64', 'v128'], results: ['i64'] },
  ])
  assert.deepEqual(info.exports, await liveExports(bytes), 'the runtime agrees')
})

test('imports of every kind, and exports that refer to them', () => {
  const bytes = module(
    section(1, vec([funcType([TYPE.i32], []), funcType([TYPE.i64, TYPE.f64], [])])),
    section(2, vec([
      importEntry('env', 'log', KIND.function, 0),
      importEntry('env', 'memory', KIND.memory, ...limits(1, 100, { shared: true })),
      importEntry('env', 'big', KIND.memory, ...limits(1, null, { i64: true })),
      importEntry('env', 'table', KIND.table, TYPE.funcref, ...limits(0, 8)),
      importEntry('env', 'counter', KIND.global, TYPE.i32, 1),
      importEntry('env', 'oops', KIND.tag, 0x00, 1),
      importEntry('wasi_snapshot_preview1', 'fd_write', KIND.function, 0),
    ])),
    section(3, vec([[1]])),
    section(7, vec([
      exportEntry('log', KIND.function, 0),
      exportEntry('own', KIND.function, 2), // imported functions come first in the index space
      exportEntry('memory', KIND.memory, 0),
      exportEntry('big', KIND.memory, 1),
      exportEntry('table', KIND.table, 0),
      exportEntry('counter', KIND.global, 0),
      exportEntry('oops', KIND.tag, 0),
    ])),
  )
  const info = readModuleInfo(bytes)
  assert.deepEqual(info.imports, [
    { module: 'env', name: 'log', kind: 'function', params: ['i32'], results: [] },
    { module: 'env', name: 'memory', kind: 'memory', minimum: 1, maximum: 100, shared: true, memory64: false },
    { module: 'env', name: 'big', kind: 'memory', minimum: 1, maximum: null, shared: false, memory64: true },
    { module: 'env', name: 'table', kind: 'table', element: 'funcref', minimum: 0, maximum: 8, table64: false },
    { module: 'env', name: 'counter', kind: 'global', type: 'i32', mutable: true },
    { module: 'env', name: 'oops', kind: 'tag', params: ['i64', 'f64'] },
    { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'function', params: ['i32'], results: [] },
  ])
  assert.deepEqual(info.exports.map((entry) => [entry.name, entry.kind]), [
    ['log', 'function'], ['own', 'function'], ['memory', 'memory'], ['big', 'memory'], ['table', 'table'], ['counter', 'global'], ['oops', 'tag'],
  ])
  assert.deepEqual(info.exports[1], { name: 'own', kind: 'function', params: ['i64', 'f64'], results: [] })
  assert.deepEqual(info.exports[3], { name: 'big', kind: 'memory', minimum: 1, maximum: null, shared: false, memory64: true })
})

test('defined memories, tables, globals and tags, with initializers of every constant form', async () => {
  const v128 = [0xfd, ...u(12), ...new Array(16).fill(0)]
  const bytes = module(
    section(1, vec([funcType([TYPE.i32], [])])),
    section(4, vec([[TYPE.externref, ...limits(1, 5)]])),
    section(5, vec([limits(2, 3)])),
    section(13, vec([[0x00, 0]])), // the tag section comes between memories and globals
    section(6, vec([
      [TYPE.i32, 0, 0x41, ...s(-123456), 0x0b],
      [TYPE.i64, 1, 0x42, ...s(-(2n ** 62n)), 0x0b],
      [TYPE.f32, 0, 0x43, 0, 0, 0x80, 0x3f, 0x0b],
      [TYPE.f64, 1, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x0b],
      [TYPE.v128, 0, ...v128, 0x0b],
      [TYPE.externref, 1, 0xd0, 0x6f, 0x0b],
      [TYPE.i32, 0, 0x23, 0, 0x41, 1, 0x6a, 0x0b], // global.get 0, i32.const 1, i32.add
    ])),
    section(7, vec([
      exportEntry('table', KIND.table, 0),
      exportEntry('memory', KIND.memory, 0),
      ...[0, 1, 2, 3, 4, 5, 6].map((i) => exportEntry(`g${i}`, KIND.global, i)),
      exportEntry('tag', KIND.tag, 0),
    ])),
  )
  const info = readModuleInfo(bytes)
  assert.deepEqual(info.exports, [
    { name: 'table', kind: 'table', element: 'externref', minimum: 1, maximum: 5, table64: false },
    { name: 'memory', kind: 'memory', minimum: 2, maximum: 3, shared: false, memory64: false },
    { name: 'g0', kind: 'global', type: 'i32', mutable: false },
    { name: 'g1', kind: 'global', type: 'i64', mutable: true },
    { name: 'g2', kind: 'global', type: 'f32', mutable: false },
    { name: 'g3', kind: 'global', type: 'f64', mutable: true },
    { name: 'g4', kind: 'global', type: 'v128', mutable: false },
    { name: 'g5', kind: 'global', type: 'externref', mutable: true },
    { name: 'g6', kind: 'global', type: 'i32', mutable: false },
    { name: 'tag', kind: 'tag', params: ['i32'] },
  ])
  // The runtime reports the same kinds, types and limits (apart from the fields only inspect
  // has: shared, memory64, table64, and a tag's params).
  const live = await liveExports(bytes)
  const comparable = (entries) =>
    entries.map(({ shared: _a, memory64: _b, table64: _c, ...rest }) => (rest.kind === 'tag' ? { name: rest.name, kind: 'tag' } : rest))
  assert.deepEqual(comparable(info.exports), comparable(live))
})

test('GC types: recursion groups, struct and array types keep type indices right; typed references', () => {
  const refNullEq = [0x63, 0x6d]
  const refFunc = [0x64, 0x70]
  const refNullType0 = [0x63, ...s(0)]
  const bytes = module(
    section(1, vec([
      [0x4e, ...u(2), // rec group of two
        0x5f, ...vec([[TYPE.i32, 1], [0x78, 0]]), // struct (field (mut i32)) (field i8)
        0x50, ...vec([[0]]), 0x5e, TYPE.i64, 0], // sub 0 array i64
      [0x60, ...vec([refNullEq, refFunc]), ...vec([refNullType0])], // type 2
    ])),
    section(2, vec([importEntry('env', 'f', KIND.function, 2)])),
  )
  assert.deepEqual(readModuleInfo(bytes).imports, [
    { module: 'env', name: 'f', kind: 'function', params: ['(ref null eq)', '(ref func)'], results: ['(ref null 0)'] },
  ])
  rejects(module(section(1, vec([[0x5f, ...vec([])]])), section(2, vec([importEntry('env', 'f', KIND.function, 0)]))), /type index 0 is a struct type, not a function type/)
})

test('memory64 sizes beyond 2^53 are BigInts; custom page sizes are reported', () => {
  const bytes = module(section(5, vec([
    limits(0, 2n ** 60n, { i64: true }),
    [0x08, ...u(1), ...u(0)], // custom page size 2^0 = 1 byte
  ])), section(7, vec([exportEntry('huge', KIND.memory, 0), exportEntry('tiny', KIND.memory, 1)])))
  const [huge, tiny] = readModuleInfo(bytes).exports
  assert.equal(huge.maximum, 2n ** 60n)
  assert.equal(huge.memory64, true)
  assert.equal(tiny.pageSize, 1)
})

test('custom sections and the code section are skipped', () => {
  const bytes = module(
    section(0, [...name('name'), 1, 2, 3]),
    section(1, vec([funcType([], [TYPE.i32])])),
    section(3, vec([[0]])),
    section(7, vec([exportEntry('f', KIND.function, 0)])),
    section(10, vec([[...u(4), 0x00, 0x41, 0x2a, 0x0b]])),
    section(0, [...name('producers'), 9, 9]),
  )
  assert.deepEqual(readModuleInfo(bytes).exports, [{ name: 'f', kind: 'function', params: [], results: ['i32'] }])
})

test('real WASI programs: the runtime reports the same exports', async () => {
  for (const file of ['./fixtures/cli/probe.wasm', '../examples/wasi-tool/tool.wasm']) {
    const bytes = new Uint8Array(readFileSync(new URL(file, import.meta.url)))
    const info = readModuleInfo(bytes)
    assert.ok(info.imports.length > 5, file)
    assert.ok(info.imports.every((entry) => entry.module === 'wasi_snapshot_preview1'), file)
    const comparable = (entries) => entries.map(({ shared: _a, memory64: _b, ...rest }) => rest)
    assert.deepEqual(comparable(info.exports), comparable(await liveExports(bytes)), file)
  }
})

test('what is not a binary core module is a ModuleFormatError with the offset', () => {
  rejects(new TextEncoder().encode('(module)'), /not a WebAssembly binary \(no \\0asm magic number\) \(at byte offset 0\)/)
  rejects(Uint8Array.from([0, 0x61, 0x73]), /no \\0asm magic number/)
  rejects(Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]), /a WebAssembly component, not a core module/)
  rejects(Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]), /unsupported binary format version 2/)
  rejects(module(section(7, vec([exportEntry('f', KIND.function, 0)]))), /export "f" refers to function 0, which does not exist/)
  rejects(module([7, 10, 1]), /section 7 runs past the end of the module/)
  rejects(module(section(2, vec([[...name('env'), ...name('x'), 9]]))), /unknown import kind \(at byte offset 17\)/)
  rejects(module(section(2, vec([importEntry('env', 'f', KIND.function, 3)]))), /type index 3 is out of range/)
  rejects(module(section(1, vec([[0x60, 1, 0x55, 0]]))), /unknown value type 0x55/)
  rejects(module(section(1, [...vec([funcType([], [])]), 0xff])), /section 1 has 1 unexpected trailing bytes/)
  rejects(module(section(2, vec([[2, 0xff, 0xfe, ...name('x'), 0, 0]]))), /a name is not valid UTF-8/)
  rejects(module(section(5, vec([[0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]]))), /integer too long for u32/)
  rejects(module(section(5, vec([[0x00, 0xff, 0xff, 0xff, 0xff, 0x1f]]))), /integer too large for u32/)
  rejects(module(section(6, vec([[TYPE.i32, 0, 0x20, 0, 0x0b]]))), /unsupported instruction 0x20 in a constant expression/)
  assert.throws(() => readModuleInfo('not bytes'), TypeError)
})
