'use strict'
// wasmtime run's spelling of the settings `runtime-wasm run` shares with it, so that a
// wasmtime command line works here unchanged where the two overlap:
//
//   -S inherit-env                  --inherit-env
//   -W unknown-imports-trap         --unknown-imports trap
//   -W unknown-imports-default      --unknown-imports default
//
// As in wasmtime, -S is short for --wasi and -W for --wasm, each takes KEY[=VALUE] settings
// separated by commas, and a flag's VALUE is y, yes, true, n, no or false (none means yes).
// Any other key is refused, naming the ones this command knows.

const { UsageError } = require('./args.js')

const WASI_KEYS = Object.freeze({ 'inherit-env': { setting: 'inheritEnv', value: true } })
const WASM_KEYS = Object.freeze({
  'unknown-imports-trap': { setting: 'unknownImports', value: 'trap' },
  'unknown-imports-default': { setting: 'unknownImports', value: 'default' },
})

const YES = new Set(['y', 'yes', 'true'])
const NO = new Set(['n', 'no', 'false'])

/**
 * @param {string[]} wasi the values of -S / --wasi
 * @param {string[]} wasm the values of -W / --wasm
 * @returns {Array<{ setting: 'inheritEnv' | 'unknownImports', value: true | string, flag: string }>}
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
