'use strict'
// Module and instance ids: opaque strings made by the core, spelled as it says (lib/constants.js).

const { MODULE_ID_PREFIX, INSTANCE_ID_PREFIX } = require('./constants.js')
const { ErrorCode, WasmError } = require('./errors.js')
const { describe } = require('./arguments.js')

function requireHandle(id, code, what) {
  if (typeof id !== 'string') throw new WasmError(code, `${what} id must be a string, got ${describe(id)}`)
  return id
}

function requireModuleId(moduleId) {
  return requireHandle(moduleId, ErrorCode.InvalidModuleHandle, 'module')
}

function requireInstanceId(instanceId) {
  return requireHandle(instanceId, ErrorCode.InvalidInstanceHandle, 'instance')
}

function isModuleId(value) {
  return typeof value === 'string' && value.startsWith(MODULE_ID_PREFIX)
}

// The number in an instance id ("instance:7" -> 7); NaN for any other string.
function instanceNumber(instanceId) {
  return instanceId.startsWith(INSTANCE_ID_PREFIX) ? Number(instanceId.slice(INSTANCE_ID_PREFIX.length)) : NaN
}

module.exports = { requireModuleId, requireInstanceId, isModuleId, instanceNumber }
