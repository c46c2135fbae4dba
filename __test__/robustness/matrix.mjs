// The bad-input matrix: every exported function and method of the package, every argument
// position, every wrong kind of value (bad-values.mjs). Run it as a child process (a crash is
// then seen as a crash, not as a failed test):
//
//   node __test__/robustness/matrix.mjs            JSON lines: one per cell, then a summary
//   node __test__/robustness/matrix.mjs --markdown the outcome table, for the README
//
// Each cell records what happened (`code 5005`, `TypeError`, `ok`, `throws code 5007`, ...) and
// what the documented contract expects; after each cell the handle counts, the instance's
// memory and a plain call are checked, so a failed operation that left something behind (a
// handle, a partial write) is caught too.
import { createRequire } from 'node:module'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { BAD_VALUES, GetterError, throwingGetters } from './bad-values.mjs'

const require = createRequire(import.meta.url)
const api = require('../../index.js')
const native = require('../../binding.js')
const { WasmError, AbortError, Instance, types, memory } = api

const HANG_MS = 5000

const WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 4)
  (data (i32.const 16) "hi\\n")
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "print") (result i32)
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))`

// --- outcomes ---

function classify(error) {
  if (error instanceof WasmError) return `code ${error.code}`
  if (error instanceof AbortError) return 'AbortError'
  if (error instanceof GetterError) return 'GetterError (propagated)'
  if (error?.constructor === TypeError) return 'TypeError'
  if (error?.constructor === RangeError) return 'RangeError'
  return `other: ${error?.name ?? typeof error}: ${String(error?.message ?? error).slice(0, 80)}`
}

async function outcomeOf(action, { sync = false } = {}) {
  let pending
  try {
    pending = action()
  } catch (error) {
    return `throws ${classify(error)}`
  }
  if (sync) return 'ok'
  if (!pending || typeof pending.then !== 'function') return 'returned a non-promise'
  let timer
  const hang = new Promise((resolve) => {
    timer = setTimeout(() => resolve('HANG'), HANG_MS)
  })
  try {
    return await Promise.race([
      pending.then(
        () => 'ok',
        (error) => classify(error),
      ),
      hang,
    ])
  } finally {
    clearTimeout(timer)
  }
}

// --- fixtures, made once; each cell checks that it still works afterwards ---

const moduleId = await api.compile(WAT)
const base = await api.instantiate(moduleId, { stdout: 'pipe', stderr: 'pipe' })
const metered = await api.instantiate(moduleId, { limits: { fuel: 1_000_000 } })
const MEMORY_MARK = Uint8Array.from([7, 7, 7, 7])
await base.memory.write(100, MEMORY_MARK)
const tmp = mkdtempSync(join(tmpdir(), 'rw-matrix-'))
const watFile = join(tmp, 'add.wat')
writeFileSync(watFile, WAT)

async function invariants() {
  const problems = []
  const handles = native.liveHandles()
  if (handles.modules !== baseline.modules) problems.push(`modules ${baseline.modules} -> ${handles.modules}`)
  if (handles.instances !== baseline.instances) problems.push(`instances ${baseline.instances} -> ${handles.instances}`)
  const mark = await base.memory.read(100, 4)
  if (!mark.every((b, i) => b === MEMORY_MARK[i])) problems.push(`memory changed: ${[...mark]}`)
  if ((await base.memory.size()) !== 1) problems.push('memory grew')
  const [sum] = await base.call('add', 2, 3)
  if (sum !== 5) problems.push(`add(2, 3) = ${sum}`)
  if ((await metered.fuel()) === null) problems.push('fuel lost')
  return problems
}

const baseline = native.liveHandles()

// --- expectations: the documented contract, by value kind ---

const isBinary = (v) => v.kind === 'binary'
/** Objects whose own properties cannot be read: they fail with the position's code. */
const THROWING = ['Proxy (throwing traps)', 'object with throwing getters']
const throwing = (v) => THROWING.includes(v.label)
/** Binary data with elements (its indices are properties). */
const withElements = (v) => ['Float64Array [1.5]', 'Int8Array [-1]'].includes(v.label)
/** Any object the caller's getters do not break. */
const readable = (v) => (v.kind === 'object' || v.kind === 'binary') && !throwing(v)
const OPTIONS_NULLISH_OK = (v) => (v.kind === 'missing' || v.kind === 'nullish' ? 'ok' : null)

/** An instance id position: anything but a live id is 5005. */
const instanceId = () => 'code 5005'
/** A module id position: 5004. */
const moduleIdExpect = () => 'code 5004'
/** A string-only position (export name, path): a standard TypeError for other kinds. */
const stringOnly = (forString) => (v) => (v.kind === 'string' ? forString(v) : 'TypeError')
/** An offset, length or page count: 5006 for anything but a non-negative integer. */
const index = (v) => (v.label === '-0' ? 'ok' : 'code 5006')
/** A count (fuel): 5007 for anything but a non-negative integer Number or BigInt. */
const count = (code) => (v) => {
  if (['-0', '1n', 'Infinity'].includes(v.label)) return 'ok'
  return `code ${code}`
}
/** A timeout in ms: any non-negative Number (Infinity = none). */
const milliseconds = (code) => (v) => {
  if (['-0', '1.5', '2**53', '1e308', 'Infinity'].includes(v.label)) return 'ok'
  return `code ${code}`
}
const wasiOption = (v) => (v.kind === 'missing' || v.label === 'undefined' ? 'ok' : 'code 5010')

// Each target: where the value goes, what is expected for each kind of value.
const targets = []
function target(name, run, expect, options = {}) {
  targets.push({ name, run, expect, ...options })
}

target('compile(source)', (v) => (v.kind === 'missing' ? api.compile() : api.compile(v.make())), (v) =>
  v.kind === 'string' || isBinary(v) ? 'code 5000' : 'TypeError',
)
target('compileFile(path)', (v) => (v.kind === 'missing' ? api.compileFile() : api.compileFile(v.make())), stringOnly(() => 'code 5008'))
target('dropModule(moduleId)', (v) => (v.kind === 'missing' ? api.dropModule() : api.dropModule(v.make())), moduleIdExpect)
target(
  'instantiate(moduleId)',
  (v) => (v.kind === 'missing' ? api.instantiate() : api.instantiate(v.make())),
  moduleIdExpect,
)
target(
  'instantiate(id, options)',
  (v) => (v.kind === 'missing' ? api.instantiate(moduleId) : api.instantiate(moduleId, v.make())),
  (v) => OPTIONS_NULLISH_OK(v) ?? (readable(v) ? 'ok' : 'code 5010'),
  { cleanup: dropResult },
)
for (const field of ['preopens', 'env', 'args', 'inheritStdin', 'inheritStdout', 'inheritStderr', 'stdin', 'stdout', 'stderr', 'outputLimitBytes']) {
  const accepts = {
    preopens: (v) => (['{}', 'new Date()'].includes(v.label) || (isBinary(v) && !withElements(v)) ? 'ok' : null),
    env: (v) => (['{}', 'new Date()'].includes(v.label) || (isBinary(v) && !withElements(v)) ? 'ok' : null),
    args: (v) => (v.label === '[]' ? 'ok' : null),
    inheritStdin: (v) => (v.label === 'true' ? 'ok' : null),
    inheritStdout: (v) => (v.label === 'true' ? 'ok' : null),
    inheritStderr: (v) => (v.label === 'true' ? 'ok' : null),
    stdin: (v) => (v.kind === 'string' || isBinary(v) ? 'ok' : null),
    stdout: (v) => (v.kind === 'function' ? 'ok' : null),
    stderr: (v) => (v.kind === 'function' ? 'ok' : null),
    outputLimitBytes: (v) => (v.kind === 'missing' || v.label === 'undefined' ? 'ok' : count(5010)(v)),
  }[field] ?? (() => null)
  target(
    `instantiate(id, { ${field} })`,
    (v) => api.instantiate(moduleId, v.kind === 'missing' ? {} : { [field]: v.make() }),
    (v) => accepts(v) ?? wasiOption(v),
    { cleanup: dropResult },
  )
}
// Strings as the keys of env and preopens (other values are used as values there).
target(
  'instantiate(id, { env: { [key]: "x" } })',
  (v) => api.instantiate(moduleId, { env: { [v.kind === 'string' ? v.make() : 'K']: 'x' } }),
  (v) => (v.label === '""' || v.label.includes('NUL') ? 'code 5010' : 'ok'),
  { cleanup: dropResult },
)
target(
  'instantiate(id, { preopens: { [guest]: tmpdir } })',
  (v) => api.instantiate(moduleId, { preopens: { [v.kind === 'string' ? v.make() : '/data']: tmp } }),
  (v) => (v.label.includes('NUL') ? 'code 5010' : 'ok'),
  { cleanup: dropResult },
)
target(
  'instantiate(id, { limits })',
  (v) => api.instantiate(moduleId, v.kind === 'missing' ? {} : { limits: v.make() }),
  (v) => (v.kind === 'missing' || v.kind === 'nullish' || readable(v) ? 'ok' : 'code 5001'),
  { cleanup: dropResult },
)
for (const field of ['fuel', 'maxMemoryBytes', 'maxTableElements', 'timeoutMs']) {
  target(
    `instantiate(id, { limits: { ${field} } })`,
    (v) => api.instantiate(moduleId, { limits: v.kind === 'missing' ? {} : { [field]: v.make() } }),
    (v) => {
      if (v.kind === 'missing' || v.label === 'undefined') return 'ok'
      if (field === 'timeoutMs') return milliseconds(5001)(v)
      if (field === 'maxMemoryBytes' && ['-0', '1n'].includes(v.label)) return 'code 5001' // below the declared 1 page
      return count(5001)(v)
    },
    { cleanup: dropResult },
  )
}
target(
  'instantiate(id, { imports })',
  (v) => api.instantiate(moduleId, v.kind === 'missing' ? {} : { imports: v.make() }),
  (v) => (v.kind === 'missing' || v.kind === 'nullish' || (readable(v) && !withElements(v) && v.label !== '[1, "x"]') ? 'ok' : 'code 5001'),
  { cleanup: dropResult },
)
target(
  'instantiate(id, { imports: { env } })',
  (v) => api.instantiate(moduleId, { imports: v.kind === 'missing' ? {} : { env: v.make() } }),
  (v) => (v.kind === 'missing' || (readable(v) && !withElements(v) && v.label !== '[1, "x"]') ? 'ok' : 'code 5001'),
  { cleanup: dropResult },
)
target(
  'instantiate(id, { imports: { env: { f } } })',
  (v) => api.instantiate(moduleId, { imports: { env: v.kind === 'missing' ? {} : { f: v.make() } } }),
  (v) => (v.kind === 'missing' || v.kind === 'function' ? 'ok' : 'code 5001'),
  { cleanup: dropResult },
)

// Calls.
target('call(instanceId)', (v) => (v.kind === 'missing' ? api.call() : api.call(v.make(), 'add', [1, 2])), instanceId)
target(
  'call(id, name)',
  (v) => (v.kind === 'missing' ? api.call(base.id) : api.call(base.id, v.make(), [1, 2])),
  stringOnly(() => 'code 5003'),
)
target(
  'call(id, "add", args)',
  (v) => (v.kind === 'missing' ? api.call(base.id, 'add') : api.call(base.id, 'add', v.make())),
  (v) => {
    if (v.kind === 'missing' || v.label === 'undefined') return 'code 5007' // [] for (i32, i32)
    return v.label === '[]' || v.label === '[1, "x"]' ? 'code 5007' : 'TypeError'
  },
)
target(
  'call(id, "add", [1, arg])',
  (v) => api.call(base.id, 'add', v.kind === 'missing' ? [1] : [1, v.make()]),
  (v) => (['-0', '-1'].includes(v.label) ? 'ok' : 'code 5007'),
)
target(
  'call(id, "add", [1, 2], options)',
  (v) => (v.kind === 'missing' ? api.call(base.id, 'add', [1, 2]) : api.call(base.id, 'add', [1, 2], v.make())),
  (v) => {
    if (v.kind === 'missing' || v.kind === 'nullish') return 'ok'
    if (throwing(v)) return 'code 5007'
    return readable(v) ? 'ok' : 'TypeError'
  },
)
for (const field of ['fuel', 'timeoutMs', 'signal']) {
  target(
    `call(id, "add", [1, 2], { ${field} })`,
    (v) => api.call(field === 'fuel' ? metered.id : base.id, 'add', [1, 2], v.kind === 'missing' ? {} : { [field]: v.make() }),
    (v) => {
      if (v.kind === 'missing' || v.kind === 'nullish') return 'ok'
      if (field === 'signal') return 'TypeError'
      if (v.label === '-0' || (field === 'fuel' && v.label === '1n')) return 'code 5011' // no fuel or no time: stopped
      return field === 'fuel' ? count(5007)(v) : milliseconds(5007)(v)
    },
  )
}
for (const [name, fn, expect] of [
  ['getExports', api.getExports, instanceId],
  ['dropInstance', api.dropInstance, instanceId],
  ['fuel', api.fuel, instanceId],
  ['readStdout', api.readStdout, instanceId],
  ['readStderr', api.readStderr, instanceId],
  ['memory.size', memory.size, instanceId],
]) {
  target(`${name}(instanceId)`, (v) => (v.kind === 'missing' ? fn() : fn(v.make())), expect)
}
target('setFuel(instanceId, 1)', (v) => (v.kind === 'missing' ? api.setFuel() : api.setFuel(v.make(), 1)), instanceId)
target(
  'setFuel(id, amount)',
  (v) => (v.kind === 'missing' ? api.setFuel(metered.id) : api.setFuel(metered.id, v.make())),
  count(5007),
  { cleanup: () => api.setFuel(metered.id, 1_000_000) },
)
target('memory.read(instanceId, 0, 1)', (v) => memory.read(v.kind === 'missing' ? undefined : v.make(), 0, 1), instanceId)
target('memory.read(id, offset, 1)', (v) => memory.read(base.id, v.kind === 'missing' ? undefined : v.make(), 1), index)
target('memory.read(id, 0, length)', (v) => memory.read(base.id, 0, v.kind === 'missing' ? undefined : v.make()), index)
target('memory.write(instanceId, 0, [1])', (v) => memory.write(v.kind === 'missing' ? undefined : v.make(), 100, [1]), instanceId)
target('memory.write(id, offset, [1])', (v) => memory.write(base.id, v.kind === 'missing' ? undefined : v.make(), [1]), (v) =>
  v.label === '-0' ? 'ok' : 'code 5006',
  { cleanup: restoreMemory },
)
target(
  'memory.write(id, 100, data)',
  (v) => memory.write(base.id, 100, v.kind === 'missing' ? undefined : v.make()),
  (v) => {
    if (isBinary(v)) return 'ok' // binary data of any kind is written as its bytes
    if (v.label === '[]') return 'ok'
    if (v.label === '[1, "x"]') return 'code 5006'
    return 'TypeError'
  },
  { cleanup: restoreMemory },
)
target('memory.grow(instanceId, 0)', (v) => memory.grow(v.kind === 'missing' ? undefined : v.make(), 0), instanceId)
target('memory.grow(id, pages)', (v) => memory.grow(base.id, v.kind === 'missing' ? undefined : v.make()), index)

// callSync: the same checks as call, thrown synchronously.
if (typeof api.callSync === 'function') {
  target('callSync(instanceId)', (v) => api.callSync(v.kind === 'missing' ? undefined : v.make(), 'add', [1, 2]), () => 'throws code 5005', { sync: true })
  target('callSync(id, name)', (v) => api.callSync(base.id, v.kind === 'missing' ? undefined : v.make(), [1, 2]), (v) =>
    v.kind === 'string' ? 'throws code 5003' : 'throws TypeError',
    { sync: true },
  )
  target('callSync(id, "add", args)', (v) => (v.kind === 'missing' ? api.callSync(base.id, 'add') : api.callSync(base.id, 'add', v.make())), (v) => {
    if (v.kind === 'missing' || v.label === 'undefined' || v.label === '[]' || v.label === '[1, "x"]') return 'throws code 5007'
    return 'throws TypeError'
  }, { sync: true })
  target('callSync(id, "add", [1, arg])', (v) => api.callSync(base.id, 'add', v.kind === 'missing' ? [1] : [1, v.make()]), (v) =>
    ['-0', '-1'].includes(v.label) ? 'ok' : 'throws code 5007',
    { sync: true },
  )
}

// compileFile's options ({ onProgress }).
target('compileFile(path, options)', (v) => (v.kind === 'missing' ? api.compileFile(watFile) : api.compileFile(watFile, v.make())), (v) => {
  if (v.kind === 'missing' || v.kind === 'nullish') return 'ok'
  if (v.label === 'Proxy (throwing traps)') return 'GetterError (propagated)' // lib/progress.js reads onProgress as it is
  return readable(v) || throwing(v) ? 'ok' : 'TypeError'
}, { cleanup: (id) => id && api.dropModule(id) })

// types.* throw synchronously.
for (const type of ['i32', 'i64', 'f32', 'f64']) {
  target(
    `types.${type}(value)`,
    (v) => (v.kind === 'missing' ? types[type]() : types[type](v.make())),
    (v) => {
      if (type === 'i64' && ['-0', '-1', '1n', '-1n'].includes(v.label)) return 'ok'
      if (type === 'i32' && ['-0', '-1'].includes(v.label)) return 'ok'
      if ((type === 'f32' || type === 'f64') && v.kind === 'number') return 'ok'
      return 'throws code 5007'
    },
    { sync: true },
  )
}

// run().
target('run(pathOrModuleId)', (v) => (v.kind === 'missing' ? api.run() : api.run(v.make())), stringOnly((v) =>
  v.label.startsWith('"module:') ? 'code 5004' : 'code 5008',
))
target(
  'run(moduleId, options)',
  (v) => (v.kind === 'missing' ? api.run(moduleId) : api.run(moduleId, v.make())),
  (v) => {
    // The module has no _start: with good options the run ends in 5003.
    if (v.kind === 'missing' || v.kind === 'nullish') return 'code 5003'
    return readable(v) ? 'code 5003' : 'code 5010'
  },
)

// Instance methods, on a live instance.
target('instance.call(name)', (v) => (v.kind === 'missing' ? base.call() : base.call(v.make(), 1, 2)), stringOnly(() => 'code 5003'))
target('instance.call("add", 1, arg)', (v) => (v.kind === 'missing' ? base.call('add', 1) : base.call('add', 1, v.make())), (v) =>
  ['-0', '-1'].includes(v.label) ? 'ok' : 'code 5007',
)
target(
  'instance.invoke("add", args)',
  (v) => (v.kind === 'missing' ? base.invoke('add') : base.invoke('add', v.make())),
  (v) => (v.kind === 'missing' || v.label === 'undefined' || v.label === '[]' || v.label === '[1, "x"]' ? 'code 5007' : 'TypeError'),
)
target(
  'instance.invoke("add", [1, 2], options)',
  (v) => (v.kind === 'missing' ? base.invoke('add', [1, 2]) : base.invoke('add', [1, 2], v.make())),
  (v) => {
    if (v.kind === 'missing' || v.kind === 'nullish') return 'ok'
    if (throwing(v)) return 'code 5007'
    return readable(v) ? 'ok' : 'TypeError'
  },
)
target('instance.setFuel(amount)', (v) => (v.kind === 'missing' ? metered.setFuel() : metered.setFuel(v.make())), count(5007), {
  cleanup: () => metered.setFuel(1_000_000),
})
target('instance.memory.read(offset, 1)', (v) => base.memory.read(v.kind === 'missing' ? undefined : v.make(), 1), index)
target('instance.memory.write(100, data)', (v) => base.memory.write(100, v.kind === 'missing' ? undefined : v.make()), (v) => {
  if (isBinary(v) || v.label === '[]') return 'ok'
  if (v.label === '[1, "x"]') return 'code 5006'
  return 'TypeError'
}, { cleanup: restoreMemory })
target('instance.memory.grow(pages)', (v) => base.memory.grow(v.kind === 'missing' ? undefined : v.make()), index)
target('new Instance(id).call("add", 1, 2)', (v) => new Instance(v.kind === 'missing' ? undefined : v.make()).call('add', 1, 2), instanceId)

// Error classes: constructing with odd arguments never crashes.
target(
  'new WasmError(code, message)',
  (v) => new WasmError(v.kind === 'missing' ? undefined : v.make(), 'message'),
  () => 'ok',
  { sync: true },
)
target(
  'new WasmError(5002, message)',
  (v) => new WasmError(5002, v.kind === 'missing' ? undefined : v.make()),
  (v) => (v.kind === 'symbol' ? 'throws TypeError' : v.label === 'Proxy (throwing traps)' ? 'throws GetterError (propagated)' : 'ok'),
  { sync: true },
)
target(
  'new AbortError(message)',
  (v) => new AbortError(v.kind === 'missing' ? undefined : v.make()),
  (v) => (v.kind === 'symbol' ? 'throws TypeError' : v.label === 'Proxy (throwing traps)' ? 'throws GetterError (propagated)' : 'ok'),
  { sync: true },
)

async function dropResult(result) {
  if (result instanceof Instance) await result.drop()
}

async function restoreMemory() {
  await base.memory.write(100, MEMORY_MARK)
}

// --- run ---

const markdown = process.argv.includes('--markdown')
const rows = []
let mismatches = 0
for (const t of targets) {
  for (const v of BAD_VALUES) {
    let result
    const expected = t.expect(v)
    const outcome = await outcomeOf(
      () => {
        const pending = t.run(v)
        if (t.sync || !pending?.then) return pending
        return pending.then(async (value) => {
          result = value
          if (t.cleanup) await t.cleanup(value)
          return value
        }, async (error) => {
          if (t.cleanup) await t.cleanup()
          throw error
        })
      },
      { sync: t.sync },
    )
    if (result instanceof Instance && !t.cleanup) await result.drop()
    const problems = await invariants()
    const ok = outcome === expected && problems.length === 0
    if (!ok) mismatches++
    const row = { target: t.name, value: v.label, outcome, expected, problems, ok }
    rows.push(row)
    if (!markdown) console.log(JSON.stringify(row))
  }
}

if (markdown) {
  printMarkdown(rows)
} else {
  console.log(JSON.stringify({ summary: true, cells: rows.length, targets: targets.length, values: BAD_VALUES.length, mismatches }))
}

function printMarkdown(rows) {
  const byTarget = new Map()
  for (const row of rows) {
    if (!byTarget.has(row.target)) byTarget.set(row.target, new Map())
    const outcomes = byTarget.get(row.target)
    const key = row.outcome + (row.ok ? '' : ` (expected ${row.expected})`)
    if (!outcomes.has(key)) outcomes.set(key, [])
    outcomes.get(key).push(row.value)
  }
  console.log('| Call | Outcome | For these values |')
  console.log('| --- | --- | --- |')
  for (const [name, outcomes] of byTarget) {
    for (const [outcome, values] of outcomes) {
      console.log(`| \`${name}\` | ${outcome} | ${values.map((v) => `\`${v}\``).join(', ')} |`)
    }
  }
  console.log(`\n${rows.length} cells, ${mismatches} not as documented.`)
}

await base.drop()
await metered.drop()
await api.dropModule(moduleId)
void GetterError
void throwingGetters
