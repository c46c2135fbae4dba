// Misbehaving host functions and output callbacks, in a child process (host-scenario.mjs):
// results that cannot be read, thenables whose `then` throws, arrays of 2^32-1 holes, thrown
// Proxies, stdout callbacks that throw. Each fails the wasm call with a WasmError (or, for the
// callback, is reported as a warning); the process and the instance live on.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { describeExit, jsonLines, runNode } from './child.mjs'

const SCENARIO = fileURLToPath(new URL('./host-scenario.mjs', import.meta.url))

test('host functions returning or throwing unreadable values fail the call, never the process', async () => {
  const result = await runNode([SCENARIO], { timeoutMs: 60_000 })
  assert.equal(result.code, 0, `the scenario process ${describeExit(result)}`)
  const lines = jsonLines(result.stdout)
  assert.ok(lines.some((line) => line.done), describeExit(result))
  const cases = lines.filter((line) => !line.done)
  assert.ok(cases.length >= 10)
  for (const c of cases) {
    assert.equal(c.outcome, c.expected, c.name)
    assert.equal(c.afterwards, 9, `${c.name}: the module still works`)
  }
})
