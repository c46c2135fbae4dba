// Diagnostics: DEBUG / NODE_DEBUG logging of compile, instantiate and limit events, and
// compileFile's onProgress hook.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { statSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { compileFile, dropModule, instantiate, WasmError } from '../index.mjs'

const require = createRequire(import.meta.url)
const { debugEnables, nodeDebugEnables } = require('../lib/debug.js')
const native = require('../binding.js')

const PROBE = fileURLToPath(new URL('./fixtures/cli/probe.wasm', import.meta.url))
const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

// A script that compiles, instantiates, and has a call stopped by each limit and by an abort.
const SCRIPT = `
const rw = require(${JSON.stringify(INDEX)})
;(async () => {
  const moduleId = await rw.compile('(module (func (export "spin") (loop br 0)) (func (export "one") (result i32) i32.const 1))')
  const metered = await rw.instantiate(moduleId, { limits: { fuel: 1000000 } })
  await metered.call('one')
  await metered.invoke('spin', [], { fuel: 5000 }).catch(() => {})
  const plain = await rw.instantiate(moduleId)
  await plain.invoke('spin', [], { timeoutMs: 50 }).catch(() => {})
  await plain.invoke('spin', [], { signal: AbortSignal.timeout(50) }).catch(() => {})
  await rw.compileFile(${JSON.stringify(PROBE)})
  await rw.compileFile('no-such-file.wasm').catch(() => {})
  process.stdout.write('done\\n')
})()
`

function runScript(env) {
  const result = spawnSync(process.execPath, ['-e', SCRIPT], {
    env: { ...process.env, DEBUG: '', NODE_DEBUG: '', ...env },
    encoding: 'utf8',
  })
  assert.equal(result.status, 0, result.stderr)
  assert.equal(result.stdout, 'done\n', 'logs go to stderr, never stdout')
  return result.stderr
}

test('DEBUG=runtime-wasm logs the cache, compile, instantiate and limit events with timings to stderr', () => {
  const log = runScript({ DEBUG: 'runtime-wasm' })
  const lines = log.trimEnd().split('\n')
  const origin = '\\((compiled|loaded from the compiled-code cache|shared with a live module of the same bytes)\\)'
  const expected = [
    /^runtime-wasm cache (off|in .+)$/,
    new RegExp(`^runtime-wasm compile WAT text \\(\\d+ characters\\) -> module:\\d+ ${origin} \\d+\\.\\d ms$`),
    /^runtime-wasm instantiate module:\d+ -> instance:\d+ \d+\.\d ms$/,
    /^runtime-wasm call "spin" on instance:\d+ stopped by its fuel \(5011\), \d+ fuel burnt \d+\.\d ms$/,
    /^runtime-wasm instantiate module:\d+ -> instance:\d+ \d+\.\d ms$/,
    /^runtime-wasm call "spin" on instance:\d+ stopped by its timeout \(5011\) \d+\.\d ms$/,
    /^runtime-wasm call "spin" on instance:\d+ aborted by its signal \d+\.\d ms$/,
    new RegExp(`^runtime-wasm compileFile ".*probe\\.wasm" -> module:\\d+ ${origin} \\d+\\.\\d ms$`),
    /^runtime-wasm compileFile "no-such-file\.wasm" failed with 5008 IoError: .* \d+\.\d ms$/,
  ]
  assert.equal(lines.length, expected.length, log)
  expected.forEach((pattern, i) => assert.match(lines[i], pattern))
  // A successful call is not logged: only the events that matter are.
  assert.doesNotMatch(log, /"one"/)
})

test('DEBUG=runtime-wasm logs where compiled code is cached when configure() changes it', () => {
  const script = `
    const rw = require(${JSON.stringify(INDEX)})
    rw.configure({ cache: false })
    rw.configure({ cacheDir: '/tmp/runtime-wasm-debug-cache', cache: true })
    rw.configure({ cache: false })
  `
  const result = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, DEBUG: 'runtime-wasm', NODE_DEBUG: '' }, encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  assert.equal(result.stderr, 'runtime-wasm cache off\nruntime-wasm cache in /tmp/runtime-wasm-debug-cache\nruntime-wasm cache off\n')
})

