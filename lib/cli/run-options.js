'use strict'
// `runtime-wasm run`'s command line -> the options of instantiate() (args, env, preopens,
// limits, unknownImports) and of compileFile() (limits), the function to --invoke and the
// manifest to configure. Pure: no file is touched here.

const { basename } = require('node:path')
const { parseArgs, UsageError } = require('./args.js')
const { count, milliseconds, wholeMilliseconds, size } = require('./option-values.js')
const { programEnv } = require('./env.js')
const { wasmtimeSettings } = require('./wasmtime-flags.js')
const { networkGrants } = require('./net-grants.js')

const RUN_OPTIONS = Object.freeze({
  dir: { value: true, repeatable: true },
  'dir-ro': { value: true, repeatable: true },
  env: { value: true, repeatable: true },
  'inherit-env': {},
  fuel: { value: true },
  timeout: { value: true },
  'max-memory': { value: true },
  'max-functions': { value: true },
  'max-function-size': { value: true },
  'compile-timeout': { value: true },
  trusted: {},
  'coredump-on-trap': { value: true },
  profile: { value: true },
  perfmap: {},
  manifest: { value: true },
  argv0: { value: true },
  invoke: { value: true },
  'unknown-imports': { value: true },
  'allow-net': { value: true, repeatable: true },
  'allow-bind': { value: true, repeatable: true },
  wasi: { value: true, repeatable: true, alias: 'S' },
  wasm: { value: true, repeatable: true, alias: 'W' },
  help: { alias: 'h' },
})

const UNKNOWN_IMPORTS = Object.freeze(['trap', 'default'])

/**
 * `runtime-wasm run [OPTIONS] FILE [ARGS...]`, as wasmtime run reads it: the options come
 * before FILE (or before a `--` that precedes FILE), and everything after FILE is the
 * program's, untouched, even when it looks like an option.
 *
 * @param {string[]} argv the arguments after `run`
 * @param {Record<string, string | undefined>} environment where `--env NAME` and
 *   `--inherit-env` take their values
 * @returns {{ help: true } | { help: false, file: string, programArgs: string[],
 *   manifest?: string, instantiateOptions: object, compileLimits: object, invoke?: string }}
 *   (programArgs: the ARGS after FILE, which follow argv[0] in `instantiateOptions.args` and
 *   are the function's arguments with --invoke)
 * @throws {UsageError} for anything malformed
 */
function parseRunOptions(argv, environment = process.env, extraOptions = {}) {
  let parsed
  try {
    parsed = parseArgs(argv, { ...RUN_OPTIONS, ...extraOptions }, { stopAtPositional: true })
  } catch (error) {
    if (error instanceof UsageError && error.message.startsWith('unknown option')) {
      throw new UsageError(`${error.message} (runtime-wasm's options go before FILE; everything after FILE goes to the program)`)
    }
    throw error
  }
  const { options, positionals, afterDashDash } = parsed
  if (options.help) return { help: true }

  const [file, ...programArgs] = afterDashDash ?? positionals
  if (file === undefined) throw new UsageError('run needs the .wasm file to run')

  const settings = wasmtimeSettings(options.wasi ?? [], options.wasm ?? [])
  const inheritEnv = options['inherit-env'] === true || settings.some((s) => s.setting === 'inheritEnv')
  const env = programEnv(options.env ?? [], inheritEnv, environment)
  const argv0 = options.argv0 ?? basename(file)
  const instantiateOptions = { args: [argv0, ...programArgs], env, preopens: preopens(options) }
  const limits = instanceLimits(options)
  if (Object.keys(limits).length > 0) instantiateOptions.limits = limits
  if (options['coredump-on-trap'] !== undefined) {
    if (options['coredump-on-trap'] === '') throw new UsageError('--coredump-on-trap needs a file name')
    instantiateOptions.coredumpOnTrap = options['coredump-on-trap']
  }
  const inheritNetwork = settings.some((s) => s.setting === 'inheritNetwork')
  const allow = networkGrants(options['allow-net'] ?? [], options['allow-bind'] ?? [], inheritNetwork)
  if (allow.length > 0) instantiateOptions.network = { allow }
  const unknownImports = unknownImportsOf(options['unknown-imports'], settings)
  if (unknownImports !== undefined) instantiateOptions.unknownImports = unknownImports

  const trusted = options.trusted === true
  if (trusted && (limits.fuel !== undefined || limits.timeoutMs !== undefined)) {
    throw new UsageError(`--trusted code cannot be stopped: it takes no ${limits.fuel !== undefined ? '--fuel' : '--timeout'}`)
  }
  const result = { help: false, file, programArgs, instantiateOptions, compileLimits: compileLimits(options), trusted, options }
  if (options.invoke !== undefined) result.invoke = options.invoke
  if (options.perfmap === true) result.perfmap = true
  if (options.profile !== undefined) {
    if (options.profile === '') throw new UsageError('--profile needs a file name')
    if (trusted) throw new UsageError('--trusted code cannot be profiled: it has no epoch checks to take samples at')
    result.profile = options.profile
  }
  if (options.manifest !== undefined) {
    if (options.manifest === '') throw new UsageError('--manifest needs a file name')
    result.manifest = options.manifest
  }
  return result
}

