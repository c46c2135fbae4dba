// The compile budget: a module's size, its function count, its largest function body, and how
// long compiling it may take (in a helper process that is killed when the budget runs out).
// Set per compile (`limits`), for the process (`configure({ compileLimits })`) and by the
// capability manifest; the lowest bound wins. Scenarios that change process-wide settings run
// in their own Node process (../capabilities/helpers.mjs).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import rw from '../../index.js'
import { NODE_PERMISSION_FLAG, PACKAGE, manifest, runChild, withWorld } from '../capabilities/helpers.mjs'
import { manyFunctions } from './compile-bomb.mjs'

const { compile, compileFile, instantiate, dropModule, ErrorCode } = rw
const CLI = fileURLToPath(new URL('../../bin/runtime-wasm.js', import.meta.url))

// 100,000 tiny functions: seconds to compile in one piece, milliseconds to refuse.
const BOMB = manyFunctions(100_000)

async function rejectsWith(promise, code, limit, ...says) {
  const error = await promise.then(
    (value) => assert.fail(`expected a ${code} error, got ${JSON.stringify(value)}`),
    (e) => e,
  )
  assert.ok(error instanceof rw.WasmError, `not a WasmError: ${error}`)
  assert.equal(error.code, code, error.message)
  assert.equal(error.limit, limit, error.message)
  for (const text of says) assert.ok(error.message.includes(text), `${JSON.stringify(error.message)} should say ${JSON.stringify(text)}`)
  return error
}

// The pids of running compile helpers that `belongs(pid)` picks.
function helpers(belongs) {
  const found = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('compile-helper.js') && belongs(entry)) found.push(Number(entry))
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

// The helpers whose parent is `parent`.
const helpersOf = (parent) => helpers((pid) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent
})

// The helpers started with `marker` in their environment, wherever they are now.
const helpersMarked = (marker) => helpers((pid) => fs.readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker))

// --- what the module is: functions and function bodies ---

test('maxFunctions refuses a module defining more functions, before compiling it', async () => {
  const error = await rejectsWith(compile(BOMB, { limits: { maxFunctions: 1000 } }), ErrorCode.CompileError, 'maxFunctions',
    'defines 100000 functions', 'maxFunctions is 1000', 'limits.maxFunctions')
  assert.equal(error.message.split('\n').length, 1)
  // At the bound is within it.
  const id = await compile(manyFunctions(1000), { limits: { maxFunctions: 1000 } })
  await dropModule(id)
  // WAT text is counted as its binary would be.
  const text = `(module ${'(func)'.repeat(11)})`
  await rejectsWith(compile(text, { limits: { maxFunctions: 10 } }), ErrorCode.CompileError, 'maxFunctions', 'defines 11 functions')
  // A module that claims 2^32-1 functions is refused on its word, without reading further.
  const count = [0xff, 0xff, 0xff, 0xff, 0x0f]
  const liar = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 5, ...count, 10, 5, ...count])
  await rejectsWith(compile(liar, { limits: { maxFunctions: 10 } }), ErrorCode.CompileError, 'maxFunctions', 'defines 4294967295 functions')
})

test('maxFunctionBytes refuses a module whose largest function body is too large', async () => {
  const big = manyFunctions(3, 1000) // bodies of 6,002 bytes
  await rejectsWith(compile(big, { limits: { maxFunctionBytes: 6000 } }), ErrorCode.CompileError, 'maxFunctionBytes',
    'is 6002 bytes', 'maxFunctionBytes is 6000')
  const id = await compile(big, { limits: { maxFunctionBytes: 6002 } })
  await dropModule(id)
})

test('maxBytes bounds the source, for compile and compileFile alike', async (t) => {
  await rejectsWith(compile(BOMB, { limits: { maxBytes: 1000 } }), ErrorCode.CompileError, 'maxBytes',
    'too large', 'limit of 1000 bytes', 'limits.maxBytes')
  const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'rw-budget-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'bomb.wasm')
  fs.writeFileSync(file, BOMB)
  await rejectsWith(compileFile(file, { limits: { maxBytes: 1000 } }), ErrorCode.IoError, 'maxBytes', 'too large')
  await rejectsWith(compileFile(file, { limits: { maxFunctions: 5 } }), ErrorCode.CompileError, 'maxFunctions', file)
})

