// The bad-input matrix (matrix.mjs) in a child process: every exported function and method,
// every wrong kind of argument. Each cell must end as documented (a WasmError of the right code,
// a standard TypeError, or success where the value is in fact valid), never crash or hang, and
// leave no handle, no memory change and no broken instance behind.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { describeExit, jsonLines, runNode } from './child.mjs'

const MATRIX = fileURLToPath(new URL('./matrix.mjs', import.meta.url))

test('every function given every wrong kind of argument fails as documented, with no effect', async () => {
  const result = await runNode([MATRIX], { timeoutMs: 120_000 })
  assert.equal(result.code, 0, `the matrix process ${describeExit(result)}`)
  const lines = jsonLines(result.stdout)
  const summary = lines.find((line) => line.summary)
  assert.ok(summary, `no summary line: ${describeExit(result)}`)
  const cells = lines.filter((line) => !line.summary)
  assert.equal(cells.length, summary.cells)
  assert.ok(summary.targets >= 60 && summary.values >= 30, 'the matrix covers the API')
  const wrong = cells.filter((cell) => !cell.ok)
  assert.deepEqual(
    wrong.map((cell) => `${cell.target} <- ${cell.value}: ${cell.outcome} (expected ${cell.expected}) ${cell.problems.join('; ')}`),
    [],
  )
  assert.ok(!cells.some((cell) => cell.outcome === 'HANG'))
})
