// The examples, run as the README says (`npm start`, i.e. node examples/run-all.mjs), each in
// its own process: all must pass and print what the README promises.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

test('node examples/run-all.mjs runs every example successfully', () => {
  const { status, stdout, stderr } = spawnSync(process.execPath, ['examples/run-all.mjs'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DEBUG: '', NODE_DEBUG: '' },
  })
  assert.equal(status, 0, stdout + stderr)
  const expected = [
    // calculator.mjs
    '=== ./calculator.mjs ===',
    '10 + 20 = 30',
    '5 * 7 = 35',
    '20! = 2432902008176640000',
    // wasi-tool/run.mjs
    '=== ./wasi-tool/run.mjs ===',
    'argv[0] = tool',
    'Hello from the sandbox!',
    'missing.txt: tool exited with code 3 (CallError 5002)',
    // wasi-tool/capture.mjs
    '=== ./wasi-tool/capture.mjs ===',
    'exit code 0, 12 lines of output; the last: "but the guest sees it as /input.txt."',
    'exit code 3, stderr: tool: cannot read /missing.txt: No such file or directory',
    // host-plugin/run.mjs
    '=== ./host-plugin/run.mjs ===',
    'host: the plugin asked for "user"',
    'plugin: Hello, Ada Lovelace!',
    'greet() returned 20',
    // limits.mjs
    '=== ./limits.mjs ===',
    'deadline: FuelExhausted 5011 reason=timeout',
    'the event loop ran on meanwhile',
    'abort: AbortError',
    'still usable: sum(10) = 55',
    'fuel: FuelExhausted 5011 reason=fuel',
    'refilled: 500',
    'All examples passed.',
  ]
  const lines = stdout.split('\n')
  let at = 0
  for (const line of expected) {
    const found = lines.indexOf(line, at)
    assert.ok(found >= 0, `expected, in order: ${JSON.stringify(line)}\n--- output ---\n${stdout}`)
    at = found + 1
  }
  assert.match(stdout, /sum\(1000\) = 500500, fuel left: \d+/)
})
