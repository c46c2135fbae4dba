// Lifecycles: drop, handles that are never reused, Symbol.asyncDispose, GC of unreachable instances.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import { call, compile, compileFile, dropInstance, dropModule, getExports, instantiate, memory } from '../index.mjs'
import { coreFixture, fixture, fromFixture, rejectsWith } from './core-helpers.mjs'

const require = createRequire(import.meta.url)
const { liveHandles } = require('../binding.js')

test('after drop(), call, getExports and every memory operation are 5005', async () => {
  const instance = await fromFixture('arith.wat')
  assert.equal(await instance.drop(), undefined)
  await rejectsWith(() => instance.call('add', 1, 2), 5005)
  await rejectsWith(() => instance.call('no_such_export'), 5005)
  await rejectsWith(() => instance.getExports(), 5005)
  await rejectsWith(() => instance.memory.read(0, 1), 5005)
  await rejectsWith(() => instance.memory.write(0, [1]), 5005)
  await rejectsWith(() => instance.memory.size(), 5005)
  await rejectsWith(() => instance.memory.grow(1), 5005)
})

test('the low-level API is 5005 for a dropped instance id', async () => {
  const instance = await fromFixture('arith.wat')
  const { id } = instance
  await dropInstance(id)
  await rejectsWith(() => call(id, 'add', [1, 2]), 5005, id)
  await rejectsWith(() => getExports(id), 5005)
  await rejectsWith(() => memory.read(id, 0, 1), 5005)
  await rejectsWith(() => memory.write(id, 0, [1]), 5005)
  await rejectsWith(() => memory.size(id), 5005)
  await rejectsWith(() => memory.grow(id, 1), 5005)
  await rejectsWith(() => instance.drop(), 5005)
})

test('unknown and malformed instance ids are 5005', async () => {
  for (const id of ['instance:999999999', 'module:1', '', 'garbage', 'instance:-1', 'instance:1.0']) {
    await rejectsWith(() => call(id, 'add', [1, 2]), 5005)
    await rejectsWith(() => getExports(id), 5005)
    await rejectsWith(() => memory.size(id), 5005)
    await rejectsWith(() => dropInstance(id), 5005)
  }
  for (const id of [1, undefined, null, {}]) {
    await rejectsWith(() => call(id, 'add', [1, 2]), 5005)
    await rejectsWith(() => getExports(id), 5005)
    await rejectsWith(() => memory.read(id, 0, 1), 5005)
    await rejectsWith(() => dropInstance(id), 5005)
  }
})

test('only the exact id string reaches an instance or a module (ids are opaque)', async () => {
  const moduleId = await compile('(module (func (export "f") (result i32) (i32.const 1)))')
  const instance = await instantiate(moduleId)
  assert.deepEqual(await call(instance.id, 'f', []), [1])
  // Strings that were never handed out: padded, and, when the id ends in a number, the same
  // number spelled differently (leading zero, plus sign).
  const variants = (id) => {
    const spelled = []
    const match = /^(.*?)(\d+)$/.exec(id)
    if (match) spelled.push(`${match[1]}0${match[2]}`, `${match[1]}+${match[2]}`)
    return [` ${id}`, `${id} `, `${id}\0`, id.toUpperCase() === id ? id.toLowerCase() : id.toUpperCase(), ...spelled]
  }
  for (const id of variants(instance.id)) {
    if (id === instance.id) continue
    await rejectsWith(() => call(id, 'f', []), 5005, JSON.stringify(id).slice(1, 4))
  }
  for (const id of variants(moduleId)) {
    if (id === moduleId) continue
    await rejectsWith(() => instantiate(id), 5004)
  }
  await instance.drop()
  await dropModule(moduleId)
})

test('dropping twice is 5005 the second time', async () => {
  const instance = await fromFixture('arith.wat')
  await instance.drop()
  await rejectsWith(() => instance.drop(), 5005)
  await rejectsWith(() => dropInstance(instance.id), 5005)
})

test('drop frees at once (live handle count)', async () => {
  const moduleId = await compileFile(fixture('arith.wat'))
  const before = liveHandles()
  const instance = await instantiate(moduleId)
  assert.equal(liveHandles().instances, before.instances + 1)
  await instance.drop()
  assert.equal(liveHandles().instances, before.instances)
  await dropModule(moduleId)
  assert.equal(liveHandles().modules, before.modules - 1)
})

