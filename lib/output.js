'use strict'
// stdout/stderr callbacks. Chunks written to them travel on their own queue: a call settles
// only once every chunk written before it ended has reached its callback (one stopped by a
// limit, an abort or a drop settles at once, and its output follows).

const native = require('./native.js')
const { ErrorCode } = require('./errors.js')

// The deliveries of instances with output callbacks, by instance id: { delivered, waiters }.
const outputDeliveries = new Map()

// Wraps the stdout and stderr callbacks of a (copied) WASI config in place. Returns their
// delivery count, for `trackOutput`, or undefined when no stream goes to a callback.
function guardOutputCallbacks(config) {
  const delivery = { delivered: 0, waiters: [] }
  let streamsToCallbacks = false
  for (const stream of ['stdout', 'stderr']) {
    if (typeof config[stream] !== 'function') continue
    config[stream] = guardOutputCallback(config[stream], stream, delivery)
    streamsToCallbacks = true
  }
  return streamsToCallbacks ? delivery : undefined
}

// A stdout/stderr callback runs after the guest's write was accepted, so there is no call to
// fail: an exception it throws is reported as a process warning instead of ending the process.
function guardOutputCallback(callback, stream, delivery) {
  return (chunk) => {
    try {
      callback(chunk)
    } catch (error) {
      const text = error instanceof Error ? error.message : typeof error === 'symbol' ? 'a symbol' : String(error)
      process.emitWarning(`the ${stream} callback threw: ${text}`, 'RuntimeWasmWarning')
    } finally {
      countDelivered(delivery)
    }
  }
}

function countDelivered(delivery) {
  delivery.delivered += 1
  delivery.waiters = delivery.waiters.filter((waiter) => {
    if (waiter.target > delivery.delivered) return true
    waiter.resolve()
    return false
  })
}

function trackOutput(instanceId, delivery) {
  if (delivery !== undefined) outputDeliveries.set(instanceId, delivery)
}

function forgetOutput(instanceId) {
  outputDeliveries.delete(instanceId)
}

function hasOutputCallbacks(instanceId) {
  return outputDeliveries.has(instanceId)
}

// `pending` (a call on the instance), settling once the output it wrote has been delivered.
function settleAfterOutput(instanceId, pending) {
  return hasOutputCallbacks(instanceId) ? settleAfterDelivery(instanceId, pending) : pending
}

async function settleAfterDelivery(instanceId, pending) {
  let results
  try {
    results = await pending
  } catch (error) {
    const delivered = outputDelivered(instanceId)
    // A call stopped by a limit, an abort or a drop settles at once, as promised; what it
    // wrote still reaches the callback after that (and keeps the process alive until it has).
    if (!stopped(error)) await delivered
    throw error
  }
  await outputDelivered(instanceId)
  return results
}

function stopped(error) {
  return error?.code === ErrorCode.FuelExhausted || error?.code === ErrorCode.InvalidInstanceHandle || error?.name === 'AbortError'
}

function outputDelivered(instanceId) {
  const delivery = outputDeliveries.get(instanceId)
  let sent
  try {
    sent = native.sentChunks(instanceId)
  } catch {
    return undefined // dropped meanwhile
  }
  if (delivery === undefined || delivery.delivered >= sent) return undefined
  // The callbacks' queue does not keep the process alive on its own; this timer does, until
  // the chunks are in.
  const keepAlive = setInterval(() => {}, 60_000)
  return new Promise((resolve) => {
    const done = () => {
      clearInterval(keepAlive)
      resolve()
    }
    delivery.waiters.push({ target: sent, resolve: done })
  })
}

module.exports = { guardOutputCallbacks, trackOutput, forgetOutput, hasOutputCallbacks, settleAfterOutput }
