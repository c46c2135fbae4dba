'use strict'
// `runtime-wasm run`: checks the module's imports, compiles it (with a progress line on a
// terminal), instantiates it with the terminal's stdio and what the command line grants, calls
// _start (or the --invoke function, printing its results) and turns the outcome into an exit
// status. Uses the package's public API only.

const api = require('../../index.js')
const EXIT = require('./exit-codes.js')
const { PERF_MAP_ENV_VAR } = require('../constants.js')
const { readImports, missingImports, describeMissing } = require('./missing-imports.js')
const { compileProgress } = require('./progress.js')
const { signatureOf, invokeArguments, formatResults } = require('./invoke.js')
const { componentSignatureOf, componentArguments, formatComponentResult } = require('./invoke-component.js')
const { commandRun } = require('../wit-names.js')

/**
 * The exit status for an error that ended a run, and what to print about it (null when the
 * program's own status says it all).
 */
function outcomeOfError(error, file) {
  if (error?.code === api.ErrorCode.CallError && typeof error.exitCode === 'number') {
    // Statuses from 126 up are this command's own (and shells'), so such an exit is a
    // failure of the program, as in wasmtime's CLI; the API reports the status as it is.
    if (error.exitCode > EXIT.FUEL || error.exitCode < 0) {
      return { status: EXIT.TRAP, message: `${file}: exit status outside of [0..126): the program exited with status ${error.exitCode}` }
    }
    return { status: error.exitCode, message: null }
  }
  if (error?.code === api.ErrorCode.FuelExhausted) {
    if (error.reason === 'timeout') {
      return { status: EXIT.TIMEOUT, message: `${file}: stopped by --timeout after ${Math.round(error.elapsedMs ?? 0)} ms` }
    }
    return { status: EXIT.FUEL, message: `${file}: ran out of fuel (--fuel)${fuelDetail(error)}` }
  }
  if (error?.code === api.ErrorCode.ExportNotFound) {
    return { status: EXIT.CANNOT_START, message: `${file} is not a WASI command: it has no _start export or wasi:cli/run interface (${error.message}); to call one of its functions, give --invoke NAME before the file` }
  }
  return { status: EXIT.TRAP, message: `${file}: ${error?.message ?? String(error)}` }
}

function fuelDetail(error) {
  return typeof error.fuelConsumed === 'number' ? ` after ${error.fuelConsumed} units` : ''
}

/** The status and message for an error before the program could start. */
function cannotStart(error, file) {
  if (error?.code === api.ErrorCode.FuelExhausted) return outcomeOfError(error, file)
  return { status: EXIT.CANNOT_START, message: `${file}: ${inCommandLineTerms(error?.message ?? String(error))}` }
}

/** The compile budget's options as this command's flags name them. */
const BUDGET_FLAGS = Object.freeze({ maxFunctions: '--max-functions', maxFunctionBytes: '--max-function-size', timeoutMs: '--compile-timeout' })

