// Hostile modules, run in a child process by hostile.test.mjs: huge declared memories and
// tables, memory and table growth bombs, thousands of functions and exports, deep nesting, lying
// section sizes and counts, modules at and past the engine's size limits. Each must work or fail
// with a clear code while the process memory stays bounded. Prints one JSON line per case:
// { name, outcome, expected, ms, rssMB, message }; then { done, maxRssMB }.
//
//   node __test__/robustness/hostile-scenario.mjs [--full]   (--full adds the slow cases)
import { createRequire } from 'node:module'

import { buildModule, op, uleb, section, I32, EXTERNREF, FUNCREF } from './wasm-builder.mjs'

const require = createRequire(import.meta.url)
const api = require('../../index.js')
const full = process.argv.includes('--full')
api.configure?.({ cache: false })

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
const repeat = (count, item) => {
  const out = []
  for (let i = 0; i < count; i++) for (const byte of item) out.push(byte)
  return out
}
const raw = (...sections) => Uint8Array.from([...HEADER, ...sections.flat()])

/** A module of one () -> () function whose body is `size` bytes of nops, built as bytes. */
function bigFunction(size) {
  const body = new Uint8Array(size).fill(op.nop[0])
  body[size - 1] = 0x0b // end
  return bigFunctionOf(body)
}

/** A module of one function nesting `depth` blocks, built as bytes. */
function nestedBlocks(depth) {
  const size = depth * 3 + 1
  const body = new Uint8Array(size)
  for (let i = 0; i < depth; i++) body.set([0x02, 0x40], i * 2)
  body.fill(0x0b, depth * 2)
  return bigFunctionOf(body)
}

function bigFunctionOf(body) {
  const code = [...uleb(1), ...uleb(body.length + 1), 0x00]
  const head = [...HEADER, ...section(1, [1, 0x60, 0, 0]), ...section(3, [1, 0]), 10, ...uleb(code.length + body.length), ...code]
  const out = new Uint8Array(head.length + body.length)
  out.set(head)
  out.set(body, head.length)
  return out
}
const MAX_U32 = 0xffffffff

