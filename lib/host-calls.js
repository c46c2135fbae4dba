'use strict'
// Host functions: JS functions a module imports. Each call arrives from the core with an id,
// runs with a HostCallContext as `this`, and is answered (or failed) by that id. The async
// context keeps the chain of host functions running, so a call that would wait for itself is
// refused instead of hanging.

const { AsyncLocalStorage } = require('node:async_hooks')
const native = require('./native.js')
const { ErrorCode, WasmError, invokeAsync, keepThrownByHost } = require('./errors.js')
const { describe, isInstance, plainCopy, requireNumber, requireString, snapshot, toWritableBytes } = require('./arguments.js')
const { requireInstanceId } = require('./handles.js')

// The host functions running in the current async context, as frames { instanceId, waiting }:
// while a frame is waiting, a call into its instance from there would wait for itself. A frame
// stops waiting when its host function has returned (or its Promise has settled), so work it
// scheduled for later (a timer, a promise chain) may call the instance again.
const hostCallChain = new AsyncLocalStorage()

// The imports of `instantiate` as the core takes them: { functions: [[module, name]], dispatch,
// linked: [[module, instanceId]] }. `self.id` is the instance's id once it has one; the
// Instance objects it links are added to `self.linkedInstances`, for the new instance's object
// to keep alive (their finalizers would drop them while it still calls them).
function hostImports(given, self) {
  if (given === undefined || given === null) return undefined
  if (typeof given !== 'object') throw new WasmError(ErrorCode.InstantiateError, `imports must be an object, got ${describe(given)}`)
  const imports = snapshot(ErrorCode.InstantiateError, 'imports', () => plainCopy(given, 2))
  const functions = []
  const implementations = []
  const linked = []
  for (const [moduleName, namespace] of Object.entries(imports)) {
    if (isInstance(namespace)) {
      linked.push([moduleName, namespace.id])
      self.linkedInstances.push(namespace)
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
  #memory
  constructor(callId) {
    this.#callId = callId
  }
  // Made on first use: most host functions never touch it, and each call makes a context.
  get memory() {
    const id = this.#callId
    this.#memory ??= Object.freeze({
      read: (offset, length) => invokeAsync(native.hostMemoryRead, id, requireNumber(offset, 'offset'), requireNumber(length, 'length')),
      write: (offset, data) => invokeAsync(native.hostMemoryWrite, id, requireNumber(offset, 'offset'), toWritableBytes(data)),
      size: () => invokeAsync(native.hostMemorySize, id),
    })
    return this.#memory
  }
  // Calls another export of the calling instance, re-entrantly.
  call(name, ...args) {
    requireString(name, 'export name')
    return invokeAsync(native.hostCall, this.#callId, name, args)
  }
}

function inHostCall() {
  return hostCallChain.getStore() !== undefined
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

// Operations that queue behind the instance's running call: refused from inside one of its
// own host functions, where they would wait for themselves.
function instanceForQueuedOperation(instanceId) {
  requireInstanceId(instanceId)
  refuseReentry(instanceId)
  return instanceId
}

module.exports = { hostImports, inHostCall, waitingInstances, refuseReentry, instanceForQueuedOperation }
