// Re-entrancy and linking: a host function calls back into its instance with this.call, calls
// other instances, and gets a clear 5002 (never a deadlock) when it calls its own waiting
// instance from outside; an Instance given as an import namespace links two modules.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { ErrorCode, call, compile, instantiate, memory } from '../../index.mjs'
import { fromWat, mustSettle, rejectsWith, settleWithin } from './helpers.mjs'

// outer(x) asks the host; inner(x) = 2x; fact(n) recurses through the host; trap() traps.
const REENTRANT_WAT = `(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (import "env" "rec" (func $rec (param i64) (result i64)))
  (memory (export "memory") 1)
  (global $inner_calls (mut i32) (i32.const 0))
  (func (export "outer") (param i32) (result i32) (call $host (local.get 0)))
  (func (export "inner") (param i32) (result i32)
    (global.set $inner_calls (i32.add (global.get $inner_calls) (i32.const 1)))
    (i32.mul (local.get 0) (i32.const 2)))
  (func (export "inner_calls") (result i32) (global.get $inner_calls))
  (func (export "seven") (result i32) (i32.const 7))
  (func (export "trap") (result i32) unreachable)
  (func (export "fact") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 1))
      (else (call $rec (local.get $n))))))`

const reentrantModule = compile(REENTRANT_WAT)

async function reentrant(host, rec = () => 0n) {
  return instantiate(await reentrantModule, { imports: { env: { host, rec } } })
}

const TEST_TIMEOUT = { timeout: 20_000 }

describe('this.call: re-entrant calls into the calling instance', () => {
  test('calls another export of the instance that is waiting for the host function', TEST_TIMEOUT, async () => {
    const instance = await reentrant(async function (x) {
      const [doubled] = await this.call('inner', x)
      return doubled + 1
    })
    assert.deepEqual(await instance.call('outer', 20), [41])
    assert.deepEqual(await instance.call('inner_calls'), [1])
    await instance.drop()
  })

  test('recursion through the host: fact(12) via wasm -> host -> this.call -> wasm ...', TEST_TIMEOUT, async () => {
    let depth = 0
    let deepest = 0
    const instance = await reentrant(
      () => 0,
      async function (n) {
        depth++
        deepest = Math.max(deepest, depth)
        await new Promise((r) => setImmediate(r))
        const [below] = await this.call('fact', n - 1n)
        depth--
        return n * below
      },
    )
    assert.deepEqual(await instance.call('fact', 12n), [479001600n])
    assert.equal(deepest, 12)
    assert.equal(depth, 0)
    await instance.drop()
  })

  test('several this.call in flight at once from one host function', TEST_TIMEOUT, async () => {
    const instance = await reentrant(async function (x) {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => this.call('inner', x + i)))
      return results.reduce((sum, [r]) => sum + r, 0)
    })
    // 2 * (x + 0 + ... + x + 9) with x = 1: 2 * (10 + 45)
    assert.deepEqual(await instance.call('outer', 1), [110])
    assert.deepEqual(await instance.call('inner_calls'), [10])
    await instance.drop()
  })

  test('its failures reach the host function, which may catch them; the outer call goes on', TEST_TIMEOUT, async () => {
    const failures = {}
    const instance = await reentrant(async function () {
      failures.missing = await this.call('no_such_export').catch((e) => e)
      failures.badArgs = await this.call('inner', 'not a number').catch((e) => e)
      failures.arity = await this.call('inner', 1, 2).catch((e) => e)
      failures.trap = await this.call('trap').catch((e) => e)
      failures.badName = await Promise.resolve().then(() => this.call(42)).catch((e) => e)
      const [seven] = await this.call('seven')
      return seven
    })
    assert.deepEqual(await instance.call('outer', 0), [7])
    assert.equal(failures.missing.code, ErrorCode.ExportNotFound, failures.missing.message)
    assert.match(failures.missing.message, /no_such_export/)
    assert.equal(failures.badArgs.code, ErrorCode.TypeError, failures.badArgs.message)
    assert.equal(failures.arity.code, ErrorCode.TypeError, failures.arity.message)
    assert.equal(failures.trap.code, ErrorCode.CallError, failures.trap.message)
    assert.match(failures.trap.message, /unreachable/)
    assert.ok(failures.badName instanceof TypeError)
    assert.deepEqual(await instance.call('outer', 0), [7])
    await instance.drop()
  })

  test('a nested host function that throws: this.call rejects with its cause, the outer host catches it', TEST_TIMEOUT, async () => {
    const thrown = new Error('inner host failure')
    let caught
    const instance = await reentrant(
      async function (x) {
        caught = await this.call('fact', 3n).catch((e) => e)
        return x
      },
      () => {
        throw thrown
      },
    )
    assert.deepEqual(await instance.call('outer', 5), [5])
    assert.equal(caught.code, ErrorCode.CallError, caught.message)
    assert.ok(caught.cause === thrown, `this.call rejected without the nested host function's error as its cause: ${caught.message}`)
    await instance.drop()
  })

  test('a failure of the nested call that the host lets through becomes the outer call\'s cause', TEST_TIMEOUT, async () => {
    const thrown = new Error('deep')
    const instance = await reentrant(
      async function () {
        await this.call('fact', 1n)
        return 0
      },
      () => Promise.reject(thrown),
    )
    const error = await rejectsWith(() => instance.call('outer', 0), ErrorCode.CallError, 'env::host')
    assert.equal(error.cause.code, ErrorCode.CallError, 'the outer cause is the nested call\'s rejection')
    assert.ok(error.cause.cause === thrown, `the nested call's rejection lost its cause: ${error.cause.message}`)
    assert.deepEqual(await instance.call('seven'), [7])
    await instance.drop()
  })
})