// Each case: module bytes or text, options, what to do after instantiating, the expected outcome.
const cases = [
  // Memories.
  { name: 'memory declared at 4 GiB (65536 pages), untouched', module: () => buildModule({ memories: [{ min: 65536 }] }), expected: 'ok' },
  {
    name: 'memory of 4 GiB written at its last bytes by a data segment',
    module: () => buildModule({ memories: [{ min: 65536 }], data: [{ offset: op.i32Const(-4), bytes: [1, 2, 3, 4] }] }),
    expected: 'ok',
  },
  { name: 'memory32 over 4 GiB (65537 pages)', module: () => buildModule({ memories: [{ min: 65537 }] }), expected: 'code 5000' },
  { name: 'memory64 of 2^48 pages', module: () => buildModule({ memories: [{ min: 2n ** 48n, memory64: true }] }), expected: 'code 5001' },
  { name: 'memory64 of 2^34 pages (a petabyte)', module: () => buildModule({ memories: [{ min: 2n ** 34n, memory64: true }] }), expected: 'code 5001' },
  { name: '100 memories of 4 GiB each', module: () => buildModule({ memories: Array.from({ length: 100 }, () => ({ min: 65536 })) }), expected: 'ok' },
  {
    name: '4 GiB memory under limits.maxMemoryBytes of 64 MiB',
    module: () => buildModule({ memories: [{ min: 65536 }] }),
    options: { limits: { maxMemoryBytes: 64 << 20 } },
    expected: 'code 5001',
  },
  {
    name: 'memory growth bomb (grow until refused, touch every page) under a 64 MiB budget',
    module: () =>
      buildModule({
        types: [[[], [I32]]],
        memories: [{ min: 1 }],
        functions: [
          {
            type: 0,
            locals: [[1, I32]],
            // loop: if memory.grow(1) == -1 break; store at the new page's start
            body: [
              ...op.block(),
              ...op.loop(),
              ...op.i32Const(1),
              ...op.memoryGrow,
              ...op.localSet(0),
              ...op.localGet(0),
              ...op.i32Const(-1),
              0x46, // i32.eq
              ...op.brIf(1),
              ...op.localGet(0),
              ...op.i32Const(65536),
              ...op.i32Mul,
              ...op.i32Const(7),
              ...op.i32Store(),
              ...op.br(0),
              ...op.end,
              ...op.end,
              ...op.memorySize,
            ],
          },
        ],
        exports: [{ name: 'bomb', kind: 'func', index: 0 }],
      }),
    options: { limits: { maxMemoryBytes: 64 << 20 } },
    call: ['bomb'],
    expected: 'ok [1024]',
  },
  // Tables.
  { name: 'table of 10 million funcref', module: () => buildModule({ tables: [{ min: 10_000_000 }] }), expected: 'ok' },
  { name: 'table of 2^32-1 funcref (32 GiB of entries)', module: () => buildModule({ tables: [{ min: MAX_U32 }] }), expected: 'code 5001' },
  { name: 'table of 2^32-1 externref', module: () => buildModule({ tables: [{ element: EXTERNREF, min: MAX_U32 }] }), expected: 'ok' },
  {
    name: 'table of 10 million under limits.maxTableElements of 1000',
    module: () => buildModule({ tables: [{ min: 10_000_000 }] }),
    options: { limits: { maxTableElements: 1000 } },
    expected: 'code 5001',
  },
  {
    name: 'table growth bomb (table.grow until refused) under maxTableElements 100000',
    module: () =>
      buildModule({
        types: [[[], [I32]]],
        tables: [{ element: FUNCREF, min: 0 }],
        functions: [
          {
            type: 0,
            body: [
              ...op.block(),
              ...op.loop(),
              0xd0, 0x70, // ref.null func
              ...op.i32Const(1000),
              0xfc, 15, 0x00, // table.grow 0
              ...op.i32Const(-1),
              0x46,
              ...op.brIf(1),
              ...op.br(0),
              ...op.end,
              ...op.end,
              0xfc, 16, 0x00, // table.size 0
            ],
          },
        ],
        exports: [{ name: 'bomb', kind: 'func', index: 0 }],
      }),
    options: { limits: { maxTableElements: 100_000 } },
    call: ['bomb'],
    expected: 'ok [100000]',
  },
  // Many things.
  {
    name: '10,000 functions',
    module: () => buildModule({ types: [[[], [I32]]], functions: Array.from({ length: 10_000 }, (_, i) => ({ type: 0, body: op.i32Const(i) })) }),
    expected: 'ok',
  },
  {
    name: '100,000 exports of one function',
    module: () =>
      buildModule({
        types: [[[], []]],
        functions: [{ type: 0, body: [] }],
        exports: Array.from({ length: 100_000 }, (_, i) => ({ name: `e${i}`, kind: 'func', index: 0 })),
      }),
    expected: 'ok',
  },
  { name: '50,000 locals (the limit)', module: () => buildModule({ types: [[[], []]], functions: [{ type: 0, locals: [[50_000, I32]], body: [] }] }), expected: 'ok' },
  { name: '2^32-1 locals', module: () => buildModule({ types: [[[], []]], functions: [{ type: 0, locals: [[MAX_U32, I32]], body: [] }] }), expected: 'code 5000' },
  // Nesting.
  {
    name: '100,000 nested blocks',
    module: () => nestedBlocks(100_000),
    expected: 'ok',
  },
  { name: 'WAT with 100,000 nested blocks', module: () => `(module (func ${'(block '.repeat(100_000)}${')'.repeat(100_000)}))`, expected: 'ok' },
  { name: 'WAT of a million open parentheses', module: () => '('.repeat(1_000_000), expected: 'code 5000' },
  {
    name: 'deep recursion (call stack exhausted)',
    module: () =>
      buildModule({
        types: [[[I32], [I32]]],
        functions: [{ type: 0, body: [...op.localGet(0), ...op.i32Const(1), ...op.i32Add, ...op.call(0)] }],
        exports: [{ name: 'f', kind: 'func', index: 0 }],
      }),
    call: ['f', 0],
    expected: 'code 5002',
  },
  // Lying sizes and counts.
  { name: 'type section declaring 2^32-1 types', module: () => raw(section(1, uleb(MAX_U32))), expected: 'code 5000' },
  { name: 'function section declaring 2^32-1 functions', module: () => raw(section(3, uleb(MAX_U32))), expected: 'code 5000' },
  { name: 'code section declaring 2^32-1 bodies', module: () => raw(section(10, uleb(MAX_U32))), expected: 'code 5000' },
  { name: 'data section declaring 2^32-1 segments', module: () => raw(section(11, uleb(MAX_U32))), expected: 'code 5000' },
  { name: 'section length of 2^32-1 bytes in a tiny file', module: () => raw([1, ...uleb(MAX_U32), 0]), expected: 'code 5000' },
  { name: 'custom section with a name longer than the file', module: () => raw([0, 5, ...uleb(MAX_U32)]), expected: 'code 5000' },
  { name: 'LEB128 of 20 bytes', module: () => raw([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), expected: 'code 5000' },
  { name: 'header only, wrong version', module: () => Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), expected: 'code 5000' },
  // Components compile too: an empty one is valid, a broken one is a 5000.
  { name: 'an empty component', module: () => Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), expected: 'ok' },
  { name: 'a component with an unknown section', module: () => Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 0x7f, 1, 0]), expected: 'code 5000' },
  { name: 'a component whose section runs past the end', module: () => Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 1, ...uleb(MAX_U32)]), expected: 'code 5000' },
  {
    name: 'a function body of 8 MB (past the engine limit)',
    module: () => bigFunction(8_000_000),
    expected: 'code 5000',
  },
]

