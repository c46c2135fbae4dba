'use strict'
// `run()`: runs a WASI command to its end, like child_process.execFile.

const native = require('./native.js')
const { ErrorCode, WasmError, invoke } = require('./errors.js')
const { describe, snapshot } = require('./arguments.js')
const { isModuleId } = require('./handles.js')
const { compileFile, dropModule } = require('./modules.js')
const { createInstance, readStdout, readStderr, dropInstance } = require('./instances.js')
const { call, isComponent } = require('./calls.js')
const { componentExports } = require('./components.js')
const { commandRun } = require('./wit-names.js')

// Resolves { exitCode, stdout, stderr }. A non-zero exit status is data here, not an error.
async function run(pathOrModuleId, options = undefined) {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new WasmError(ErrorCode.WasiError, `run options must be an object, got ${describe(options)}`)
  }
  const given = options ?? {}
  const { args, env, preopens, stdin, limits, outputLimitBytes, imports, unknownImports, coredumpOnTrap, network, compileLimits, trusted } = snapshot(ErrorCode.WasiError, 'run options', () => ({ ...given }))
  const ownModule = !isModuleId(pathOrModuleId)
  const moduleId = ownModule ? await compileFile(pathOrModuleId, { limits: compileLimits, trusted, fuel: limits?.fuel !== undefined && limits?.fuel !== null }) : pathOrModuleId
  try {
    const instanceId = await createInstance(moduleId, { args, env, preopens, stdin, limits, outputLimitBytes, imports, unknownImports, coredumpOnTrap, network, stdout: 'pipe', stderr: 'pipe' })
    try {
      let exitCode = 0
      try {
        await call(instanceId, entryPoint(instanceId))
      } catch (error) {
        if (!(error instanceof WasmError)) throw error
        // A command component's run that returned its error: exit status 1, as in wasmtime.
        if (error.exitCode === undefined && 'payload' in error) exitCode = 1
        else if (error.exitCode === undefined) throw await withOutput(error, instanceId)
        else exitCode = error.exitCode
      }
      const [stdoutTruncated, stderrTruncated] = invoke(native.outputTruncated, instanceId)
      return {
        exitCode,
        stdout: await readStdout(instanceId),
        stderr: await readStderr(instanceId),
        truncated: { stdout: stdoutTruncated, stderr: stderrTruncated },
      }
    } finally {
      await dropInstance(instanceId)
    }
  } finally {
    if (ownModule) await dropModule(moduleId)
  }
}

// A program that failed (a trap, a limit) often said why on its stderr first: the error
// carries what it wrote, as `stdout` and `stderr`.
async function withOutput(error, instanceId) {
  try {
    error.stdout = await readStdout(instanceId)
    error.stderr = await readStderr(instanceId)
  } catch {
    // The instance is gone (dropped by the limit that stopped it): nothing to add.
  }
  return error
}

// `_start` for a module; for a component, its `wasi:cli/run` export's `run`.
function entryPoint(instanceId) {
  if (!isComponent(instanceId)) return '_start'
  const entry = commandRun(componentExports(instanceId))
  if (entry === undefined) {
    throw new WasmError(ErrorCode.CallError, 'the component is not a command: it exports no wasi:cli/run interface (WASI 0.2 or 0.3) with a run function')
  }
  return entry
}

module.exports = { run }
