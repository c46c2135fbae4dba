import { expect, test } from 'vitest'

import { scenarios } from '../scenarios.mjs'

for (const name of ['loads in this context and calls exported functions', 'rejects with WasmError codes, and the instance stays usable', 'require() and import give the same package']) {
  test(name, async () => {
    await scenarios[name]()
  })
}

test('vitest pools: threads run files in worker threads, forks in child processes', async () => {
  const where = await scenarios['loads in this context and calls exported functions']()
  const pool = process.env.VITEST_POOL_ID === undefined ? null : process.env.RUNTIME_WASM_COMPAT_POOL
  if (pool === 'threads') expect(where).toBe('worker thread')
  if (pool === 'forks') expect(where).toBe('main thread')
})
