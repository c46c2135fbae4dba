'use strict'
// `runtime-wasm compile FILE...`: compiles each module into the compiled-code cache ahead of
// its first run (an app's install step, a CI cache), waiting for its optimized code, so that
// later runs start on it at once. Uses the package's public API only.

const api = require('../../index.js')
const EXIT = require('./exit-codes.js')
const { printable } = require('./printable.js')

/**
 * @param {string[]} files
 * @param {(text: string) => Promise<void>} write
 * @param {{ write(text: string): unknown }} stderr
 */
async function compileCommand(files, write, stderr) {
  if (api.cacheInfo().dir === null) {
    return { status: EXIT.CANNOT_START, message: 'the compiled-code cache is off (RUNTIME_WASM_CACHE=off): compiling ahead would keep nothing' }
  }
  let failed = 0
  for (const file of files) {
    const started = performance.now()
    try {
      const moduleId = await api.compileFile(file)
      const optimized = await api.whenOptimized(moduleId)
      await api.dropModule(moduleId)
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      await write(`${printable(file)}: ${optimized ? 'optimized code cached' : 'baseline code only (the optimized code could not be made)'} in ${seconds} s\n`)
    } catch (error) {
      failed += 1
      stderr.write(`runtime-wasm: ${printable(file)}: ${error?.message ?? String(error)}\n`)
    }
  }
  return { status: failed === 0 ? EXIT.OK : EXIT.CANNOT_START, message: null }
}

module.exports = { compileCommand }
