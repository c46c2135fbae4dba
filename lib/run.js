'use strict'
// `run()`: runs a WASI command to its end, like child_process.execFile.

const native = require('./native.js')
const { ErrorCode, WasmError, invoke } = require('./errors.js')
const { describe, snapshot } = require('./arguments.js')
const { isModuleId } = require('./handles.js')
const { compileFile, dropModule } = require('./modules.js')
const { createInstance, readStdout, readStderr, dropInstance } = require('./instances.js')
const { call } = require('./calls.js')

// Resolves { exitCode, stdout, stderr }. A non-zero exit status is data here, not an error.
async function run(pathOrModuleId, options = undefined) {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new WasmError(ErrorCode.WasiError, `run options must be an object, got ${describe(options)}`)
  }
  const given = options ?? {}
  const { args, env, preopens, stdin, limits, outputLimitBytes, imports, unknownImports, coredumpOnTrap, compileLimits, trusted } = snapshot(ErrorCode.WasiError, 'run options', () => ({ ...given }))
  const ownModule = !isModuleId(pathOrModuleId)
  const moduleId = ownModule ? await compileFile(pathOrModuleId, { limits: compileLimits, trusted, fuel: limits?.fuel !== undefined && limits?.fuel !== null }) : pathOrModuleId
  try {
    const instanceId = await createInstance(moduleId, { args, env, preopens, stdin, limits, outputLimitBytes, imports, unknownImports, coredumpOnTrap, stdout: 'pipe', stderr: 'pipe' })
    try {
      let exitCode = 0
      try {
        await call(instanceId, '_start')
      } catch (error) {
        if (!(error instanceof WasmError) || error.exitCode === undefined) throw error
        exitCode = error.exitCode
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

module.exports = { run }
