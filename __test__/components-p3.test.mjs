// WASI 0.3 components (wasi:cli/run@0.3.0): run() and runtime-wasm run, exit statuses, output
// through 0.3 streams, host waits and spins stopped by deadlines and aborts.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { ErrorCode, compileFile, instantiate, run } from '../index.mjs'

const P3 = (name) => fileURLToPath(new URL(`./fixtures/components/p3/${name}`, import.meta.url))
const COMMAND = P3('command.wasm')
const BIN = fileURLToPath(new URL('../bin/runtime-wasm.js', import.meta.url))
const text = (bytes) => Buffer.from(bytes).toString()

test('run() runs WASI 0.3 commands: ok, err, exit, exit-with-code, args, output through a stream', async () => {
  assert.equal((await run(P3('run-ok.wasm'))).exitCode, 0)
  assert.equal((await run(P3('run-err.wasm'))).exitCode, 1)
  // Exporting 0.2's run beside 0.3's (as Rust's wasm32-wasip3 does), the command runs 0.3's.
  assert.equal((await run(P3('run-both.wasm'))).exitCode, 0)
  assert.equal(spawnSync(process.execPath, [BIN, 'run', P3('run-both.wasm')]).status, 0)
  assert.equal((await run(COMMAND, { args: ['command', 'ok'] })).exitCode, 0)
  assert.equal((await run(COMMAND, { args: ['command', 'err'] })).exitCode, 1)
  assert.equal((await run(COMMAND, { args: ['command', 'exit-ok'] })).exitCode, 0)
  assert.equal((await run(COMMAND, { args: ['command', 'exit-err'] })).exitCode, 1)
  // WASI 0.3's exit-with-code carries the status itself.
  assert.equal((await run(COMMAND, { args: ['command', 'exit-code', '7'] })).exitCode, 7)
  const echoed = await run(COMMAND, { args: ['command', 'echo-args', 'a b', 'c'] })
  assert.equal(text(echoed.stdout), 'command\necho-args\na b\nc\n')
  const hello = await run(COMMAND, { args: ['command', 'hello'] })
  assert.deepEqual([hello.exitCode, text(hello.stdout)], [0, 'hello from p3\n'])
})

test('a WASI 0.3 command sleeping in the host finishes, and is stopped by a deadline', async () => {
  assert.equal((await run(COMMAND, { args: ['command', 'sleep', '20'] })).exitCode, 0)
  for (const args of [['command', 'sleep', '60000'], ['command', 'spin'], ['command', 'yield-loop']]) {
    const started = Date.now()
    await assert.rejects(run(COMMAND, { args, limits: { timeoutMs: 200 } }), (error) => error.code === ErrorCode.FuelExhausted && error.reason === 'timeout')
    assert.ok(Date.now() - started < 10_000, args.join(' '))
  }
})

test('an abort stops a WASI 0.3 call waiting in the host; fuel stops a spinning one', async () => {
  const id = await compileFile(COMMAND)
  let instance = await instantiate(id, { args: ['command', 'sleep', '60000'] })
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 50)
  await assert.rejects(instance.invoke('wasi:cli/run@0.3.0#run', [], { signal: controller.signal }), { name: 'AbortError' })
  await instance.drop()
  instance = await instantiate(id, { args: ['command', 'spin'], limits: { fuel: 5_000_000 } })
  await assert.rejects(instance.call('wasi:cli/run@0.3.0#run'), (error) => error.code === ErrorCode.FuelExhausted && error.reason === 'fuel')
  await instance.drop()
})

test('a WASI 0.3 command reads a preopened file, and a FIFO there is refused at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-p3-'))
  try {
    writeFileSync(join(dir, 'in.txt'), 'p3 file\n')
    const read = await run(COMMAND, { args: ['command', 'cat', '/data/in.txt'], preopens: { '/data': dir } })
    assert.deepEqual([read.exitCode, text(read.stdout)], [0, 'p3 file\n'])
    const missing = await run(COMMAND, { args: ['command', 'cat', '/data/missing'], preopens: { '/data': dir } })
    assert.deepEqual([missing.exitCode, text(missing.stderr)], [1, 'cat: no-entry\n'])
    const escape = await run(COMMAND, { args: ['command', 'cat', '/data/../etc/passwd'], preopens: { '/data': dir } })
    assert.deepEqual([escape.exitCode, text(escape.stderr)], [1, 'cat: not-permitted\n'])
    if (spawnSync('mkfifo', [join(dir, 'fifo')]).status !== 0) return t.skip('mkfifo is not available')
    const started = Date.now()
    const fifo = await run(COMMAND, { args: ['command', 'cat', '/data/fifo'], preopens: { '/data': dir }, limits: { timeoutMs: 5000 } })
    assert.deepEqual([fifo.exitCode, text(fifo.stderr)], [1, 'cat: no-such-device\n'])
    assert.ok(Date.now() - started < 4000)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('runtime-wasm run runs a WASI 0.3 command', () => {
  const hello = spawnSync(process.execPath, [BIN, 'run', COMMAND, 'hello'], { encoding: 'utf8' })
  assert.deepEqual([hello.status, hello.stdout], [0, 'hello from p3\n'])
  const failed = spawnSync(process.execPath, [BIN, 'run', COMMAND, 'err'], { encoding: 'utf8' })
  assert.equal(failed.status, 1)
  const stopped = spawnSync(process.execPath, [BIN, 'run', '--timeout', '200', COMMAND, 'sleep', '60000'], { encoding: 'utf8' })
  assert.equal(stopped.status, 124)
})
