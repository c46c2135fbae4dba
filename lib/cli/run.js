'use strict'
// `runtime-wasm run`: compiles a WASI command, instantiates it with the terminal's stdio and
// what the command line grants, calls _start and turns the outcome into an exit status.
// Uses the package's public API only.

const api = require('../../index.js')
const EXIT = require('./exit-codes.js')

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
    return { status: EXIT.CANNOT_START, message: `${file} is not a WASI command: it has no _start export (${error.message})` }
  }
  return { status: EXIT.TRAP, message: `${file}: ${error?.message ?? String(error)}` }
}

function fuelDetail(error) {
  return typeof error.fuelConsumed === 'number' ? ` after ${error.fuelConsumed} units` : ''
}

/** The status and message for an error before the program could start. */
function cannotStart(error, file) {
  if (error?.code === api.ErrorCode.FuelExhausted) return outcomeOfError(error, file)
  return { status: EXIT.CANNOT_START, message: `${file}: ${error?.message ?? String(error)}` }
}

/**
 * Runs the program described by `options` (from parseRunOptions).
 *
 * @returns {Promise<{ status: number, message: string | null }>}
 */
async function runProgram(options) {
  const { file, manifest, instantiateOptions, compileLimits } = options
  if (manifest !== undefined) {
    try {
      await api.configure({ manifest })
    } catch (error) {
      return { status: EXIT.CANNOT_START, message: `--manifest ${manifest}: ${error?.message ?? String(error)}` }
    }
  }

  let moduleId
  try {
    moduleId = await api.compileFile(file, { limits: compileLimits })
  } catch (error) {
    return cannotStart(error, file)
  }
  let instance
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
    await instance.call('_start')
    return { status: EXIT.OK, message: null }
  } catch (error) {
    return outcomeOfError(error, file)
  } finally {
    await instance.drop().catch(() => {})
  }
}

module.exports = { runProgram, outcomeOfError }
