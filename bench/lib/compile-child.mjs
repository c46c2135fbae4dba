// Child process of the compile benchmark: compiles one module file in a fresh process and
// prints what it measured as JSON on stdout.
//
//   node compile-child.mjs ours|v8 FILE [CACHE_DIR]
//
// CACHE_DIR is handed to ours through configure({ cacheDir }) when that exists (the parent also
// sets RUNTIME_WASM_CACHE_DIR). `compileMs` is the first compile of the bytes in this process
// (a cold compile, or a load from ours' disk cache when CACHE_DIR holds an entry for them);
// `repeatMs` compiles the same bytes again in the same process. Reading the file and loading the runtime are not counted; they
// are reported as `loadMs`.

import { readFileSync } from 'node:fs'

const [engine, file, cacheDir] = process.argv.slice(2)
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6

const loadStart = process.hrtime.bigint()
const bytes = readFileSync(file)
let compile
if (engine === 'ours') {
  const { ours } = await import('./runtime.mjs')
  if (cacheDir && typeof ours.configure === 'function') ours.configure({ cacheDir })
  compile = async () => {
    const moduleId = await ours.compile(bytes)
    return () => ours.dropModule(moduleId)
  }
} else if (engine === 'v8') {
  compile = async () => {
    await WebAssembly.compile(bytes)
    return () => {}
  }
} else {
  throw new Error(`unknown engine ${engine}`)
}
const loadMs = ms(loadStart)

let start = process.hrtime.bigint()
const release = await compile()
const compileMs = ms(start)
start = process.hrtime.bigint()
await compile()
const repeatMs = ms(start)
await release()
process.stdout.write(`${JSON.stringify({ loadMs, compileMs, repeatMs })}\n`)
