'use strict'
// wasmtime run's spelling of the settings `runtime-wasm run` shares with it, so that a
// wasmtime command line works here unchanged where the two overlap:
//
//   -S inherit-env                  --inherit-env
//   -S inherit-network              every address and name, connect and bind (see net-grants.js)
//   -W unknown-imports-trap         --unknown-imports trap
//   -W unknown-imports-default      --unknown-imports default
//
// Settings that choose what wasmtime links are taken and change nothing here, where all of it
// is always linked (and the network reaches only what is granted): -S cli, -S http, -S p3,
// -S tcp, -S udp, -S allow-ip-name-lookup, -W component-model-async.
//
// As in wasmtime, -S is short for --wasi and -W for --wasm, each takes KEY[=VALUE] settings
// separated by commas, and a flag's VALUE is y, yes, true, n, no or false (none means yes).
// Any other key is refused, naming the ones this command knows.

const { UsageError } = require('./args.js')

const LINKED = Object.freeze({ setting: 'linked', value: true })
const WASI_KEYS = Object.freeze({
  'inherit-env': { setting: 'inheritEnv', value: true },
  'inherit-network': { setting: 'inheritNetwork', value: true },
  cli: LINKED,
  http: LINKED,
  p3: LINKED,
  tcp: LINKED,
  udp: LINKED,
  'allow-ip-name-lookup': LINKED,
})
const WASM_KEYS = Object.freeze({
  'unknown-imports-trap': { setting: 'unknownImports', value: 'trap' },
  'unknown-imports-default': { setting: 'unknownImports', value: 'default' },
  'component-model-async': LINKED,
})

const YES = new Set(['y', 'yes', 'true'])
const NO = new Set(['n', 'no', 'false'])

/**
 * @param {string[]} wasi the values of -S / --wasi
 * @param {string[]} wasm the values of -W / --wasm
 * @returns {Array<{ setting: 'inheritEnv' | 'inheritNetwork' | 'unknownImports' | 'linked', value: true | string, flag: string }>}
 *   the settings turned on, each with the flag that set it (for errors)
 * @throws {UsageError} for a key this command does not take or a malformed flag value
 */
function wasmtimeSettings(wasi, wasm) {
  return [...settingsOf(wasi, '-S', WASI_KEYS), ...settingsOf(wasm, '-W', WASM_KEYS)]
}

function settingsOf(values, flag, keys) {
  const settings = []
  for (const item of values.flatMap((value) => value.split(','))) {
    const equals = item.indexOf('=')
    const key = equals === -1 ? item : item.slice(0, equals)
    if (!Object.hasOwn(keys, key)) {
      throw new UsageError(`${flag} ${item}: runtime-wasm takes only ${Object.keys(keys).join(', ')} of wasmtime's ${flag} settings (see "runtime-wasm help run" for its own options)`)
    }
    if (equals === -1 || isYes(item.slice(equals + 1), `${flag} ${item}`)) {
      settings.push({ ...keys[key], flag: `${flag} ${key}` })
    }
  }
  return settings
}

function isYes(text, where) {
  if (YES.has(text)) return true
  if (NO.has(text)) return false
  throw new UsageError(`${where}: expected y, yes, true, n, no or false after =`)
}

module.exports = { wasmtimeSettings }
