// The two sides under test: runtime-wasm (this repository's package, or the one at
// RUNTIME_WASM_BENCH_PACKAGE, to compare two builds) and what it is compared with. Optional API
// is detected here, never assumed.

import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'

const require = createRequire(import.meta.url)

export const packageRoot = resolve(process.env.RUNTIME_WASM_BENCH_PACKAGE ?? fileURLToPath(new URL('../..', import.meta.url)))

export const ours = require(packageRoot)

// `instance.callSync(name, ...args)`, when this version has it.
export function hasCallSync(instance) {
  return typeof instance?.callSync === 'function'
}

// `configure({ cacheDir, cache })`, when this version has it.
export function hasConfigure() {
  return typeof ours.configure === 'function'
}
