// Host functions reach the calling instance's linear memory through `this.memory` while the
// call waits for them: strings and buffers between plugin and host.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { ErrorCode, compile, instantiate } from '../../index.mjs'
import { decoder, encoder, fromWat, mustSettle, rejectsWith } from './helpers.mjs'

// The plugin of the README and examples/host-plugin: it asks the host for the value of a setting
// by name and logs "Hello, <value>!".
//   host.get(name_ptr, name_len, out_ptr, out_capacity) -> length of the value written at out_ptr
//   host.log(ptr, len)
const PLUGIN_WAT = `(module
  (import "host" "get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "host" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "user")
  (data (i32.const 8) "missing")
  (data (i32.const 16) "Hello, ")
  ;; greet(name_ptr, name_len): logs "Hello, <value>!" and returns the message's length
  (func $greet (export "greet") (param $name i32) (param $name_len i32) (result i32)
    (local $end i32)
    (local.set $end
      (i32.add (i32.const 23)
        (call $get (local.get $name) (local.get $name_len) (i32.const 23) (i32.const 200))))
    (i32.store8 (local.get $end) (i32.const 33))
    (call $log (i32.const 16) (i32.sub (i32.add (local.get $end) (i32.const 1)) (i32.const 16)))
    (i32.sub (i32.add (local.get $end) (i32.const 1)) (i32.const 16)))
  (func (export "greet_user") (result i32) (call $greet (i32.const 0) (i32.const 4))))`

function pluginHost(settings, logged) {
  return {
    host: {
      async get(namePtr, nameLength, outPtr, outCapacity) {
        const name = decoder.decode(await this.memory.read(namePtr, nameLength))
        if (!settings.has(name)) throw new RangeError(`no setting named ${name}`)
        const value = encoder.encode(settings.get(name))
        if (value.length > outCapacity) throw new RangeError(`the value of ${name} does not fit`)
        await this.memory.write(outPtr, value)
        return value.length
      },
      async log(ptr, length) {
        logged.push(decoder.decode(await this.memory.read(ptr, length)))
      },
    },
  }
}

describe('a plugin that asks the host for a value by name and logs a message', () => {
  test('strings go both ways through linear memory', async () => {
    const settings = new Map([['user', 'Ada Lovelace']])
    const logged = []
    const plugin = await fromWat(PLUGIN_WAT, { imports: pluginHost(settings, logged) })
    const [length] = await plugin.call('greet_user')
    assert.deepEqual(logged, ['Hello, Ada Lovelace!'])
    assert.equal(length, 'Hello, Ada Lovelace!'.length)
    assert.equal(decoder.decode(await plugin.memory.read(16, length)), 'Hello, Ada Lovelace!')
    await plugin.drop()
  })

  test('UTF-8 text, a name written by the host before the call, and a changed value', async () => {
    const settings = new Map([['user', 'Grace Hopper'], ['ユーザー', 'Émilie du Châtelet — 数学 🚀']])
    const logged = []
    const plugin = await fromWat(PLUGIN_WAT, { imports: pluginHost(settings, logged) })
    const name = encoder.encode('ユーザー')
    await plugin.memory.write(300, name)
    const [length] = await plugin.call('greet', 300, name.length)
    const expected = 'Hello, Émilie du Châtelet — 数学 🚀!'
    assert.deepEqual(logged, [expected])
    assert.equal(length, encoder.encode(expected).length)
    settings.set('user', 'Margaret Hamilton')
    await plugin.call('greet_user')
    assert.deepEqual(logged, [expected, 'Hello, Margaret Hamilton!'])
    await plugin.drop()
  })

  test('a host error (unknown name, value too long) is 5002 with its cause; the plugin goes on', async () => {
    const settings = new Map([['user', 'x'.repeat(201)]])
    const logged = []
    const plugin = await fromWat(PLUGIN_WAT, { imports: pluginHost(settings, logged) })
    const tooLong = await rejectsWith(() => plugin.call('greet_user'), ErrorCode.CallError, 'host::get')
    assert.ok(tooLong.cause instanceof RangeError)
    assert.match(tooLong.cause.message, /does not fit/)
    const missing = await rejectsWith(() => plugin.call('greet', 8, 7), ErrorCode.CallError)
    assert.equal(missing.cause.message, 'no setting named missing')
    assert.deepEqual(logged, [])
    settings.set('user', 'Ada')
    await plugin.call('greet_user')
    assert.deepEqual(logged, ['Hello, Ada!'])
    await plugin.drop()
  })
})

