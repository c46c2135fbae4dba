'use strict'
// The public API: thin JS classes and functions over the machinery in lib/. Arguments of the
// wrong JS kind are rejected there; everything else (value rules, bounds, handles) is checked
// by the core.

const native = require('./lib/native.js')
const { AbortError, ErrorCode, WasmError, invoke, invokeAsync } = require('./lib/errors.js')
const { describe, markInstance, requireNumber, toWritableBytes } = require('./lib/arguments.js')
const { compile, compileFile, dropModule, moduleKind, componentWorld, moduleImports, moduleExports, moduleTier, whenOptimized, cacheInfo, pruneCache, clearCache } = require('./lib/modules.js')
const { createInstance, readStdout, readStderr, dropInstance } = require('./lib/instances.js')
const { instanceForQueuedOperation } = require('./lib/host-calls.js')
const { call, callGeneral, callSync, callSyncGeneral, isComponent } = require('./lib/calls.js')
const { callComponent, componentExports } = require('./lib/components.js')
const { FastCalls } = require('./lib/fast-calls.js')
const { keepAlive, turnForFinalizers } = require('./lib/finalizers.js')
const { run } = require('./lib/run.js')
const { createHttpHandler, toNodeListener } = require('./lib/http-handler.js')
const { startProfile, stopProfile } = require('./lib/profile.js')
const { types } = require('./lib/types.js')

// --- process-wide settings ---

// { cacheDir, cache }: where compiled code is cached, or cache: false.
// { manifest }: the capability manifest to put in force (see capabilities()).
// { maxModuleBytes }: the largest module compile() and compileFile() accept (default 512 MiB).
// { compileLimits }: the compile budget of every later compile ({ maxFunctions,
// maxFunctionBytes, timeoutMs }; none by default).
// { tieringMinBytes }: modules at least this large start on baseline code (default 1 MiB;
// Infinity: never).
// { cacheMaxBytes }: the compiled-code cache's size cap (default 2 GiB).
function configure(options) {
  if (options === null || typeof options !== 'object') throw new TypeError(`configure options must be an object, got ${describe(options)}`)
  const { cacheDir, cache, manifest, maxModuleBytes, compileLimits, tieringMinBytes, cacheMaxBytes } = options
  if (cache !== undefined && typeof cache !== 'boolean') throw new TypeError(`cache must be a boolean, got ${describe(cache)}`)
  if (cacheDir !== undefined && typeof cacheDir !== 'string') throw new TypeError(`cacheDir must be a string, got ${describe(cacheDir)}`)
  if (manifest !== undefined && typeof manifest !== 'string') throw new TypeError(`manifest must be a string, got ${describe(manifest)}`)
  if (maxModuleBytes !== undefined && !(Number.isSafeInteger(maxModuleBytes) && maxModuleBytes >= 0)) {
    throw new TypeError(`maxModuleBytes must be a whole number of bytes from 0 to ${Number.MAX_SAFE_INTEGER}, got ${describe(maxModuleBytes)}`)
  }
  if (manifest !== undefined) invoke(native.configureManifest, manifest)
  if (maxModuleBytes !== undefined) invoke(native.configureMaxModuleBytes, maxModuleBytes)
  if (compileLimits !== undefined) invoke(native.configureCompileLimits, compileLimits)
  if (cacheMaxBytes !== undefined) {
    if (!(Number.isSafeInteger(cacheMaxBytes) && cacheMaxBytes >= 0)) {
      throw new TypeError(`cacheMaxBytes must be a whole number of bytes from 0 to ${Number.MAX_SAFE_INTEGER}, got ${describe(cacheMaxBytes)}`)
    }
    invoke(native.configureCacheMaxBytes, cacheMaxBytes)
  }
  if (tieringMinBytes !== undefined) {
    if (!(tieringMinBytes === Infinity || (Number.isSafeInteger(tieringMinBytes) && tieringMinBytes >= 0))) {
      throw new TypeError(`tieringMinBytes must be a whole number of bytes from 0 to ${Number.MAX_SAFE_INTEGER}, or Infinity, got ${describe(tieringMinBytes)}`)
    }
    invoke(native.configureTieringMinBytes, tieringMinBytes)
  }
  if (cache !== undefined || cacheDir !== undefined) {
    invoke(native.configureCache, cache, cacheDir === undefined ? undefined : require('node:path').resolve(cacheDir))
  }
}

