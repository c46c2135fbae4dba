'use strict'
// What the caller passes, read once and checked for its JS kind: strings, numbers, bytes, call
// arguments and plain copies of option objects. Everything else (value rules, bounds, handles)
// is checked by the core.

const { isAnyArrayBuffer, isSharedArrayBuffer, isUint8Array } = require('node:util/types')
const { ErrorCode, WasmError } = require('./errors.js')

function describe(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  // A number's value is the clue to what was wrong with it (-1, 1.5, NaN).
  if (typeof value === 'number') return String(value)
  return `a ${typeof value}`
}

function requireString(value, what) {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${describe(value)}`)
  return value
}

function requireNumber(value, what) {
  if (typeof value !== 'number') {
    throw new WasmError(ErrorCode.MemoryError, `${what} must be a non-negative integer, got ${describe(value)}`)
  }
  return value
}

function requireArray(args) {
  if (!Array.isArray(args)) throw new TypeError(`call arguments must be an array, got ${describe(args)}`)
  return args
}

function isAbortSignal(value) {
  try {
    return value instanceof AbortSignal
  } catch {
    return false // a Proxy whose traps throw
  }
}

// Any BufferSource becomes a Uint8Array view of the same bytes (no copy).
// (The checks run no code of the caller's: a Proxy is not binary data, whatever its traps say.)
function toBytes(data, what) {
  if (!isBinaryData(data)) {
    throw new TypeError(`${what} must be a Uint8Array, Buffer, ArrayBuffer or typed array, got ${describe(data)}`)
  }
  if (isDetached(data)) return new Uint8Array(0) // a detached buffer has no bytes left
  if (isUint8Array(data)) return data
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return new Uint8Array(data)
}

function isBinaryData(value) {
  return ArrayBuffer.isView(value) || isAnyArrayBuffer(value)
}

function isDetached(data) {
  const buffer = ArrayBuffer.isView(data) ? data.buffer : data
  if (isSharedArrayBuffer(buffer)) return false
  try {
    new Uint8Array(buffer, 0, 0)
    return false
  } catch {
    return true
  }
}

function toWritableBytes(data) {
  if (!Array.isArray(data)) return toBytes(data, 'memory.write data')
  // Each element is read once, and the first one that is not a byte stops the copy.
  const bytes = snapshot(ErrorCode.MemoryError, 'memory.write data', () => {
    const values = []
    for (let i = 0, length = data.length; i < length; i++) {
      const byte = data[i]
      if (!Number.isInteger(byte) || byte < 0 || byte > 255) {
        const shown = typeof byte === 'number' ? String(byte) : describe(byte)
        throw new WasmError(ErrorCode.MemoryError, `memory.write data: ${shown} is not a byte (an integer from 0 to 255)`)
      }
      values.push(byte)
    }
    return values
  })
  return Uint8Array.from(bytes)
}

// Plain copies of the caller's arguments, made before anything else reads them: a getter or a
// Proxy trap that throws fails the operation with a WasmError of `code` (what it threw is the
// cause), with no effect, and the core never runs the caller's code while it decodes them.
function snapshot(code, what, read) {
  try {
    return read()
  } catch (error) {
    if (error instanceof WasmError) throw error
    const text = error instanceof Error ? error.message : typeof error === 'symbol' ? 'a symbol' : String(error)
    throw new WasmError(code, `${what}: reading it threw: ${text}`, { cause: error })
  }
}

// The Instance objects of the public API: index.js marks each one as it is made. They are
// recognised by this mark, which runs no code of the caller's (a Proxy's traps included).
const instances = new WeakSet()

function markInstance(instance) {
  instances.add(instance)
}

function isInstance(value) {
  return instances.has(value)
}

// Copies arrays and ordinary objects `depth` levels down; binary data, functions, Instances and
// AbortSignals are kept as they are.
function plainCopy(value, depth) {
  if (depth === 0 || value === null || typeof value !== 'object') return value
  if (isBinaryData(value) || isInstance(value) || value instanceof AbortSignal) return value
  if (Array.isArray(value)) {
    if (value.length > MAX_COPIED_ITEMS) return value // the core rejects it on its first hole
    return Array.prototype.map.call(value, (item) => plainCopy(item, depth - 1))
  }
  const copy = {}
  // Defined, not assigned: a key named "__proto__" (an environment variable may be) is kept
  // as a key, not taken as the copy's prototype.
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(copy, key, { value: plainCopy(item, depth - 1), enumerable: true, writable: true, configurable: true })
  }
  return copy
}

const MAX_COPIED_ITEMS = 1 << 20

// A wasm function takes at most 1,000 parameters (the engine's limit): longer argument lists
// are refused before they are read.
const MAX_CALL_ARGS = 1000

// Call arguments: primitives as they are, objects as plain { type, value } pairs.
function callArgs(args) {
  if (args.length > MAX_CALL_ARGS) {
    throw new WasmError(ErrorCode.TypeError, `a wasm function takes at most ${MAX_CALL_ARGS} arguments, got ${args.length}`)
  }
  return snapshot(ErrorCode.TypeError, 'a call argument', () =>
    Array.from(args, (arg) => (arg !== null && typeof arg === 'object' ? { type: arg.type, value: arg.value } : arg)),
  )
}

module.exports = {
  describe,
  requireString,
  requireNumber,
  requireArray,
  isAbortSignal,
  toBytes,
  isBinaryData,
  toWritableBytes,
  snapshot,
  markInstance,
  isInstance,
  plainCopy,
  MAX_CALL_ARGS,
  callArgs,
}
