'use strict'
// Under Node's permission model (node --permission), what the addon opens must be granted to
// the process too, and only JS can ask.

const { realpathSync } = require('node:fs')
const { resolve: resolvePath } = require('node:path')
const { ErrorCode, WasmError } = require('./errors.js')

// Both the path as given and its real path must be granted.
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

module.exports = { requireNodePermission, withPreopenPermissions }
