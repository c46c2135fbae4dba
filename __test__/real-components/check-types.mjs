// Runs runtime-wasm's component API against an implementation of
// __test__/fixtures/components/types.wit built by some toolchain, and prints one line per
// check: "PASS name" or "FAIL name: ...". Exit status 1 when a check failed.
//
//   node check-types.mjs path/to/types-impl.wasm [--only REGEX]
//
// The expectations are the behaviour documented in __test__/fixtures/components/README.md
// and jco's JS value representations.
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { ErrorCode, WasmError, compileFile, componentWorld, configure, instantiate, moduleKind, run } from '../../index.mjs'

const file = process.argv[2]
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt > 0 ? new RegExp(process.argv[onlyAt + 1]) : null
// --skip REGEX: checks that a toolchain's own bug fails (see README), left out.
const skipAt = process.argv.indexOf('--skip')
const skip = skipAt > 0 ? new RegExp(process.argv[skipAt + 1]) : null
if (process.env.CHECK_CACHE_DIR) configure({ cacheDir: process.env.CHECK_CACHE_DIR })
const API = 'test:types/api'

let failed = 0
let passed = 0
async function check(name, fn) {
  if ((only && !only.test(name)) || (skip && skip.test(name))) return
  const started = performance.now()
  try {
    await fn()
    passed++
    console.log(`PASS ${name} (${Math.round(performance.now() - started)} ms)`)
  } catch (error) {
    failed++
    const text = error instanceof assert.AssertionError ? error.message : `${error?.name} ${error?.code ?? ''}: ${error?.message}`
    console.log(`FAIL ${name} :: ${text.split('\n').slice(0, 12).join('\n    ')}`)
    // A trap leaves the shared instance unusable: the next check gets a new one.
    await inst.drop().catch(() => {})
    inst = await fresh()
  }
}

function hostFor(log = []) {
  return {
    'test:types/host': {
      log(msg) { log.push(msg) },
      async fetchValue(key) {
        if (key === 'missing') throw new WasmError(ErrorCode.CallError, 'not found', { payload: `no ${key}` })
        if (key === 'plain-throw') throw 'plain string thrown'
        return `value of ${key}`
      },
      addOne: (x) => x + 1n,
      tick: (n) => n * 2,
    },
  }
}

let t = performance.now()
const id = await compileFile(file)
const compileMs = Math.round(performance.now() - t)
console.log(`# compileFile: ${compileMs} ms (${moduleKind(id)})`)
const fresh = async (options = {}, log = []) => instantiate(id, { imports: hostFor(log), stdout: 'pipe', stderr: 'pipe', ...options })
t = performance.now()
let inst = await fresh()
console.log(`# instantiate: ${Math.round(performance.now() - t)} ms`)
t = performance.now()
const firstGreet = await inst.call('greet', 'Ada')
console.log(`# first call: ${Math.round(performance.now() - t)} ms`)
const echo = (name, ...args) => inst.call(`${API}#echo-${name}`, ...args)
const roundTrip = async (name, value, expected = value) => assert.deepEqual(await echo(name, value), expected, `${name}(${inspect(value)})`)

await check('world: greet, add and test:types/api exported; test:types/host imported', async () => {
  const world = componentWorld(id)
  const exportNames = world.exports.map((e) => e.name)
  for (const n of ['greet', 'add', API]) assert.ok(exportNames.includes(n), `exports ${inspect(exportNames)} lack ${n}`)
  const host = world.imports.find((i) => i.name === 'test:types/host')
  assert.deepEqual(host.functions.map((f) => f.wit), ['func(msg: string)', 'func(key: string) -> result<string, string>', 'func(x: u64) -> u64', 'func(n: u32) -> u32'])
  const api = world.exports.find((e) => e.name === API)
  assert.deepEqual(api.resources, ['counter'])
})

await check('getExports agrees with componentWorld on export names', async () => {
  const exports = await inst.getExports()
  assert.deepEqual(exports.map((e) => e.name).sort(), componentWorld(id).exports.map((e) => e.name).sort())
})

await check('greet / add (wrapping)', async () => {
  assert.equal(firstGreet, 'Hello, Ada!')
  assert.equal(await inst.call('greet', 'héllo 🌍'), 'Hello, héllo 🌍!')
  assert.equal(await inst.call('add', 2, 40), 42)
  assert.equal(await inst.call('add', 2147483647, 1), -2147483648)
})

