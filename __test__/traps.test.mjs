// Traps: 5002 with the trap's kind (err.trap) and a wasm backtrace; the instance stays usable.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'

import { fromFixture, fromWat, rejectsWith } from './core-helpers.mjs'

let arith
before(async () => {
  arith = await fromFixture('arith.wat')
})
after(async () => {
  await arith.drop()
})

// The function names come from the name section (wasmtime prints them in backtraces), so traps
// are also triggered from an inline module whose functions are named.
const NAMED = `(module
  (memory (export "memory") 1)
  (func $crash_here (export "crash") (unreachable))
  (func $outer (export "outer") (call $crash_here))
  (func $divide (export "divide") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func $overflow (export "overflow") (result i32) (i32.trunc_f64_s (f64.const 1e100)))
  (func $bad_load (export "bad_load") (param i32) (result i32) (i32.load (local.get 0)))
  (func $forever (export "forever") (param i32) (result i32) (call $forever (local.get 0))))`

function checkTrap(error, kindPattern) {
  assert.equal(typeof error.trap, 'string', 'err.trap holds the trap kind')
  assert.match(error.trap, kindPattern)
  assert.ok(error.message.includes(error.trap), 'the message contains the trap kind')
  assert.equal(error.exitCode, undefined)
}

function checkBacktrace(error, ...functionNames) {
  assert.match(error.message, /wasm backtrace/i)
  for (const name of functionNames) assert.ok(error.message.includes(name), `backtrace names ${name}: ${error.message}`)
}

test('unreachable is 5002 with the trap kind and a backtrace', async () => {
  const error = await rejectsWith(() => arith.call('unreachable'), 5002, 'unreachable')
  checkTrap(error, /unreachable/)
  checkBacktrace(error)
})

test('integer divide by zero is 5002', async () => {
  const error = await rejectsWith(() => arith.call('div_s', 1, 0), 5002, 'div_s')
  checkTrap(error, /integer divide by zero/)
  checkBacktrace(error)
})

test('integer overflow (INT_MIN / -1) is 5002', async () => {
  const error = await rejectsWith(() => arith.call('div_s', -(2 ** 31), -1), 5002)
  checkTrap(error, /integer overflow/)
})

test('out of bounds memory access is 5002', async () => {
  const error = await rejectsWith(() => arith.call('oob'), 5002, 'oob')
  checkTrap(error, /out of bounds memory access/)
  checkBacktrace(error)
})

test('call stack exhausted (infinite recursion) is 5002', async () => {
  const error = await rejectsWith(() => arith.call('recurse', 0), 5002, 'recurse')
  checkTrap(error, /call stack exhausted/)
  checkBacktrace(error, 'recurse')
})

test('the backtrace names the wasm functions on the stack', async () => {
  const instance = await fromWat(NAMED)
  const crash = await rejectsWith(() => instance.call('outer'), 5002)
  checkTrap(crash, /unreachable/)
  checkBacktrace(crash, 'crash_here', 'outer')
  const divide = await rejectsWith(() => instance.call('divide', 1, 0), 5002)
  checkTrap(divide, /integer divide by zero/)
  checkBacktrace(divide, 'divide')
  const overflow = await rejectsWith(() => instance.call('overflow'), 5002)
  checkTrap(overflow, /invalid conversion to integer|integer overflow/)
  const load = await rejectsWith(() => instance.call('bad_load', 65535), 5002)
  checkTrap(load, /out of bounds memory access/)
  checkBacktrace(load, 'bad_load')
  const forever = await rejectsWith(() => instance.call('forever', 1), 5002)
  checkTrap(forever, /call stack exhausted/)
  checkBacktrace(forever, 'forever')
  await instance.drop()
})

test('the instance stays usable after each kind of trap', async () => {
  const instance = await fromFixture('arith.wat')
  await instance.call('store8', 10, 99)
  for (const [name, ...args] of [['unreachable'], ['div_s', 1, 0], ['oob'], ['recurse', 0]]) {
    await rejectsWith(() => instance.call(name, ...args), 5002)
    assert.deepEqual(await instance.call('add', 40, 2), [42], `usable after ${name}`)
    assert.deepEqual(await instance.call('load8', 10), [99], `memory intact after ${name}`)
    assert.equal(await instance.memory.size(), 1)
    assert.ok((await instance.getExports()).length > 0)
  }
  // And deep recursion works again after a stack overflow.
  assert.deepEqual(await instance.call('div_s', 84, 2), [42])
  await instance.drop()
})

test('a trap in one instance does not affect another', async () => {
  const other = await fromFixture('arith.wat')
  const results = await Promise.allSettled([arith.call('recurse', 0), other.call('add', 1, 2)])
  assert.equal(results[0].status, 'rejected')
  assert.deepEqual(results[1], { status: 'fulfilled', value: [3] })
  await other.drop()
})

// Every failure's first line says what happened; err.trap / err.exitCode / err.reason are set,
// and the wasm backtrace appears once, after it.
function firstLine(error) {
  return error.message.split('\n')[0]
}
function backtraceCount(error) {
  return error.message.split('\n').filter((line) => line.startsWith('error while executing at wasm backtrace')).length
}

