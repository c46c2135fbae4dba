// Memory and table budgets: memory.grow in wasm returns -1 past maxMemoryBytes,
// instance.memory.grow from JS rejects with 5006, a module whose initial memory is larger fails
// to instantiate with 5001; tables likewise with maxTableElements. Huge initial memories and
// tables are refused by a budget, and growth bombs stop at it.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import * as rw from '../../index.mjs'
import { LOOPS_WAT, MiB, PAGE, expectCode, memoryWat, now, tableWat } from './helpers.mjs'

const loops = await rw.compile(LOOPS_WAT)

test('memory.grow in wasm returns -1 past maxMemoryBytes, and the memory keeps its size and content', async () => {
  const instance = await rw.instantiate(loops, { limits: { maxMemoryBytes: MiB } })
  await instance.call('poke', 7, 99)
  assert.deepEqual(await instance.call('grow', 15), [1], 'growing up to the budget (16 pages = 1 MiB) works')
  assert.equal(await instance.memory.size(), 16)
  assert.deepEqual(await instance.call('grow', 1), [-1], 'one page past the budget fails')
  assert.deepEqual(await instance.call('grow', 65535), [-1], 'a huge grow fails')
  assert.deepEqual(await instance.call('grow', 0), [16], 'grow(0) still reports the size')
  assert.equal(await instance.memory.size(), 16, 'a refused grow changes nothing')
  assert.deepEqual(await instance.call('peek', 7), [99], 'the content is intact')
  await instance.call('poke', 16 * PAGE - 1, 5)
  assert.deepEqual(await instance.call('peek', 16 * PAGE - 1), [5], 'the last byte within the budget is usable')
  await instance.drop()
})

test('a memory-growth bomb stops at the budget', async () => {
  for (const budget of [MiB, 8 * MiB, 100_000, 3 * PAGE + 1]) {
    const instance = await rw.instantiate(loops, { limits: { maxMemoryBytes: budget } })
    const [pages] = await instance.call('grow_all')
    assert.equal(pages, Math.floor(budget / PAGE), `a budget of ${budget} bytes allows ${Math.floor(budget / PAGE)} pages, the bomb reached ${pages}`)
    assert.ok(pages * PAGE <= budget)
    assert.equal(await instance.memory.size(), pages)
    assert.deepEqual(await instance.call('count', 10), [10], 'usable after the bomb')
    await instance.drop()
  }
})

test('instance.memory.grow from JS rejects with 5006 past maxMemoryBytes', async () => {
  const instance = await rw.instantiate(loops, { limits: { maxMemoryBytes: 4 * PAGE } })
  assert.equal(await instance.memory.grow(3), 1, 'growing to the budget from JS works')
  const error = await expectCode(() => instance.memory.grow(1), 5006, 'memory.grow(1) past the budget')
  assert.equal(error.name, 'MemoryError')
  assert.match(error.message, /\b1\b/, 'the message gives the numbers')
  await expectCode(() => rw.memory.grow(instance.id, 1000), 5006, 'low-level memory.grow past the budget')
  assert.equal(await instance.memory.size(), 4)
  assert.deepEqual(await instance.call('grow', 1), [-1], 'and wasm is refused too')
  assert.equal(await instance.memory.grow(0), 4)
  await instance.drop()
})

test('a module whose initial memory exceeds maxMemoryBytes fails to instantiate with 5001', async () => {
  const seventeen = await rw.compile(memoryWat(17))
  const error = await expectCode(() => rw.instantiate(seventeen, { limits: { maxMemoryBytes: MiB } }), 5001, '17 pages under 1 MiB')
  assert.equal(error.name, 'InstantiateError')
  assert.match(error.message, /memory/)
  // Exactly at the budget is fine.
  const sixteen = await rw.compile(memoryWat(16))
  const fits = await rw.instantiate(sixteen, { limits: { maxMemoryBytes: MiB } })
  assert.deepEqual(await fits.call('size'), [16])
  assert.equal((await fits.getExports()).find((x) => x.kind === 'memory').pages, 16)
  await fits.drop()
  // A declared maximum above the budget does not matter until growth reaches the budget.
  const declared = await rw.compile(memoryWat(1, 1000))
  const capped = await rw.instantiate(declared, { limits: { maxMemoryBytes: 2 * PAGE } })
  assert.equal(await capped.memory.grow(1), 1)
  await expectCode(() => capped.memory.grow(1), 5006, 'growing past the budget below the declared maximum')
  await capped.drop()
  for (const id of [seventeen, sixteen, declared]) await rw.dropModule(id)
})