await check('integers at their bounds', async () => {
  for (const [n, lo, hi] of [['s8', -128, 127], ['u8', 0, 255], ['s16', -32768, 32767], ['u16', 0, 65535], ['s32', -(2 ** 31), 2 ** 31 - 1], ['u32', 0, 2 ** 32 - 1]]) {
    await roundTrip(n, lo)
    await roundTrip(n, hi)
  }
  await roundTrip('s64', -(2n ** 63n))
  await roundTrip('s64', 2n ** 63n - 1n)
  await roundTrip('u64', 0n)
  await roundTrip('u64', 2n ** 64n - 1n)
  await roundTrip('u64', 7, 7n)
})

await check('bool', async () => {
  await roundTrip('bool', true)
  await roundTrip('bool', false)
})

await check('f32 / f64 (rounding to f32, NaN, infinities, -0)', async () => {
  await roundTrip('f32', 1.5)
  await roundTrip('f32', 0.1, Math.fround(0.1))
  await roundTrip('f32', -Infinity)
  await roundTrip('f32', 3.4e39, Infinity)
  assert.ok(Object.is(await echo('f32', -0), -0), 'f32 -0')
  assert.ok(Number.isNaN(await echo('f32', NaN)))
  await roundTrip('f64', 0.1)
  await roundTrip('f64', Number.MAX_VALUE)
  await roundTrip('f64', Number.MIN_VALUE)
  assert.ok(Object.is(await echo('f64', -0), -0), 'f64 -0')
  assert.ok(Number.isNaN(await echo('f64', NaN)))
})

await check('char', async () => {
  for (const c of ['a', 'é', '🌍', '\0', '\uffff']) await roundTrip('char', c)
})

await check('string: unicode, empty, long, NUL', async () => {
  for (const s of ['', 'héllo 🌍', 'a\0b', 'x'.repeat(100_000), '日本語'.repeat(1000)]) await roundTrip('string', s)
})

await check('string with a lone surrogate is replaced by U+FFFD (as TextEncoder/jco do) or refused', async () => {
  let got
  try {
    got = await echo('string', 'a\ud800b')
  } catch (error) {
    assert.equal(error.code, ErrorCode.TypeError, `threw ${error.message}`)
    return
  }
  assert.equal(got, 'a\ufffdb')
})

await check('list<u8> as Uint8Array (also from a plain array, Buffer, large)', async () => {
  await roundTrip('bytes', new Uint8Array([1, 2, 255]))
  await roundTrip('bytes', new Uint8Array(0))
  await roundTrip('bytes', [3, 4], new Uint8Array([3, 4]))
  const got = await echo('bytes', Buffer.from('hi'))
  assert.deepEqual(Array.from(got), [104, 105])
})

await check('list<u8> of 4 MiB round-trips (own instance)', async () => {
  const i = await fresh()
  try {
    const big = new Uint8Array(4 * 1024 * 1024).map((_, k) => k & 255)
    assert.deepEqual(await i.call(`${API}#echo-bytes`, big), big)
  } finally {
    await i.drop()
  }
})

await check('list<u32> as Uint32Array; list<string>', async () => {
  await roundTrip('nums', new Uint32Array([0, 4294967295]))
  await roundTrip('nums', new Uint32Array(0))
  await roundTrip('nums', [1, 2], new Uint32Array([1, 2]))
  await roundTrip('strings', ['a', '', 'ç', '🌍'])
  await roundTrip('strings', [])
})

const point = { x: 1, y: -2, labelText: 'lbl' }
await check('record point (camelCase field)', async () => {
  await roundTrip('point', point)
  await roundTrip('point', { x: -(2 ** 31), y: 2 ** 31 - 1, labelText: '' })
})

await check('variant shape', async () => {
  await roundTrip('shape', { tag: 'circle', val: 2.5 })
  await roundTrip('shape', { tag: 'rect', val: point })
  await roundTrip('shape', { tag: 'empty' })
})

await check('enum color', async () => {
  for (const c of ['red', 'green', 'blue-ish']) await roundTrip('color', c)
})

await check('flags perms', async () => {
  await roundTrip('perms', { read: true, execAll: true }, { read: true, write: false, execAll: true })
  await roundTrip('perms', {}, { read: false, write: false, execAll: false })
  await roundTrip('perms', { read: true, write: true, execAll: true })
})

await check('option<u32>', async () => {
  await roundTrip('option', 5)
  await roundTrip('option', 0)
  await roundTrip('option', undefined)
})

await check('option<u32> takes null as none (jco lowers null and undefined alike)', async () => {
  assert.equal(await echo('option', null), undefined)
})

