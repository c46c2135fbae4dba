'use strict'
// `runtime-wasm run`'s command line -> the options of instantiate() (args, env, preopens,
// limits) and the manifest to configure. Pure: no file is touched here.

const { basename } = require('node:path')
const { parseArgs, UsageError } = require('./args.js')

const RUN_OPTIONS = Object.freeze({
  dir: { value: true, repeatable: true },
  'dir-ro': { value: true, repeatable: true },
  env: { value: true, repeatable: true },
  fuel: { value: true },
  timeout: { value: true },
  'max-memory': { value: true },
  'max-functions': { value: true },
  'max-function-size': { value: true },
  'compile-timeout': { value: true },
  manifest: { value: true },
  argv0: { value: true },
  help: { alias: 'h' },
})

const SIZE_UNITS = Object.freeze({ '': 1n, b: 1n, k: 1024n, kib: 1024n, m: 1024n ** 2n, mib: 1024n ** 2n, g: 1024n ** 3n, gib: 1024n ** 3n })

/**
 * @param {string[]} argv the arguments after `run`
 * @param {Record<string, string | undefined>} environment where `--env NAME` takes its value
 * @returns {{ help: true } | { help: false, file: string, manifest?: string,
 *   instantiateOptions: object }}
 * @throws {UsageError} for anything malformed
 */
function parseRunOptions(argv, environment = process.env) {
  let parsed
  try {
    parsed = parseArgs(argv, RUN_OPTIONS)
  } catch (error) {
    if (error instanceof UsageError && error.message.startsWith('unknown option')) {
      throw new UsageError(`${error.message} (the program's own options go after --)`)
    }
    throw error
  }
  const { options, positionals, afterDashDash } = parsed
  if (options.help) return { help: true }

  const words = [...positionals]
  if (afterDashDash !== null) words.push(...afterDashDash)
  const [file, ...programArgs] = words
  if (file === undefined) throw new UsageError('run needs the .wasm file to run')

  const preopens = {}
  const addDir = (text, readonly) => {
    const flag = readonly ? '--dir-ro' : '--dir'
    const separator = text.indexOf('::')
    const host = separator === -1 ? text : text.slice(0, separator)
    const guest = separator === -1 ? text : text.slice(separator + 2)
    if (host === '') throw new UsageError(`${flag} ${text}: the host directory is empty`)
    if (guest === '') throw new UsageError(`${flag} ${text}: the guest path after :: is empty`)
    if (Object.hasOwn(preopens, guest)) throw new UsageError(`${flag} ${text}: the guest path ${guest} is mounted twice`)
    preopens[guest] = readonly ? { path: host, readonly: true } : host
  }
  for (const text of options.dir ?? []) addDir(text, false)
  for (const text of options['dir-ro'] ?? []) addDir(text, true)

  const env = {}
  for (const text of options.env ?? []) {
    const equals = text.indexOf('=')
    const name = equals === -1 ? text : text.slice(0, equals)
    if (name === '') throw new UsageError(`--env ${text}: the variable name is empty`)
    if (equals === -1) {
      const inherited = environment[name]
      if (inherited === undefined) throw new UsageError(`--env ${name}: ${name} is not set in this environment`)
      env[name] = inherited
    } else {
      env[name] = text.slice(equals + 1)
    }
  }

  const limits = {}
  if (options.fuel !== undefined) limits.fuel = count(options.fuel, '--fuel')
  if (options.timeout !== undefined) limits.timeoutMs = milliseconds(options.timeout, '--timeout')
  if (options['max-memory'] !== undefined) limits.maxMemoryBytes = size(options['max-memory'], '--max-memory')

  const compileLimits = {}
  if (options['max-functions'] !== undefined) compileLimits.maxFunctions = count(options['max-functions'], '--max-functions')
  if (options['max-function-size'] !== undefined) compileLimits.maxFunctionBytes = size(options['max-function-size'], '--max-function-size')
  if (options['compile-timeout'] !== undefined) compileLimits.timeoutMs = wholeMilliseconds(options['compile-timeout'], '--compile-timeout')

  const argv0 = options.argv0 ?? basename(file)
  const instantiateOptions = { args: [argv0, ...programArgs], env, preopens }
  if (Object.keys(limits).length > 0) instantiateOptions.limits = limits
  const result = { help: false, file, instantiateOptions, compileLimits }
  if (options.manifest !== undefined) {
    if (options.manifest === '') throw new UsageError('--manifest needs a file name')
    result.manifest = options.manifest
  }
  return result
}

// A non-negative integer, as a Number when it is safe and a BigInt beyond.
function count(text, flag) {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} ${text}: expected a non-negative integer`)
  const value = BigInt(text)
  if (value >= 2n ** 64n) throw new UsageError(`${flag} ${text}: must be less than 2^64`)
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}

function milliseconds(text, flag) {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new UsageError(`${flag} ${text}: expected a number of milliseconds greater than 0`)
  }
  return value
}

function wholeMilliseconds(text, flag) {
  if (!/^\d+$/.test(text) || !(Number(text) > 0) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} ${text}: expected a whole number of milliseconds greater than 0`)
  }
  return Number(text)
}

function size(text, flag) {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text)
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined
  if (unit === undefined) {
    throw new UsageError(`${flag} ${text}: expected a size in bytes, optionally with KiB, MiB or GiB (e.g. 64MiB)`)
  }
  return count(String(BigInt(match[1]) * unit), flag)
}

module.exports = { parseRunOptions, RUN_OPTIONS }
