import test from 'ava'

import { scenarios } from '../scenarios.mjs'

for (const name of ['loads in this context and calls exported functions', 'rejects with WasmError codes, and the instance stays usable', 'require() and import give the same package']) {
  test(name, async (t) => {
    await scenarios[name]()
    t.pass()
  })
}
