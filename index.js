'use strict'
// The public API: thin JS classes over the native binding. Arguments of the wrong JS kind are
// rejected here; everything else (value rules, bounds, handles) is checked by the core.

const native = require('./binding.js')

const ErrorCode = Object.freeze({
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

const CODE_NAMES = Object.freeze(Object.fromEntries(Object.entries(ErrorCode).map(([name, code]) => [code, name])))
const ENCODED_PREFIX = 'runtime-wasm-error:'

class WasmError extends Error {
  constructor(code, message, details = {}) {
    const { cause, ...facts } = details
    super(message, cause === undefined ? undefined : { cause })
    Object.defineProperty(this, 'name', { value: CODE_NAMES[code] ?? 'WasmError', configurable: true, writable: true })
    this.code = code
    Object.assign(this, facts)
  }
}

// The core encodes its errors as a prefix plus JSON (see src/error.rs); decode them here.
function toPublicError(error) {
  const message = error?.message
  if (typeof message !== 'string' || !message.startsWith(ENCODED_PREFIX)) return error
  const { code, name: _name, message: text, ...details } = JSON.parse(message.slice(ENCODED_PREFIX.length))
  return new WasmError(code, text, details)
}

// Node's convention for a cancelled operation: name "AbortError", code "ABORT_ERR", and the
// signal's reason as the cause.
class AbortError extends Error {
  constructor(message = 'The operation was aborted', options = undefined) {
    super(message, options)
    Object.defineProperty(this, 'name', { value: 'AbortError', configurable: true, writable: true })
    this.code = 'ABORT_ERR'
  }
}

function invoke(fn, ...args) {
  try {
    return fn(...args)
  } catch (error) {
    throw toPublicError(error)
  }
}

async function invokeAsync(fn, ...args) {
  try {
    return await fn(...args)
  } catch (error) {
    throw toPublicError(error)
  }
}

function describe(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

function requireHandle(id, code, what) {
  if (typeof id !== 'string') throw new WasmError(code, `${what} id must be a string, got ${describe(id)}`)
  return id
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

// Any BufferSource becomes a Uint8Array view of the same bytes (no copy).
function toBytes(data, what) {
  if (data instanceof Uint8Array) return data
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer) return new Uint8Array(data)
  throw new TypeError(`${what} must be a Uint8Array, Buffer, ArrayBuffer or typed array, got ${describe(data)}`)
}

function toWritableBytes(data) {
  if (!Array.isArray(data)) return toBytes(data, 'memory.write data')
  for (const byte of data) {
    if (!Number.isInteger(byte) || byte < 0 || byte > 255) {
      throw new WasmError(ErrorCode.MemoryError, `memory.write data: ${String(byte)} is not a byte (an integer from 0 to 255)`)
    }
  }
  return Uint8Array.from(data)
}

// --- modules ---

async function compile(source) {
  const input = typeof source === 'string' ? source : toBytes(source, 'compile source')
  return invokeAsync(native.compile, input)
}

async function compileFile(path) {
  return invokeAsync(native.compileFile, requireString(path, 'compileFile path'))
}

async function dropModule(moduleId) {
  invoke(native.dropModule, requireHandle(moduleId, ErrorCode.InvalidModuleHandle, 'module'))
}

// --- instances (low-level API: by id) ---

async function instantiate(moduleId, wasiConfig) {
  requireHandle(moduleId, ErrorCode.InvalidModuleHandle, 'module')
  const instanceId = await invokeAsync(native.instantiate, moduleId, wasiConfig)
  return new Instance(instanceId)
}

async function call(instanceId, name, args = [], options = undefined) {
  requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance')
  requireString(name, 'export name')
  if (!Array.isArray(args)) throw new TypeError(`call arguments must be an array, got ${describe(args)}`)
  if (options === undefined || options === null) return invokeAsync(native.call, instanceId, name, args)
  return callWithOptions(instanceId, name, args, options)
}

async function callWithOptions(instanceId, name, args, options) {
  if (typeof options !== 'object') throw new TypeError(`call options must be an object, got ${describe(options)}`)
  const { fuel, timeoutMs, signal } = options
  if (signal === undefined || signal === null) return invokeAsync(native.call, instanceId, name, args, fuel, timeoutMs)
  if (!(signal instanceof AbortSignal)) throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`)
  if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason })
  const handle = new native.CancelHandle()
  const onAbort = () => handle.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await native.call(instanceId, name, args, fuel, timeoutMs, handle)
  } catch (error) {
    const publicError = toPublicError(error)
    if (publicError.aborted) throw new AbortError(undefined, { cause: signal.reason })
    throw publicError
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

async function fuel(instanceId) {
  return invokeAsync(native.instanceFuel, requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance'))
}

async function setFuel(instanceId, amount) {
  return invokeAsync(native.setInstanceFuel, requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance'), amount)
}

async function getExports(instanceId) {
  return invokeAsync(native.getExports, requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance'))
}

async function dropInstance(instanceId) {
  invoke(native.dropInstance, requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance'))
}

const memory = Object.freeze({
  async read(instanceId, offset, length) {
    requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance')
    return invokeAsync(native.memoryRead, instanceId, requireNumber(offset, 'offset'), requireNumber(length, 'length'))
  },
  async write(instanceId, offset, data) {
    requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance')
    return invokeAsync(native.memoryWrite, instanceId, requireNumber(offset, 'offset'), toWritableBytes(data))
  },
  async size(instanceId) {
    return invokeAsync(native.memorySize, requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance'))
  },
  async grow(instanceId, pages) {
    requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance')
    return invokeAsync(native.memoryGrow, instanceId, requireNumber(pages, 'pages'))
  },
})

// --- the Instance class, built on the low-level API ---

// An Instance that becomes unreachable without drop() is dropped by the garbage collector.
const unreachableInstances = new FinalizationRegistry((instanceId) => {
  try {
    native.dropInstance(instanceId)
  } catch {
    // Already dropped.
  }
})

class Memory {
  #instance
  constructor(instance) {
    this.#instance = instance // keeps the instance alive while its memory is in use
  }
  read(offset, length) {
    return memory.read(this.#instance.id, offset, length)
  }
  write(offset, data) {
    return memory.write(this.#instance.id, offset, data)
  }
  size() {
    return memory.size(this.#instance.id)
  }
  grow(pages) {
    return memory.grow(this.#instance.id, pages)
  }
}

class Instance {
  #id
  #dropped = false
  constructor(instanceId) {
    this.#id = instanceId
    this.memory = new Memory(this)
    unreachableInstances.register(this, instanceId, this)
  }
  get id() {
    return this.#id
  }
  async call(name, ...args) {
    const results = await call(this.#id, name, args)
    keepAlive(this)
    return results
  }
  // Like call(), with the arguments as an array and limits for this call:
  // { fuel, timeoutMs, signal }.
  async invoke(name, args = [], options = {}) {
    const results = await call(this.#id, name, args, options)
    keepAlive(this)
    return results
  }
  // Fuel left, or null for an instance created without limits.fuel.
  async fuel() {
    const left = await fuel(this.#id)
    keepAlive(this)
    return left
  }
  async setFuel(amount) {
    await setFuel(this.#id, amount)
    keepAlive(this)
  }
  async getExports() {
    const exports = await getExports(this.#id)
    keepAlive(this)
    return exports
  }
  async drop() {
    await dropInstance(this.#id)
    this.#dropped = true
    unreachableInstances.unregister(this)
  }
  async [Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')]() {
    if (!this.#dropped) await this.drop()
  }
}

// Referencing the instance after an await keeps it reachable until the operation settles.
function keepAlive(_instance) {}

function tagged(type) {
  return (value) => {
    invoke(native.checkValue, type, value)
    return Object.freeze({ type, value })
  }
}

const types = Object.freeze({
  i32: tagged('i32'),
  i64: tagged('i64'),
  f32: tagged('f32'),
  f64: tagged('f64'),
})

module.exports = {
  compile,
  compileFile,
  dropModule,
  instantiate,
  call,
  getExports,
  dropInstance,
  fuel,
  setFuel,
  memory,
  types,
  Instance,
  Memory,
  WasmError,
  AbortError,
  ErrorCode,
}
