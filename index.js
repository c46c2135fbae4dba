'use strict'
// The public API: thin JS classes over the native binding. Arguments of the wrong JS kind are
// rejected here; everything else (value rules, bounds, handles) is checked by the core.

const { AsyncLocalStorage } = require('node:async_hooks')
const { realpathSync } = require('node:fs')
const { resolve: resolvePath } = require('node:path')
const { isAnyArrayBuffer, isSharedArrayBuffer, isUint8Array } = require('node:util/types')
const native = require('./lib/native.js')
const { withProgress } = require('./lib/progress.js')

const { AbortError, ErrorCode, WasmError, invoke, invokeAsync, keepThrownByHost, rejectPublic, toPublicError } = require('./lib/errors.js')
const { FUNCTION_SLOTS, INSTANCE_ID_PREFIX, MODULE_ID_PREFIX } = require('./lib/constants.js')

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

// Copies arrays and ordinary objects `depth` levels down; binary data, functions, Instances and
// AbortSignals are kept as they are.
function plainCopy(value, depth) {
  if (depth === 0 || value === null || typeof value !== 'object') return value
  if (isBinaryData(value) || value instanceof Instance || value instanceof AbortSignal) return value
  if (Array.isArray(value)) {
    if (value.length > MAX_COPIED_ITEMS) return value // the core rejects it on its first hole
    return Array.prototype.map.call(value, (item) => plainCopy(item, depth - 1))
  }
  const copy = {}
  for (const [key, item] of Object.entries(value)) copy[key] = plainCopy(item, depth - 1)
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

// --- modules ---

async function compile(source) {
  const input = typeof source === 'string' ? source : toBytes(source, 'compile source')
  return invokeAsync(native.compile, input)
}

async function compileFile(path, options = undefined) {
  requireString(path, 'compileFile path')
  requireNodePermission('fs.read', path, `compileFile ${JSON.stringify(path)}`)
  return withProgress(path, options, () => invokeAsync(native.compileFile, path), dropModule)
}

async function dropModule(moduleId) {
  invoke(native.dropModule, requireHandle(moduleId, ErrorCode.InvalidModuleHandle, 'module'))
}

// --- capabilities (the manifest policy lives in the core; see src/capabilities) ---

function capabilities() {
  return invoke(native.capabilities)
}

// Under Node's permission model (node --permission), what the addon opens must be granted to
// the process too, and only JS can ask. Both the path as given and its real path must be granted.
function requireNodePermission(scope, target, what) {
  const permission = process.permission
  if (typeof permission?.has !== 'function') return
  const resolved = resolvePath(target)
  const denied = (path) =>
    new WasmError(ErrorCode.PermissionDenied, `${what}: Node's permission model does not grant ${scope} on ${path}`, { path: target })
  if (!permission.has(scope, resolved)) throw denied(resolved)
  let real
  try {
    real = realpathSync(resolved)
  } catch {
    return // nothing there to open: the core reports it
  }
  if (real !== resolved && !permission.has(scope, real)) throw denied(real)
}

// Checks each preopen against Node's permission model: fs.read, and fs.write unless it is
// read-only. The entries are read once into a plain copy, which is what the core gets, so a
// getter cannot show one path here and another to the core.
function withPreopenPermissions(wasiConfig) {
  if (typeof process.permission?.has !== 'function') return wasiConfig
  if (wasiConfig === null || typeof wasiConfig !== 'object') return wasiConfig
  const preopens = wasiConfig.preopens
  if (preopens === null || typeof preopens !== 'object' || Array.isArray(preopens)) return wasiConfig
  const copy = {}
  for (const guest of Object.keys(preopens)) {
    const value = preopens[guest]
    const entry = value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value } : value
    copy[guest] = entry
    const host = typeof entry === 'string' ? entry : entry?.path
    if (typeof host !== 'string') continue // malformed: the core rejects it
    const what = `preopen ${JSON.stringify(guest)}`
    requireNodePermission('fs.read', host, what)
    if (!(typeof entry === 'object' && entry.readonly === true)) requireNodePermission('fs.write', host, what)
  }
  return { ...wasiConfig, preopens: copy }
}

// --- instances (low-level API: by id) ---

