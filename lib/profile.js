'use strict'
// Guest profiles: sample an instance's wasm stack while its code runs, and get the samples as
// a Firefox Profiler profile (a JSON object; save it and open it at profiler.firefox.com).

const native = require('./native.js')
const { invokeAsync } = require('./errors.js')
const { describe } = require('./arguments.js')
const { instanceForQueuedOperation } = require('./host-calls.js')

// { intervalMs }: how often to sample (default 1 ms, the epoch tick; at least 1).
async function startProfile(instanceId, options = undefined) {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new TypeError(`profile options must be an object, got ${describe(options)}`)
  }
  const { intervalMs = 1 } = options ?? {}
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 1) {
    throw new TypeError(`intervalMs must be a number of milliseconds of at least 1, got ${describe(intervalMs)}`)
  }
  await invokeAsync(native.instanceStartProfile, instanceForQueuedOperation(instanceId), intervalMs)
}

// Resolves the profile: Firefox Profiler's processed-profile JSON, parsed.
async function stopProfile(instanceId) {
  return JSON.parse(await invokeAsync(native.instanceStopProfile, instanceForQueuedOperation(instanceId)))
}

module.exports = { startProfile, stopProfile }
