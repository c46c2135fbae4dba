// Deep recursion: a wasm stack overflow is a 5002 trap "call stack exhausted", never a crash,
// on plain and metered instances, with or without deadlines, and the instance stays usable.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import * as rw from '../../index.mjs'
import { LOOPS_WAT, START_RECURSION_WAT, expectCode, now } from './helpers.mjs'

const loops = await rw.compile(LOOPS_WAT)

async function expectStackOverflow(operation, what) {
  const error = await expectCode(operation, 5002, what)
  assert.equal(error.name, 'CallError')
  assert.equal(error.trap, 'call stack exhausted', `${what}: trap ${error.trap}`)
  assert.match(error.message, /call stack exhausted/)
  assert.ok(error.message.length < 20_000, `${what}: a ${error.message.length}-character message`)
  return error
}

for (const [label, limits] of [
  ['an instance without limits', undefined],
  ['a metered instance', { fuel: 1e12 }],
  ['an instance with a deadline', { timeoutMs: 10_000 }],
  ['an instance with every limit', { fuel: 1e12, timeoutMs: 10_000, maxMemoryBytes: 1 << 20, maxTableElements: 10 }],
]) {
  test(`unbounded recursion on ${label} is a 5002 "call stack exhausted", and the instance stays usable`, async () => {
    const instance = await rw.instantiate(loops, limits === undefined ? undefined : { limits })
    await instance.call('poke', 100, 42)
    await expectStackOverflow(() => instance.call('recurse', 0), 'instance.call')
    await expectStackOverflow(() => instance.invoke('recurse', [0], { timeoutMs: 10_000 }), 'invoke')
    await expectStackOverflow(() => rw.call(instance.id, 'recurse', [0]), 'low-level call')
    assert.throws(
      () => instance.callSync('recurse', 0),
      (error) => error.code === 5002 && error.trap === 'call stack exhausted',
    )
    // Usable after: calls run, recursion within bounds works, memory is intact.
    assert.deepEqual(await instance.call('depth', 1000), [1000])
    assert.deepEqual(await instance.call('count', 1000), [1000])
    assert.deepEqual(await instance.call('peek', 100), [42])
    await instance.drop()
  })
}

test('a metered recursion that runs out of fuel before the stack does is a fuel stop', async () => {
  const instance = await rw.instantiate(loops, { limits: { fuel: 1e12 } })
  const error = await expectCode(() => instance.invoke('recurse', [0], { fuel: 500 }), 5011, 'recursion on 500 fuel')
  assert.equal(error.reason, 'fuel')
  assert.deepEqual(await instance.call('depth', 100), [100])
  await instance.drop()
})

test('stack overflows in a row, and in parallel on many instances, stay 5002 traps', async () => {
  const instances = await Promise.all(Array.from({ length: 8 }, () => rw.instantiate(loops)))
  const started = now()
  for (let round = 0; round < 3; round++) {
    await Promise.all(instances.map((instance, i) => expectStackOverflow(() => instance.call('recurse', i), `instance ${i}`)))
  }
  assert.ok(now() - started < 20_000)
  for (const instance of instances) {
    assert.deepEqual(await instance.call('depth', 10), [10])
    await instance.drop()
  }
})

test('a stack overflow in a start function fails instantiate with 5001 and the trap', async () => {
  const module = await rw.compile(START_RECURSION_WAT)
  const error = await expectCode(() => rw.instantiate(module), 5001, 'instantiate')
  assert.equal(error.trap, 'call stack exhausted')
  await rw.dropModule(module)
  // The process is fine: a new instance of another module works.
  const instance = await rw.instantiate(loops)
  assert.deepEqual(await instance.call('depth', 50), [50])
  await instance.drop()
})
