'use strict'
// compileFile's optional `onProgress` hook. It reports what the JS layer can see, honestly:
// when the compile starts (with the file's size), and when it ends (compiled, or failed), with
// the time elapsed. The compile itself runs in one step in the core, so there is no percentage.


function progressCallback(options) {
  if (options === undefined || options === null) return undefined
  if (typeof options !== 'object') throw new TypeError(`compileFile options must be an object, got a ${typeof options}`)
  const { onProgress } = options
  if (onProgress === undefined || onProgress === null) return undefined
  if (typeof onProgress !== 'function') throw new TypeError(`options.onProgress must be a function, got a ${typeof onProgress}`)
  return onProgress
}

// `size()` asks the core, which opens the file and tells its size only once the capability
// policy allowed it: a refused file's size (or existence) is never reported.
async function fileSize(size) {
  try {
    return await size()
  } catch {
    return undefined // the compile reports why the file cannot be read
  }
}

/**
 * Runs `compile()` (resolving a module id), reporting its progress to `options.onProgress`:
 * `{ phase: "start", path, bytes?, elapsedMs: 0 }`, then `{ phase: "compiled", path, bytes?,
 * elapsedMs, moduleId }` or `{ phase: "failed", path, bytes?, elapsedMs, error }`. When the
 * callback throws, the promise rejects with what it threw (and a module compiled meanwhile is
 * dropped with `dropModule`, so nothing leaks).
 */
async function withProgress(path, options, compile, dropModule, size) {
  const onProgress = progressCallback(options)
  if (onProgress === undefined) return compile()
  const bytes = await fileSize(size)
  const sized = bytes === undefined ? { path } : { path, bytes }
  const started = performance.now()
  onProgress({ phase: 'start', ...sized, elapsedMs: 0 })
  let moduleId
  try {
    moduleId = await compile()
  } catch (error) {
    onProgress({ phase: 'failed', ...sized, elapsedMs: performance.now() - started, error })
    throw error
  }
  try {
    onProgress({ phase: 'compiled', ...sized, elapsedMs: performance.now() - started, moduleId })
  } catch (error) {
    await dropModule(moduleId)
    throw error
  }
  return moduleId
}

module.exports = { withProgress }
