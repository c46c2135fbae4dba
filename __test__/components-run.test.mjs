// `runtime-wasm run` on components: a wasi:cli/command component runs as a WASI module does,
// and --invoke calls a component's functions with arguments read by their WIT types.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../bin/runtime-wasm.js', import.meta.url))
const COMMAND = fileURLToPath(new URL('./fixtures/components/command.wasm', import.meta.url))
const TYPES = fileURLToPath(new URL('./fixtures/components/types.wasm', import.meta.url))

function cli(args, input = '') {
  const result = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('a command component gets its args, env, preopens and stdin, and its exit status is the status', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-cli-component-'))
  try {
    writeFileSync(join(dir, 'in.txt'), 'from a file\n')
    assert.deepEqual(cli(['run', COMMAND, 'echo-args', '--not-an-option']), { status: 0, stdout: `command.wasm\necho-args\n--not-an-option\n`, stderr: '' })
    assert.equal(cli(['run', '--env', 'NAME=value', COMMAND, 'env', 'NAME']).stdout, 'value\n')
    assert.equal(cli(['run', '--dir', `${dir}::/data`, COMMAND, 'cat', '/data/in.txt']).stdout, 'from a file\n')
    assert.equal(cli(['run', COMMAND, 'stdin'], 'loud').stdout, 'LOUD')
    assert.equal(cli(['run', COMMAND, 'exit', '5']).status, 1)
    assert.equal(cli(['run', COMMAND, 'exit', '0']).status, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('--timeout stops a command component that sleeps in the host', () => {
  const { status, stderr } = cli(['run', '--timeout', '200', COMMAND, 'sleep', '60000'])
  assert.equal(status, 124)
  assert.match(stderr, /stopped by --timeout/)
})

test('--timeout stops a command component waiting for stdin that never comes', async () => {
  const child = spawn(process.execPath, [BIN, 'run', '--timeout', '300', COMMAND, 'stdin'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const status = await new Promise((resolve) => child.on('exit', resolve))
  child.stdin.destroy()
  assert.equal(status, 124)
  assert.match(stderr, /stopped by --timeout/)
})

test('--invoke reads arguments by WIT type and prints the result', () => {
  const invoke = (name, ...args) => cli(['run', '--unknown-imports', 'trap', '--invoke', name, TYPES, ...args])
  assert.equal(invoke('greet', 'Ada').stdout, 'Hello, Ada!\n')
  assert.equal(invoke('add', '2', '3').stdout, '5\n')
  assert.equal(invoke('test:types/api#echo-u64', '18446744073709551615').stdout, '18446744073709551615\n')
  assert.equal(invoke('test:types/api#echo-u8', '0xff').stdout, '255\n')
  assert.equal(invoke('test:types/api#echo-f64', 'inf').stdout, 'inf\n')
  assert.equal(invoke('test:types/api#echo-u8', '256').status, 2)
  assert.equal(invoke('test:types/api#echo-point', '{"x":1,"y":2,"labelText":"l"}').stdout, '{"x":1,"y":2,"labelText":"l"}\n')
  const failed = invoke('test:types/api#checked-div', '1', '0')
  assert.equal(failed.status, 1)
  assert.match(failed.stderr, /division by zero/)
  const wrong = invoke('add', 'x', '1')
  assert.equal(wrong.status, 2)
  assert.match(wrong.stderr, /argument 1 \(a\)/)
  const missing = invoke('nope')
  assert.equal(missing.status, 126)
  assert.match(missing.stderr, /no function of that name; its functions are greet, add/)
})

test('a component whose imports nobody provides is refused before it runs, naming them', () => {
  const { status, stderr } = cli(['run', TYPES])
  assert.equal(status, 126)
  assert.match(stderr, /test:types\/host/)
})