describe('calling other instances from a host function', () => {
  test('a host function awaits another instance whose export awaits its own host function', TEST_TIMEOUT, async () => {
    const helper = await reentrant(async (x) => {
      await new Promise((r) => setTimeout(r, 10))
      return x * 100
    })
    const main = await reentrant(async (x) => {
      const [fromHelper] = await helper.call('outer', x)
      const [doubled] = await helper.call('inner', x)
      return fromHelper + doubled
    })
    assert.deepEqual(await main.call('outer', 3), [306])
    await main.drop()
    await helper.drop()
  })
})

describe('calling the waiting instance from outside (instance.call instead of this.call)', () => {
  test('rejects at once with a clear 5002 saying to use this.call, and the outer call completes', TEST_TIMEOUT, async () => {
    const outcomes = []
    let instance
    instance = await reentrant(async function () {
      for (const attempt of [
        () => instance.call('seven'),
        () => instance.invoke('seven', [], { timeoutMs: 60_000 }),
        () => call(instance.id, 'seven', []),
      ]) {
        outcomes.push(await mustSettle(attempt(), 5000, 'a call into the waiting instance'))
      }
      return 1
    })
    const outer = await mustSettle(instance.call('outer', 0), 10_000, 'the outer call')
    assert.ok(!outer.error, `the outer call failed: ${outer.error?.message}`)
    assert.deepEqual(outer.value, [1])
    assert.equal(outcomes.length, 3)
    for (const outcome of outcomes) {
      assert.ok(outcome.error, 'the self-call must be refused')
      assert.equal(outcome.error.code, ErrorCode.CallError)
      assert.match(outcome.error.message, /this\.call/)
    }
    assert.deepEqual(await instance.call('seven'), [7], 'the instance is usable afterwards')
    await instance.drop()
  })

  test('also through a chain of instances: A\'s host calls B, B\'s host calls A', TEST_TIMEOUT, async () => {
    let a
    let refused
    const b = await reentrant(async () => {
      // a deadlock shows as a call still pending after 3 s (it then runs once A is free)
      refused = await settleWithin(a.call('seven'), 3000)
      return 2
    })
    a = await reentrant(async () => {
      const [fromB] = await b.call('outer', 0)
      return fromB + 1
    })
    const outer = await mustSettle(a.call('outer', 0), 10_000, 'the call on A')
    assert.deepEqual(outer.value, [3], outer.error?.message)
    assert.ok(refused.settled, 'B\'s host function calling A (which waits for B) was still pending after 3 s: a deadlock')
    assert.equal(refused.error?.code, ErrorCode.CallError, refused.error?.message ?? `resolved ${refused.value}`)
    await a.drop()
    await b.drop()
  })

  test('also through linking: the provider\'s host function calls the consumer that waits for it', TEST_TIMEOUT, async () => {
    let consumer
    let refused
    const provider = await fromWat(
      `(module (import "env" "h" (func $h (result i32))) (func (export "f") (result i32) (call $h)))`,
      {
        imports: {
          env: {
            async h() {
              refused = await settleWithin(consumer.call('seven'), 3000)
              return 1
            },
          },
        },
      },
    )
    consumer = await fromWat(
      `(module
        (import "p" "f" (func $f (result i32)))
        (func (export "go") (result i32) (call $f))
        (func (export "seven") (result i32) (i32.const 7)))`,
      { imports: { p: provider } },
    )
    const outer = await mustSettle(consumer.call('go'), 10_000, 'the call on the consumer')
    assert.deepEqual(outer.value, [1], outer.error?.message)
    assert.ok(refused.settled, 'the provider\'s host function calling the consumer (which waits for it) was still pending after 3 s: a deadlock')
    assert.equal(refused.error?.code, ErrorCode.CallError, refused.error?.message ?? `resolved ${refused.value}`)
    await consumer.drop()
    await provider.drop()
  })

  test('once the host function has returned, work it scheduled may call the instance again', TEST_TIMEOUT, async () => {
    let later
    let instance
    instance = await reentrant(() => {
      // scheduled inside the host function, run after the call that waited for it has finished
      later = new Promise((resolve) => setTimeout(resolve, 100)).then(() => instance.call('seven'))
      return 1
    })
    assert.deepEqual(await instance.call('outer', 0), [1])
    const outcome = await mustSettle(later, 5000, 'the later call')
    assert.ok(!outcome.error, `a call made after the host function returned was refused: ${outcome.error?.message}`)
    assert.deepEqual(outcome.value, [7])
    await instance.drop()
  })

  test('the instance-level memory, export and fuel APIs on the waiting instance settle (never a deadlock)', TEST_TIMEOUT, async () => {
    const outcomes = {}
    let instance
    instance = await reentrant(async () => {
      const attempts = {
        'instance.memory.read': () => instance.memory.read(0, 4),
        'instance.memory.write': () => instance.memory.write(0, [1]),
        'instance.memory.size': () => instance.memory.size(),
        'memory.read(id)': () => memory.read(instance.id, 0, 4),
        'instance.getExports': () => instance.getExports(),
        'instance.fuel': () => instance.fuel(),
      }
      const settled = await Promise.all(
        Object.entries(attempts).map(async ([what, attempt]) => [what, await settleWithin(Promise.resolve().then(attempt), 3000)]),
      )
      for (const [what, outcome] of settled) outcomes[what] = outcome
      return 1
    })
    await mustSettle(instance.call('outer', 0), 15_000, 'the outer call')
    const stuck = Object.entries(outcomes).filter(([, outcome]) => !outcome.settled).map(([what]) => what)
    assert.deepEqual(stuck, [], `still pending after 3 s inside the instance's own host function: ${stuck.join(', ')}`)
    await instance.drop()
  })
})