async function instantiate(moduleId, options) {
  requireHandle(moduleId, ErrorCode.InvalidModuleHandle, 'module')
  // Anything but an object goes to the core as it is, which says what is wrong with it.
  const isObject = options !== null && typeof options === 'object'
  const copied = isObject ? snapshot(ErrorCode.WasiError, 'instantiate options', () => plainCopy(options, 1)) : {}
  const { imports, stdin, limits, ...wasi } = copied
  // Three levels: a preopen given as { path, readonly } is copied too.
  const config = snapshot(ErrorCode.WasiError, 'instantiate options', () => plainCopy(wasi, 3))
  if (limits !== undefined) config.limits = snapshot(ErrorCode.InstantiateError, 'limits', () => plainCopy(limits, 1))
  const delivery = { delivered: 0, waiters: [] }
  let streamsToCallbacks = false
  for (const stream of ['stdout', 'stderr']) {
    if (typeof config[stream] !== 'function') continue
    config[stream] = guardOutputCallback(config[stream], stream, delivery)
    streamsToCallbacks = true
  }
  if (stdin !== undefined) config.stdin = isBinaryData(stdin) ? toBytes(stdin, 'stdin') : stdin
  const self = { id: null }
  const host = hostImports(imports, self)
  const checked = isObject ? withPreopenPermissions(config) : options
  const instanceId = await invokeAsync(native.instantiate, moduleId, checked, host)
  self.id = instanceId
  if (streamsToCallbacks) outputDeliveries.set(instanceId, delivery)
  const instance = new Instance(instanceId)
  await turnForFinalizers()
  return instance
}

// Each Instance carries a native finalizer, and Node runs those on the event loop. A small
// module's instantiation completes without a turn of it, so a loop that only instantiates and
// awaits would pile finalizers (and their memory) up until it ends: one instantiation in
// FINALIZER_TURN_EVERY gives the event loop a turn.
const FINALIZER_TURN_EVERY = 64
let instantiations = 0

function turnForFinalizers() {
  instantiations = (instantiations + 1) % FINALIZER_TURN_EVERY
  return instantiations === 0 ? new Promise((resolve) => setImmediate(resolve)) : undefined
}

// Chunks written to stdout/stderr callbacks travel on their own queue: a call settles only
// once every chunk written before it ended has reached its callback.
const outputDeliveries = new Map()

async function settleAfterOutput(instanceId, pending) {
  try {
    return await pending
  } finally {
    await outputDelivered(instanceId)
  }
}

function outputDelivered(instanceId) {
  const delivery = outputDeliveries.get(instanceId)
  let sent
  try {
    sent = native.sentChunks(instanceId)
  } catch {
    return undefined // dropped meanwhile
  }
  if (delivery === undefined || delivery.delivered >= sent) return undefined
  // The callbacks' queue does not keep the process alive on its own; this timer does, until
  // the chunks are in.
  const keepAlive = setInterval(() => {}, 60_000)
  return new Promise((resolve) => {
    const done = () => {
      clearInterval(keepAlive)
      resolve()
    }
    delivery.waiters.push({ target: sent, resolve: done })
  })
}

function countDelivered(delivery) {
  delivery.delivered += 1
  delivery.waiters = delivery.waiters.filter((waiter) => {
    if (waiter.target > delivery.delivered) return true
    waiter.resolve()
    return false
  })
}

// --- host functions ---

// The host functions running in the current async context, as frames { instanceId, waiting }:
// while a frame is waiting, a call into its instance from there would wait for itself. A frame
// stops waiting when its host function has returned (or its Promise has settled), so work it
// scheduled for later (a timer, a promise chain) may call the instance again.
const hostCallChain = new AsyncLocalStorage()

function hostImports(given, self) {
  if (given === undefined || given === null) return undefined
  if (typeof given !== 'object') throw new WasmError(ErrorCode.InstantiateError, `imports must be an object, got ${describe(given)}`)
  const imports = snapshot(ErrorCode.InstantiateError, 'imports', () => plainCopy(given, 2))
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
  const dispatch = (index, callId, args, upstream) => runHostFunction(implementations[index], callId, args, self, upstream)
  return { functions, dispatch, linked }
}

