'use strict'
// Instances by id: instantiate a module with its options (WASI config, stdin, limits, imports),
// read what it wrote to piped stdout and stderr, drop it. index.js wraps each id in an Instance.

const native = require('./native.js')
const { ErrorCode, invoke, invokeAsync } = require('./errors.js')
const { isBinaryData, plainCopy, snapshot, toBytes } = require('./arguments.js')
const { requireInstanceId, requireModuleId } = require('./handles.js')
const { hostImports } = require('./host-calls.js')
const { componentHostImports, forgetComponentInstance } = require('./components.js')
const { guardOutputCallbacks, trackOutput, forgetOutput } = require('./output.js')
const { revoke, withPreopenPermissions } = require('./permissions.js')
const { forgetFastCalls } = require('./fast-calls.js')
const { guardDenialCallback } = require('./network.js')

// Resolves the new instance's id. The Instance objects it links (imports: { name: instance })
// are added to `linkedInstances`: whatever wraps the new instance keeps them reachable.
async function createInstance(moduleId, options, linkedInstances = []) {
  requireModuleId(moduleId)
  // Anything but an object goes to the core as it is, which says what is wrong with it.
  const isObject = options !== null && typeof options === 'object'
  const copied = isObject ? snapshot(ErrorCode.WasiError, 'instantiate options', () => plainCopy(options, 1)) : {}
  const { imports, stdin, limits, ...wasi } = copied
  // Three levels: a preopen given as { path, readonly } is copied too.
  const config = snapshot(ErrorCode.WasiError, 'instantiate options', () => plainCopy(wasi, 3))
  if (limits !== undefined) config.limits = snapshot(ErrorCode.InstantiateError, 'limits', () => plainCopy(limits, 1))
  const delivery = guardOutputCallbacks(config)
  guardDenialCallback(config)
  if (stdin !== undefined) config.stdin = isBinaryData(stdin) ? toBytes(stdin, 'stdin') : stdin
  const self = { id: null, linkedInstances }
  const host = invoke(native.moduleKind, moduleId) === 'component' ? componentHostImports(imports, self, moduleId) : hostImports(imports, self)
  const { config: checked, tokens } = isObject ? withPreopenPermissions(config) : { config: options, tokens: [] }
  let instanceId
  try {
    instanceId = await invokeAsync(native.instantiate, moduleId, checked, host)
  } finally {
    tokens.forEach(revoke)
  }
  self.id = instanceId
  trackOutput(instanceId, delivery)
  return instanceId
}

// What the program wrote to its piped stdout (stderr) since the last read.
async function readStdout(instanceId) {
  return invoke(native.readStdout, requireInstanceId(instanceId))
}

async function readStderr(instanceId) {
  return invoke(native.readStderr, requireInstanceId(instanceId))
}

async function dropInstance(instanceId) {
  // Resolves once the store is freed (for a trusted instance, after a call still running).
  await invokeAsync(native.dropInstance, requireInstanceId(instanceId))
  forgetOutput(instanceId)
  forgetFastCalls(instanceId)
  forgetComponentInstance(instanceId)
}

module.exports = { createInstance, readStdout, readStderr, dropInstance }