await check('option<option<string>>', async () => {
  await roundTrip('nested', { tag: 'some', val: 'x' })
  await roundTrip('nested', { tag: 'some', val: '' })
  await roundTrip('nested', { tag: 'none' })
  // The outer option is tagged: undefined is not one of its values (jco throws for it too).
  await assert.rejects(echo('nested', undefined), /expected an object \{ tag, val \}/)
})

await check('tuple<u32, string, bool>', async () => {
  await roundTrip('tuple', [7, 'seven', false])
  await roundTrip('tuple', [4294967295, '', true])
})

const bag = {
  items: [point, { x: 0, y: 0, labelText: '' }],
  tags: ['t1'],
  bytes: new Uint8Array([9]),
  nums: new Uint32Array([1, 2]),
  floats: new Float64Array([0.5]),
  big: new BigInt64Array([-1n, 2n]),
  maybe: 'here',
  pair: [8, 'eight'],
}
await check('record bag with every list kind, option and tuple', async () => {
  await roundTrip('bag', bag)
  const empty = { items: [], tags: [], bytes: new Uint8Array(), nums: new Uint32Array(), floats: new Float64Array(), big: new BigInt64Array(), maybe: undefined, pair: [0, ''] }
  await roundTrip('bag', empty)
})

await check('describe(point, color, f64)', async () => {
  assert.equal(await inst.call(`${API}#describe`, point, 'blue-ish', 1.5), 'lbl@(1,-2) blue-ish x1.5')
  assert.equal(await inst.call(`${API}#describe`, { x: 0, y: 0, labelText: 'o' }, 'red', 2), 'o@(0,0) red x2')
})

await check('checked-div: ok value, err payload as a rejection', async () => {
  assert.equal(await inst.call(`${API}#checked-div`, 7, 2), 3)
  assert.equal(await inst.call(`${API}#checked-div`, -7, 2), -3)
  for (const [a, b, msg] of [[1, 0, 'division by zero'], [-(2 ** 31), -1, 'overflow']]) {
    await assert.rejects(inst.call(`${API}#checked-div`, a, b), (error) => {
      assert.ok(error instanceof WasmError, `not a WasmError: ${error}`)
      assert.equal(error.code, ErrorCode.CallError)
      assert.equal(error.payload, msg)
      return true
    })
  }
})

await check('try-unit: result<_, color>', async () => {
  assert.equal(await inst.call(`${API}#try-unit`, false), undefined)
  await assert.rejects(inst.call(`${API}#try-unit`, true), (error) => error.payload === 'blue-ish')
})

await check('host imports: log, fetch-value ok/err, add-one (u64), tick', async () => {
  const log = []
  const i = await fresh({}, log)
  assert.equal(await i.call(`${API}#call-host`, 'k'), 'ok:value of k')
  assert.equal(await i.call(`${API}#call-host`, 'missing'), 'err:no missing')
  assert.equal(await i.call(`${API}#call-host`, 'plain-throw'), 'err:plain string thrown')
  assert.deepEqual(log, ['looking up k', 'looking up missing', 'looking up plain-throw'])
  assert.equal(await i.call(`${API}#host-add`, 40n), 42n)
  assert.equal(await i.call(`${API}#host-add`, 2n ** 64n - 3n), 2n ** 64n - 1n)
  assert.equal(await i.call(`${API}#host-ticks`, 100), 9900)
  await i.drop()
})

await check('host imports: 10000 calls of tick in one call', async () => {
  const started = performance.now()
  assert.equal(await inst.call(`${API}#host-ticks`, 10000), 99990000)
  console.log(`#   10000 host calls: ${Math.round(performance.now() - started)} ms`)
})

await check('resources: constructor, methods, static merge, borrow, list of own, drop', async () => {
  const i = await fresh()
  const counter = await i.call(`${API}#[constructor]counter`, 5)
  assert.equal(counter.resource, 'counter')
  assert.equal(await counter.increment(3), 8)
  assert.equal(await counter.value(), 8)
  assert.equal(await i.call(`${API}#[method]counter.value`, counter), 8)
  assert.equal(await i.call(`${API}#sum-counter`, counter), 8)
  const other = await i.call(`${API}#[constructor]counter`, 2)
  const merged = await i.call(`${API}#[static]counter.merge`, counter, other)
  assert.equal(await merged.value(), 10)
  const self = await i.call(`${API}#[static]counter.merge`, counter, counter)
  assert.equal(await self.value(), 16)
  const many = await i.call(`${API}#make-counters`, 3)
  assert.equal(many.length, 3)
  assert.deepEqual(await Promise.all(many.map((c) => c.value())), [0, 1, 2])
  for (const c of [counter, other, merged, self, ...many]) await c.drop()
  await assert.rejects(counter.value(), (error) => error.code === ErrorCode.TypeError && /dropped/.test(error.message))
  await i.drop()
})