function runHostFunction(implementation, callId, args, self, upstream) {
  // `upstream`: instances waiting further up for the call that reached this host function.
  const frame = { instanceId: self.id, upstream: upstream ?? [], waiting: true }
  const chain = [...(hostCallChain.getStore() ?? []), frame]
  const context = new HostCallContext(callId)
  let returned
  try {
    returned = hostCallChain.run(chain, () => implementation.apply(context, args))
  } catch (error) {
    frame.waiting = false
    return failHostCall(callId, error)
  }
  // Whatever the function returned (a Proxy, a thenable whose `then` getter throws, ...), a
  // failure to read it fails the wasm call: it never escapes as an uncaught exception.
  let thenable
  try {
    thenable = returned !== null && typeof returned?.then === 'function'
  } catch (error) {
    frame.waiting = false
    return failHostCall(callId, error)
  }
  if (thenable) {
    Promise.resolve(returned).then(
      (value) => {
        frame.waiting = false
        answerHostCall(callId, value)
      },
      (error) => {
        frame.waiting = false
        failHostCall(callId, error)
      },
    )
  } else {
    frame.waiting = false
    answerHostCall(callId, returned)
  }
}

// A stdout/stderr callback runs after the guest's write was accepted, so there is no call to
// fail: an exception it throws is reported as a process warning instead of ending the process.
function guardOutputCallback(callback, stream, delivery) {
  return (chunk) => {
    try {
      callback(chunk)
    } catch (error) {
      const text = error instanceof Error ? error.message : typeof error === 'symbol' ? 'a symbol' : String(error)
      process.emitWarning(`the ${stream} callback threw: ${text}`, 'RuntimeWasmWarning')
    } finally {
      countDelivered(delivery)
    }
  }
}

function answerHostCall(callId, value) {
  try {
    native.hostReturn(callId, value)
  } catch (error) {
    failHostCall(callId, error)
  }
}

