'use strict'
// A call's own options ({ fuel, timeoutMs, signal }), given to the binding's call entry point
// (a module's `call` or a component's `callComponent`): an AbortSignal becomes a CancelHandle,
// and an abort rejects with an AbortError.

const native = require('./native.js')
const { AbortError, ErrorCode, invokeAsync, toPublicError } = require('./errors.js')
const { describe, isAbortSignal, snapshot } = require('./arguments.js')

async function callWithSignal(entry, instanceId, name, args, options, upstream) {
  if (options === undefined || options === null) return invokeAsync(entry, instanceId, name, args, undefined, undefined, undefined, upstream)
  if (typeof options !== 'object') throw new TypeError(`call options must be an object, got ${describe(options)}`)
  const { fuel, timeoutMs, signal } = snapshot(ErrorCode.TypeError, 'call options', () => ({ ...options }))
  if (signal === undefined || signal === null) return invokeAsync(entry, instanceId, name, args, fuel, timeoutMs, undefined, upstream)
  if (!isAbortSignal(signal)) throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`)
  if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason })
  const handle = new native.CancelHandle()
  const onAbort = () => handle.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await entry(instanceId, name, args, fuel, timeoutMs, handle, upstream)
  } catch (error) {
    const publicError = toPublicError(error)
    if (publicError.aborted) throw new AbortError(undefined, { cause: signal.reason })
    throw publicError
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

module.exports = { callWithSignal }
