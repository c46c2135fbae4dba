// `npm run test:compat`: runs every runner of the compatibility suite and exits non-zero if
// one fails.
import { spawnSync } from 'node:child_process'

import { ROOT, RUNNERS } from './runners.mjs'

let failed = 0
for (const runner of RUNNERS) {
  console.log(`=== ${runner.name} ===`)
  const { status } = spawnSync(process.execPath, runner.args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...runner.env } })
  if (status !== 0) {
    console.error(`${runner.name}: exit status ${status}`)
    failed++
  }
}
console.log(`${RUNNERS.length - failed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
