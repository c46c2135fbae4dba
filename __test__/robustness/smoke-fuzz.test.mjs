// The short deterministic fuzz runs of the test suite. The JS one (smoke-fuzz.mjs) drives the
// built addon with 2,000 generated and broken modules; the Rust harness (fuzz/) runs a few
// thousand cases of its own when it has been built (cargo build --release in fuzz/), since
// building it in CI would compile wasmtime a second time.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { describeExit, jsonLines, runNode } from './child.mjs'

const SMOKE = fileURLToPath(new URL('./smoke-fuzz.mjs', import.meta.url))
const HARNESS = fileURLToPath(new URL('../../fuzz/target/release/runtime-wasm-fuzz', import.meta.url))

test('2,000 generated and broken modules: no crash, no hang, only the codes each operation may give', async () => {
  const result = await runNode([SMOKE, '--seed', '1', '--cases', '2000'], { timeoutMs: 170_000 })
  assert.equal(result.code, 0, `the smoke run ${describeExit(result)}`)
  const [report] = jsonLines(result.stdout)
  assert.ok(report, `no report: ${describeExit(result)}`)
  assert.deepEqual(report.findings, [])
  assert.equal(report.counts['kind.generated'] + report.counts['kind.mutated'], 2000)
  // The run exercised what it is meant to: successes and failures of each operation.
  for (const key of ['compile.ok', 'compile.err.5000', 'instantiate.ok', 'call.ok', 'call.err.5002', 'call.err.5007', 'memory.err.5006']) {
    assert.ok(report.counts[key] > 0, `no ${key} in ${JSON.stringify(report.counts)}`)
  }
})

test('the Rust fuzz harness, when built: a few thousand seeds without a finding', { skip: !existsSync(HARNESS) && 'fuzz/ is not built' }, async () => {
  const { spawnSync } = await import('node:child_process')
  const run = spawnSync(HARNESS, ['--seed', '0', '--cases', '2000', '--report', '1000'], { encoding: 'utf8', timeout: 170_000 })
  assert.equal(run.status, 0, `the harness ended with ${run.status ?? run.signal}:\n${run.stderr.slice(-3000)}\n${run.stdout.slice(-3000)}`)
  assert.match(run.stdout, /findings \(0\)/)
})
