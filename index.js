'use strict'
// The public API: thin JS classes over the native binding. Arguments of the wrong JS kind are
// rejected here; everything else (value rules, bounds, handles) is checked by the core.

const { AsyncLocalStorage } = require('node:async_hooks')
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

// Values thrown by host functions wait here, under a token, until the wasm call they failed
// rejects: they become that rejection's `cause`.
const thrownByHost = new Map()
let nextThrownToken = 1

// The core encodes its errors as a prefix plus JSON (see src/error.rs); decode them here.
function toPublicError(error) {
  const message = error?.message
  if (typeof message !== 'string' || !message.startsWith(ENCODED_PREFIX)) return error
  const { code, name: _name, message: text, hostError, ...details } = JSON.parse(message.slice(ENCODED_PREFIX.length))
  if (hostError !== undefined) {
    details.cause = thrownByHost.get(hostError)
    thrownByHost.delete(hostError)
  }
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

async function instantiate(moduleId, options) {
  requireHandle(moduleId, ErrorCode.InvalidModuleHandle, 'module')
  // Anything but an object goes to the core as it is, which says what is wrong with it.
  const isObject = options !== null && typeof options === 'object'
  const { imports, stdin, ...config } = isObject ? options : {}
  if (stdin !== undefined) config.stdin = typeof stdin === 'string' ? stdin : toBytes(stdin, 'stdin')
  const self = { id: null }
  const host = hostImports(imports, self)
  const instanceId = await invokeAsync(native.instantiate, moduleId, isObject ? config : options, host)
  self.id = instanceId
  return new Instance(instanceId)
}

// --- host functions ---

// The instances whose host functions are running in the current async context: a call into
// one of them from there would wait for itself.
const hostCallChain = new AsyncLocalStorage()

function hostImports(imports, self) {
  if (imports === undefined || imports === null) return undefined
  if (typeof imports !== 'object') throw new WasmError(ErrorCode.InstantiateError, `imports must be an object, got ${describe(imports)}`)
  const functions = []
  const implementations = []
  const linked = []
  for (const [moduleName, namespace] of Object.entries(imports)) {
    if (namespace instanceof Instance) {
      linked.push([moduleName, namespace.id])
      continue
    }
    if (namespace === null || typeof namespace !== 'object') {
      throw new WasmError(ErrorCode.InstantiateError, `imports.${moduleName} must be an object of functions or an Instance, got ${describe(namespace)}`)
    }
    for (const [name, implementation] of Object.entries(namespace)) {
      if (typeof implementation !== 'function') {
        throw new WasmError(ErrorCode.InstantiateError, `imports.${moduleName}.${name} must be a function, got ${describe(implementation)}`)
      }
      functions.push([moduleName, name])
      implementations.push(implementation)
    }
  }
  const dispatch = (index, callId, args) => runHostFunction(implementations[index], callId, args, self)
  return { functions, dispatch, linked }
}

function runHostFunction(implementation, callId, args, self) {
  const chain = new Set(hostCallChain.getStore())
  if (self.id !== null) chain.add(self.id)
  const context = new HostCallContext(callId)
  let returned
  try {
    returned = hostCallChain.run(chain, () => implementation.apply(context, args))
  } catch (error) {
    return failHostCall(callId, error)
  }
  if (returned !== null && typeof returned?.then === 'function') {
    Promise.resolve(returned).then(
      (value) => native.hostReturn(callId, value),
      (error) => failHostCall(callId, error),
    )
  } else {
    native.hostReturn(callId, returned)
  }
}

function failHostCall(callId, error) {
  const token = nextThrownToken++
  thrownByHost.set(token, error)
  native.hostThrow(callId, token)
}

// `this` inside a host function: the calling instance, reachable while the call waits.
class HostCallContext {
  #callId
  constructor(callId) {
    this.#callId = callId
    const id = callId
    this.memory = Object.freeze({
      read: (offset, length) => invokeAsync(native.hostMemoryRead, id, requireNumber(offset, 'offset'), requireNumber(length, 'length')),
      write: (offset, data) => invokeAsync(native.hostMemoryWrite, id, requireNumber(offset, 'offset'), toWritableBytes(data)),
      size: () => invokeAsync(native.hostMemorySize, id),
    })
  }
  // Calls another export of the calling instance, re-entrantly.
  call(name, ...args) {
    requireString(name, 'export name')
    return invokeAsync(native.hostCall, this.#callId, name, args)
  }
}

function refuseReentry(instanceId) {
  if (hostCallChain.getStore()?.has(instanceId)) {
    throw new WasmError(
      ErrorCode.CallError,
      `instance ${instanceId} is waiting for the host function that makes this call; ` +
        'use this.call(...) inside the host function to call back into it',
    )
  }
}

async function call(instanceId, name, args = [], options = undefined) {
  requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance')
  requireString(name, 'export name')
  refuseReentry(instanceId)
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

async function readStdout(instanceId) {
  return invoke(native.readStdout, requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance'))
}

async function readStderr(instanceId) {
  return invoke(native.readStderr, requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance'))
}

// Runs a WASI command to its end, like child_process.execFile: resolves { exitCode, stdout,
// stderr }. A non-zero exit status is data here, not an error.
async function run(pathOrModuleId, options = {}) {
  const { args, env, preopens, stdin, limits, outputLimitBytes, imports } = options
  const ownModule = !isModuleId(pathOrModuleId)
  const moduleId = ownModule ? await compileFile(pathOrModuleId) : pathOrModuleId
  try {
    const instance = await instantiate(moduleId, { args, env, preopens, stdin, limits, outputLimitBytes, imports, stdout: 'pipe', stderr: 'pipe' })
    try {
      let exitCode = 0
      try {
        await instance.call('_start')
      } catch (error) {
        if (!(error instanceof WasmError) || error.exitCode === undefined) throw error
        exitCode = error.exitCode
      }
      return { exitCode, stdout: await instance.readStdout(), stderr: await instance.readStderr() }
    } finally {
      await instance.drop()
    }
  } finally {
    if (ownModule) await dropModule(moduleId)
  }
}

function isModuleId(value) {
  return typeof value === 'string' && value.startsWith('module:')
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
  // What the program wrote to its piped stdout (stderr) since the last read.
  readStdout() {
    return readStdout(this.#id)
  }
  readStderr() {
    return readStderr(this.#id)
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
  // Like drop(), but silent when the instance is already gone (also when dropped by id).
  async [Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')]() {
    if (this.#dropped) return
    try {
      await this.drop()
    } catch (error) {
      if (error?.code !== ErrorCode.InvalidInstanceHandle) throw error
    }
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
  readStdout,
  readStderr,
  run,
  memory,
  types,
  Instance,
  Memory,
  WasmError,
  AbortError,
  ErrorCode,
}
