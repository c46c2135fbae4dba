'use strict'
// Under Node's permission model (node --permission), what the addon opens must be granted to
// the process too, and only JS can ask. Asking about a name and letting the core open it later
// is a race (the name can be swapped for a symlink in between), so the core opens first and
// tells the real path of what it opened; Node is asked about that, and the core then accepts
// only that same object under that name, once (see src/sandbox/node_grants.rs).

const native = require('./native.js')
const { resolve: resolvePath } = require('node:path')
const { ErrorCode, WasmError, invoke } = require('./errors.js')

const hasPermissionModel = () => typeof process.permission?.has === 'function'
let activated = false

function denied(scope, path, target, what) {
  return new WasmError(ErrorCode.PermissionDenied, `${what}: Node's permission model does not grant ${scope} on ${path}`, { path: target })
}

// Grants `scopes` on `target` as named (resolved) and on the real path of what the core
// opened for `kind` ("load", "preopen", "preopen-readonly"). Returns the grant's token, to be
// revoked once the operation is over, or undefined when there is no permission model or
// nothing to open (the operation then reports why; it needs no grant for that).
function grant(kind, target, scopes, what) {
  if (!hasPermissionModel()) return undefined
  if (!activated) {
    invoke(native.nodePermissionActivate)
    activated = true
  }
  const resolved = resolvePath(target)
  for (const scope of scopes) if (!process.permission.has(scope, resolved)) throw denied(scope, resolved, target, what)
  const granted = invoke(native.nodePermissionGrant, kind, target)
  if (granted === null) return undefined
  const [token, real] = granted
  for (const scope of scopes) {
    if (!process.permission.has(scope, real)) {
      revoke(token)
      throw denied(scope, real, target, what)
    }
  }
  return token
}

function revoke(token) {
  if (token !== undefined) native.nodePermissionRevoke(token)
}

// Runs `operation` with a grant for `target`, revoked afterwards whatever happens.
async function withGrant(kind, target, scopes, what, operation) {
  const token = grant(kind, target, scopes, what)
  try {
    return await operation()
  } finally {
    revoke(token)
  }
}

// Grants each preopen: fs.read, and fs.write unless it is read-only. The entries are read once
// into a plain copy, which is what the core gets, so a getter cannot show one path here and
// another to the core. Returns { config, tokens }; revoke the tokens once instantiate settled.
function withPreopenPermissions(wasiConfig) {
  if (!hasPermissionModel()) return { config: wasiConfig, tokens: [] }
  if (wasiConfig === null || typeof wasiConfig !== 'object') return { config: wasiConfig, tokens: [] }
  const preopens = wasiConfig.preopens
  if (preopens === null || typeof preopens !== 'object' || Array.isArray(preopens)) return { config: wasiConfig, tokens: [] }
  const copy = {}
  const tokens = []
  try {
    for (const guest of Object.keys(preopens)) {
      const value = preopens[guest]
      const entry = value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value } : value
      copy[guest] = entry
      const host = typeof entry === 'string' ? entry : entry?.path
      if (typeof host !== 'string') continue // malformed: the core rejects it
      const readonly = typeof entry === 'object' && entry.readonly === true
      const scopes = readonly ? ['fs.read'] : ['fs.read', 'fs.write']
      tokens.push(grant(readonly ? 'preopen-readonly' : 'preopen', host, scopes, `preopen ${JSON.stringify(guest)}`))
    }
  } catch (error) {
    tokens.forEach(revoke)
    throw error
  }
  return { config: { ...wasiConfig, preopens: copy }, tokens }
}

module.exports = { withGrant, withPreopenPermissions, revoke }
