// The package surface: CommonJS and ESM entry points, WasmError, ErrorCode, and one triggered
// error of every code the core can produce, checked for code, name and instanceof.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { test } from 'node:test'

import * as esm from '../index.mjs'
import esmDefault from '../index.mjs'
import {
  compile,
  compileFile,
  dropModule,
  ErrorCode,
  instantiate,
  types,
  WasmError,
} from '../index.mjs'
import { CODE_NAMES, checkWasmError, fixture, fromFixture, rejectsWith, tempDir, throwsWith } from './core-helpers.mjs'

const require = createRequire(import.meta.url)

const API = ['compile', 'compileFile', 'dropModule', 'instantiate', 'call', 'getExports', 'dropInstance', 'memory', 'types', 'WasmError', 'ErrorCode']

test('require(\'../index.js\') works from CommonJS and exposes the same API as the ES module', async () => {
  const cjs = require('../index.js')
  for (const name of API) {
    assert.ok(name in cjs, `CommonJS export ${name}`)
    assert.ok(name in esm, `ES module export ${name}`)
    assert.equal(cjs[name], esm[name], `${name} is the same object in both entry points`)
  }
  for (const name of ['compile', 'compileFile', 'dropModule', 'instantiate', 'call', 'getExports', 'dropInstance']) {
    assert.equal(typeof cjs[name], 'function', name)
  }
  for (const name of ['read', 'write', 'size', 'grow']) assert.equal(typeof cjs.memory[name], 'function', `memory.${name}`)
  for (const name of ['i32', 'i64', 'f32', 'f64']) assert.equal(typeof cjs.types[name], 'function', `types.${name}`)
  assert.equal(esmDefault, cjs, 'the default export is the CommonJS module')

  // And it works: a full round trip through the CommonJS entry point.
  const moduleId = await cjs.compile('(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))')
  const instance = await cjs.instantiate(moduleId)
  assert.deepEqual(await instance.call('add', 2, 40), [42])
  assert.deepEqual(await cjs.call(instance.id, 'add', [cjs.types.i32(1), 1]), [2])
  await instance.drop()
  await cjs.dropModule(moduleId)
  const error = await cjs.instantiate(moduleId).catch((e) => e)
  assert.ok(error instanceof cjs.WasmError)
  assert.ok(error instanceof WasmError, 'one WasmError class for both entry points')
  assert.equal(error.code, cjs.ErrorCode.InvalidModuleHandle)
})

test('every function of the API returns a promise', async () => {
  const pending = [compile('(module)'), compileFile(fixture('arith.wat')), dropModule('module:0')]
  for (const p of pending) assert.ok(p instanceof Promise)
  await Promise.allSettled(pending)
})

test('ErrorCode has all 12 codes 5000..5011 with the spec\'s names, and is frozen', () => {
  assert.deepEqual({ ...ErrorCode }, {
    CompileError: 5000,
    InstantiateError: 5001,
    CallError: 5002,
    ExportNotFound: 5003,
    InvalidModuleHandle: 5004,
    InvalidInstanceHandle: 5005,
    MemoryError: 5006,
    TypeError: 5007,
    IoError: 5008,
    PermissionDenied: 5009,
    WasiError: 5010,
    FuelExhausted: 5011,
  })
  assert.deepEqual(Object.values(ErrorCode).sort(), Array.from({ length: 12 }, (_, k) => 5000 + k))
  assert.ok(Object.isFrozen(ErrorCode))
  for (const [name, code] of Object.entries(ErrorCode)) assert.equal(CODE_NAMES[code], name)
})

test('WasmError is exported, extends Error, and carries code, name, message and a stack', async () => {
  assert.equal(typeof WasmError, 'function')
  assert.ok(WasmError.prototype instanceof Error)
  const error = await compile('(module').catch((e) => e)
  assert.ok(error instanceof WasmError)
  assert.ok(error instanceof Error)
  assert.equal(error.code, ErrorCode.CompileError)
  assert.equal(error.name, 'CompileError')
  assert.equal(typeof error.message, 'string')
  assert.ok(!error.message.startsWith('runtime-wasm-error:'), 'no internal encoding leaks into the message')
  assert.equal(typeof error.stack, 'string')
  assert.equal(Object.prototype.toString.call(error), '[object Error]')
  assert.ok(String(error).startsWith('CompileError: '), String(error))
})

test('a 5007 is a WasmError named "TypeError", not a JS TypeError', async () => {
  const instance = await fromFixture('arith.wat')
  const error = await rejectsWith(() => instance.call('add', 'one', 2), 5007)
  assert.ok(!(error instanceof TypeError))
  const sync = throwsWith(() => types.i32(0.5), 5007)
  assert.ok(!(sync instanceof TypeError))
  await instance.drop()
})

test('every error code the core produces, triggered through the public API', async (t) => {
  const arithId = await compileFile(fixture('arith.wat'))
  const arith = await instantiate(arithId)
  const dropped = await instantiate(arithId)
  await dropped.drop()
  const cases = [
    [5000, () => compile('(module (func (result i32)))')],
    [5001, async () => instantiate(await compileFile(fixture('needs_import.wat')))],
    [5002, () => arith.call('div_s', 1, 0)],
    [5003, () => arith.call('missing_function')],
    [5004, () => instantiate('module:123456789')],
    [5005, () => dropped.call('add', 1, 2)],
    [5006, () => arith.memory.read(1e9, 1)],
    [5007, () => arith.call('add', 1)],
    [5008, () => compileFile(join(tempDir(t), 'missing.wasm'))],
    [5010, () => instantiate(arithId, { preopens: { '/x': join(tempDir(t), 'missing-dir') } })],
  ]
  for (const [code, action] of cases) {
    const error = await rejectsWith(action, code)
    checkWasmError(error, code)
    assert.equal(error.code, ErrorCode[CODE_NAMES[code]])
  }
  await arith.drop()
})
