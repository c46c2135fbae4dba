// worker_threads, in a child process (workers-scenario.mjs): four workers compiling and calling
// at once; workers terminated during wasm loops and host calls that never answer (no crash, and
// their modules and instances are freed by the environment cleanup hook); ids shared between
// threads.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { describeExit, jsonLines, runNode } from './child.mjs'

const SCENARIO = fileURLToPath(new URL('./workers-scenario.mjs', import.meta.url))

test('workers: four at once, terminated mid-call, ids across threads', async () => {
  const result = await runNode([SCENARIO], { timeoutMs: 90_000 })
  assert.equal(result.code, 0, `the scenario process ${describeExit(result)}`)
  const scenarios = jsonLines(result.stdout)
  assert.equal(scenarios.length, 4, describeExit(result))
  for (const { scenario, ok, details } of scenarios) assert.ok(ok, `${scenario}: ${details.join('; ')}`)
})
