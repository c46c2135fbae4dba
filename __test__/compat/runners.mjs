// The test runners of the compatibility suite, each run on all its spec files at once, the way
// a user's project runs them. Used by ../compat.test.mjs (in `npm test`) and run.mjs
// (`npm run test:compat`).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The file of a dev dependency's command (its package.json "bin"). */
function binOf(name) {
  const folder = join(ROOT, 'node_modules', name)
  const { bin } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))
  return join(folder, typeof bin === 'string' ? bin : bin[name])
}

const vitest = ['run', '--config', '__test__/compat/vitest.config.mjs']
const ava = ['--config', '__test__/compat/ava.config.mjs']

/** Each runner: the command, and the summary its output must show (so we know tests ran). */
export const RUNNERS = [
  {
    name: 'vitest, threads pool (test files in worker threads)',
    args: [binOf('vitest'), ...vitest, '--pool=threads'],
    env: { RUNTIME_WASM_COMPAT_POOL: 'threads' },
    summary: /Test Files {2}3 passed \(3\)[\s\S]*Tests {2}8 passed \(8\)/,
  },
  {
    name: 'vitest, forks pool (test files in child processes)',
    args: [binOf('vitest'), ...vitest, '--pool=forks'],
    env: { RUNTIME_WASM_COMPAT_POOL: 'forks' },
    summary: /Test Files {2}3 passed \(3\)[\s\S]*Tests {2}8 passed \(8\)/,
  },
  {
    name: 'ava, worker threads',
    args: [binOf('ava'), ...ava],
    env: {},
    summary: /7 tests passed/,
  },
  {
    name: 'ava, child processes (--no-worker-threads)',
    args: [binOf('ava'), ...ava, '--no-worker-threads'],
    env: {},
    summary: /7 tests passed/,
  },
]
