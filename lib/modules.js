'use strict'
// Compiled modules by id: compile from bytes or WAT text, compile a file, drop.

const native = require('./native.js')
const { invoke, invokeAsync } = require('./errors.js')
const { describe, requireString, toBytes } = require('./arguments.js')
const { requireModuleId } = require('./handles.js')
const { withGrant } = require('./permissions.js')
const { withProgress } = require('./progress.js')
require('./compile-helper.js')

// The options of compile and compileFile: `limits`, the compile budget (the core checks its
// values); `trusted`, compiling without interruption checks; `fuel`, compiling the
// fuel-metered code up front too.
function compileOptions(options, what) {
  if (options === undefined || options === null) return { limits: undefined, trusted: false, fuel: false }
  if (typeof options !== 'object') throw new TypeError(`${what} options must be an object, got a ${typeof options}`)
  const { limits, trusted = false, fuel = false } = options
  if (typeof trusted !== 'boolean') throw new TypeError(`${what} options.trusted must be a boolean, got ${describe(trusted)}`)
  if (typeof fuel !== 'boolean') throw new TypeError(`${what} options.fuel must be a boolean, got ${describe(fuel)}`)
  return { limits, trusted, fuel }
}

async function compile(source, options = undefined) {
  const input = typeof source === 'string' ? source : toBytes(source, 'compile source')
  const { limits, trusted, fuel } = compileOptions(options, 'compile')
  return invokeAsync(native.compile, input, limits, trusted, fuel)
}

async function compileFile(path, options = undefined) {
  requireString(path, 'compileFile path')
  const { limits, trusted, fuel } = compileOptions(options, 'compileFile')
  // Under Node's permission model each step that opens the file needs its own grant.
  const granted = (operation) => withGrant('load', path, ['fs.read'], `compileFile ${JSON.stringify(path)}`, operation)
  return withProgress(
    path,
    options,
    () => granted(() => invokeAsync(native.compileFile, path, limits, trusted, fuel)),
    dropModule,
    () => granted(() => invokeAsync(native.moduleFileSize, path)),
  )
}

async function dropModule(moduleId) {
  invoke(native.dropModule, requireModuleId(moduleId))
}

// The module's imports and exports with their types, before any instance exists.
function moduleImports(moduleId) {
  return invoke(native.moduleImports, requireModuleId(moduleId))
}

// "module" or "component": what compile() made.
function moduleKind(moduleId) {
  return invoke(native.moduleKind, requireModuleId(moduleId))
}

// A component's world, { imports, exports }, with WIT types (see lib/components.js).
function componentWorld(moduleId) {
  return JSON.parse(invoke(native.componentWorld, requireModuleId(moduleId)))
}

function moduleExports(moduleId) {
  return invoke(native.moduleExports, requireModuleId(moduleId))
}

// "baseline" while a large module's optimized code is being compiled, else "optimized".
function moduleTier(moduleId) {
  return invoke(native.moduleTier, requireModuleId(moduleId))
}

// Resolves true once new instances of the module get optimized code, false when that code
// cannot be made (its baseline code then stays).
async function whenOptimized(moduleId) {
  return invokeAsync(native.moduleOptimized, requireModuleId(moduleId))
}

// The compiled-code cache: its files and size cap; pruning it to a size (default: the cap).
function cacheInfo() {
  const { dir, maxBytes, totalBytes, entries } = invoke(native.cacheInfo)
  return { dir: dir ?? null, maxBytes, totalBytes, entries }
}

function pruneCache(maxBytes = undefined) {
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new TypeError(`pruneCache maxBytes must be a whole number of bytes from 0 to ${Number.MAX_SAFE_INTEGER}, got ${describe(maxBytes)}`)
  }
  return invoke(native.pruneCache, maxBytes)
}

function clearCache() {
  return pruneCache(0)
}

module.exports = { compile, compileFile, dropModule, moduleKind, componentWorld, moduleImports, moduleExports, moduleTier, whenOptimized, cacheInfo, pruneCache, clearCache }
