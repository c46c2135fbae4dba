import test from 'ava'

import { scenarios } from '../scenarios.mjs'

for (const name of ['stops runaway calls by deadline and by AbortSignal', 'runs many instances in parallel']) {
  test(name, async (t) => {
    await scenarios[name]()
    t.pass()
  })
}
