// A Rust panic at the boundary becomes an error, never an abort of Node. The proof needs the
// deliberately panicking entry point debugPanic, which only debug builds have (it is compiled
// out of release builds, and CI builds release only: a debug build of wasmtime would double its
// build time). The test runs when a debug build is found:
//   - the loaded addon itself, after `npm run build:debug`;
//   - RUNTIME_WASM_DEBUG_BINARY=/path/to/libruntime_wasm.so (or .node);
//   - target/debug/libruntime_wasm.so, after `cargo build`.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { describeExit, jsonLines, runNode } from './child.mjs'

const require = createRequire(import.meta.url)
const SCENARIO = fileURLToPath(new URL('./panic-scenario.mjs', import.meta.url))

function debugBinary() {
  const loaded = require('../../binding.js')
  if (typeof loaded.debugPanic === 'function') {
    return require.resolve(`../../runtime-wasm.${process.platform}-${process.arch}-gnu.node`)
  }
  const candidates = [process.env.RUNTIME_WASM_DEBUG_BINARY, fileURLToPath(new URL('../../target/debug/libruntime_wasm.so', import.meta.url))]
  return candidates.find((path) => path && existsSync(path))
}

const binary = (() => {
  try {
    return debugBinary()
  } catch {
    return undefined
  }
})()

test('a panic on every path from JS into Rust rejects with a 5002 internal error; the process lives on', { skip: !binary && 'no debug build (see the comment at the top)' }, async () => {
  const result = await runNode([SCENARIO, binary], { timeoutMs: 60_000 })
  assert.equal(result.signal, null, `the process ${describeExit(result)}`)
  assert.equal(result.code, 0, `the process ${describeExit(result)}`)
  const lines = jsonLines(result.stdout)
  const summary = lines.find((line) => line.summary)
  assert.ok(summary, describeExit(result))
  if (summary.skipped) return
  const paths = lines.filter((line) => line.at)
  assert.deepEqual(paths.map((p) => p.at), ['sync', 'first-slice', 'pool', 'after-yield', 'blocking'])
  for (const path of paths) assert.ok(path.ok, `${path.at}: ${JSON.stringify(path)}`)
  assert.ok(summary.ok, JSON.stringify(summary))
})