test('NODE_DEBUG=runtime-wasm (Node\'s convention, any case, among others) logs the same events', () => {
  const log = runScript({ NODE_DEBUG: 'http,RUNTIME-WASM' })
  assert.match(log, /^runtime-wasm compile /m)
  assert.match(log, /^runtime-wasm call "spin" .* stopped by its timeout/m)
})

test('without DEBUG nothing is logged, and the binding is used without a wrapper', () => {
  assert.equal(runScript({}), '')
  assert.equal(runScript({ DEBUG: 'express:*,-runtime-wasm' }), '')
  const check = spawnSync(process.execPath, ['-e', `
    const debug = require(${JSON.stringify(require.resolve('../lib/debug.js'))})
    const binding = {}
    process.exit(debug.enabled === false && debug.instrument(binding) === binding ? 0 : 1)
  `], { env: { ...process.env, DEBUG: '', NODE_DEBUG: '' } })
  assert.equal(check.status, 0)
})

test('DEBUG patterns follow the debug package: lists, wildcards and exclusions', () => {
  for (const value of ['runtime-wasm', '*', 'runtime-*', 'express,runtime-wasm', 'a b runtime-wasm', 'runtime-wasm,-other']) {
    assert.equal(debugEnables(value), true, value)
  }
  for (const value of [undefined, '', 'runtime', 'runtime-wasm2', 'other', '*,-runtime-wasm', '-runtime-wasm,runtime-wasm', 'RUNTIME-WASM']) {
    assert.equal(debugEnables(value), false, String(value))
  }
  for (const value of ['runtime-wasm', 'RUNTIME-WASM', 'http, runtime-wasm', 'runtime*', '*']) {
    assert.equal(nodeDebugEnables(value), true, value)
  }
  for (const value of [undefined, '', 'http', 'runtime-wasm-x', 'runtime']) {
    assert.equal(nodeDebugEnables(value), false, String(value))
  }
})

test('compileFile onProgress reports start and compiled, with the file size and elapsed time', async () => {
  const events = []
  const moduleId = await compileFile(PROBE, { onProgress: (event) => events.push(event) })
  assert.equal(events.length, 2)
  const [start, compiled] = events
  const bytes = statSync(PROBE).size
  assert.deepEqual(start, { phase: 'start', path: PROBE, bytes, elapsedMs: 0 })
  assert.equal(compiled.phase, 'compiled')
  assert.equal(compiled.path, PROBE)
  assert.equal(compiled.bytes, bytes)
  assert.equal(compiled.moduleId, moduleId)
  assert.ok(compiled.elapsedMs >= 0 && Number.isFinite(compiled.elapsedMs))
  const instance = await instantiate(moduleId)
  assert.ok((await instance.getExports()).some((entry) => entry.name === '_start'))
  await instance.drop()
  await dropModule(moduleId)
})

test('compileFile onProgress reports a failure, and the promise rejects as without it', async () => {
  const events = []
  await assert.rejects(compileFile('no-such-file.wasm', { onProgress: (event) => events.push(event) }), (error) => {
    assert.ok(error instanceof WasmError)
    assert.equal(error.code, 5008)
    return true
  })
  assert.deepEqual(events.map((event) => event.phase), ['start', 'failed'])
  assert.equal(events[0].bytes, undefined, 'no size for a file that cannot be read')
  assert.equal(events[1].error.code, 5008)
  assert.ok(events[1].elapsedMs >= 0)
})

test('a throwing onProgress rejects compileFile with what it threw, and leaks no module', async () => {
  const before = native.liveHandles().modules
  const boom = new Error('progress UI broke')
  await assert.rejects(compileFile(PROBE, { onProgress: () => { throw boom } }), (error) => error === boom)
  let calls = 0
  await assert.rejects(
    compileFile(PROBE, {
      onProgress: (event) => {
        calls++
        if (event.phase === 'compiled') throw boom
      },
    }),
    (error) => error === boom,
  )
  assert.equal(calls, 2)
  assert.equal(native.liveHandles().modules, before, 'the module compiled before the throw is dropped')
})

test('compileFile options are checked: an object, with onProgress a function', async () => {
  await assert.rejects(compileFile(PROBE, 'fast'), TypeError)
  await assert.rejects(compileFile(PROBE, { onProgress: 'yes' }), /options\.onProgress must be a function/)
  for (const options of [undefined, null, {}, { onProgress: undefined }]) {
    await dropModule(await compileFile(PROBE, options))
  }
})
