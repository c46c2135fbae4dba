'use strict'
// The errors of the public API (WasmError, AbortError, ErrorCode) and the one decoding of the
// core's errors into them.

const { ErrorCode, ENCODED_PREFIX } = require('./constants.js')

const CODE_NAMES = Object.freeze(Object.fromEntries(Object.entries(ErrorCode).map(([name, code]) => [code, name])))

class WasmError extends Error {
  constructor(code, message, details = {}) {
    const { cause, ...facts } = details
    super(message, cause === undefined ? undefined : { cause })
    const name = typeof code === 'number' ? CODE_NAMES[code] : undefined
    Object.defineProperty(this, 'name', { value: name ?? 'WasmError', configurable: true, writable: true })
    this.code = code
    Object.assign(this, facts)
  }
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

// Values thrown by host functions wait here, under a token, until the wasm call they failed
// rejects: they become that rejection's `cause`.
const thrownByHost = new Map()
let nextThrownToken = 1

/** Keeps what a host function threw; the core carries the token back with the call's error. */
function keepThrownByHost(error) {
  const token = nextThrownToken++
  thrownByHost.set(token, error)
  return token
}

/**
 * The facts of an error the core encoded (its prefix plus JSON, see src/error.rs) from the
 * error's message: { code, name, message, ...details }, or null for any other message.
 */
function decodeCoreError(message) {
  if (!message.startsWith(ENCODED_PREFIX)) return null
  try {
    return JSON.parse(message.slice(ENCODED_PREFIX.length))
  } catch {
    return null
  }
}

function toPublicError(error) {
  const message = error?.message
  if (typeof message !== 'string') return error
  const facts = decodeCoreError(message)
  if (facts === null) {
    // napi-rs reports a Rust panic in an entry point as a plain GenericFailure: a bug, but still
    // an error of ours, so a WasmError like the panics the core catches itself.
    if (error.code !== 'GenericFailure') return error
    return new WasmError(ErrorCode.CallError, `internal error in runtime-wasm (please report it): ${message}`, { cause: error })
  }
  const { code, name: _name, message: text, hostError, ...details } = facts
  if (hostError !== undefined) {
    details.cause = thrownByHost.get(hostError)
    thrownByHost.delete(hostError)
  }
  return new WasmError(code, text, details)
}

function rejectPublic(error) {
  throw toPublicError(error)
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

module.exports = {
  ErrorCode,
  WasmError,
  AbortError,
  keepThrownByHost,
  decodeCoreError,
  toPublicError,
  rejectPublic,
  invoke,
  invokeAsync,
}