await check('resources: many constructed and dropped (no leak of handles)', async () => {
  const i = await fresh()
  for (let k = 0; k < 2000; k++) {
    const c = await i.call(`${API}#[constructor]counter`, k)
    await c.drop()
  }
  const many = await i.call(`${API}#make-counters`, 1000)
  assert.equal(await many[999].value(), 999)
  for (const c of many) await c.drop()
  await i.drop()
})

await check('resources: Symbol.asyncDispose drops', async () => {
  const i = await fresh()
  const c = await i.call(`${API}#[constructor]counter`, 1)
  await c[Symbol.asyncDispose]()
  await assert.rejects(c.value(), (error) => error.code === ErrorCode.TypeError)
  await i.drop()
})

await check('resource from another instance is refused with a clear error', async () => {
  const a = await fresh()
  const b = await fresh()
  const c = await a.call(`${API}#[constructor]counter`, 1)
  await assert.rejects(b.call(`${API}#sum-counter`, c), (error) => error.code === ErrorCode.TypeError)
  assert.equal(await b.call('greet', 'still'), 'Hello, still!')
  await a.drop()
  await b.drop()
})

await check('wrong shapes are 5007 naming the path', async () => {
  const rejects = (name, args, pattern) =>
    assert.rejects(inst.call(`${API}#${name}`, ...args), (error) => {
      assert.equal(error.code, ErrorCode.TypeError, error.message)
      assert.match(error.message, pattern)
      return true
    })
  await rejects('echo-bag', [{ ...bag, items: [{ x: 1, y: 2, labelText: 3 }] }], /arg 0\.items\[0\]\.labelText/)
  await rejects('echo-u8', [256], /0 to 255/)
  await rejects('echo-s64', [2n ** 63n], /BigInt/)
  await rejects('echo-char', ['ab'], /one character/)
  await rejects('echo-color', ['purple'], /blue-ish/)
  await rejects('echo-shape', [{ tag: 'square' }], /arg 0\.tag/)
  await rejects('echo-tuple', [[1, 'x']], /3 items/)
  await rejects('echo-point', [{ x: 1, y: 2 }], /labelText/)
  assert.equal(await inst.call('greet', 'ok'), 'Hello, ok!')
})

await check('char: a lone surrogate is refused (5007), not changed', async () => {
  await assert.rejects(echo('char', '\ud800'), (error) => error.code === ErrorCode.TypeError, 'echo-char(\\ud800) resolved')
})

await check('trap: a 5002, and the instance refuses later calls', async () => {
  const i = await fresh()
  await assert.rejects(i.call(`${API}#trap`), (error) => error.code === ErrorCode.CallError)
  await assert.rejects(i.call('greet', 'x'), (error) => error.code === ErrorCode.CallError)
  const err = Buffer.from(await i.readStderr()).toString()
  if (err) console.log(`#   stderr after trap: ${JSON.stringify(err.slice(0, 300))}`)
  await i.drop()
})

await check('spin: stopped by timeoutMs', async () => {
  const i = await fresh()
  const started = performance.now()
  await assert.rejects(i.invoke(`${API}#spin`, [], { timeoutMs: 200 }), (error) => error.reason === 'timeout')
  assert.ok(performance.now() - started < 5000)
  await i.drop()
})

await check('spin: stopped by fuel', async () => {
  const i = await fresh({ limits: { fuel: 1e9 } })
  await assert.rejects(i.invoke(`${API}#spin`, [], { fuel: 100_000 }), (error) => error.code === ErrorCode.FuelExhausted && error.reason === 'fuel')
  await i.drop()
})

await check('allocate under a memory budget', async () => {
  const i = await fresh({ limits: { maxMemoryBytes: 64 * 1024 * 1024 } })
  assert.equal(await i.call(`${API}#allocate`, 1), 1)
  const big = await i.call(`${API}#allocate`, 256).catch((error) => error)
  assert.ok(big === 0 || big instanceof WasmError, `allocating past the budget: ${big}`)
  if (big instanceof WasmError) console.log(`#   allocate(256) under 64 MiB: ${big.code} ${big.message.split('\n')[0]}`)
  await i.drop()
})

await check('run() on a component without wasi:cli/run is a clear error', async () => {
  await assert.rejects(run(id, { imports: hostFor() }), (error) => error instanceof WasmError)
})

await inst.drop()
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
