'use strict'
// Diagnostics: with DEBUG=runtime-wasm (the `debug` package's convention) or
// NODE_DEBUG=runtime-wasm (Node's), every compile and instantiate, and every call stopped by a
// limit or an abort, is logged to stderr with its timing, as is where compiled code is cached.
// Off by default, and then the native binding is used as it is: no wrapper, no cost.

const { ErrorCode, decodeCoreError } = require('./errors.js')

const NAME = 'runtime-wasm'

// `DEBUG`: names separated by commas or spaces, `*` as a wildcard, `-name` to exclude.
function debugEnables(value, name = NAME) {
  let enabled = false
  for (const pattern of String(value ?? '').split(/[\s,]+/)) {
    if (pattern === '') continue
    if (pattern.startsWith('-')) {
      if (wildcard(pattern.slice(1)).test(name)) return false
    } else if (wildcard(pattern).test(name)) {
      enabled = true
    }
  }
  return enabled
}

// `NODE_DEBUG`: names separated by commas, case-insensitive, `*` as a wildcard.
function nodeDebugEnables(value, name = NAME) {
  return String(value ?? '')
    .split(',')
    .some((pattern) => pattern.trim() !== '' && wildcard(pattern.trim(), 'i').test(name))
}

function wildcard(pattern, flags = '') {
  const source = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')
  return new RegExp(`^${source}$`, flags)
}

const enabled = debugEnables(process.env.DEBUG) || nodeDebugEnables(process.env.NODE_DEBUG)

function log(text) {
  process.stderr.write(`${NAME} ${text}\n`)
}

function milliseconds(started) {
  return `${(performance.now() - started).toFixed(1)} ms`
}

// The code and facts of an error from the core, without consuming it.
function peek(error) {
  const message = error?.message
  return typeof message === 'string' ? decodeCoreError(message) : null
}

// One line per event: a message's first line is enough to tell what failed.
function firstLine(text) {
  return String(text ?? '').split('\n', 1)[0]
}

function describeFailure(error) {
  const facts = peek(error)
  if (facts === null) return `failed: ${firstLine(error?.message ?? error)}`
  return `failed with ${facts.code} ${facts.name ?? ''}: ${firstLine(facts.message)}`.trimEnd()
}

// Runs `operation` (which may return a value, return a Promise, or throw) and hands its outcome
// to `report(error, value)` once it settles.
function observe(operation, report) {
  let result
  try {
    result = operation()
  } catch (error) {
    report(error)
    throw error
  }
  if (result === null || typeof result?.then !== 'function') {
    report(undefined, result)
    return result
  }
  return result.then(
    (value) => {
      report(undefined, value)
      return value
    },
    (error) => {
      report(error)
      throw error
    },
  )
}

function timed(name, subject, operation, describeValue = String) {
  return function (...args) {
    const started = performance.now()
    const what = subject(...args)
    return observe(
      () => operation.apply(this, args),
      (error, value) =>
        log(`${name} ${what} ${error === undefined ? `-> ${describeValue(value)}` : describeFailure(error)} ${milliseconds(started)}`),
    )
  }
}

const ORIGINS = {
  memory: 'shared with a live module of the same bytes',
  disk: 'loaded from the compiled-code cache',
  compiled: 'compiled',
}

// A module id, and where its code came from.
function moduleWithOrigin(native) {
  return (moduleId) => {
    if (typeof native.moduleOrigin !== 'function') return String(moduleId)
    try {
      const tier = native.moduleTier?.(moduleId) === 'baseline' ? '; baseline code, optimized code compiling in the background' : ''
      return `${moduleId} (${ORIGINS[native.moduleOrigin(moduleId)] ?? 'unknown origin'}${tier})`
    } catch {
      return String(moduleId) // dropped already
    }
  }
}

// Calls are logged only when a limit (FuelExhausted, 5011) or an abort stops them: logging
// every call would drown the events that matter.
function limitEvents(call) {
  return function (instanceId, name, ...rest) {
    const started = performance.now()
    return observe(
      () => call.call(this, instanceId, name, ...rest),
      (error) => {
        const facts = error === undefined ? null : peek(error)
        if (facts?.aborted) {
          log(`call ${JSON.stringify(name)} on ${instanceId} aborted by its signal ${milliseconds(started)}`)
        } else if (facts?.code === ErrorCode.FuelExhausted) {
          const spent = facts.reason === 'fuel' && facts.fuelConsumed !== undefined ? `, ${facts.fuelConsumed} fuel burnt` : ''
          log(`call ${JSON.stringify(name)} on ${instanceId} stopped by its ${facts.reason ?? 'limit'} (${facts.code})${spent} ${milliseconds(started)}`)
        }
      },
    )
  }
}

function describeSource(source) {
  if (typeof source === 'string') return `WAT text (${source.length} characters)`
  return `${source?.byteLength ?? '?'} bytes`
}

// Where compiled code is cached: told once before the first compile, and whenever it changes.
// Each compile then says where its code came from (see moduleWithOrigin).
function cacheEvents(native) {
  if (typeof native.cacheDir !== 'function') return { beforeCompile() {}, configureCache: native.configureCache }
  const show = () => {
    const dir = native.cacheDir()
    log(`cache ${dir === null ? 'off' : `in ${dir}`}`)
  }
  let shown = false
  return {
    beforeCompile() {
      if (shown) return
      shown = true
      show()
    },
    configureCache(...args) {
      const result = native.configureCache(...args)
      shown = true
      show()
      return result
    },
  }
}

function beforeEach(hook, operation) {
  return function (...args) {
    hook()
    return operation.apply(this, args)
  }
}

// Every network refusal is logged, besides going to the instance's own onDenied.
function logDenials(instantiate) {
  return function (moduleId, config, ...rest) {
    const network = config?.network
    if (network === null || typeof network !== 'object') return instantiate.call(this, moduleId, config, ...rest)
    const { describeDenial } = require('./network.js')
    const own = network.onDenied
    const onDenied = (denial) => {
      log(`network ${describeDenial(denial)}`)
      if (typeof own === 'function') own(denial)
    }
    return instantiate.call(this, moduleId, { ...config, network: { ...network, onDenied } }, ...rest)
  }
}

/**
 * The native binding, instrumented when debugging is on (and returned as it is otherwise).
 */
function instrument(native) {
  if (!enabled) return native
  const cache = cacheEvents(native)
  const withOrigin = moduleWithOrigin(native)
  const instrumented = {
    ...native,
    // Calls go through the general path, where limits and aborts are logged.
    callFast: undefined,
    callSyncFast: undefined,
    compile: beforeEach(cache.beforeCompile, timed('compile', describeSource, native.compile, withOrigin)),
    compileFile: beforeEach(
      cache.beforeCompile,
      timed('compileFile', (path) => JSON.stringify(path), native.compileFile, withOrigin),
    ),
    instantiate: timed('instantiate', (moduleId) => moduleId, logDenials(native.instantiate)),
    call: limitEvents(native.call),
  }
  if (typeof native.configureCache === 'function') instrumented.configureCache = cache.configureCache
  return Object.freeze(instrumented)
}

module.exports = { enabled, instrument, debugEnables, nodeDebugEnables }