test('an uncaught wasm exception: 5002 with trap "uncaught exception", said on the first line', async () => {
  const instance = await fromWat('(module (tag $t) (func (export "f") (throw $t)))')
  const error = await rejectsWith(() => instance.call('f'), 5002)
  assert.equal(error.trap, 'uncaught exception')
  assert.match(firstLine(error), /^call to "f" failed: an exception thrown in wasm was not caught$/)
  assert.ok(backtraceCount(error) <= 1, error.message)
  assert.equal(error.exitCode, undefined)
  await instance.drop()
})

test('a GC allocation too large for the heap: 5002 with its trap kind on the first line', async () => {
  const instance = await fromWat(`(module (type $a (array (mut i64)))
    (func (export "f") (drop (array.new $a (i64.const 0) (i32.const 1000000000)))))`)
  const error = await rejectsWith(() => instance.call('f'), 5002)
  assert.equal(typeof error.trap, 'string')
  assert.ok(firstLine(error).includes(error.trap), firstLine(error))
  assert.doesNotMatch(firstLine(error), /error while executing/)
  await instance.drop()
})

test('a GC heap that outgrows maxMemoryBytes: 5011 with reason "memory", and the instance stays usable', async () => {
  const instance = await fromWat(`(module
    (type $a (array (mut i64)))
    (type $n (struct (field (ref null $n)) (field (ref $a))))
    (global $g (mut (ref null $n)) (ref.null $n))
    (func (export "hoard") (loop $l
      (global.set $g (struct.new $n (global.get $g) (array.new $a (i64.const 0) (i32.const 100000))))
      (br $l)))
    (func (export "release") (global.set $g (ref.null $n)))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`, { limits: { maxMemoryBytes: 32 << 20, timeoutMs: 30_000 } })
  const error = await rejectsWith(() => instance.call('hoard'), 5011)
  assert.equal(error.reason, 'memory')
  assert.match(firstLine(error), /execution limit reached: the instance's memory budget \(maxMemoryBytes\) of 33554432 bytes \(32 MiB\) refused to grow its memory to \d+ bytes/)
  assert.equal(error.trap, undefined)
  assert.deepEqual(await instance.call('add', 2, 3), [5])
  await instance.drop()
})

test('a trap after the memory budget refused a growth says so on its first line', async () => {
  const instance = await fromWat(`(module (memory 1)
    (func (export "grow_until_it_fails") (loop $l
      (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable))
      (br $l))))`, { limits: { maxMemoryBytes: 4 << 20 } })
  const error = await rejectsWith(() => instance.call('grow_until_it_fails'), 5002)
  assert.match(error.trap, /unreachable/)
  assert.match(firstLine(error), /wasm trap: .*unreachable.* \(after the instance's memory budget \(maxMemoryBytes\) of 4194304 bytes \(4 MiB\) refused to grow it to 4259840 bytes \(4.1 MiB\)\)$/)
  await instance.drop()
})

test('memories or tables larger than the budget at start: the error speaks in bytes and elements', async () => {
  const { compile, instantiate } = await import('../index.mjs')
  const memory = await compile('(module (memory 210))')
  const error = await instantiate(memory, { limits: { maxMemoryBytes: 8 << 20 } }).then(() => null, (e) => e)
  assert.equal(error?.code, 5001)
  assert.equal(firstLine(error), "instantiation failed: its memories need 13762560 bytes (13.1 MiB) at start, more than the instance's memory budget (maxMemoryBytes) of 8388608 bytes (8 MiB)")
  const table = await compile('(module (table 100 funcref))')
  const tableError = await instantiate(table, { limits: { maxTableElements: 10 } }).then(() => null, (e) => e)
  assert.equal(firstLine(tableError), "instantiation failed: its tables need 100 elements at start, more than the instance's table budget (maxTableElements) of 10 elements")
})

test('a call that fails after its output reached outputLimitBytes says so; run() reports truncated streams', async () => {
  const { compile, run } = await import('../index.mjs')
  // Writes 16 bytes to stdout until a write fails, then traps.
  const id = await compile(`(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "\\10\\00\\00\\00\\10\\00\\00\\00")
    (func (export "_start") (local i32)
      (loop $l (local.set 0 (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 100))) (br_if $l (i32.eqz (local.get 0))))
      unreachable))`)
  const error = await run(id, { outputLimitBytes: 1000 }).then(() => null, (e) => e)
  assert.equal(error?.code, 5002)
  assert.match(firstLine(error), /unreachable.* \(after its stdout reached outputLimitBytes \(1000 bytes\), so its later writes there failed\)$/)
  const hello = await compile(`(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "\\08\\00\\00\\00\\05\\00\\00\\00hello")
    (func (export "_start") (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 100)))))`)
  const cut = await run(hello, { outputLimitBytes: 3 })
  assert.deepEqual(cut.truncated, { stdout: true, stderr: false })
  assert.equal(Buffer.from(cut.stdout).toString(), 'hel')
  const whole = await run(hello)
  assert.deepEqual(whole.truncated, { stdout: false, stderr: false })
})

test('proc_exit with a status of 126 or more is still the exit status (err.exitCode), not an error without one', async () => {
  const instance = await fromWat(`(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "exit_with") (param i32) (call $exit (local.get 0))))`)
  for (const status of [1, 125, 126, 200, 255, 256, 70000]) {
    const error = await rejectsWith(() => instance.call('exit_with', status), 5002)
    assert.equal(error.exitCode, status)
    assert.equal(firstLine(error), `call to "exit_with" failed: the program exited with status ${status}`)
    assert.equal(error.trap, undefined)
  }
  assert.deepEqual(await instance.call('exit_with', 0), [])
  await instance.drop()
})