test('a malformed budget is a 5000 that names the key; a misspelt key is not ignored', async () => {
  const cases = [
    [{ maxFunction: 3 }, 'has no "maxFunction"'],
    [{ maxFunctions: -1 }, 'limits.maxFunctions must be a non-negative integer'],
    [{ timeoutMs: 1.5 }, 'limits.timeoutMs must be a non-negative integer'],
    [{ maxFunctionBytes: '10' }, 'limits.maxFunctionBytes must be a non-negative integer, got a string'],
    [7, 'limits must be an object'],
  ]
  for (const [limits, says] of cases) {
    const error = await compile('(module)', { limits }).then(() => null, (e) => e)
    assert.equal(error?.code, ErrorCode.CompileError, `${JSON.stringify(limits)}: ${error}`)
    assert.ok(error.message.includes(says), `${error.message} should say ${says}`)
  }
  await assert.rejects(compile('(module)', 5), TypeError)
  // null and undefined mean no budget.
  for (const limits of [null, undefined, {}]) await dropModule(await compile('(module)', { limits }))
})

// --- how long compiling takes ---

test('timeoutMs stops a compile that runs past it, and leaves no helper process behind', async () => {
  const started = performance.now()
  await rejectsWith(compile(BOMB, { limits: { timeoutMs: 200 } }), ErrorCode.CompileError, 'timeoutMs',
    'took longer than 200 ms and was stopped', 'timeoutMs is 200', 'limits.timeoutMs')
  const elapsed = performance.now() - started
  assert.deepEqual(helpersOf(process.pid), [], 'the helper was killed and reaped')
  // Compiling it whole takes seconds; the budget's refusal does not wait for that.
  assert.ok(elapsed < 30_000, `settled after ${elapsed} ms`)
})

test('a module compiled under a time budget works, its fuel-metered code included', async () => {
  const source = `(module
    (func $loop (export "spin") (param i32) (result i32)
      (local i32)
      (loop $again
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br_if $again (i32.lt_u (local.get 1) (local.get 0))))
      (local.get 1)))`
  const id = await compile(source, { limits: { timeoutMs: 60_000, maxFunctions: 1 } })
  const plain = await instantiate(id)
  assert.deepEqual(await plain.call('spin', 1000), [1000])
  // The metered variant is compiled when first needed, under the same budget.
  const metered = await instantiate(id, { limits: { fuel: 100 } })
  const error = await metered.call('spin', 1_000_000).then(() => null, (e) => e)
  assert.equal(error?.code, ErrorCode.FuelExhausted)
  await plain.drop()
  await metered.drop()
  await dropModule(id)
})

test('an invalid module fails the same way with or without a time budget', async () => {
  const invalid = '(module (func (result i32)))'
  const here = await compile(invalid).then(() => null, (e) => e)
  const helper = await compile(invalid, { limits: { timeoutMs: 60_000 } }).then(() => null, (e) => e)
  assert.equal(here.code, ErrorCode.CompileError)
  assert.equal(helper.code, ErrorCode.CompileError)
  assert.equal(helper.message, here.message)
  assert.equal(helper.limit, undefined)
})

test('many timed compiles at once: each is bounded, and every helper is gone afterwards', async () => {
  const outcomes = await Promise.all(
    Array.from({ length: 6 }, (_, i) => compile(manyFunctions(100_000 + i), { limits: { timeoutMs: 300 } }).then(() => 'compiled', (e) => e.limit)),
  )
  assert.deepEqual(outcomes, Array(6).fill('timeoutMs'))
  assert.deepEqual(helpersOf(process.pid), [])
})

