// The short, deterministic fuzz run of the test suite, through the built addon: generated valid
// modules (wasm-gen.mjs) and broken ones are compiled, instantiated with random limits, called
// with right and wrong arguments, poked in memory and dropped (sometimes with calls pending).
// Every failure must carry a code the operation may give, and nothing may be left behind.
//
//   node __test__/robustness/smoke-fuzz.mjs [--seed FIRST] [--cases N]
//
// Prints one JSON line: { cases, counts, findings }. A finding names its seed; re-run it with
// --seed SEED --cases 1.
import { createRequire } from 'node:module'

import { mutate, randomModule, rng } from './wasm-gen.mjs'
import { I32, I64 } from './wasm-builder.mjs'

const require = createRequire(import.meta.url)
const api = require('../../index.js')
const native = require('../../binding.js')

const option = (name, fallback) => {
  const at = process.argv.indexOf(name)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}
const first = option('--seed', 1)
const cases = option('--cases', 2000)

// Compile for real every time: the compiled-code cache would turn repeats into loads, and the
// run should not fill the user's cache directory.
api.configure?.({ cache: false })

const counts = {}
const findings = []
const bump = (key) => (counts[key] = (counts[key] ?? 0) + 1)
const baseline = native.liveHandles()

function codeOf(error) {
  if (error instanceof api.WasmError) return error.code
  return `${error?.name}: ${error?.message}`
}

function expectCode(seed, op, error, allowed) {
  const code = codeOf(error)
  bump(`${op}.err.${code}`)
  if (!allowed.includes(code)) findings.push(`seed ${seed}: ${op} failed with ${code}: ${String(error?.message).slice(0, 200)}`)
}

function argFor(type, r, valid) {
  if (valid) {
    if (type === I64) return r.pick([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, BigInt(r.next())])
    if (type === I32) return r.pick([0, -1, 0x7fffffff, -0x80000000, 0xffffffff, r.next()])
    return r.pick([0, -0, 1.5, NaN, Infinity, -Infinity, r.next() / 7])
  }
  return r.pick(['1', null, undefined, {}, 1.5, NaN, 2n ** 64n, 2 ** 53, true, Symbol('x'), { type: 'v128', value: 1n }])
}

// The value rules of DESIGN.md, written out again here.
function accepts(type, arg) {
  if (type === I32) return Number.isInteger(arg) && arg >= -(2 ** 31) && arg < 2 ** 32
  if (type === I64) {
    if (typeof arg === 'bigint') return arg >= -(2n ** 63n) && arg < 2n ** 64n
    return Number.isSafeInteger(arg)
  }
  return typeof arg === 'number'
}

function resultMatches(type, value) {
  return type === I64 ? typeof value === 'bigint' : typeof value === 'number'
}

async function runCase(seed) {
  const r = rng(seed * 7919)
  const generated = randomModule(seed)
  const broken = seed % 4 === 3
  const bytes = broken ? mutate(generated.bytes, seed) : generated.bytes
  bump(broken ? 'kind.mutated' : 'kind.generated')
  let moduleId
  try {
    moduleId = await api.compile(bytes)
    bump('compile.ok')
  } catch (error) {
    if (!broken) findings.push(`seed ${seed}: a valid module failed to compile: ${error.message}`)
    return expectCode(seed, 'compile', error, [5000])
  }
  const limits = {}
  if (r.chance(0.3)) limits.fuel = r.below(200_000)
  if (r.chance(0.2)) limits.timeoutMs = 5 + r.below(50)
  if (r.chance(0.5)) limits.maxMemoryBytes = r.below(4) * 65536
  let instance
  try {
    instance = await api.instantiate(moduleId, { limits })
    bump('instantiate.ok')
  } catch (error) {
    expectCode(seed, 'instantiate', error, [5001, 5011])
  }
  if (instance) {
    const functions = broken ? (await instance.getExports()).filter((e) => e.kind === 'function') : generated.functions
    const pending = []
    const dropEarly = seed % 9 === 0
    for (const fn of functions) {
      const params = broken ? fn.params.map((t) => ({ i32: I32, i64: I64 })[t] ?? 0x7c) : fn.params
      const valid = !r.chance(0.1)
      const args = params.map((type) => argFor(type, r, valid || !r.chance(0.5)))
      const allValid = args.every((arg, i) => accepts(params[i], arg))
      const call = instance.invoke(fn.name, args, { timeoutMs: 100 }).then(
        (results) => {
          bump('call.ok')
          const expected = broken ? null : fn.results
          if (expected && results.length !== expected.length && results.length !== 0) {
            findings.push(`seed ${seed}: ${fn.name} returned ${results.length} results, expected ${expected.length}`)
          }
          if (expected && results.length && !results.every((v, i) => resultMatches(expected[i], v))) {
            findings.push(`seed ${seed}: ${fn.name} returned values of the wrong kinds: ${results.map((v) => typeof v)}`)
          }
        },
        (error) => {
          const allowed = dropEarly ? [5002, 5005, 5007, 5011] : allValid ? [5002, 5011] : [5002, 5007, 5011]
          expectCode(seed, 'call', error, allowed)
        },
      )
      if (dropEarly) pending.push(call)
      else await call
    }
    if (dropEarly) {
      await instance.drop()
      await Promise.all(pending)
      bump('dropped-while-busy')
    } else {
      for (let i = r.below(4); i > 0; i--) {
        const offset = r.pick([0, 1, 65535, 65536, 2 ** 32, -1, 0.5, r.below(200_000)])
        const length = r.pick([0, 1, 16, 65536, 2 ** 31])
        const op = r.below(3)
        try {
          if (op === 0) await instance.memory.read(offset, length)
          else if (op === 1) await instance.memory.write(offset, new Uint8Array(Math.min(length, 4096)))
          else await instance.memory.grow(r.pick([0, 1, 2, 65536, -1]))
          bump(`memory.${op}.ok`)
        } catch (error) {
          expectCode(seed, 'memory', error, [5006])
        }
      }
      await instance.drop()
    }
  }
  await api.dropModule(moduleId)
  const handles = native.liveHandles()
  if (handles.modules !== baseline.modules || handles.instances !== baseline.instances) {
    findings.push(`seed ${seed}: handles left behind: ${JSON.stringify(handles)}`)
  }
}

const started = Date.now()
for (let seed = first; seed < first + cases; seed++) {
  try {
    await runCase(seed)
  } catch (error) {
    findings.push(`seed ${seed}: unexpected exception: ${error?.stack ?? error}`)
  }
}
console.log(JSON.stringify({ cases, first, ms: Date.now() - started, counts, findings }))
