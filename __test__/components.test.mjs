// Components: compile, instantiate with host imports, call with every WIT type in both
// directions, resources, errors, limits while a host function waits, and WASI 0.2 commands.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { ECHOES } from './component-helpers.mjs'
import { ErrorCode, WasmError, compile, compileFile, componentWorld, dropModule, instantiate, moduleKind, run } from '../index.mjs'

const FIXTURES = fileURLToPath(new URL('./fixtures/components/', import.meta.url))
const TYPES = join(FIXTURES, 'types.wasm')
const COMMAND = join(FIXTURES, 'command.wasm')
const API = 'test:types/api'

function hostFor(log = []) {
  return {
    'test:types/host': {
      ...ECHOES,
      log(msg) {
        log.push(msg)
      },
      async fetchValue(key) {
        if (key === 'missing') throw new WasmError(ErrorCode.CallError, 'not found', { payload: `no ${key}` })
        return `value of ${key}`
      },
      addOne: (x) => x + 1n,
      tick: (n) => n * 2,
    },
  }
}

async function typesInstance(options = {}, log = []) {
  const id = await compileFile(TYPES)
  return instantiate(id, { imports: hostFor(log), ...options })
}

test('compile tells a component from a module, and its world lists WIT types', async () => {
  const id = await compileFile(TYPES)
  assert.equal(moduleKind(id), 'component')
  const world = componentWorld(id)
  const host = world.imports.find((i) => i.name === 'test:types/host')
  assert.equal(host.kind, 'interface')
  assert.deepEqual(host.functions.slice(0, 4).map((f) => f.wit), [
    'func(msg: string)',
    'func(key: string) -> result<string, string>',
    'func(x: u64) -> u64',
    'func(n: u32) -> u32',
  ])
  const echoColor = host.functions.find((f) => f.name === 'host-echo-color')
  assert.equal(echoColor.wit, 'func(v: enum { red, green, blue-ish }) -> enum { red, green, blue-ish }')
  const greet = world.exports.find((e) => e.name === 'greet')
  assert.equal(greet.wit, 'func(name: string) -> string')
  const api = world.exports.find((e) => e.name === API)
  assert.deepEqual(api.resources, ['counter'])
  assert.ok(api.functions.some((f) => f.name === '[method]counter.increment'))
  const moduleId = await compile('(module)')
  assert.equal(moduleKind(moduleId), 'module')
})

test('component WAT text compiles and runs', async () => {
  const id = await compile(`(component
    (core module $m (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
    (core instance $i (instantiate $m))
    (func (export "add") (param "a" s32) (param "b" s32) (result s32) (canon lift (core func $i "add"))))`)
  assert.equal(moduleKind(id), 'component')
  const instance = await instantiate(id)
  assert.equal(await instance.call('add', 2, 40), 42)
  await instance.drop()
})

test('an option of an option is tagged, as in jco, three deep too', async () => {
  // echo(v: option<option<option<u32>>>): the core function stores its flattened argument
  // as the result's memory layout (discriminants at 0, 4, 8; the u32 at 12).
  const id = await compile(`(component
    (core module $m
      (memory (export "mem") 1)
      (func (export "echo") (param i32 i32 i32 i32) (result i32)
        (i32.store8 (i32.const 0) (local.get 0))
        (i32.store8 (i32.const 4) (local.get 1))
        (i32.store8 (i32.const 8) (local.get 2))
        (i32.store (i32.const 12) (local.get 3))
        (i32.const 0)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (type $t (option (option (option u32))))
    (func (export "echo") (param "v" $t) (result $t)
      (canon lift (core func $i "echo") (memory $mem))))`)
  const instance = await instantiate(id)
  const values = [
    { tag: 'none' },
    { tag: 'some', val: { tag: 'none' } },
    { tag: 'some', val: { tag: 'some', val: undefined } },
    { tag: 'some', val: { tag: 'some', val: 7 } },
  ]
  for (const value of values) assert.deepEqual(await instance.call('echo', value), value)
  await assert.rejects(instance.call('echo', undefined), (error) => error.code === ErrorCode.TypeError && /arg 0: expected an object \{ tag, val \}/.test(error.message))
  await assert.rejects(instance.call('echo', { tag: 'some', val: { tag: 'some', val: { tag: 'x' } } }), (error) => error.code === ErrorCode.TypeError && /arg 0\.val\.val: expected an integer/.test(error.message))
  await instance.drop()
})

