// Host functions and output callbacks that misbehave, run in a child process by
// host.test.mjs: results that cannot be read (a Proxy whose traps throw, a thenable whose
// `then` getter throws, a symbol, a huge BigInt, a promise that rejects with a Proxy), and
// stdout callbacks that throw. The wasm call fails with a WasmError and the process lives on.
// Prints one JSON line per case: { name, outcome, expected }, then { done: true }.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const api = require('../../index.js')

const boom = () => {
  throw new Error('trap boom')
}
const throwingProxy = () => new Proxy([1, 2], { get: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom })

const WAT = `(module
  (import "env" "two" (func $two (result i32 i32)))
  (import "env" "one" (func $one (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\\n")
  (func (export "two") (result i32 i32) (call $two))
  (func (export "one") (result i32) (call $one))
  (func (export "print") (result i32)
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))`

const cases = [
  { name: 'two results: a Proxy whose traps throw', two: throwingProxy, call: 'two', expected: 'code 5002' },
  { name: 'one result: a Proxy whose traps throw', one: throwingProxy, call: 'one', expected: 'code 5002' },
  { name: 'a thenable whose then getter throws', one: () => ({ get then() { throw new Error('then boom') } }), call: 'one', expected: 'code 5002' },
  { name: 'a promise of a Proxy whose traps throw', one: async () => throwingProxy(), call: 'one', expected: 'code 5002' },
  { name: 'a promise rejected with a Proxy', one: () => Promise.reject(throwingProxy()), call: 'one', expected: 'code 5002' },
  { name: 'a symbol', one: () => Symbol('x'), call: 'one', expected: 'code 5007' },
  { name: 'a BigInt of 100 bits', one: () => 2n ** 100n, call: 'one', expected: 'code 5007' },
  { name: 'three results for two', two: () => [1, 2, 3], call: 'two', expected: 'code 5007' },
  { name: 'an array of length 2^32-1 for two results', two: () => new Array(2 ** 32 - 1), call: 'two', expected: 'code 5007' },
  { name: 'throws a Proxy', one: () => { throw throwingProxy() }, call: 'one', expected: 'code 5002' },
  { name: 'a stdout callback that throws', stdout: boom, call: 'print', expected: 'ok' },
]

process.on('warning', () => {}) // the stdout callback's failure is reported as a warning
for (const c of cases) {
  const moduleId = await api.compile(WAT)
  const options = { imports: { env: { two: c.two ?? (() => [1, 2]), one: c.one ?? (() => 1) } } }
  if (c.stdout) options.stdout = c.stdout
  const instance = await api.instantiate(moduleId, options)
  let outcome
  try {
    await instance.call(c.call)
    outcome = 'ok'
  } catch (error) {
    outcome = error instanceof api.WasmError ? `code ${error.code}` : `${error?.name}: ${error?.message}`
  }
  // The instance still works.
  const [one] = await api.instantiate(moduleId, { imports: { env: { two: () => [1, 2], one: () => 9 } } }).then((i) => i.call('one'))
  console.log(JSON.stringify({ name: c.name, outcome, expected: c.expected, afterwards: one }))
  await instance.drop()
  await api.dropModule(moduleId)
}
await new Promise((resolve) => setTimeout(resolve, 50))
console.log(JSON.stringify({ done: true }))
