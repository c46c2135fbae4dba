// Guest profiles (instance.startProfile / stopProfile, runtime-wasm run --profile) in the
// Firefox Profiler's format, and perf maps (--perfmap, RUNTIME_WASM_PERFMAP=1).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import rw from '../index.js'
import { fixture, rejectsWith, tempDir } from './core-helpers.mjs'

const { compile, instantiate, ErrorCode } = rw
const CLI = fileURLToPath(new URL('../bin/runtime-wasm.js', import.meta.url))

// `hot` does five times the iterations of `cold`.
const HOT_AND_COLD = `(module $profiled
  (func $cold (export "cold") (param i32) (result i32) (local i32)
    (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func $hot_loop (export "hot") (param i32) (result i32) (local i32)
    (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "main") (param i32) (result i32)
    (i32.add (call $hot_loop (i32.mul (local.get 0) (i32.const 5))) (call $cold (local.get 0)))))`

// Samples by the function on top of the stack.
function samplesByLeaf(profile) {
  const thread = profile.threads[0]
  const strings = thread.stringArray ?? profile.shared.stringArray
  const counts = {}
  for (const stack of thread.samples.stack) {
    if (stack === null) continue
    const func = thread.frameTable.func[thread.stackTable.frame[stack]]
    const name = strings[thread.funcTable.name[func]]
    counts[name] = (counts[name] ?? 0) + 1
  }
  return counts
}

test('a profile of a call attributes most samples to its hot function', async () => {
  const instance = await instantiate(await compile(HOT_AND_COLD))
  await instance.startProfile({ intervalMs: 1 })
  await instance.call('main', 100_000_000)
  const profile = await instance.stopProfile()
  assert.equal(typeof profile.meta, 'object')
  assert.equal(profile.threads.length, 1)
  const counts = samplesByLeaf(profile)
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  assert.ok(total >= 20, `only ${total} samples: ${JSON.stringify(counts)}`)
  assert.ok((counts.hot_loop ?? 0) > total / 2, `hot_loop has ${counts.hot_loop} of ${total} samples`)
  assert.ok((counts.hot_loop ?? 0) > (counts.cold ?? 0), JSON.stringify(counts))
  // Without a profile running, calls go on as usual and stopping again is an error.
  assert.deepEqual(await instance.call('cold', 10), [10])
  await rejectsWith(() => instance.stopProfile(), ErrorCode.CallError, 'no profile is being taken')
  await instance.drop()
})

test('profile options and misuse', async () => {
  const instance = await instantiate(await compile(HOT_AND_COLD))
  for (const bad of [0, -1, NaN, '5', Infinity]) await assert.rejects(instance.startProfile({ intervalMs: bad }), TypeError, String(bad))
  await assert.rejects(instance.startProfile(5), TypeError)
  await instance.startProfile()
  await rejectsWith(() => instance.startProfile(), ErrorCode.CallError, 'already being taken')
  await instance.stopProfile()
  await instance.drop()
  const trusted = await instantiate(await compile(HOT_AND_COLD, { trusted: true }))
  await rejectsWith(() => trusted.startProfile(), ErrorCode.CallError, 'trusted')
  await trusted.drop()
})

test('runtime-wasm run --profile writes a profile of a C program; an existing file is refused first', (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'profile.json')
  const run = (...args) => spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8' })
  const done = run('--profile', file, fixture('debug/trap.wasm'), '5')
  assert.equal(done.status, 0, done.stderr)
  assert.equal(done.stdout, '20\n')
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'))
  assert.equal(profile.threads.length, 1)
  const again = run('--profile', file, fixture('debug/trap.wasm'), '5')
  assert.equal(again.status, 126)
  assert.match(again.stderr, /--profile .*profile\.json: the file exists/)
  assert.equal(again.stdout, '', 'the program did not run')
})

test('--perfmap lists the compiled functions in /tmp/perf-PID.map', (t) => {
  const out = spawnSync(process.execPath, [CLI, 'run', '--perfmap', fixture('debug/trap.wasm'), '5'], { encoding: 'utf8' })
  assert.equal(out.status, 0, out.stderr)
  const map = `/tmp/perf-${out.pid}.map`
  t.after(() => fs.rmSync(map, { force: true }))
  const text = fs.readFileSync(map, 'utf8')
  assert.match(text, /^0x[0-9a-f]+ [0-9a-f]+ checked_divide$/m)
  assert.match(text, /^0x[0-9a-f]+ [0-9a-f]+ parse$/m)
})