test('top-level and interface functions, by kebab-case or camelCase name', async () => {
  const instance = await typesInstance()
  assert.equal(await instance.call('greet', 'Ada'), 'Hello, Ada!')
  assert.equal(await instance.call('add', 2147483647, 1), -2147483648)
  assert.equal(await instance.call(`${API}#echo-string`, 'héllo 🌍'), 'héllo 🌍')
  assert.equal(await instance.call(`${API}#echoString`, ''), '')
  await instance.drop()
})

test('every WIT type round-trips with jco representations', async () => {
  const instance = await typesInstance()
  const echo = (name, value) => instance.call(`${API}#echo-${name}`, value)
  assert.equal(await echo('bool', true), true)
  assert.equal(await echo('s8', -128), -128)
  assert.equal(await echo('u8', 255), 255)
  assert.equal(await echo('s16', -32768), -32768)
  assert.equal(await echo('u16', 65535), 65535)
  assert.equal(await echo('s32', -5), -5)
  assert.equal(await echo('u32', 4294967295), 4294967295)
  assert.equal(await echo('s64', -(2n ** 63n)), -(2n ** 63n))
  assert.equal(await echo('u64', 2n ** 64n - 1n), 2n ** 64n - 1n)
  assert.equal(await echo('u64', 7), 7n) // a safe-integer Number is taken for a 64-bit integer
  assert.equal(await echo('f32', 1.5), 1.5)
  assert.ok(Number.isNaN(await echo('f64', NaN)))
  assert.equal(await echo('char', '🌍'), '🌍')
  assert.deepEqual(await echo('bytes', new Uint8Array([1, 2, 255])), new Uint8Array([1, 2, 255]))
  assert.deepEqual(await echo('bytes', [3, 4]), new Uint8Array([3, 4]))
  assert.deepEqual(await echo('nums', new Uint32Array([0, 4294967295])), new Uint32Array([0, 4294967295]))
  assert.deepEqual(await echo('strings', ['a', '', 'ç']), ['a', '', 'ç'])
  const point = { x: 1, y: -2, labelText: 'lbl' }
  assert.deepEqual(await echo('point', point), point)
  assert.deepEqual(await echo('shape', { tag: 'circle', val: 2.5 }), { tag: 'circle', val: 2.5 })
  assert.deepEqual(await echo('shape', { tag: 'rect', val: point }), { tag: 'rect', val: point })
  assert.deepEqual(await echo('shape', { tag: 'empty' }), { tag: 'empty' })
  assert.equal(await echo('color', 'blue-ish'), 'blue-ish')
  assert.deepEqual(await echo('perms', { read: true, execAll: true }), { read: true, write: false, execAll: true })
  assert.equal(await echo('option', 5), 5)
  assert.equal(await echo('option', undefined), undefined)
  assert.deepEqual(await echo('nested', { tag: 'some', val: 'x' }), { tag: 'some', val: 'x' })
  assert.deepEqual(await echo('nested', { tag: 'some', val: undefined }), { tag: 'some', val: undefined })
  assert.deepEqual(await echo('nested', { tag: 'none' }), { tag: 'none' })
  assert.deepEqual(await echo('tuple', [7, 'seven', false]), [7, 'seven', false])
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
  assert.deepEqual(await echo('bag', bag), bag)
  assert.equal(await instance.call(`${API}#describe`, point, 'blue-ish', 1.5), 'lbl@(1,-2) blue-ish x1.5')
  await instance.drop()
})

