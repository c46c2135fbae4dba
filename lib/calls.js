'use strict'
// Calls into an instance by id: the fast path when it can take the call (lib/fast-calls.js),
// else the general one, which takes any arguments and per-call options ({ fuel, timeoutMs,
// signal }), works from inside host functions and waits for output callbacks.

const native = require('./native.js')
const { AbortError, ErrorCode, invoke, invokeAsync, toPublicError } = require('./errors.js')
const { callArgs, describe, isAbortSignal, requireArray, requireString, snapshot } = require('./arguments.js')
const { requireInstanceId } = require('./handles.js')
const { refuseReentry, waitingInstances } = require('./host-calls.js')
const { settleAfterOutput } = require('./output.js')
const { fastCallsFor } = require('./fast-calls.js')

function call(instanceId, name, args = [], options = undefined) {
  if (options === undefined || options === null) {
    const fast = fastCallsFor(instanceId)?.call(name, args)
    if (fast !== undefined) return fast
  }
  return callGeneral(instanceId, name, args, options)
}

async function callGeneral(instanceId, name, args = [], options = undefined) {
  requireInstanceId(instanceId)
  requireString(name, 'export name')
  refuseReentry(instanceId)
  const values = callArgs(requireArray(args))
  const upstream = waitingInstances()
  const pending =
    options === undefined || options === null
      ? invokeAsync(native.call, instanceId, name, values, undefined, undefined, undefined, upstream)
      : callWithOptions(instanceId, name, values, options, upstream)
  return settleAfterOutput(instanceId, pending)
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
  requireInstanceId(instanceId)
  requireString(name, 'export name')
  return invoke(native.callSync, instanceId, name, callArgs(requireArray(args)))
}

module.exports = { call, callGeneral, callSync, callSyncGeneral }
