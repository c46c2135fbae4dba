// A Rust panic at the boundary becomes an error, never an abort of Node. The proof makes the
// addon panic on purpose through its test hook panicProbe, which acts only in a process started
// with RUNTIME_WASM_PANIC_PROBE=1: so it runs in a child process, on the build under test
// (release in CI). RUNTIME_WASM_DEBUG_BINARY=/path/to/libruntime_wasm.so (or .node) runs it on
// another build instead, e.g. a debug one.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { describeExit, jsonLines, runNode } from './child.mjs'

const require = createRequire(import.meta.url)
const SCENARIO = fileURLToPath(new URL('./panic-scenario.mjs', import.meta.url))
const PATHS = ['sync', 'first-slice', 'pool', 'after-yield', 'blocking']

test('a panic on every path from JS into Rust rejects with a 5002 internal error; the process lives on', async () => {
  const args = [SCENARIO, ...(process.env.RUNTIME_WASM_DEBUG_BINARY ? [process.env.RUNTIME_WASM_DEBUG_BINARY] : [])]
  // DEBUG would wrap the binding (lib/debug.js), and the scenario patches the binding itself.
  const result = await runNode(args, { timeoutMs: 60_000, env: { RUNTIME_WASM_PANIC_PROBE: '1', DEBUG: '', NODE_DEBUG: '' } })
  assert.equal(result.signal, null, `the process ${describeExit(result)}`)
  assert.equal(result.code, 0, `the process ${describeExit(result)}`)
  const lines = jsonLines(result.stdout)
  const summary = lines.find((line) => line.summary)
  assert.ok(summary, describeExit(result))
  const paths = lines.filter((line) => line.at)
  assert.deepEqual(
    paths.map((p) => p.at),
    PATHS,
  )
  for (const path of paths) assert.ok(path.ok, `${path.at}: ${JSON.stringify(path)}`)
  assert.ok(summary.ok, JSON.stringify(summary))
})

test('without RUNTIME_WASM_PANIC_PROBE=1 at startup the probe refuses to panic', { skip: process.env.RUNTIME_WASM_PANIC_PROBE === '1' && 'this process was started with the probe armed' }, () => {
  const native = require('../../binding.js')
  for (const at of PATHS) {
    // Throws at once, before any of the paths: nothing panics, nothing is left pending.
    assert.throws(() => native.panicProbe(at), /panicProbe is a test hook and is off: it acts only in a process started with RUNTIME_WASM_PANIC_PROBE=1/)
  }
  // Arming it now is too late: the variable is read once, at the first use.
  process.env.RUNTIME_WASM_PANIC_PROBE = '1'
  try {
    assert.throws(() => native.panicProbe('sync'), /is off/)
  } finally {
    delete process.env.RUNTIME_WASM_PANIC_PROBE
  }
})
