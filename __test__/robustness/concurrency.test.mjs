// Concurrency under load, in a child process (concurrency-scenario.mjs): 2,000 concurrent calls
// across 50 instances with every result checked; instances and modules dropped while calls on
// them are queued and running (each settles, with a result or 5005); drop races; and the process
// exiting while calls run (it exits cleanly, with its own status, and prints nothing).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { describeExit, jsonLines, runNode } from './child.mjs'

const SCENARIO = fileURLToPath(new URL('./concurrency-scenario.mjs', import.meta.url))

test('2,000 calls across 50 instances, drops during calls, drop races', async () => {
  const result = await runNode([SCENARIO], { timeoutMs: 120_000 })
  assert.equal(result.code, 0, `the scenario process ${describeExit(result)}`)
  const scenarios = jsonLines(result.stdout)
  assert.equal(scenarios.length, 5, describeExit(result))
  for (const { scenario, ok, details } of scenarios) assert.ok(ok, `${scenario}: ${details.join('; ')}`)
})

test('process.exit() while calls are running and waiting exits cleanly with its status', async () => {
  for (const status of [0, 3]) {
    const result = await runNode([SCENARIO, '--exit-with-pending', String(status)], { timeoutMs: 30_000 })
    assert.equal(result.signal, null, describeExit(result))
    assert.equal(result.code, status, describeExit(result))
    const [exiting] = jsonLines(result.stdout)
    assert.equal(exiting?.handles.instances, 8, describeExit(result))
    assert.equal(result.stderr, '', 'nothing is printed on the way out')
  }
})