/** A compile budget's refusal says "set by the compile's limits.maxFunctions": here, a flag set it. */
function inCommandLineTerms(message) {
  return message.replace(/set by the compile's limits\.(\w+)/, (said, option) => (BUDGET_FLAGS[option] ? `set by ${BUDGET_FLAGS[option]}` : said))
}

/**
 * The imports the module needs that nothing provides, as a status and message; null when it
 * has none, or when that cannot be told before compiling (see missing-imports.js).
 */
async function refuseMissingImports(file, unknownImports) {
  // With a manifest in force, the manifest decides first whether the file may be read at all:
  // compileFile asks it, and a refused file's contents must not show in a message.
  if (manifestInForce()) return null
  const imports = await readImports(file)
  const missing = imports === null ? [] : missingImports(imports, unknownImports)
  return missing.length === 0 ? null : { status: EXIT.CANNOT_START, message: describeMissing(file, missing) }
}

function manifestInForce() {
  try {
    return api.capabilities().mode !== 'permissive'
  } catch {
    return true // a broken manifest: compileFile reports it
  }
}

/** Compiles `file`, showing a progress line on `stderr` when it is a terminal and the file large. */
async function compile(file, compileLimits, trusted, fuel, stderr) {
  const progress = compileProgress(stderr)
  try {
    return await api.compileFile(file, { limits: compileLimits, trusted, fuel, onProgress: progress.onProgress })
  } finally {
    progress.stop()
  }
}

/**
 * Calls _start (for a component, its wasi:cli/run export's run): the program's exit status
 * is the outcome.
 */
async function callStart(instance, file, isComponent) {
  try {
    await instance.call(isComponent ? await commandRunOf(instance) : '_start')
    return { status: EXIT.OK, message: null }
  } catch (error) {
    // A command component's run that returned its error: status 1, as in wasmtime.
    if (error instanceof api.WasmError && 'payload' in error && error.exitCode === undefined) return { status: 1, message: null }
    return outcomeOfError(error, file)
  }
}

/** The name of a command component's run function (an ExportNotFound error if it has none). */
async function commandRunOf(instance) {
  const run = commandRun(await instance.getExports())
  if (run === undefined) {
    throw new api.WasmError(api.ErrorCode.ExportNotFound, 'it exports no wasi:cli/run interface (WASI 0.2 or 0.3)')
  }
  return run
}

/** Calls a component's --invoke function with the program's arguments and writes its result. */
async function callInvokedComponent(instance, file, name, texts, write) {
  const signature = componentSignatureOf(await instance.getExports(), name)
  if (signature.problem !== undefined) return { status: EXIT.CANNOT_START, message: `${file}: ${signature.problem}` }
  const args = componentArguments(name, signature, texts) // a UsageError for main to report
  let result
  try {
    result = await instance.call(name, ...args)
  } catch (error) {
    if (error instanceof api.WasmError && 'payload' in error) {
      return { status: 1, message: `${file}: ${error.message}` }
    }
    return outcomeOfError(error, file)
  }
  await write(formatComponentResult(result, signature))
  return { status: EXIT.OK, message: null }
}

/** Calls the --invoke function with the program's arguments and writes its results. */
async function callInvoked(instance, file, name, texts, write) {
  const signature = signatureOf(await instance.getExports(), name)
  if (signature.problem !== undefined) return { status: EXIT.CANNOT_START, message: `${file}: ${signature.problem}` }
  const args = invokeArguments(name, signature.params, texts) // a UsageError for main to report
  let results
  try {
    results = await instance.call(name, ...args)
  } catch (error) {
    return outcomeOfError(error, file)
  }
  await write(formatResults(results, signature.results))
  return { status: EXIT.OK, message: null }
}

/**
 * Runs the program described by `options` (from parseRunOptions).
 *
 * @param {object} options
 * @param {{ write: (text: string) => Promise<void>, stderr: { isTTY?: boolean, write(text: string): unknown } }} io
 *   `write` for the results of --invoke (stdout), `stderr` for the progress line
 * @returns {Promise<{ status: number, message: string | null }>}
 */
async function runProgram(options, { write, stderr }) {
  const { file, manifest, instantiateOptions, compileLimits, trusted, invoke, programArgs, profile, perfmap } = options
  // Read by the engines when the first compile makes them.
  if (perfmap) process.env[PERF_MAP_ENV_VAR] = '1'
  if (manifest !== undefined) {
    try {
      await api.configure({ manifest })
    } catch (error) {
      return { status: EXIT.CANNOT_START, message: `--manifest ${manifest}: ${error?.message ?? String(error)}` }
    }
  }
  if (profile !== undefined && require('node:fs').existsSync(profile)) {
    return { status: EXIT.CANNOT_START, message: `--profile ${profile}: the file exists (a profile is written to a new file)` }
  }
  const refused = await refuseMissingImports(file, instantiateOptions.unknownImports)
  if (refused !== null) return refused

  let moduleId
  try {
    // With --fuel the metered code is compiled here, under the progress line, not in instantiate.
    const fuel = instantiateOptions.limits?.fuel !== undefined
    moduleId = await compile(file, compileLimits, trusted, fuel, stderr)
  } catch (error) {
    return cannotStart(error, file)
  }
  let instance
  const isComponent = api.moduleKind(moduleId) === 'component'
  try {
    instance = await api.instantiate(moduleId, {
      ...instantiateOptions,
      inheritStdin: true,
      stdout: 'inherit',
      stderr: 'inherit',
    })
  } catch (error) {
    return cannotStart(error, file)
  } finally {
    await api.dropModule(moduleId)
  }
  try {
    if (profile !== undefined) await instance.startProfile()
    const outcome = invoke === undefined ? await callStart(instance, file, isComponent) : await (isComponent ? callInvokedComponent : callInvoked)(instance, file, invoke, programArgs, write)
    return profile === undefined ? outcome : await saveProfile(instance, profile, outcome)
  } finally {
    await instance.drop().catch(() => {})
  }
}

/** Writes the guest profile to `path` (a new file); a failure to write is the run's failure. */
async function saveProfile(instance, path, outcome) {
  try {
    const profile = await instance.stopProfile()
    require('node:fs').writeFileSync(path, JSON.stringify(profile), { flag: 'wx' })
    return outcome
  } catch (error) {
    return { status: EXIT.CANNOT_START, message: `--profile ${path}: ${error?.message ?? String(error)}` }
  }
}

module.exports = { runProgram, outcomeOfError }