test('huge initial memories: refused at once by a budget, and cheap without one', async () => {
  // 4 GiB (65536 pages), the most a 32-bit memory can declare.
  const huge = await rw.compile(memoryWat(65536))
  const started = now()
  const error = await expectCode(() => rw.instantiate(huge, { limits: { maxMemoryBytes: 64 * MiB } }), 5001, '4 GiB under 64 MiB')
  assert.match(error.message, /memory/)
  assert.ok(now() - started < 5000, 'the refusal is quick')
  await expectCode(() => rw.instantiate(huge, { limits: { maxMemoryBytes: 4 * 1024 * MiB - 1 } }), 5001, '4 GiB under 4 GiB - 1 byte')

  // 1 GiB without a budget: reserved, not committed, so instantiating it is quick and usable.
  const gib = await rw.compile(memoryWat(16384))
  const rssBefore = process.memoryUsage().rss
  const instance = await rw.instantiate(gib)
  assert.equal(await instance.memory.size(), 16384)
  await instance.memory.write(1024 * MiB - 1, [1])
  assert.deepEqual([...(await instance.memory.read(1024 * MiB - 1, 1))], [1])
  assert.ok(process.memoryUsage().rss - rssBefore < 256 * MiB, 'a 1 GiB memory is not committed up front')
  await instance.drop()
  // And the same module under a big enough budget works.
  const budgeted = await rw.instantiate(gib, { limits: { maxMemoryBytes: 1024n * 1024n * 1024n } })
  assert.deepEqual(await budgeted.call('size'), [16384])
  await expectCode(() => budgeted.memory.grow(1), 5006, 'growing past a budget of exactly 1 GiB')
  await budgeted.drop()
  await rw.dropModule(huge)
  await rw.dropModule(gib)
})

test('table.grow returns -1 past maxTableElements; a table-growth bomb stops at the budget', async () => {
  const instance = await rw.instantiate(loops, { limits: { maxTableElements: 10 } })
  assert.deepEqual(await instance.call('table_grow', 9), [1], 'growing up to the budget works')
  assert.deepEqual(await instance.call('table_grow', 1), [-1], 'one past the budget fails')
  assert.deepEqual(await instance.call('table_grow', 1_000_000), [-1], 'a huge grow fails')
  assert.deepEqual(await instance.call('table_grow', 0), [10])
  const table = (await instance.getExports()).find((e) => e.kind === 'table')
  assert.equal(table.size, 10)
  await instance.drop()

  for (const budget of [1, 50, 10_000]) {
    const bomb = await rw.instantiate(loops, { limits: { maxTableElements: budget } })
    assert.deepEqual(await bomb.call('table_grow_all'), [budget], `a budget of ${budget} elements`)
    assert.deepEqual(await bomb.call('count', 10), [10], 'usable after the bomb')
    await bomb.drop()
  }
})

test('a module whose initial table exceeds maxTableElements fails to instantiate with 5001', async () => {
  const hundred = await rw.compile(tableWat(100))
  await expectCode(() => rw.instantiate(hundred, { limits: { maxTableElements: 99 } }), 5001, 'a table of 100 under 99')
  const fits = await rw.instantiate(hundred, { limits: { maxTableElements: 100 } })
  assert.deepEqual(await fits.call('size'), [100])
  await fits.drop()
  // Ten million elements, refused at once.
  const huge = await rw.compile(tableWat(10_000_000))
  const started = now()
  const error = await expectCode(() => rw.instantiate(huge, { limits: { maxTableElements: 1000 } }), 5001, 'a table of 10 million under 1000')
  assert.match(error.message, /table/)
  assert.ok(now() - started < 5000)
  await rw.dropModule(hundred)
  await rw.dropModule(huge)
})

test('memory and table budgets hold together with fuel and deadlines, on every instance', async () => {
  const limits = { fuel: 1e12, timeoutMs: 10_000, maxMemoryBytes: 2 * MiB, maxTableElements: 5 }
  const instances = await Promise.all(Array.from({ length: 6 }, () => rw.instantiate(loops, { limits })))
  const results = await Promise.all(instances.map(async (i) => [await i.call('grow_all'), await i.call('table_grow_all')]))
  for (const result of results) assert.deepEqual(result, [[32], [5]])
  for (const instance of instances) await instance.drop()
})
