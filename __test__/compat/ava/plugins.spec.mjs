import test from 'ava'

import { scenarios } from '../scenarios.mjs'

for (const name of ['runs a WASI command with run(): stdin, captured output and exit status', 'host functions read and write strings in the caller memory']) {
  test(name, async (t) => {
    await scenarios[name]()
    t.pass()
  })
}
