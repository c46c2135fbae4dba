// instantiate: handles, imports, start functions, reactors and WasiConfig validation.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { compile, compileFile, Instance, instantiate } from '../index.mjs'
import { ADD_MODULE_BYTES, fixture, fromWat, rejectsWith, tempDir } from './core-helpers.mjs'

test('instantiate resolves an Instance with a string id', async () => {
  const instance = await instantiate(await compileFile(fixture('arith.wat')))
  assert.ok(instance instanceof Instance)
  assert.equal(typeof instance.id, 'string')
  assert.deepEqual(await instance.call('add', 1, 2), [3])
  await instance.drop()
})

test('one module gives independent instances with different ids', async () => {
  const moduleId = await compile(`(module
    (global $n (mut i32) (i32.const 0))
    (func (export "bump") (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (global.get $n)))`)
  const a = await instantiate(moduleId)
  const b = await instantiate(moduleId)
  assert.notEqual(a.id, b.id)
  assert.deepEqual(await a.call('bump'), [1])
  assert.deepEqual(await a.call('bump'), [2])
  assert.deepEqual(await b.call('bump'), [1])
  await a.drop()
  await b.drop()
})

test('instantiate with an unknown module id is 5004', async () => {
  await rejectsWith(() => instantiate('module:999999999'), 5004)
  await rejectsWith(() => instantiate('instance:1'), 5004)
  await rejectsWith(() => instantiate('garbage'), 5004)
})

test('instantiate with a non-string module id is 5004', async () => {
  for (const bad of [1, undefined, null, {}]) {
    await rejectsWith(() => instantiate(bad), 5004)
  }
})

test('an import nothing provides is 5001 naming env::<name>', async () => {
  const moduleId = await compileFile(fixture('needs_import.wat'))
  await rejectsWith(() => instantiate(moduleId), 5001, 'env::host_log')
  const other = await compile('(module (import "host" "get_time" (func (result i64))))')
  await rejectsWith(() => instantiate(other), 5001, 'host::get_time')
})

test('an unknown WASI function is 5001 naming it', async () => {
  const moduleId = await compile('(module (import "wasi_snapshot_preview1" "no_such_call" (func)))')
  await rejectsWith(() => instantiate(moduleId), 5001, 'wasi_snapshot_preview1::no_such_call')
})

test('a start function that traps is 5001 naming the trap', async () => {
  const moduleId = await compileFile(fixture('start_trap.wat'))
  const error = await rejectsWith(() => instantiate(moduleId), 5001, 'unreachable')
  assert.equal(error.exitCode, undefined)
  const divide = await compile(`(module
    (func $start (drop (i32.div_u (i32.const 1) (i32.const 0))))
    (start $start))`)
  await rejectsWith(() => instantiate(divide), 5001, 'integer divide by zero')
})

test('a start function that succeeds runs before instantiate resolves', async () => {
  const instance = await fromWat(`(module
    (global $g (mut i32) (i32.const 0))
    (func $start (global.set $g (i32.const 7)))
    (start $start)
    (func (export "get") (result i32) (global.get $g)))`)
  assert.deepEqual(await instance.call('get'), [7])
  await instance.drop()
})

test('_initialize is called at instantiation for reactors', async () => {
  const instance = await instantiate(await compileFile(fixture('reactor.wat')))
  assert.deepEqual(await instance.call('get'), [42])
  await instance.drop()
})

test('an _initialize that traps is 5001', async () => {
  const moduleId = await compile('(module (func (export "_initialize") (unreachable)))')
  await rejectsWith(() => instantiate(moduleId), 5001, 'unreachable')
})

test('a preopen whose host path does not exist is 5010 naming it', async (t) => {
  const moduleId = await compileFile(fixture('wasi_file.wat'))
  const missing = join(tempDir(t), 'no-such-dir')
  await rejectsWith(() => instantiate(moduleId, { preopens: { '/data': missing } }), 5010, missing)
})

test('a preopen whose host path is a file, not a directory, is 5010 naming it', async (t) => {
  const moduleId = await compileFile(fixture('wasi_file.wat'))
  const file = join(tempDir(t), 'plain-file.txt')
  writeFileSync(file, 'not a directory')
  await rejectsWith(() => instantiate(moduleId, { preopens: { '/data': file } }), 5010, file)
})

test('an env value that is not a string is 5010', async () => {
  const moduleId = await compileFile(fixture('wasi_env.wat'))
  await rejectsWith(() => instantiate(moduleId, { env: { DEBUG: 1 } }), 5010, 'DEBUG')
  await rejectsWith(() => instantiate(moduleId, { env: { FLAG: true } }), 5010)
  await rejectsWith(() => instantiate(moduleId, { env: { OBJ: {} } }), 5010)
})

test('args that are not strings, and a preopen host path that is not a string, are 5010', async () => {
  const moduleId = await compileFile(fixture('wasi_env.wat'))
  await rejectsWith(() => instantiate(moduleId, { args: ['prog', 1] }), 5010)
  await rejectsWith(() => instantiate(moduleId, { args: 'prog' }), 5010)
  await rejectsWith(() => instantiate(moduleId, { preopens: { '/data': 5 } }), 5010)
})

test('an empty or absent WasiConfig is an empty sandbox', async () => {
  const moduleId = await compileFile(fixture('wasi_env.wat'))
  for (const config of [undefined, null, {}]) {
    const instance = await instantiate(moduleId, config)
    // wasi_env exits with argc * 10 + envc: status 0 means no args and no env.
    assert.deepEqual(await instance.call('_start'), [])
    await instance.drop()
  }
})

