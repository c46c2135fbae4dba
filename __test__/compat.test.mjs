// The compatibility suite: the package loaded by name and used inside vitest (threads and
// forks pools, several test files in parallel) and ava (worker threads and child processes).
// Each runner runs as a user's project runs it; here we check that it passes and that its
// tests really ran. The specs are in compat/ (vitest/*.spec.mjs, ava/*.spec.mjs, scenarios.mjs).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'

import { ROOT, RUNNERS } from './compat/runners.mjs'

function runRunner({ args, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', DEBUG: '', NODE_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, output }))
  })
}

for (const runner of RUNNERS) {
  test(runner.name, { timeout: 180_000 }, async () => {
    const { status, output } = await runRunner(runner)
    assert.equal(status, 0, output)
    assert.match(output, runner.summary, output)
  })
}