test('a function returning result: the ok value, or a rejection carrying the error payload', async () => {
  const instance = await typesInstance()
  assert.equal(await instance.call(`${API}#checked-div`, 7, 2), 3)
  await assert.rejects(instance.call(`${API}#checked-div`, 1, 0), (error) => {
    assert.ok(error instanceof WasmError)
    assert.equal(error.code, ErrorCode.CallError)
    assert.equal(error.payload, 'division by zero')
    assert.match(error.message, /division by zero/)
    return true
  })
  assert.equal(await instance.call(`${API}#try-unit`, false), undefined)
  await assert.rejects(instance.call(`${API}#try-unit`, true), (error) => error.payload === 'blue-ish')
  await instance.drop()
})

test('odd but valid values: -0, lone surrogates, typed-array views, large byte lists', async () => {
  const instance = await typesInstance()
  assert.equal(await instance.call(`${API}#echo-u8`, -0), 0)
  assert.equal(await instance.call(`${API}#echo-string`, '\ud800x'), '\ufffdx')
  assert.deepEqual(await instance.call(`${API}#echo-bytes`, new Uint8Array([1, 2, 3, 4]).subarray(1, 3)), new Uint8Array([2, 3]))
  const big = new Uint8Array(8_000_000).fill(7)
  assert.deepEqual(await instance.call(`${API}#echo-bytes`, big), big)
  await instance.drop()
})

test('an argument whose getter throws is a 5007 with the thrown value as its cause', async () => {
  const instance = await typesInstance()
  const boom = new Error('boom')
  await assert.rejects(instance.call(`${API}#echo-point`, { get x() { throw boom }, y: 1, labelText: '' }), (error) => error.code === ErrorCode.TypeError && error.cause === boom)
  await assert.rejects(instance.call(`${API}#echo-point`, new Proxy({}, { get() { throw boom } })), (error) => error.code === ErrorCode.TypeError)
  assert.equal(await instance.call('greet', 'after'), 'Hello, after!')
  await instance.drop()
})

test('wrong shapes are a 5007 naming the path inside the value', async () => {
  const instance = await typesInstance()
  const rejects = (name, args, pattern) =>
    assert.rejects(instance.call(`${API}#${name}`, ...args), (error) => {
      assert.equal(error.code, ErrorCode.TypeError, error.message)
      assert.match(error.message, pattern)
      return true
    })
  await rejects('echo-bag', [{ items: [{ x: 1, y: 2, labelText: 3 }] }], /arg 0\.items\[0\]\.labelText: expected string, got the number 3/)
  await rejects('echo-u8', [256], /arg 0: expected an integer from 0 to 255/)
  await rejects('echo-u8', [1.5], /arg 0: expected an integer/)
  await rejects('echo-s64', [2n ** 63n], /arg 0: expected a BigInt/)
  await rejects('echo-char', ['ab'], /one character/)
  await rejects('echo-color', ['purple'], /arg 0: expected one of "red", "green", "blue-ish", got "purple"/)
  await rejects('echo-shape', [{ tag: 'square' }], /arg 0\.tag: expected one of/)
  await rejects('echo-tuple', [[1, 'x']], /an array of 3 items/)
  await rejects('echo-bool', [1], /expected boolean/)
  await rejects('echo-bytes', [new Uint16Array(2)], /typed array of another kind/)
  await rejects('echo-string', [], /takes 1 argument/)
  await assert.rejects(instance.call('nope'), (error) => error.code === ErrorCode.ExportNotFound && /greet/.test(error.message))
  // The instance is still usable.
  assert.equal(await instance.call('greet', 'ok'), 'Hello, ok!')
  await instance.drop()
})

test('host imports: sync and async JS functions, results and thrown errors as WIT results', async () => {
  const log = []
  const instance = await typesInstance({}, log)
  assert.equal(await instance.call(`${API}#call-host`, 'k'), 'ok:value of k')
  assert.equal(await instance.call(`${API}#call-host`, 'missing'), 'err:no missing')
  assert.deepEqual(log, ['looking up k', 'looking up missing'])
  assert.equal(await instance.call(`${API}#host-add`, 40n), 42n)
  assert.equal(await instance.call(`${API}#host-ticks`, 100), 9900)
  await instance.drop()
})