function failHostCall(callId, error) {
  native.hostThrow(callId, keepThrownByHost(error))
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

function isAbortSignal(value) {
  try {
    return value instanceof AbortSignal
  } catch {
    return false // a Proxy whose traps throw
  }
}

// The instances that a call made here would hold up: those waiting for the host functions
// running in this async context. Passed along with the call, so that host functions it
// reaches (directly or through linked instances) know them too.
function waitingInstances() {
  const frames = hostCallChain.getStore()
  if (frames === undefined) return undefined
  const ids = []
  for (const frame of frames) {
    if (!frame.waiting) continue
    if (frame.instanceId !== null) ids.push(frame.instanceId)
    ids.push(...frame.upstream)
  }
  return ids.length > 0 ? ids : undefined
}

function refuseReentry(instanceId) {
  if (waitingInstances()?.includes(instanceId)) {
    throw new WasmError(
      ErrorCode.CallError,
      `instance ${instanceId} is waiting for the host function that makes this call; ` +
        'use this.call(...) inside the host function to call back into it',
    )
  }
}

// The hot call path: calls by function handle. An instance's number and a handle per export
// name are resolved once, so a call passes no strings, and its arguments are passed as they
// are. Only for primitive arguments, no per-call options, and calls not made from inside a
// host function or on an instance with output callbacks: the general path handles those.
class FastCalls {
  #instanceId
  // The instance's number times FUNCTION_SLOTS: a call passes this plus the function's handle.
  #base
  // Call targets by export name.
  #targets = new Map()
  constructor(instanceId) {
    this.#instanceId = instanceId
    const number = Number(instanceId.slice(INSTANCE_ID_PREFIX.length))
    // NaN (never fast) for anything but an instance id, or when the binding has no fast path.
    this.#base = native.callFast === undefined ? NaN : number * FUNCTION_SLOTS
  }
  // The call target of `name` if this call can take the fast path, else undefined.
  #target(name, args) {
    if (Number.isNaN(this.#base) || typeof name !== 'string' || !primitiveArgs(args)) return undefined
    let target = this.#targets.get(name)
    if (target === undefined) {
      let handle
      try {
        handle = native.resolveFunction(this.#instanceId, name)
      } catch {
        return undefined // the general path reports what is wrong
      }
      target = this.#base + handle
      if (!Number.isSafeInteger(target) || handle >= FUNCTION_SLOTS) return undefined
      this.#targets.set(name, target)
    }
    return target
  }
  // A Promise of the results, or undefined when the general path must make this call.
  // `owner` is kept reachable until the call settles.
  call(name, args, owner) {
    if (hostCallChain.getStore() !== undefined || outputDeliveries.has(this.#instanceId)) return undefined
    const target = this.#target(name, args)
    if (target === undefined) return undefined
    let outcome
    try {
      outcome = native.callFast(target, ...args)
    } catch (error) {
      return Promise.reject(toPublicError(error))
    }
    if (outcome instanceof Promise) {
      return outcome.then((results) => {
        keepAlive(owner)
        return resultsArray(results)
      }, rejectPublic)
    }
    return Promise.resolve(resultsArray(outcome))
  }
  // The results, or undefined when the general path must make this call.
  callSync(name, args) {
    const target = this.#target(name, args)
    if (target === undefined) return undefined
    try {
      return resultsArray(native.callSyncFast(target, ...args))
    } catch (error) {
      throw toPublicError(error)
    }
  }
}

function primitiveArgs(args) {
  if (!Array.isArray(args) || args.length > MAX_CALL_ARGS) return false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg !== null && typeof arg === 'object') return false
  }
  return true
}

// The fast path returns no results as undefined, one as itself and several as an array.
function resultsArray(outcome) {
  if (outcome === undefined) return []
  return Array.isArray(outcome) ? outcome : [outcome]
}

// Fast-call handles for the low-level API, by instance id (forgotten when it is dropped).
const fastCallsById = new Map()
const FAST_CALLS_BY_ID_LIMIT = 10000

function fastCallsFor(instanceId) {
  if (typeof instanceId !== 'string') return undefined
  let fast = fastCallsById.get(instanceId)
  if (fast === undefined) {
    if (fastCallsById.size >= FAST_CALLS_BY_ID_LIMIT) fastCallsById.clear()
    fast = new FastCalls(instanceId)
    fastCallsById.set(instanceId, fast)
  }
  return fast
}

function call(instanceId, name, args = [], options = undefined) {
  if (options === undefined || options === null) {
    const fast = fastCallsFor(instanceId)?.call(name, args)
    if (fast !== undefined) return fast
  }
  return callGeneral(instanceId, name, args, options)
}

async function callGeneral(instanceId, name, args = [], options = undefined) {
  requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance')
  requireString(name, 'export name')
  refuseReentry(instanceId)
  if (!Array.isArray(args)) throw new TypeError(`call arguments must be an array, got ${describe(args)}`)
  const values = callArgs(args)
  const upstream = waitingInstances()
  const pending =
    options === undefined || options === null
      ? invokeAsync(native.call, instanceId, name, values, undefined, undefined, undefined, upstream)
      : callWithOptions(instanceId, name, values, options, upstream)
  return outputDeliveries.has(instanceId) ? settleAfterOutput(instanceId, pending) : pending
}

async function callWithOptions(instanceId, name, args, options, upstream) {
  if (typeof options !== 'object') throw new TypeError(`call options must be an object, got ${describe(options)}`)
  const { fuel, timeoutMs, signal } = snapshot(ErrorCode.TypeError, 'call options', () => ({ ...options }))
  if (signal === undefined || signal === null) return invokeAsync(native.call, instanceId, name, args, fuel, timeoutMs, undefined, upstream)
  if (!isAbortSignal(signal)) throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`)
  if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason })
  const handle = new native.CancelHandle()
  const onAbort = () => handle.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await native.call(instanceId, name, args, fuel, timeoutMs, handle, upstream)
  } catch (error) {
    const publicError = toPublicError(error)
    if (publicError.aborted) throw new AbortError(undefined, { cause: signal.reason })
    throw publicError
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

// Runs to completion on the JS thread: for hot paths of tiny calls. Still under the
// instance's fuel and deadline limits; the instance must be idle and host functions cannot run.
function callSync(instanceId, name, args = []) {
  const fast = fastCallsFor(instanceId)?.callSync(name, args)
  if (fast !== undefined) return fast
  return callSyncGeneral(instanceId, name, args)
}

function callSyncGeneral(instanceId, name, args) {
  requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance')
  requireString(name, 'export name')
  if (!Array.isArray(args)) throw new TypeError(`call arguments must be an array, got ${describe(args)}`)
  return invoke(native.callSync, instanceId, name, callArgs(args))
}

// Process-wide settings. { cacheDir, cache }: where compiled code is cached, or cache: false.
// { manifest }: the capability manifest to put in force (see capabilities()).
function configure(options) {
  if (options === null || typeof options !== 'object') throw new TypeError(`configure options must be an object, got ${describe(options)}`)
  const { cacheDir, cache, manifest } = options
  if (cache !== undefined && typeof cache !== 'boolean') throw new TypeError(`cache must be a boolean, got ${describe(cache)}`)
  if (cacheDir !== undefined && typeof cacheDir !== 'string') throw new TypeError(`cacheDir must be a string, got ${describe(cacheDir)}`)
  if (manifest !== undefined && typeof manifest !== 'string') throw new TypeError(`manifest must be a string, got ${describe(manifest)}`)
  if (manifest !== undefined) invoke(native.configureManifest, manifest)
  if (cache !== undefined || cacheDir !== undefined) {
    invoke(native.configureCache, cache, cacheDir === undefined ? undefined : require('node:path').resolve(cacheDir))
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
async function run(pathOrModuleId, options = undefined) {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new WasmError(ErrorCode.WasiError, `run options must be an object, got ${describe(options)}`)
  }
  const given = options ?? {}
  const { args, env, preopens, stdin, limits, outputLimitBytes, imports } = snapshot(ErrorCode.WasiError, 'run options', () => ({ ...given }))
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
  return typeof value === 'string' && value.startsWith(MODULE_ID_PREFIX)
}

// Operations that queue behind the instance's running call: refused from inside one of its
// own host functions, where they would wait for themselves.
function instanceForQueuedOperation(instanceId) {
  requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance')
  refuseReentry(instanceId)
  return instanceId
}

async function fuel(instanceId) {
  return invokeAsync(native.instanceFuel, instanceForQueuedOperation(instanceId))
}

async function setFuel(instanceId, amount) {
  return invokeAsync(native.setInstanceFuel, instanceForQueuedOperation(instanceId), amount)
}

async function getExports(instanceId) {
  return invokeAsync(native.getExports, instanceForQueuedOperation(instanceId))
}

async function dropInstance(instanceId) {
  invoke(native.dropInstance, requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance'))
  outputDeliveries.delete(instanceId)
  fastCallsById.delete(instanceId)
}

const memory = Object.freeze({
  async read(instanceId, offset, length) {
    instanceForQueuedOperation(instanceId)
    return invokeAsync(native.memoryRead, instanceId, requireNumber(offset, 'offset'), requireNumber(length, 'length'))
  },
  async write(instanceId, offset, data) {
    instanceForQueuedOperation(instanceId)
    return invokeAsync(native.memoryWrite, instanceId, requireNumber(offset, 'offset'), toWritableBytes(data))
  },
  async size(instanceId) {
    return invokeAsync(native.memorySize, instanceForQueuedOperation(instanceId))
  },
  async grow(instanceId, pages) {
    instanceForQueuedOperation(instanceId)
    return invokeAsync(native.memoryGrow, instanceId, requireNumber(pages, 'pages'))
  },
})

// --- the Instance class, built on the low-level API ---

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
  #fast
  #dropped = false
  constructor(instanceId) {
    this.#id = instanceId
    this.#fast = typeof instanceId === 'string' ? new FastCalls(instanceId) : null
    this.memory = new Memory(this)
    // Drops the instance when the garbage collector frees this object, so an Instance that
    // becomes unreachable without drop() is freed.
    if (typeof instanceId === 'string') native.watchInstance(this, instanceId)
  }
  get id() {
    return this.#id
  }
  call(name, ...args) {
    return this.#fast?.call(name, args, this) ?? this.#callGeneral(name, args)
  }
  async #callGeneral(name, args) {
    const results = await callGeneral(this.#id, name, args)
    keepAlive(this)
    return results
  }
  callSync(name, ...args) {
    return this.#fast?.callSync(name, args) ?? callSyncGeneral(this.#id, name, args)
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
    invoke(native.checkValue, type, value !== null && typeof value === 'object' ? {} : value)
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
  callSync,
  configure,
  capabilities,
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