// The capability policy in force (the manifest policy lives in the core; see src/sandbox).
function capabilities() {
  return invoke(native.capabilities)
}

// --- instances (low-level API: by id) ---

async function instantiate(moduleId, options) {
  const linked = []
  const instance = new Instance(await createInstance(moduleId, options, linked), CREATED, linked)
  await turnForFinalizers()
  return instance
}

async function fuel(instanceId) {
  return invokeAsync(native.instanceFuel, instanceForQueuedOperation(instanceId))
}

async function setFuel(instanceId, amount) {
  return invokeAsync(native.setInstanceFuel, instanceForQueuedOperation(instanceId), amount)
}

async function getExports(instanceId) {
  if (isComponent(instanceId)) return componentExports(instanceId)
  return invokeAsync(native.getExports, instanceForQueuedOperation(instanceId))
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

// Passed by instantiate() only: the object it makes owns the instance it made.
const CREATED = Symbol('made by instantiate')

class Instance {
  #id
  #fast
  // Whether it is a component's instance: asked on first use.
  #component
  #dropped = false
  // Instances this one links to (its imports' providers): reachable as long as this one is.
  #linked
  constructor(instanceId, created = undefined, linked = undefined) {
    this.#linked = created === CREATED ? linked : undefined
    this.#id = instanceId
    this.#fast = typeof instanceId === 'string' ? new FastCalls(instanceId) : null
    this.memory = new Memory(this)
    markInstance(this) // so that imports can link it
    // Drops the instance when the garbage collector frees this object, so an Instance that
    // becomes unreachable without drop() is freed; only for the object instantiate() made
    // (the core also refuses an instance made by another thread, or a second object). A
    // wrapper made with new Instance(id) never frees what it wraps: the owner's lifetime does.
    if (typeof instanceId === 'string' && created === CREATED) native.watchInstance(this, instanceId)
  }
  get id() {
    return this.#id
  }
  call(name, ...args) {
    if ((this.#component ??= isComponent(this.#id))) return callComponent(this.#id, name, args, undefined, this)
    return this.#fast?.call(name, args, this) ?? this.#callGeneral(name, args)
  }
  async #callGeneral(name, args) {
    const results = await callGeneral(this.#id, name, args)
    keepAlive(this)
    return results
  }
  callSync(name, ...args) {
    if ((this.#component ??= isComponent(this.#id))) return callSyncGeneral(this.#id, name, args)
    return this.#fast?.callSync(name, args) ?? callSyncGeneral(this.#id, name, args)
  }
  // Like call(), with the arguments as an array and limits for this call:
  // { fuel, timeoutMs, signal }.
  async invoke(name, args = [], options = {}) {
    const results = (this.#component ??= isComponent(this.#id)) ? await callComponent(this.#id, name, args, options, this) : await call(this.#id, name, args, options)
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
  // Guest profiles: sample the wasm stack every intervalMs while calls run, until stopProfile()
  // resolves the Firefox Profiler JSON.
  async startProfile(options = undefined) {
    await startProfile(this.#id, options)
    keepAlive(this)
  }
  async stopProfile() {
    const profile = await stopProfile(this.#id)
    keepAlive(this)
    return profile
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

module.exports = {
  compile,
  compileFile,
  dropModule,
  moduleKind,
  componentWorld,
  moduleImports,
  moduleExports,
  moduleTier,
  whenOptimized,
  cacheInfo,
  pruneCache,
  clearCache,
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
  createHttpHandler,
  toNodeListener,
  memory,
  types,
  Instance,
  Memory,
  WasmError,
  AbortError,
  ErrorCode,
}