test('a result-returning host function: a thrown payload is the error, a thrown Error fails the call', async () => {
  const id = await compileFile(TYPES)
  const host = hostFor()
  host['test:types/host'].fetchValue = async (key) => {
    if (key === 'plain') throw 'plain payload'
    throw new Error('broken')
  }
  const instance = await instantiate(id, { imports: host })
  assert.equal(await instance.call(`${API}#call-host`, 'plain'), 'err:plain payload')
  await assert.rejects(instance.call(`${API}#call-host`, 'x'), (error) => error.code === ErrorCode.CallError && error.cause?.message === 'broken')
  await instance.drop()
  // A host function cannot reach into the component that waits for it, nor call it again.
  const reentering = hostFor()
  reentering['test:types/host'].fetchValue = async function () {
    return String(await this.memory.size())
  }
  const other = await instantiate(id, { imports: reentering })
  await assert.rejects(other.call(`${API}#call-host`, 'k'), (error) => /cannot reach its caller's memory/.test(error.cause?.message))
  await other.drop()
})

test('a host function returning the wrong type fails the call with a 5007 naming it', async () => {
  const id = await compileFile(TYPES)
  const host = hostFor()
  host['test:types/host'].addOne = () => 'not a number'
  const instance = await instantiate(id, { imports: host })
  await assert.rejects(instance.call(`${API}#host-add`, 1n), (error) => {
    assert.match(error.message, /add-one/)
    assert.match(error.message, /expected a BigInt/)
    return true
  })
  await instance.drop()
})

test('missing imports fail instantiation naming them; unknownImports: "trap" instantiates', async () => {
  const id = await compileFile(TYPES)
  await assert.rejects(instantiate(id), (error) => error.code === ErrorCode.InstantiateError && /test:types\/host/.test(error.message))
  await assert.rejects(instantiate(id, { imports: { 'test:types/host': { nope() {} } } }), /does not import/)
  const instance = await instantiate(id, { unknownImports: 'trap' })
  assert.equal(await instance.call('greet', 'x'), 'Hello, x!')
  await assert.rejects(instance.call(`${API}#host-add`, 1n), (error) => error.code === ErrorCode.CallError)
  await instance.drop()
})

test('unknownImports: "trap" beside WASI: a command runs, and an unknown interface that takes a WASI resource links', async () => {
  const result = await run(COMMAND, { args: ['command', 'echo-args', 'x'], unknownImports: 'trap' })
  assert.deepEqual([result.exitCode, Buffer.from(result.stdout).toString()], [0, 'command\necho-args\nx\n'])
  // my:pkg/unknown uses wasi:io's input-stream (as wasi:http/types does): its stand-in is WASI's.
  const id = await compile(`(component
    (import "wasi:io/streams@0.2.0" (instance $s (export "input-stream" (type (sub resource)))))
    (alias export $s "input-stream" (type $is))
    (import "my:pkg/unknown" (instance $u
      (export "input-stream" (type (eq $is)))
      (export "peek" (func (result u32)))))
    (alias export $u "peek" (func $peek))
    (core func $peek-lowered (canon lower (func $peek)))
    (core module $m (import "u" "peek" (func (result i32)))
      (func (export "f") (result i32) i32.const 1)
      (func (export "g") (result i32) call 0))
    (core instance $i (instantiate $m (with "u" (instance (export "peek" (func $peek-lowered))))))
    (func (export "f") (result u32) (canon lift (core func $i "f")))
    (func (export "g") (result u32) (canon lift (core func $i "g"))))`)
  await assert.rejects(instantiate(id), (error) => error.code === ErrorCode.InstantiateError && /my:pkg\/unknown/.test(error.message) && /unknownImports/.test(error.message))
  await assert.rejects(instantiate(id, { unknownImports: 'default' }), (error) => error.code === ErrorCode.InstantiateError && /"trap"/.test(error.message))
  const instance = await instantiate(id, { unknownImports: 'trap' })
  assert.equal(await instance.call('f'), 1)
  await assert.rejects(instance.call('g'), (error) => error.code === ErrorCode.CallError && /my:pkg\/unknown#peek, an import nothing provides/.test(error.message))
  await instance.drop()
})

// A component importing a resource the host defines (my:pkg/store's kv), using its constructor,
// a method (borrow), a static function, and a function that takes and gives back ownership.
const HOST_RESOURCE = `(component
  (import "my:pkg/store" (instance $s
    (export "kv" (type $kv (sub resource)))
    (export "[constructor]kv" (func (param "seed" u32) (result (own $kv))))
    (export "[method]kv.get" (func (param "self" (borrow $kv)) (param "key" u32) (result u32)))
    (export "[static]kv.total" (func (result u32)))
    (export "echo" (func (param "k" (own $kv)) (result (own $kv))))))
  (alias export $s "kv" (type $kv))
  (alias export $s "[constructor]kv" (func $new))
  (alias export $s "[method]kv.get" (func $get))
  (alias export $s "[static]kv.total" (func $total))
  (alias export $s "echo" (func $echo))
  (core func $new-l (canon lower (func $new)))
  (core func $get-l (canon lower (func $get)))
  (core func $total-l (canon lower (func $total)))
  (core func $echo-l (canon lower (func $echo)))
  (core func $drop (canon resource.drop $kv))
  (core module $m
    (import "s" "new" (func $new (param i32) (result i32)))
    (import "s" "get" (func $get (param i32 i32) (result i32)))
    (import "s" "total" (func $total (result i32)))
    (import "s" "echo" (func $echo (param i32) (result i32)))
    (import "s" "drop" (func $drop (param i32)))
    (func (export "use") (param $seed i32) (param $key i32) (result i32)
      (local $h i32) (local $r i32)
      (local.set $h (call $echo (call $new (local.get $seed))))
      (local.set $r (call $get (local.get $h) (local.get $key)))
      (call $drop (local.get $h))
      (i32.add (local.get $r) (call $total))))
  (core instance $i (instantiate $m (with "s" (instance
    (export "new" (func $new-l)) (export "get" (func $get-l)) (export "total" (func $total-l))
    (export "echo" (func $echo-l)) (export "drop" (func $drop))))))
  (func (export "use") (param "seed" u32) (param "key" u32) (result u32) (canon lift (core func $i "use"))))`

test('a resource the component imports is a JS class: constructor, methods, statics, own and borrow', async () => {
  const id = await compile(HOST_RESOURCE)
  let made = 0
  class Kv {
    constructor(seed) {
      this.seed = seed
      made++
    }
    get(key) {
      return this.seed * 100 + key
    }
    static total() {
      return made
    }
  }
  const echoed = []
  const echo = (kv) => {
    echoed.push(kv instanceof Kv)
    return kv
  }
  const instance = await instantiate(id, { imports: { 'my:pkg/store': { Kv, echo } } })
  assert.equal(await instance.call('use', 3, 7), 307 + 1)
  assert.equal(await instance.call('use', 5, 1), 501 + 2)
  assert.deepEqual(echoed, [true, true])
  // Given by its WIT name too; without it, instantiation names the missing resource.
  const byName = await instantiate(id, { imports: { 'my:pkg/store': { kv: Kv, echo } } })
  assert.equal(await byName.call('use', 1, 1), 101 + 3)
  await assert.rejects(instantiate(id, { imports: { 'my:pkg/store': { echo } } }), (error) => error.code === ErrorCode.InstantiateError && /kv/.test(error.message))
  // A method that throws fails the call with the thrown value as its cause.
  const broken = new Error('broken')
  class Failing extends Kv {
    get() {
      throw broken
    }
  }
  const failing = await instantiate(id, { imports: { 'my:pkg/store': { Kv: Failing, echo } } })
  await assert.rejects(failing.call('use', 1, 1), (error) => error.code === ErrorCode.CallError && error.cause === broken)
  for (const i of [instance, byName, failing]) await i.drop()
})

test('a char is one Unicode scalar value: a lone surrogate or two characters are a 5007', async () => {
  const instance = await typesInstance()
  assert.equal(await instance.call(`${API}#echo-char`, '🌍'), '🌍')
  for (const bad of ['\ud800', '🌍x', 'ab', '']) {
    await assert.rejects(instance.call(`${API}#echo-char`, bad), (error) => error.code === ErrorCode.TypeError && /one character/.test(error.message))
  }
  await instance.drop()
})

test("run() gives a failed program's output with its error", async () => {
  await assert.rejects(run(COMMAND, { args: ['command', 'spin'], limits: { timeoutMs: 100 } }), (error) => {
    assert.equal(error.reason, 'timeout')
    assert.ok(error.stdout instanceof Uint8Array && error.stderr instanceof Uint8Array)
    return true
  })
})

test('resources: constructor, methods, statics, lists of resources, borrow and drop, other instances', async () => {
  const instance = await typesInstance()
  const counter = await instance.call(`${API}#[constructor]counter`, 5)
  assert.equal(counter.resource, 'counter')
  assert.equal(await counter.increment(3), 8)
  assert.equal(await counter.value(), 8)
  assert.equal(await instance.call(`${API}#sum-counter`, counter), 8)
  const other = await instance.call(`${API}#[constructor]counter`, 2)
  const merged = await instance.call(`${API}#[static]counter.merge`, counter, other)
  assert.equal(await merged.value(), 10)
  const many = await instance.call(`${API}#make-counters`, 3)
  assert.deepEqual(await Promise.all(many.map((c) => c.value())), [0, 1, 2])
  for (const c of [counter, other, merged, ...many]) await c.drop()
  await assert.rejects(counter.value(), (error) => error.code === ErrorCode.TypeError && /dropped/.test(error.message))
  // A resource of one instance is never taken for one of another's.
  const second = await typesInstance()
  const foreign = await instance.call(`${API}#[constructor]counter`, 9)
  await second.call(`${API}#[constructor]counter`, 1)
  await assert.rejects(second.call(`${API}#sum-counter`, foreign), (error) => error.code === ErrorCode.TypeError && /another instance/.test(error.message))
  assert.equal(await instance.call(`${API}#sum-counter`, foreign), 9)
  await second.drop()
  // Its instance dropped, a resource's methods fail with 5005; disposing it stays quiet.
  await instance.drop()
  await assert.rejects(foreign.value(), (error) => error.code === ErrorCode.InvalidInstanceHandle)
  await foreign[Symbol.asyncDispose]()
})

test('limits: a deadline and an abort stop a spinning call; fuel runs out; a trap is a 5002', async () => {
  // After a trap or a stop the component model forbids entering the instance again: each
  // case gets its own instance, and the next call says why it cannot run.
  const fresh = () => typesInstance({ limits: { fuel: 1_000_000_000 } })
  let instance = await fresh()
  await assert.rejects(instance.invoke(`${API}#spin`, [], { timeoutMs: 50 }), (error) => error.code === ErrorCode.FuelExhausted && error.reason === 'timeout')
  await assert.rejects(instance.call('greet', 'x'), (error) => error.code === ErrorCode.CallError && /instantiate it anew/.test(error.message))
  await instance.drop()
  instance = await fresh()
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 30)
  await assert.rejects(instance.invoke(`${API}#spin`, [], { signal: controller.signal }), { name: 'AbortError' })
  await instance.drop()
  instance = await fresh()
  await assert.rejects(instance.invoke(`${API}#spin`, [], { fuel: 10_000 }), (error) => error.code === ErrorCode.FuelExhausted && error.reason === 'fuel')
  await instance.drop()
  instance = await fresh()
  await assert.rejects(instance.call(`${API}#trap`), (error) => error.code === ErrorCode.CallError && /unreachable/.test(error.message))
  await instance.drop()
})

test('limits: a deadline stops a call whose host function never answers', async () => {
  const id = await compileFile(TYPES)
  const host = hostFor()
  host['test:types/host'].fetchValue = () => new Promise(() => {})
  const instance = await instantiate(id, { imports: host })
  const started = Date.now()
  await assert.rejects(instance.invoke(`${API}#call-host`, ['k'], { timeoutMs: 100 }), (error) => error.reason === 'timeout')
  assert.ok(Date.now() - started < 5000)
  await instance.drop()
})

test('limits: the memory budget bounds a component', async () => {
  const instance = await typesInstance({ limits: { maxMemoryBytes: 8 * 1024 * 1024 } })
  assert.equal(await instance.call(`${API}#allocate`, 1), 1)
  const big = await instance.call(`${API}#allocate`, 64).catch((error) => error)
  assert.ok(big === 0 || big instanceof WasmError, `allocating past the budget: ${big}`)
  await instance.drop()
})

test('getExports lists functions with WIT signatures and interfaces with theirs', async () => {
  const instance = await typesInstance()
  const exports = await instance.getExports()
  const greet = exports.find((e) => e.name === 'greet')
  assert.deepEqual(greet.params, [{ name: 'name', type: { kind: 'string' } }])
  const api = exports.find((e) => e.name === API)
  assert.equal(api.kind, 'interface')
  assert.equal(api.functions.find((f) => f.name === 'checked-div').wit, 'func(a: s32, b: s32) -> result<s32, string>')
  await instance.drop()
})

test('run() runs a wasi:cli/command component: args, env, preopens, stdin, stderr, exit status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-component-'))
  try {
    writeFileSync(join(dir, 'in.txt'), 'file contents\n')
    let result = await run(COMMAND, { args: ['command', 'echo-args', 'a b', 'c'] })
    assert.equal(result.exitCode, 0)
    assert.equal(Buffer.from(result.stdout).toString(), 'command\necho-args\na b\nc\n')
    result = await run(COMMAND, { args: ['command', 'env', 'GREETING'], env: { GREETING: 'hi' } })
    assert.equal(Buffer.from(result.stdout).toString().trim(), 'hi')
    result = await run(COMMAND, { args: ['command', 'cat', '/data/in.txt'], preopens: { '/data': dir } })
    assert.equal(Buffer.from(result.stdout).toString(), 'file contents\n')
    result = await run(COMMAND, { args: ['command', 'write', '/data/out.txt', 'written'], preopens: { '/data': dir } })
    assert.equal(result.exitCode, 0)
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'written')
    result = await run(COMMAND, { args: ['command', 'write', '/data/out2.txt', 'x'], preopens: { '/data': { path: dir, readonly: true } } })
    assert.equal(result.exitCode, 1)
    result = await run(COMMAND, { args: ['command', 'stdin'], stdin: 'shout' })
    assert.equal(Buffer.from(result.stdout).toString(), 'SHOUT')
    result = await run(COMMAND, { args: ['command', 'stderr', 'oops'] })
    assert.equal(Buffer.from(result.stderr).toString(), 'oops\n')
    // WASI 0.2's exit takes success or failure: any non-zero status is 1 (as in wasmtime).
    result = await run(COMMAND, { args: ['command', 'exit', '7'] })
    assert.equal(result.exitCode, 1)
    result = await run(COMMAND, { args: ['command', 'cat', '/etc/passwd'] })
    assert.equal(result.exitCode, 1)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a command component opening a FIFO in a preopen is refused at once (no thread waits for a writer)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-component-fifo-'))
  try {
    const made = spawnSync('mkfifo', [join(dir, 'fifo')])
    if (made.status !== 0) return t.skip('mkfifo is not available')
    const started = Date.now()
    const result = await run(COMMAND, { args: ['command', 'cat', '/data/fifo'], preopens: { '/data': dir }, limits: { timeoutMs: 5000 } })
    assert.equal(result.exitCode, 1)
    assert.match(Buffer.from(result.stderr).toString(), /device|address/i)
    assert.ok(Date.now() - started < 4000)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('run() stops a command component sleeping in the host or spinning at its deadline', async () => {
  for (const args of [['command', 'sleep', '60000'], ['command', 'spin']]) {
    const started = Date.now()
    await assert.rejects(run(COMMAND, { args, limits: { timeoutMs: 100 } }), (error) => error.reason === 'timeout')
    assert.ok(Date.now() - started < 10_000, args.join(' '))
  }
})

test('the cache serves a component compiled before', async () => {
  const bytes = readFileSync(TYPES)
  const first = await compile(bytes)
  const second = await compile(bytes)
  assert.equal(moduleKind(second), 'component')
  await dropModule(first)
  await dropModule(second)
})
