// Shared helpers for the core API suites (*.test.mjs). Everything goes through the public API.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { WasmError, compile, compileFile, instantiate } from '../index.mjs'

// The spec's error table, written out here rather than read from ErrorCode, so the suite checks it.
export const CODE_NAMES = Object.freeze({
  5000: 'CompileError',
  5001: 'InstantiateError',
  5002: 'CallError',
  5003: 'ExportNotFound',
  5004: 'InvalidModuleHandle',
  5005: 'InvalidInstanceHandle',
  5006: 'MemoryError',
  5007: 'TypeError',
  5008: 'IoError',
  5009: 'PermissionDenied',
  5010: 'WasiError',
  5011: 'FuelExhausted',
})

/**
 * A binary module with one export, add(i32, i32) -> i32, and no imports, start function or
 * memory: (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))).
 */
export const ADD_MODULE_BYTES = Object.freeze([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type: (i32, i32) -> i32
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, // export "add"
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, // local.get 0, local.get 1, i32.add
])

/** Absolute path of a shared fixture in __test__/fixtures/. */
export function fixture(name) {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

/** Absolute path of a fixture of the core suites in __test__/fixtures/core/. */
export function coreFixture(name) {
  return fileURLToPath(new URL(`./fixtures/core/${name}`, import.meta.url))
}

/** The whole package root (for child processes). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs `action` (a function returning a promise), checks that it rejects (not throws synchronously)
 * with a WasmError of `code` and the spec's name for it, and that the message matches every pattern
 * of `message` (RegExp or substring). Returns the error for further checks.
 */
export async function rejectsWith(action, code, ...message) {
  let pending
  try {
    pending = action()
  } catch (error) {
    assert.fail(`expected a rejected promise (code ${code}), but the call threw synchronously: ${error?.stack ?? error}`)
  }
  assert.ok(pending && typeof pending.then === 'function', 'expected the call to return a promise')
  let error
  try {
    const value = await pending
    assert.fail(`expected a rejection with code ${code} (${CODE_NAMES[code]}), but it resolved with ${inspectValue(value)}`)
  } catch (caught) {
    if (caught instanceof assert.AssertionError) throw caught
    error = caught
  }
  checkWasmError(error, code, ...message)
  return error
}

/** Same as rejectsWith, for a synchronous function that must throw. */
export function throwsWith(action, code, ...message) {
  let error
  let threw = false
  try {
    action()
  } catch (caught) {
    threw = true
    error = caught
  }
  assert.ok(threw, `expected a synchronous throw with code ${code} (${CODE_NAMES[code]})`)
  checkWasmError(error, code, ...message)
  return error
}

export function checkWasmError(error, code, ...message) {
  assert.ok(error instanceof WasmError, `expected a WasmError, got ${error?.stack ?? error}`)
  assert.ok(error instanceof Error, 'a WasmError is an Error')
  assert.equal(error.code, code, `wrong code; message: ${error.message}`)
  assert.equal(error.name, CODE_NAMES[code])
  assert.equal(typeof error.message, 'string')
  assert.ok(error.message.length > 0, 'the message says what failed')
  for (const pattern of message) {
    if (pattern instanceof RegExp) assert.match(error.message, pattern)
    else assert.ok(error.message.includes(pattern), `message ${JSON.stringify(error.message)} should contain ${JSON.stringify(pattern)}`)
  }
}

function inspectValue(value) {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))
  } catch {
    return String(value)
  }
}

/** Compiles WAT text and instantiates it. */
export async function fromWat(wat, config) {
  return instantiate(await compile(wat), config)
}

/** Compiles a shared fixture file and instantiates it. */
export async function fromFixture(name, config) {
  return instantiate(await compileFile(fixture(name)), config)
}

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t, prefix = 'runtime-wasm-test-') {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A hand-written binary module: (module (func (export "answer") (result i32) (i32.const 42))).
 * The magic and version alone (the first 8 bytes) are also a valid, empty module.
 */
export const ANSWER_WASM = Object.freeze([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type section: () -> i32
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x07, 0x0a, 0x01, 0x06, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0x00, 0x00, // export "answer" = func 0
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b, // code: i32.const 42, end
])

export const EMPTY_WASM = Object.freeze([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
