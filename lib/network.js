'use strict'
// `network` of instantiate: the grants themselves are read and checked by the core; here,
// `onDenied` is made safe to call from the core (it is told of a refusal after the guest got
// its error, so there is no call to fail: an exception it throws becomes a process warning).

function guardDenialCallback(config) {
  const network = config.network
  if (network === null || typeof network !== 'object' || typeof network.onDenied !== 'function') return
  const callback = network.onDenied
  config.network = {
    ...network,
    onDenied(denial) {
      try {
        const result = callback(Object.freeze(denial))
        // An async callback's rejection is reported the same way, never left unhandled.
        if (typeof result?.then === 'function') result.then(undefined, warn)
      } catch (error) {
        warn(error)
      }
    },
  }
}

function warn(error) {
  const text = error instanceof Error ? error.message : typeof error === 'symbol' ? 'a symbol' : String(error)
  process.emitWarning(`network.onDenied threw: ${text}`, 'RuntimeWasmWarning')
}

/** One line for a refusal: `tcp connect 10.0.0.5:80 refused: ...`. */
function describeDenial(denial) {
  const where = denial.port === null || denial.port === undefined ? denial.host : `${denial.host.includes(':') ? `[${denial.host}]` : denial.host}:${denial.port}`
  const address = denial.address ? ` (${denial.address})` : ''
  return `${denial.protocol} ${denial.direction} ${where}${address} refused: ${denial.reason}`
}

module.exports = { guardDenialCallback, describeDenial }
