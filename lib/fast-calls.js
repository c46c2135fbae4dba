'use strict'
// The hot call path: calls by function handle. An instance's number and a handle per export
// name are resolved once, so a call passes no strings, and its arguments are passed as they
// are. Only for primitive arguments, no per-call options, and calls not made from inside a
// host function or on an instance with output callbacks: the general path (lib/calls.js)
// handles those.

const native = require('./native.js')
const { FUNCTION_SLOTS } = require('./constants.js')
const { toPublicError, rejectPublic } = require('./errors.js')
const { MAX_CALL_ARGS } = require('./arguments.js')
const { instanceNumber } = require('./handles.js')
const { inHostCall } = require('./host-calls.js')
const { hasOutputCallbacks } = require('./output.js')
const { keepAlive } = require('./finalizers.js')

class FastCalls {
  #instanceId
  // The instance's number times FUNCTION_SLOTS: a call passes this plus the function's handle.
  #base
  // Call targets by export name.
  #targets = new Map()
  constructor(instanceId) {
    this.#instanceId = instanceId
    // NaN (never fast) for anything but an instance id, or when the binding has no fast path.
    this.#base = native.callFast === undefined ? NaN : instanceNumber(instanceId) * FUNCTION_SLOTS
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
    if (inHostCall() || hasOutputCallbacks(this.#instanceId)) return undefined
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

function forgetFastCalls(instanceId) {
  fastCallsById.delete(instanceId)
}

module.exports = { FastCalls, fastCallsFor, forgetFastCalls }