test('instance ids are never reused; a stale id stays 5005 and never reaches another instance', async () => {
  const moduleId = await compileFile(fixture('arith.wat'))
  const seen = new Set()
  const dropped = []
  for (let round = 0; round < 10; round++) {
    const instance = await instantiate(moduleId)
    assert.ok(!seen.has(instance.id), `id ${instance.id} was handed out before`)
    seen.add(instance.id)
    await instance.drop()
    dropped.push(instance.id)
  }
  const live = await instantiate(moduleId)
  assert.ok(!seen.has(live.id))
  for (const id of dropped) await rejectsWith(() => call(id, 'add', [1, 2]), 5005)
  assert.deepEqual(await live.call('add', 1, 2), [3])
  await live.drop()
})

test('module ids are never reused; a stale module id stays 5004', async () => {
  const first = await compile('(module)')
  await dropModule(first)
  const second = await compile('(module)')
  assert.notEqual(second, first)
  await rejectsWith(() => instantiate(first), 5004)
  await rejectsWith(() => dropModule(first), 5004)
  await instantiate(second).then((instance) => instance.drop())
  await dropModule(second)
})

test('module and instance ids are distinct namespaces', async () => {
  const moduleId = await compile('(module (func (export "f")))')
  const instance = await instantiate(moduleId)
  await rejectsWith(() => instantiate(instance.id), 5004)
  await rejectsWith(() => call(moduleId, 'f', []), 5005)
  await rejectsWith(() => dropModule(instance.id), 5004)
  await rejectsWith(() => dropInstance(moduleId), 5005)
  await instance.drop()
  await dropModule(moduleId)
})

test('Symbol.asyncDispose drops the instance; a second dispose is silent', async () => {
  const dispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')
  const instance = await fromFixture('arith.wat')
  assert.equal(typeof instance[dispose], 'function')
  const before = liveHandles().instances
  await instance[dispose]()
  assert.equal(liveHandles().instances, before - 1)
  await rejectsWith(() => instance.call('add', 1, 2), 5005)
  await instance[dispose]()
  await instance[dispose]()
})

test('Symbol.asyncDispose after an explicit drop() is silent', async () => {
  const dispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')
  const instance = await fromFixture('arith.wat')
  await instance.drop()
  await instance[dispose]()
})

test('Symbol.asyncDispose after a low-level dropInstance(id) is silent', async () => {
  const dispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')
  const instance = await fromFixture('arith.wat')
  await dropInstance(instance.id)
  await instance[dispose]()
})

test('dropModule while instances are alive: they keep working, the module id is gone', async () => {
  const moduleId = await compileFile(fixture('arith.wat'))
  const instances = await Promise.all([instantiate(moduleId), instantiate(moduleId), instantiate(moduleId)])
  const modulesBefore = liveHandles().modules
  await dropModule(moduleId)
  assert.equal(liveHandles().modules, modulesBefore - 1)
  await rejectsWith(() => instantiate(moduleId), 5004)
  for (const [index, instance] of instances.entries()) {
    assert.deepEqual(await instance.call('add', index, 1), [index + 1])
    assert.equal(await instance.memory.grow(1), 1)
    assert.ok((await instance.getExports()).some((e) => e.name === 'add'))
  }
  for (const instance of instances) await instance.drop()
})

test('unreachable instances that were never dropped are freed by the garbage collector', () => {
  const child = spawnSync(process.execPath, ['--expose-gc', coreFixture('gc-child.mjs')], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.equal(child.status, 0, `child failed: ${child.stderr}`)
  const report = JSON.parse(child.stdout.trim().split('\n').pop())
  assert.equal(report.peak, report.base + report.count + 2, 'all instances were live before GC')
  assert.equal(report.afterGc, report.base + 2, 'GC freed every unreachable instance and only those')
  assert.equal(report.keptWorks, true, 'a reachable instance still works after GC')
  assert.equal(report.keptMemoryWorks, true, 'an instance reachable through its memory object still works')
  assert.equal(report.afterDrop, report.base + 1)
})

test('a tight instantiate -> call -> drop loop lets the native finalizers of its Instances run', () => {
  const child = spawnSync(process.execPath, ['--expose-gc', coreFixture('finalizer-backlog-child.mjs')], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.equal(child.status, 0, `child failed: ${child.stderr}`)
  const report = JSON.parse(child.stdout.trim().split('\n').pop())
  // Collected every 100 loops and given a turn every 64 instantiations, the backlog stays at a
  // few hundred at most; without those turns it would reach the loop count.
  assert.ok(report.largest < 500, `finalizers waiting: up to ${report.largest} of ${report.loops} instances`)
})