test('the helper dies with the process that started it', { skip: process.platform !== 'linux' }, async () => {
  const marker = `RW_BUDGET_TEST_${process.pid}_${Date.now()}`
  const script = `
    const rw = require(${JSON.stringify(PACKAGE)})
    const { manyFunctions } = await import(${JSON.stringify(new URL('./compile-bomb.mjs', import.meta.url).href)})
    rw.configure({ cache: false })
    rw.compile(manyFunctions(400_000), { limits: { timeoutMs: 600_000 } }).catch(() => {})
    setTimeout(() => process.exit(0), 1500)`
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import { createRequire } from 'node:module'; const require = createRequire(${JSON.stringify(PACKAGE)}); ${script}`], {
    env: { ...process.env, [marker]: '1' },
    stdio: 'inherit',
  })
  let seen = []
  const polling = setInterval(() => {
    if (seen.length === 0) seen = helpersMarked(marker)
  }, 50)
  await new Promise((resolve) => child.on('exit', resolve))
  clearInterval(polling)
  assert.ok(seen.length > 0, 'a helper was started')
  // SIGKILL from the kernel is immediate; allow the reaping a moment.
  for (let i = 0; i < 100 && helpersMarked(marker).length > 0; i++) await new Promise((r) => setTimeout(r, 50))
  assert.deepEqual(helpersMarked(marker), [], 'no helper outlived its parent')
})

// --- where the budget is set ---

test('configure({ compileLimits }) sets the process budget; a call may only lower it', () => {
  withWorld({}, (world) => {
    world.write('app/bomb.wasm', BOMB)
    const out = runChild(
      world,
      `rw.configure({ compileLimits: { maxFunctions: 10, timeoutMs: 60000 } })
       out.file = await attempt(() => rw.compileFile('./bomb.wasm'))
       out.wider = await attempt(() => rw.compile('(module ${'(func)'.repeat(11)})', { limits: { maxFunctions: 1000 } }))
       out.lower = await attempt(() => rw.compile('(module (func) (func))', { limits: { maxFunctions: 1 } }))
       out.fits = await attempt(() => rw.compile('(module (func))'))
       out.badKey = await attempt(() => rw.configure({ compileLimits: { maxBytes: 5 } }))
       rw.configure({ compileLimits: {} })
       out.cleared = await attempt(() => rw.compile('(module ${'(func)'.repeat(11)})'))`,
    )
    assert.equal(out.file.code, 5000)
    assert.equal(out.file.limit, 'maxFunctions')
    assert.ok(out.file.message.includes('configure({ compileLimits: { maxFunctions } })'), out.file.message)
    assert.equal(out.wider.limit, 'maxFunctions')
    assert.ok(out.wider.message.includes('maxFunctions is 10'), out.wider.message)
    assert.equal(out.lower.limit, 'maxFunctions')
    assert.ok(out.lower.message.includes('limits.maxFunctions'), out.lower.message)
    assert.equal(out.fits.ok, true)
    assert.equal(out.badKey.code, 5000)
    assert.ok(out.badKey.message.includes('compileLimits has no "maxBytes"'), out.badKey.message)
    assert.equal(out.cleared.ok, true)
  })
})

test('the manifest\'s max_functions, max_function_size and max_compile_time_ms bound every compile', () => {
  const lines = ['load = ["./wasm/*.wasm"]', 'max_functions = 50', 'max_function_size = "1KiB"', 'max_compile_time_ms = 250']
  withWorld({ manifest: manifest(...lines) }, (world) => {
    world.write('app/wasm/many.wasm', manyFunctions(51))
    world.write('app/wasm/long.wasm', manyFunctions(1, 200))
    const out = runChild(
      world,
      `out.caps = rw.capabilities()
       out.many = await attempt(() => rw.compileFile('./wasm/many.wasm'))
       out.long = await attempt(() => rw.compileFile('./wasm/long.wasm'))
       out.ok = await load('./wasm/ok.wasm')
       out.raised = await attempt(() => rw.compileFile('./wasm/many.wasm', { limits: { maxFunctions: 1e6 } }))
       rw.configure({ compileLimits: { maxFunctions: 1e6 } })
       out.configured = await attempt(() => rw.compileFile('./wasm/many.wasm'))`,
    )
    assert.equal(out.caps.maxFunctions, 50)
    assert.equal(out.caps.maxFunctionSize, 1024)
    assert.equal(out.caps.maxCompileTimeMs, 250)
    for (const key of ['many', 'raised', 'configured']) {
      assert.equal(out[key].code, 5000, key)
      assert.equal(out[key].limit, 'maxFunctions', key)
      assert.ok(out[key].message.includes('max_functions'), out[key].message)
      assert.ok(out[key].message.includes(world.path('app/manifest.app.toml')), out[key].message)
    }
    assert.equal(out.long.limit, 'maxFunctionBytes')
    assert.ok(out.long.message.includes('max_function_size'), out.long.message)
    // The manifest's time budget runs compiles in a helper; a small module still fits.
    assert.deepEqual(out.ok, { ok: true, value: 1 })
  })
})

test('the manifest\'s time budget stops a slow compile', () => {
  withWorld({ manifest: manifest('load = ["./wasm/*.wasm"]', 'max_compile_time_ms = 200') }, (world) => {
    world.write('app/wasm/bomb.wasm', BOMB)
    const out = runChild(world, `out.bomb = await attempt(() => rw.compileFile('./wasm/bomb.wasm'))`)
    assert.equal(out.bomb.code, 5000)
    assert.equal(out.bomb.limit, 'timeoutMs')
    assert.ok(out.bomb.message.includes('max_compile_time_ms'), out.bomb.message)
  })
})

test('under Node\'s permission model without child processes, a time budget is refused with 5009', () => {
  withWorld({}, (world) => {
    const out = runChild(
      world,
      `out.timed = await attempt(() => rw.compile('(module)', { limits: { timeoutMs: 1000 } }))
       out.untimed = await attempt(() => rw.compile('(module (func))', { limits: { maxFunctions: 5 } }))`,
      { nodeArgs: [NODE_PERMISSION_FLAG, '--allow-addons', '--allow-fs-read=*', `--allow-fs-write=${world.root}`] },
    )
    assert.equal(out.timed.code, 5009, JSON.stringify(out.timed))
    assert.ok(out.timed.message.includes('--allow-child-process'), out.timed.message)
    assert.equal(out.untimed.ok, true, JSON.stringify(out.untimed))
  })
})

// --- the CLI ---

test('runtime-wasm run: --max-functions, --max-function-size and --compile-timeout', (t) => {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'rw-budget-cli-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const bomb = path.join(dir, 'bomb.wasm')
  fs.writeFileSync(bomb, BOMB)
  const hello = path.join(dir, 'hello.wat')
  fs.writeFileSync(hello, '(module (func (export "_start")))')
  const env = { ...process.env, RUNTIME_WASM_CACHE: 'off' }
  const run = (...args) => spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', env, timeout: 120_000 })

  const many = run('--max-functions', '10', bomb)
  assert.equal(many.status, 126, many.stderr)
  assert.match(many.stderr, /defines 100000 functions: the compile budget's maxFunctions is 10 \(set by --max-functions\)/)
  const slow = run('--compile-timeout', '200', bomb)
  assert.equal(slow.status, 126, slow.stderr)
  assert.match(slow.stderr, /took longer than 200 ms and was stopped/)
  const long = path.join(dir, 'long.wasm')
  fs.writeFileSync(long, manyFunctions(1, 10)) // one body of 62 bytes
  const body = run('--max-function-size', '32', long)
  assert.equal(body.status, 126, body.stderr)
  assert.match(body.stderr, /is 62 bytes: the compile budget's maxFunctionBytes is 32/)
  const within = run('--max-functions', '5', '--max-function-size', '1KiB', '--compile-timeout', '60000', hello)
  assert.equal(within.status, 0, within.stderr)
  const wrong = run('--compile-timeout', '1.5', hello)
  assert.equal(wrong.status, 2)
  assert.match(wrong.stderr, /--compile-timeout 1.5: expected a whole number of milliseconds/)
})
