import { test } from 'vitest'

import { scenarios } from '../scenarios.mjs'

for (const name of ['stops runaway calls by deadline and by AbortSignal', 'runs many instances in parallel']) {
  test(name, async () => {
    await scenarios[name]()
  })
}
