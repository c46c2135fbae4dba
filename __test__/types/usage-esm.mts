// The ES module side of usage.ts: "runtime-wasm" resolved through the "import" condition, with
// named, namespace and default imports and top-level await.
import runtime, { compile, instantiate, types, WasmError, ErrorCode } from 'runtime-wasm'
import * as namespace from 'runtime-wasm'
import type { Instance, WasmValue } from 'runtime-wasm'

const moduleId = await compile('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')
const instance: Instance = await instantiate(moduleId)
const [sum] = await instance.call<[number]>('add', 1, types.i32(2))
const same: typeof compile = runtime.compile
const alsoSame: typeof compile = namespace.compile
const results: WasmValue[] = await namespace.call(instance.id, 'add', [1, 2])
try {
  await instance.call('add', 1)
} catch (error) {
  if (error instanceof WasmError && error.code === ErrorCode.TypeError) console.log(error.message)
}
// @ts-expect-error the default export has no such function
runtime.compileUrl('https://example.com/x.wasm')
await instance.drop()
export { sum, same, alsoSame, results }