/** --dir and --dir-ro -> instantiate's `preopens`. */
function preopens(options) {
  const result = {}
  const addDir = (text, readonly) => {
    const flag = readonly ? '--dir-ro' : '--dir'
    const separator = text.indexOf('::')
    const host = separator === -1 ? text : text.slice(0, separator)
    const guest = separator === -1 ? text : text.slice(separator + 2)
    if (host === '') throw new UsageError(`${flag} ${text}: the host directory is empty`)
    if (guest === '') throw new UsageError(`${flag} ${text}: the guest path after :: is empty`)
    if (Object.hasOwn(result, guest)) throw new UsageError(`${flag} ${text}: the guest path ${guest} is mounted twice`)
    result[guest] = readonly ? { path: host, readonly: true } : host
  }
  for (const text of options.dir ?? []) addDir(text, false)
  for (const text of options['dir-ro'] ?? []) addDir(text, true)
  return result
}

/** --fuel, --timeout and --max-memory -> instantiate's `limits`. */
function instanceLimits(options) {
  const limits = {}
  if (options.fuel !== undefined) limits.fuel = count(options.fuel, '--fuel')
  if (options.timeout !== undefined) limits.timeoutMs = milliseconds(options.timeout, '--timeout')
  if (options['max-memory'] !== undefined) limits.maxMemoryBytes = size(options['max-memory'], '--max-memory')
  return limits
}

/** --max-functions, --max-function-size and --compile-timeout -> compileFile's `limits`. */
function compileLimits(options) {
  const limits = {}
  if (options['max-functions'] !== undefined) limits.maxFunctions = count(options['max-functions'], '--max-functions')
  if (options['max-function-size'] !== undefined) limits.maxFunctionBytes = size(options['max-function-size'], '--max-function-size')
  if (options['compile-timeout'] !== undefined) limits.timeoutMs = wholeMilliseconds(options['compile-timeout'], '--compile-timeout')
  return limits
}

/** --unknown-imports, or wasmtime's -W unknown-imports-trap / -default; two different ones conflict. */
function unknownImportsOf(given, settings) {
  const chosen = []
  if (given !== undefined) {
    if (!UNKNOWN_IMPORTS.includes(given)) {
      throw new UsageError(`--unknown-imports ${given}: expected trap (a missing function traps when called) or default (it returns zeros)`)
    }
    chosen.push({ value: given, flag: `--unknown-imports ${given}` })
  }
  chosen.push(...settings.filter((s) => s.setting === 'unknownImports'))
  const other = chosen.find((c) => c.value !== chosen[0].value)
  if (other !== undefined) throw new UsageError(`${chosen[0].flag} and ${other.flag} contradict each other: give one`)
  return chosen[0]?.value
}

module.exports = { parseRunOptions, RUN_OPTIONS }