// "fill" stores bytes, grows memory and calls the host; "sum" adds bytes up after the host ran.
const MEMORY_WAT = `(module
  (import "env" "visit" (func $visit (param i32 i32) (result i32)))
  (memory (export "memory") 1 32)
  (func (export "visit") (param $ptr i32) (param $len i32) (result i32)
    (call $visit (local.get $ptr) (local.get $len)))
  ;; stores 1..len at ptr, then asks the host
  (func (export "store_then_visit") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32)
    (block $done (loop $fill
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (i32.store8 (i32.add (local.get $ptr) (local.get $i)) (i32.add (local.get $i) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (call $visit (local.get $ptr) (local.get $len)))
  ;; asks the host, then sums the bytes at ptr (which the host may have written)
  (func (export "visit_then_sum") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $sum i32)
    (drop (call $visit (local.get $ptr) (local.get $len)))
    (block $done (loop $add
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $add)))
    (local.get $sum))
  (func (export "grow_then_visit") (param $pages i32) (result i32)
    (drop (memory.grow (local.get $pages)))
    (call $visit (i32.const 0) (i32.const 0))))`

async function memoryInstance(visit) {
  return fromWat(MEMORY_WAT, { imports: { env: { visit } } })
}

describe('this.memory', () => {
  test('read sees what the wasm code stored just before the call', async () => {
    let seen
    const instance = await memoryInstance(async function (ptr, len) {
      seen = await this.memory.read(ptr, len)
      return seen.length
    })
    assert.deepEqual(await instance.call('store_then_visit', 1000, 10), [10])
    assert.ok(seen instanceof Uint8Array)
    assert.deepEqual([...seen], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    await instance.drop()
  })

  test('write is seen by the wasm code after the host returns; arrays, typed arrays and ArrayBuffers', async () => {
    let data
    const instance = await memoryInstance(async function (ptr) {
      await this.memory.write(ptr, data)
      return 0
    })
    data = [1, 2, 3, 250]
    assert.deepEqual(await instance.call('visit_then_sum', 64, 4), [256])
    data = new Uint8Array([10, 20, 30])
    assert.deepEqual(await instance.call('visit_then_sum', 128, 3), [60])
    data = new Uint16Array([0x0102, 0x0304]).buffer // little-endian bytes 2, 1, 4, 3
    assert.deepEqual(await instance.call('visit_then_sum', 200, 4), [10])
    data = Buffer.from('AB')
    assert.deepEqual(await instance.call('visit_then_sum', 300, 2), [65 + 66])
    assert.deepEqual([...(await instance.memory.read(200, 4))], [2, 1, 4, 3])
    await instance.drop()
  })

  test('size() is in pages and follows growth made by the wasm code during the call', async () => {
    const sizes = []
    const instance = await memoryInstance(async function () {
      sizes.push(await this.memory.size())
      return 0
    })
    await instance.call('visit', 0, 0)
    await instance.call('grow_then_visit', 2)
    assert.deepEqual(sizes, [1, 3])
    await instance.drop()
  })

  test('a megabyte round trip, and many requests in flight at once from one host call', async () => {
    const size = 1 << 20
    const instance = await memoryInstance(async function (ptr, len) {
      const bytes = await this.memory.read(ptr, len)
      for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] + i) & 0xff
      await this.memory.write(ptr, bytes)
      const parts = await Promise.all(Array.from({ length: 100 }, (_, i) => this.memory.read(ptr + i * 7, 7)))
      return parts.reduce((sum, part) => sum + part.length, 0)
    })
    await instance.memory.grow(16)
    await instance.memory.write(65536, new Uint8Array(size).fill(3))
    assert.deepEqual(await instance.call('visit', 65536, size), [700])
    const back = await instance.memory.read(65536, size)
    for (const i of [0, 1, 255, 256, 4097, size - 1]) assert.equal(back[i], (3 + i) & 0xff, `byte ${i}`)
    await instance.drop()
  })

  test('out-of-bounds and malformed ranges are 5006 the host can catch; a failed write changes nothing', async () => {
    const errors = []
    const instance = await memoryInstance(async function () {
      const pages = await this.memory.size()
      const end = pages * 65536
      const attempts = [
        () => this.memory.read(end - 4, 5),
        () => this.memory.read(end + 1, 0),
        () => this.memory.write(end - 2, [1, 2, 3]),
        () => this.memory.read(-1, 1),
        () => this.memory.read(1.5, 1),
        () => this.memory.read(0, Number.NaN),
        () => this.memory.write(0, [256]),
      ]
      for (const attempt of attempts) {
        try {
          await attempt()
          errors.push(null)
        } catch (error) {
          errors.push(error)
        }
      }
      const tail = await this.memory.read(end - 2, 2)
      return tail[0] + tail[1]
    })
    assert.deepEqual(await instance.call('visit', 0, 0), [0], 'the all-or-nothing write left the last bytes at 0')
    assert.equal(errors.length, 7)
    for (const [i, error] of errors.entries()) {
      assert.ok(error, `attempt ${i} should fail`)
      assert.equal(error.code, ErrorCode.MemoryError, `attempt ${i}: ${error.message}`)
    }
    assert.deepEqual(await instance.call('visit', 0, 0), [0], 'the instance goes on')
    await instance.drop()
  })

  test('an instance that exports no memory: 5006', async () => {
    let failure
    const instance = await fromWat(
      `(module (import "env" "visit" (func $visit (result i32))) (func (export "go") (result i32) (call $visit)))`,
      {
        imports: {
          env: {
            async visit() {
              failure = await this.memory.read(0, 1).then(() => null, (error) => error)
              return 1
            },
          },
        },
      },
    )
    assert.deepEqual(await instance.call('go'), [1])
    assert.equal(failure?.code, ErrorCode.MemoryError)
    assert.match(failure.message, /memory/)
    await instance.drop()
  })

  test('the context is only usable during its call: afterwards 5002, never a hang', async () => {
    let context
    const instance = await memoryInstance(function () {
      context = this
      return 0
    })
    assert.deepEqual(await instance.call('visit', 0, 0), [0])
    for (const [what, use] of [
      ['read', () => context.memory.read(0, 1)],
      ['write', () => context.memory.write(0, [1])],
      ['size', () => context.memory.size()],
      ['call', () => context.call('visit', 0, 0)],
    ]) {
      const outcome = await mustSettle(Promise.resolve().then(use), 5000, `${what} on a finished call's context`)
      assert.ok(outcome.error, `${what} after the call returned should fail`)
      assert.equal(outcome.error.code, ErrorCode.CallError, `${what}: ${outcome.error.message}`)
      assert.match(outcome.error.message, /already returned/)
    }
    assert.deepEqual(await instance.call('visit', 0, 0), [0])
    await instance.drop()
  })

  test('memory access works while other instances are busy in their own host calls', async () => {
    const moduleId = await compile(MEMORY_WAT)
    const instances = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        instantiate(moduleId, {
          imports: {
            env: {
              async visit(ptr, len) {
                await new Promise((r) => setTimeout(r, 10 + (n % 3) * 10))
                const bytes = await this.memory.read(ptr, len)
                await this.memory.write(ptr, bytes.map((b) => b + n))
                return 0
              },
            },
          },
        }),
      ),
    )
    await Promise.all(instances.map((instance) => instance.memory.write(0, [1, 1, 1, 1])))
    const sums = await Promise.all(instances.map((instance) => instance.call('visit_then_sum', 0, 4)))
    assert.deepEqual(sums, instances.map((_, n) => [4 * (1 + n)]))
    await Promise.all(instances.map((instance) => instance.drop()))
  })
})
