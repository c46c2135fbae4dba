// Hostile modules, in a child process (hostile-scenario.mjs): each works or fails with a clear
// code, error messages stay readable, and the process memory stays bounded: declaring 4 GiB
// memories or ten-million-entry tables costs address space, not resident memory.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { describeExit, jsonLines, runNode } from './child.mjs'

const SCENARIO = fileURLToPath(new URL('./hostile-scenario.mjs', import.meta.url))

test('hostile modules work or fail with a clear code, in bounded memory', async () => {
  const result = await runNode(['--expose-gc', SCENARIO], { timeoutMs: 150_000 })
  assert.equal(result.code, 0, `the scenario process ${describeExit(result)}`)
  const lines = jsonLines(result.stdout)
  const done = lines.find((line) => line.done)
  assert.ok(done, describeExit(result))
  const cases = lines.filter((line) => !line.done)
  assert.ok(cases.length >= 30)
  for (const c of cases) {
    assert.equal(c.outcome, c.expected, `${c.name}: ${c.message}`)
    assert.ok(c.messageLength < 10_000, `${c.name}: an error message of ${c.messageLength} characters`)
  }
  // Huge declarations and growth bombs under budgets (the cases before the compile-heavy ones)
  // leave the resident size where it started.
  const first = cases[0].rssMB
  const bombs = cases.findIndex((c) => c.name.startsWith('10,000 functions'))
  for (const c of cases.slice(0, bombs)) assert.ok(c.rssMB < first + 100, `${c.name}: resident ${c.rssMB} MB (started at ${first} MB)`)
  assert.ok(done.maxRssMB < 1024, `peak resident size ${done.maxRssMB} MB`)
})
