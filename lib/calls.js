'use strict'
// Calls into an instance by id: the fast path when it can take the call (lib/fast-calls.js),
// else the general one, which takes any arguments and per-call options ({ fuel, timeoutMs,
// signal }), works from inside host functions and waits for output callbacks.

const native = require('./native.js')
const { ErrorCode, WasmError, invoke } = require('./errors.js')
const { callArgs, requireArray, requireString } = require('./arguments.js')
const { callWithSignal } = require('./call-options.js')
const { requireInstanceId } = require('./handles.js')
const { refuseReentry, waitingInstances } = require('./host-calls.js')
const { settleAfterOutput } = require('./output.js')
const { fastCallsFor } = require('./fast-calls.js')
const { callComponent, isComponentInstance } = require('./components.js')

// Whether `instanceId` is a live component instance (false for anything else, whose call then
// fails as it would have).
function isComponent(instanceId) {
  try {
    return typeof instanceId === 'string' && isComponentInstance(instanceId)
  } catch {
    return false
  }
}

function call(instanceId, name, args = [], options = undefined) {
  if (isComponent(instanceId)) return callComponent(instanceId, name, args, options)
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
  const pending = callWithSignal(native.call, instanceId, name, values, options, upstream)
  return settleAfterOutput(instanceId, pending)
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
  if (isComponent(instanceId)) {
    throw new WasmError(ErrorCode.CallError, 'callSync is for module instances; call a component with call()')
  }
  return invoke(native.callSync, instanceId, name, callArgs(requireArray(args)))
}

module.exports = { call, callGeneral, callSync, callSyncGeneral, isComponent }
