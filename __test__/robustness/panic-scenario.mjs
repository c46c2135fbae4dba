// Makes the addon panic on purpose (the test hook panicProbe, armed by starting this process
// with RUNTIME_WASM_PANIC_PROBE=1) on each path from JS into Rust: the body of an entry point,
// a future's first slice on the JS thread, a future on the pool, after a yield, and blocking
// work. Each must reject (or throw) a WasmError 5002 "internal error", and the process must go
// on working. Runs on whatever build is installed, release included. argv[2], if given, names
// another build of the addon to load instead. Prints one JSON line per path, then a summary.
import Module, { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const bindingPath = fileURLToPath(new URL('../../binding.js', import.meta.url))

let native
if (process.argv[2]) {
  // index.js reaches the addon through binding.js: hand it the other build instead.
  const loaded = { exports: {} }
  process.dlopen(loaded, process.argv[2])
  native = loaded.exports
  const cached = new Module(bindingPath)
  cached.filename = bindingPath
  cached.exports = native
  cached.loaded = true
  Module._cache[bindingPath] = cached
} else {
  native = require(bindingPath)
}
const api = require('../../index.js')

if (typeof native.panicProbe !== 'function') {
  console.log(JSON.stringify({ summary: true, ok: false, problem: 'the addon has no panicProbe' }))
  process.exit(0)
}

const compile = native.compile
let allOk = true
for (const at of ['sync', 'first-slice', 'pool', 'after-yield', 'blocking']) {
  // Route a public function to the panicking entry point, so the error takes the public path.
  native.compile = () => native.panicProbe(at)
  let outcome
  try {
    await api.compile('(module)')
    outcome = { resolved: true }
  } catch (error) {
    outcome = {
      wasmError: error instanceof api.WasmError,
      code: error?.code,
      message: String(error?.message).slice(0, 200),
    }
  } finally {
    native.compile = compile
  }
  const ok = outcome.wasmError === true && outcome.code === 5002 && /internal error/.test(outcome.message) && /deliberate panic/.test(outcome.message)
  allOk &&= ok
  console.log(JSON.stringify({ at, ok, ...outcome }))
}

// The process, the runtime and the registry still work.
const moduleId = await api.compile('(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))')
const instance = await api.instantiate(moduleId)
const [sum] = await instance.call('add', 2, 40)
await instance.drop()
await api.dropModule(moduleId)
console.log(JSON.stringify({ summary: true, ok: allOk && sum === 42, sum, handles: native.liveHandles() }))