describe('linking: an Instance as an import namespace', () => {
  const PROVIDER_WAT = `(module
    (import "env" "slow" (func $slow (param i32) (result i32)))
    (global $count (mut i32) (i32.const 0))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "next") (result i32)
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (global.get $count))
    (func (export "wide") (param i64 f64) (result i64 f64)
      (i64.mul (local.get 0) (i64.const 2)) (f64.mul (local.get 1) (f64.const 0.5)))
    (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func (export "slow") (param i32) (result i32) (call $slow (local.get 0))))`
  const CONSUMER_WAT = `(module
    (import "math" "add" (func $add (param i32 i32) (result i32)))
    (import "math" "next" (func $next (result i32)))
    (import "math" "wide" (func $wide (param i64 f64) (result i64 f64)))
    (import "math" "div" (func $div (param i32 i32) (result i32)))
    (import "math" "slow" (func $slow (param i32) (result i32)))
    (import "env" "log" (func $log (param i32)))
    (func (export "sum3") (param i32 i32 i32) (result i32)
      (call $add (call $add (local.get 0) (local.get 1)) (local.get 2)))
    (func (export "next") (result i32) (call $next))
    (func (export "wide") (param i64 f64) (result i64 f64) (call $wide (local.get 0) (local.get 1)))
    (func (export "div") (param i32 i32) (result i32) (call $div (local.get 0) (local.get 1)))
    (func (export "slow_logged") (param i32) (result i32)
      (local $r i32)
      (local.set $r (call $slow (local.get 0)))
      (call $log (local.get $r))
      (local.get $r)))`

  async function provider() {
    return fromWat(PROVIDER_WAT, {
      imports: {
        env: {
          slow: async (x) => {
            await new Promise((r) => setTimeout(r, 20))
            return x + 1
          },
        },
      },
    })
  }

  test('the consumer calls the provider\'s exports; both may be shared and keep one state', TEST_TIMEOUT, async () => {
    const math = await provider()
    const logged = []
    const consumerModule = await compile(CONSUMER_WAT)
    const env = { log: (x) => void logged.push(x) }
    const first = await instantiate(consumerModule, { imports: { math, env } })
    const second = await instantiate(consumerModule, { imports: { math, env } })
    assert.deepEqual(await first.call('sum3', 1, 2, 3), [6])
    assert.deepEqual(await first.call('wide', 2n ** 40n, 3), [2n ** 41n, 1.5])
    assert.deepEqual(await first.call('next'), [1])
    assert.deepEqual(await second.call('next'), [2])
    assert.deepEqual(await math.call('next'), [3])
    assert.deepEqual(await first.call('slow_logged', 41), [42], 'a linked function that awaits a host Promise')
    assert.deepEqual(logged, [42])
    const parallel = await Promise.all([first.call('next'), second.call('next'), first.call('sum3', 1, 1, 1)])
    assert.deepEqual(parallel.map(([x]) => x).sort((x, y) => x - y), [3, 4, 5])
    await first.drop()
    await second.drop()
    await math.drop()
  })

  test('a trap in the provider rejects the consumer\'s call with 5002; both stay usable', TEST_TIMEOUT, async () => {
    const math = await provider()
    const consumer = await instantiate(await compile(CONSUMER_WAT), { imports: { math, env: { log() {} } } })
    const error = await rejectsWith(() => consumer.call('div', 1, 0), ErrorCode.CallError)
    assert.match(error.message, /divide by zero/)
    assert.deepEqual(await consumer.call('div', 9, 3), [3])
    assert.deepEqual(await math.call('div', 8, 2), [4])
    await consumer.drop()
    await math.drop()
  })

  test('a deadline of the consumer\'s call holds while the provider waits on its host', TEST_TIMEOUT, async () => {
    const math = await fromWat(PROVIDER_WAT, { imports: { env: { slow: () => new Promise(() => {}) } } })
    const consumer = await instantiate(await compile(CONSUMER_WAT), { imports: { math, env: { log() {} } } })
    const error = await rejectsWith(() => consumer.invoke('slow_logged', [1], { timeoutMs: 100 }), ErrorCode.FuelExhausted)
    assert.equal(error.reason, 'timeout')
    assert.deepEqual(await consumer.call('sum3', 1, 2, 3), [6])
    await consumer.drop()
    await math.drop()
  })

  test('a signature mismatch is 5001 at link time, naming the import', async () => {
    const math = await provider()
    for (const wat of [
      `(module (import "math" "add" (func (param i64 i64) (result i64))))`,
      `(module (import "math" "add" (func (param i32) (result i32))))`,
      `(module (import "math" "add" (func (param i32 i32))))`,
      `(module (import "math" "add" (func (param i32 i32) (result i32 i32))))`,
      `(module (import "math" "next" (func (result f32))))`,
    ]) {
      const name = wat.includes('"next"') ? 'next' : 'add'
      const moduleId = await compile(wat)
      await rejectsWith(() => instantiate(moduleId, { imports: { math } }), ErrorCode.InstantiateError, `math::${name}`)
    }
    assert.deepEqual(await math.call('add', 1, 2), [3], 'the provider is unaffected')
    await math.drop()
  })

  test('an import the provider does not export, or exports as something else, is 5001 naming it', async () => {
    const math = await fromWat(`(module
      (memory (export "mem") 1)
      (global (export "g") i32 (i32.const 1))
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`)
    for (const [name, wat] of [
      ['sub', `(module (import "math" "sub" (func (param i32 i32) (result i32))))`],
      ['mem', `(module (import "math" "mem" (func)))`],
      ['g', `(module (import "math" "g" (func (result i32))))`],
    ]) {
      const moduleId = await compile(wat)
      await rejectsWith(() => instantiate(moduleId, { imports: { math } }), ErrorCode.InstantiateError, name)
    }
    await math.drop()
  })

  test('a dropped provider: instantiating against it fails, and consumers\' calls reject', TEST_TIMEOUT, async () => {
    const math = await provider()
    const consumerModule = await compile(CONSUMER_WAT)
    const consumer = await instantiate(consumerModule, { imports: { math, env: { log() {} } } })
    await math.drop()
    const call = await mustSettle(consumer.call('sum3', 1, 2, 3), 5000, 'a call through a dropped provider')
    assert.ok(call.error, 'a call through a dropped provider must fail')
    assert.equal(call.error.code, ErrorCode.InvalidInstanceHandle, call.error.message)
    const made = await mustSettle(instantiate(consumerModule, { imports: { math, env: { log() {} } } }), 5000, 'instantiate')
    assert.ok(made.error)
    assert.ok([ErrorCode.InstantiateError, ErrorCode.InvalidInstanceHandle].includes(made.error.code), made.error.message)
    await consumer.drop()
  })
})