test('env names and values, and args, that WASI cannot carry are 5010, not a crash', async () => {
  const moduleId = await compileFile(fixture('wasi_env.wat'))
  await rejectsWith(() => instantiate(moduleId, { env: { 'A=B': 'x' } }), 5010)
  await rejectsWith(() => instantiate(moduleId, { env: { '': 'x' } }), 5010)
  await rejectsWith(() => instantiate(moduleId, { env: { A: 'x\0y' } }), 5010)
  await rejectsWith(() => instantiate(moduleId, { args: ['a\0b'] }), 5010)
})

test('a WasiConfig that is not an object is 5010, not silently an empty sandbox', async () => {
  const moduleId = await compileFile(fixture('wasi_env.wat'))
  for (const bad of ['not a config', 42, true]) {
    await rejectsWith(() => instantiate(moduleId, bad), 5010)
  }
})

// A binary module whose start function loops forever: (func $start (loop (br 0))) (start $start).
const SPINNING_START = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type 0: () -> ()
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x08, 0x01, 0x00, // start: function 0
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // loop br 0 end end
])

test('a binary module\'s start function runs off the event loop and stops at the deadline', async () => {
  const moduleId = await compile(SPINNING_START)
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  try {
    await rejectsWith(() => instantiate(moduleId, { limits: { timeoutMs: 300 } }), 5011, /deadline/)
  } finally {
    clearInterval(timer)
  }
  // Had the start function run to its deadline on the JS thread, no timer would have fired.
  assert.ok(ticks >= 5, `the event loop ran ${ticks} timer ticks during a 300 ms start function`)
})

test('instances of a binary module without imports or start code work like any other', async () => {
  const bytes = new Uint8Array(ADD_MODULE_BYTES)
  const moduleId = await compile(bytes)
  const instances = await Promise.all(Array.from({ length: 20 }, () => instantiate(moduleId)))
  assert.equal(new Set(instances.map((i) => i.id)).size, 20)
  for (const [n, instance] of instances.entries()) {
    assert.deepEqual(await instance.call('add', n, 1), [n + 1])
    await instance.drop()
  }
})

// --- unknownImports ---

const UNKNOWN_IMPORTS = `(module
  (import "env" "missing" (func $missing (param i32) (result i32 i64 f64 externref)))
  (import "env" "given" (func $given (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (func (export "missing") (result i32 i64 f64 externref) (call $missing (i32.const 5)))
  (func (export "given") (result i32) (call $given))
  (memory (export "memory") 1)
  (func (export "wasi") (result i32) (call $yield)))`

test('unknownImports: without it an import nothing provides fails instantiate and is named', async () => {
  const id = await compile(UNKNOWN_IMPORTS)
  await rejectsWith(() => instantiate(id, { imports: { env: { given: () => 7 } } }), 5001, 'env::missing')
  await rejectsWith(() => instantiate(id, { unknownImports: null, imports: { env: { given: () => 7 } } }), 5001, 'env::missing')
})

test('unknownImports "trap": the import fails the call that reaches it, naming it; the rest works', async () => {
  const id = await compile(UNKNOWN_IMPORTS)
  const instance = await instantiate(id, { unknownImports: 'trap', imports: { env: { given: () => 7 } } })
  const error = await rejectsWith(() => instance.call('missing'), 5002, 'env::missing', 'unknownImports: "trap"')
  assert.equal(error.message.split('\n')[0], 'call to "missing" failed: the module called env::missing, an import nothing provides (unknownImports: "trap")')
  assert.ok(!/coredump/i.test(error.message), error.message)
  assert.deepEqual(await instance.call('given'), [7])
  assert.deepEqual(await instance.call('wasi'), [0])
  // The instance stays usable after such a call.
  await rejectsWith(() => instance.call('missing'), 5002, 'env::missing')
  await instance.drop()
})

test('unknownImports "default": the import returns zeros and null; WASI and imports still win', async () => {
  const id = await compile(UNKNOWN_IMPORTS)
  const instance = await instantiate(id, { unknownImports: 'default', imports: { env: { given: () => 7 } } })
  assert.deepEqual(await instance.call('missing'), [0, 0n, 0, null])
  assert.deepEqual(await instance.call('given'), [7])
  assert.deepEqual(await instance.call('wasi'), [0])
  await instance.drop()
  // Without any imports at all, both made-up functions answer.
  const bare = await instantiate(id, { unknownImports: 'default' })
  assert.deepEqual(await bare.call('given'), [0])
  await bare.drop()
})

test('unknownImports: other values are a 5001; memories, tables and globals are never made up', async () => {
  const id = await compile(UNKNOWN_IMPORTS)
  for (const bad of ['Trap', 'zero', 1, true, {}]) {
    await rejectsWith(() => instantiate(id, { unknownImports: bad }), 5001, 'unknownImports must be "trap" or "default"')
  }
  const memory = await compile('(module (import "env" "mem" (memory 1)) (import "env" "f" (func)))')
  await rejectsWith(() => instantiate(memory, { unknownImports: 'default' }), 5001, 'env::mem')
})

test('run() takes unknownImports too', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'cmd.wat')
  writeFileSync(file, '(module (import "env" "log" (func $log (param i32))) (func (export "_start") (call $log (i32.const 1))))')
  const { run } = await import('../index.mjs')
  assert.equal((await run(file, { unknownImports: 'default' })).exitCode, 0)
  await rejectsWith(() => run(file, { unknownImports: 'trap' }), 5002, 'env::log')
})