if (full) {
  cases.push(
    {
      name: '100,000 functions',
      module: () => buildModule({ types: [[[], [I32]]], functions: Array.from({ length: 100_000 }, (_, i) => ({ type: 0, body: op.i32Const(i) })) }),
      expected: 'ok',
    },
    {
      name: '1,000,000 nested blocks',
      module: () => nestedBlocks(1_000_000),
      expected: 'ok',
    },
    {
      name: 'a function body just under the engine limit (7.6 MB of nops)',
      module: () => bigFunction(7_654_300),
      expected: 'ok',
    },
    { name: '1,000,000 types', module: () => buildModule({ types: Array.from({ length: 1_000_000 }, () => [[], []]) }), expected: 'ok' },
    {
      name: '1,000,000 globals',
      module: () => buildModule({ globals: Array.from({ length: 1_000_000 }, () => ({ type: I32, mutable: false, init: op.i32Const(0) })) }),
      expected: 'ok',
    },
  )
}

function outcomeOf(error) {
  return error instanceof api.WasmError ? `code ${error.code}` : `${error?.name}: ${error?.message}`
}

const rssMB = () => Math.round(process.memoryUsage().rss / 2 ** 20)
for (const test of cases) {
  const started = Date.now()
  let outcome
  let message = ''
  let moduleId
  let instance
  try {
    moduleId = await api.compile(test.module())
    instance = await api.instantiate(moduleId, test.options)
    outcome = 'ok'
    if (test.call) outcome = `ok ${JSON.stringify(await instance.call(...test.call))}`
  } catch (error) {
    outcome = outcomeOf(error)
    message = String(error?.message)
  } finally {
    await instance?.drop()
    if (moduleId) await api.dropModule(moduleId)
  }
  const line = { name: test.name, outcome, expected: test.expected, ms: Date.now() - started, rssMB: rssMB(), messageLength: message.length, message: message.slice(0, 160) }
  console.log(JSON.stringify(line))
}
globalThis.gc?.()
console.log(JSON.stringify({ done: true, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), rssMB: rssMB() }))
