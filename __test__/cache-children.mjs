// The child processes of the compiled-code cache suites (cache.test.mjs, cache-forgery.test.mjs):
// every scenario runs in fresh Node processes with DEBUG=runtime-wasm, and where each compile's
// code came from is read off their stderr.
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'

export const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

/** The DEBUG log's words for where a compile's code came from, and moduleOrigin()'s. */
export const ORIGINS = {
  compiled: 'compiled',
  'loaded from the compiled-code cache': 'disk',
  'shared with a live module of the same bytes': 'memory',
}

/**
 * A child's script: `body` runs as async JS with `rw` (the package), `out(value)` (one JSON line
 * on stdout), `callF(moduleId, options)` (instantiate, call f, drop) and `attempt(fn)` (its
 * outcome as data).
 */
export function childScript(body) {
  return `
const rw = require(${JSON.stringify(INDEX)})
const out = (value) => process.stdout.write(JSON.stringify(value) + '\\n')
async function callF(moduleId, options) {
  const instance = await rw.instantiate(moduleId, options)
  try {
    return (await instance.call('f'))[0]
  } finally {
    await instance.drop()
  }
}
async function attempt(fn) {
  try {
    return { ok: true, value: await fn() }
  } catch (error) {
    return { ok: false, code: error.code, name: error.name, message: error.message, path: error.path }
  }
}
;(async () => {
${body}
})().catch((error) => {
  process.stderr.write('CHILD FAILED: ' + (error && error.stack || error) + '\\n')
  process.exitCode = 1
})
`
}

/**
 * The environment of a child: DEBUG=runtime-wasm, RUNTIME_WASM_CACHE_DIR = `cacheDir` and
 * RUNTIME_WASM_CACHE_KEY_DIR = `keyDir` (each left unset when undefined). `env` overrides; a
 * value of undefined removes the variable.
 */
export function childEnv({ cacheDir, keyDir, env = {} }) {
  const merged = {
    ...process.env,
    DEBUG: 'runtime-wasm',
    NODE_DEBUG: '',
    RUNTIME_WASM_CACHE: undefined,
    RUNTIME_WASM_CACHE_DIR: cacheDir,
    RUNTIME_WASM_CACHE_KEY_DIR: keyDir,
    ...env,
  }
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name]
  return merged
}

/** What a child printed: its `out` values, the origin of each compile, and its cache lines. */
export function parseChild(stdout, stderr) {
  const outputs = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
  const origins = []
  const cacheLines = []
  const compiles = []
  for (const line of stderr.split('\n')) {
    const compile = /^runtime-wasm (compile(?:File)? .*) -> module:\d+ \((.+)\) \d+\.\d ms$/.exec(line)
    if (compile) {
      assert.ok(compile[2] in ORIGINS, `unknown origin in ${JSON.stringify(line)}`)
      origins.push(ORIGINS[compile[2]])
      compiles.push(compile[1])
    }
    if (line.startsWith('runtime-wasm cache ')) cacheLines.push(line)
  }
  return { outputs, origins, compiles, cacheLines, stderr }
}
