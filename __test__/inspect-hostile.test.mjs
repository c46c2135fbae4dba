// `runtime-wasm inspect` on hostile modules: counts far beyond what the bytes hold, one huge
// type shared by a great many functions, huge names, many exports, and broken bytes. Each
// module is about 1 MB; the command must end within seconds with status 0 and output in
// proportion to the input, or status 1 and a one-line error, never an internal error, a stack
// trace or a V8 abort. Endless inputs (/dev/zero) and huge files are refused without being
// read whole. Every child runs with a 256 MiB JS heap, and its peak RSS is measured with
// /usr/bin/time where it exists.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { KIND, TYPE, funcType, module, name, section, u, vec } from './fixtures/cli/encode.mjs'

const BIN = fileURLToPath(new URL('../bin/runtime-wasm.js', import.meta.url))
const TIME = '/usr/bin/time'
const work = mkdtempSync(join(tmpdir(), 'runtime-wasm-inspect-hostile-'))
after(() => rmSync(work, { recursive: true, force: true }))

const MAX_RSS_BYTES = 300 * 1024 * 1024
const MAX_MS = 10_000
const MAX_U32 = 0xffffffff

// --- The generator ------------------------------------------------------------------------
// Modules are built into typed arrays (not arrays of numbers): a 1 MB module as a JS array of
// numbers would take the test runner itself tens of megabytes.

class Bytes {
  constructor(capacity = 1 << 16) {
    this.buffer = new Uint8Array(capacity)
    this.length = 0
  }
  push(...bytes) {
    this.reserve(bytes.length)
    for (const byte of bytes) this.buffer[this.length++] = byte
    return this
  }
  append(bytes) {
    this.reserve(bytes.length)
    this.buffer.set(bytes, this.length)
    this.length += bytes.length
    return this
  }
  fill(byte, count) {
    this.reserve(count)
    this.buffer.fill(byte, this.length, this.length + count)
    this.length += count
    return this
  }
  reserve(more) {
    if (this.length + more <= this.buffer.length) return
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + more))
    grown.set(this.buffer.subarray(0, this.length))
    this.buffer = grown
  }
  get bytes() {
    return this.buffer.subarray(0, this.length)
  }
}

/** A section from its body (a Bytes or an array). */
function sectionOf(id, body) {
  const bytes = body instanceof Bytes ? body.bytes : Uint8Array.from(body)
  return new Bytes(bytes.length + 6).push(id, ...u(bytes.length)).append(bytes).bytes
}

function wasmModule(...sections) {
  const out = new Bytes().push(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)
  for (const s of sections) out.append(s instanceof Uint8Array ? s : Uint8Array.from(s))
  return out.bytes
}

/** A type section holding one function type with `params` i32 parameters and one result. */
function giantType(params) {
  return sectionOf(1, new Bytes(params + 16).push(1, 0x60, ...u(params)).fill(TYPE.i32, params).push(1, TYPE.i32))
}

/** `count` function imports "" "" of type 0: 4 bytes each. */
function manyImports(count) {
  const body = new Bytes(count * 4 + 8).push(...u(count))
  for (let i = 0; i < count; i++) body.push(0, 0, KIND.function, 0)
  return sectionOf(2, body)
}

/** `count` functions of type 0, and a code section of empty bodies for them. */
function manyFunctions(count) {
  const functions = new Bytes(count + 8).push(...u(count)).fill(0, count)
  const code = new Bytes(count * 3 + 8).push(...u(count))
  for (let i = 0; i < count; i++) code.push(2, 0, 0x0b)
  return [sectionOf(3, functions), sectionOf(10, code)]
}

/** `count` exports of function `index` (or of function i), with short distinct names. */
function manyExports(count, { sameFunction = true, firstName = null } = {}) {
  const body = new Bytes(count * 8 + 8).push(...u(count))
  for (let i = 0; i < count; i++) {
    const label = i === 0 && firstName !== null ? firstName : i.toString(36)
    body.append(Uint8Array.from(name(label))).push(KIND.function, ...u(sameFunction ? 0 : i))
  }
  return sectionOf(7, body)
}

/** A section whose vector declares `count` entries but holds only `body`. */
const lyingVector = (id, count, body = []) => section(id, [...u(count), ...body])

const HOSTILE = {
  // Counts of 2^32-1 with almost nothing behind them: refused at once.
  'type count 2^32-1': wasmModule(lyingVector(1, MAX_U32, funcType([], []))),
  'import count 2^32-1': wasmModule(section(1, vec([funcType([], [])])), lyingVector(2, MAX_U32, [0, 0, KIND.function, 0])),
  'function count 2^32-1': wasmModule(section(1, vec([funcType([], [])])), lyingVector(3, MAX_U32, [0, 0, 0])),
  'table count 2^32-1': wasmModule(lyingVector(4, MAX_U32, [TYPE.funcref, 0, 1])),
  'memory count 2^32-1': wasmModule(lyingVector(5, MAX_U32, [0, 1])),
  'global count 2^32-1': wasmModule(lyingVector(6, MAX_U32, [TYPE.i32, 0, 0x41, 0, 0x0b])),
  'export count 2^32-1': wasmModule(lyingVector(7, MAX_U32, [0, KIND.function, 0])),
  'tag count 2^32-1': wasmModule(lyingVector(13, MAX_U32, [0, 0])),
  'parameter count 2^32-1': wasmModule(section(1, [1, 0x60, ...u(MAX_U32), TYPE.i32, 0])),
  'result count 2^32-1': wasmModule(section(1, [1, 0x60, 0, ...u(MAX_U32), TYPE.i32])),
  'recursion group of 2^32-1 types': wasmModule(section(1, [1, 0x4e, ...u(MAX_U32), 0x60, 0, 0])),
  'supertype count 2^32-1': wasmModule(section(1, [1, 0x50, ...u(MAX_U32), 0, 0x60, 0, 0])),
  'struct field count 2^32-1': wasmModule(section(1, [1, 0x5f, ...u(MAX_U32), TYPE.i32, 0])),
  // A count that fits the section's bytes but not its entries: refused when the bytes end.
  'a million params in a 1 MB section that ends early': wasmModule(sectionOf(1, new Bytes().push(1, 0x60, ...u(1_000_000)).fill(TYPE.i32, 999_990))),
  // A section size beyond the end of the file.
  'a section of 2^32-1 bytes': wasmModule([1, ...u(MAX_U32), 0]),
}

const PARAMS = 300_000
const IMPORTS = 200_000
const EXPANDING = {
  // One type of 300,000 params used by 200,000 imports: 1.1 MB that would print 240 GB.
  'one giant type imported 200,000 times': [wasmModule(giantType(PARAMS), manyImports(IMPORTS)), IMPORTS],
  // The same through exports: 120,000 exports of one function of the giant type.
  'one giant type exported 120,000 times': [wasmModule(giantType(PARAMS), ...manyFunctions(1).slice(0, 1), manyExports(120_000), ...manyFunctions(1).slice(1)), 120_000],
  // 80,000 functions of the giant type, each exported.
  'many functions of one giant type, each exported': [wasmModule(giantType(100_000), ...(([f, c]) => [f, manyExports(80_000, { sameFunction: false }), c])(manyFunctions(80_000))), 80_000],
  // A 400 KB name with 100,000 short ones: padding every name to the longest would print 40 GB.
  'one huge export name among 100,000': [wasmModule(section(1, vec([funcType([], [])])), sectionOf(3, [1, 0]), manyExports(100_000, { firstName: 'x'.repeat(400_000) }), section(10, vec([[2, 0, 0x0b]]))), 100_000],
}

// --- Running the command -------------------------------------------------------------------

/**
 * Runs `runtime-wasm inspect` on the bytes in a child with a 256 MiB JS heap; resolves
 * { status, signal, stdoutLength, lines, head, tail, stderr, ms, rss } (rss in bytes, or null
 * without /usr/bin/time). stdout is counted, not kept, apart from its first and last 64 KiB.
 */
function inspect(label, bytes, args = []) {
  const path = join(work, `${label.replace(/[^a-z0-9]+/gi, '-')}.wasm`)
  writeFileSync(path, bytes)
  return inspectPath(path, args)
}

/** As inspect(), on a file that exists. */
function inspectPath(path, args = []) {
  const rssFile = join(work, `${path.replace(/[^a-z0-9]+/gi, '-')}.rss`)
  const node = [process.execPath, '--max-old-space-size=256', BIN, 'inspect', path, ...args]
  const [command, ...argv] = existsSync(TIME) ? [TIME, '-f', '%M', '-o', rssFile, ...node] : node
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, argv, { cwd: work, env: { ...process.env, DEBUG: '', NODE_DEBUG: '' } })
    let stdoutLength = 0
    let lines = 0
    let head = ''
    let tail = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdoutLength += chunk.length
      for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', at + 1)) lines++
      if (head.length < 65536) head += chunk.slice(0, 65536 - head.length)
      tail = (tail + chunk).slice(-65536)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (status, signal) => {
      const ms = performance.now() - started
      const rss = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) * 1024 : null
      resolve({ status, signal, stdoutLength, lines, head, tail, stderr, ms, rss, path })
    })
  })
}

function assertBounded(label, result) {
  assert.equal(result.signal, null, `${label}: killed by ${result.signal}; stderr: ${result.stderr.slice(0, 2000)}`)
  assert.ok(result.ms < MAX_MS, `${label}: took ${Math.round(result.ms)} ms`)
  if (result.rss !== null) assert.ok(result.rss < MAX_RSS_BYTES, `${label}: peak RSS ${(result.rss / 2 ** 20).toFixed(0)} MiB`)
  assert.doesNotMatch(result.stderr, /internal error|FATAL ERROR|heap out of memory|\n\s+at /, `${label}: ${result.stderr.slice(0, 2000)}`)
}

/** A failure: status 1, nothing on stdout, one line on stderr naming the file. */
function assertRefused(label, result, pattern) {
  assertBounded(label, result)
  assert.equal(result.status, 1, `${label}: status ${result.status}; stderr: ${result.stderr.slice(0, 2000)}`)
  assert.equal(result.stdoutLength, 0, label)
  assert.match(result.stderr, /^runtime-wasm: .*: not a valid binary WebAssembly module: .*\(at byte offset \d+\)\n$/, label)
  assert.equal(result.stderr.split('\n').length, 2, `${label}: more than one line: ${result.stderr.slice(0, 2000)}`)
  if (pattern) assert.match(result.stderr, pattern, label)
}

describe('inspect on hostile modules', { concurrency: 2 }, () => {
  for (const [label, bytes] of Object.entries(HOSTILE)) {
    test(`${label}: status 1 and a one-line error`, async () => {
      assert.ok(bytes.length < 1_200_000)
      const result = await inspect(label, bytes)
      assertRefused(label, result, /2\^32|\d+ entries declared but only \d+ bytes left|unexpected end|runs past the end/)
      if (label.includes('2^32-1') && !label.includes('bytes')) assert.match(result.stderr, /4294967295 entries declared but only \d+ bytes left/, label)
    })
  }

  for (const [label, [bytes, entries]] of Object.entries(EXPANDING)) {
    test(`${label}: status 0, output in proportion to the input, text and JSON`, async () => {
      assert.ok(bytes.length < 1_250_000, `${label}: ${bytes.length} bytes`)
      for (const args of [[], ['--json']]) {
        const what = `${label} ${args.join(' ')}`
        const result = await inspect(label, bytes, args)
        assertBounded(what, result)
        assert.equal(result.status, 0, `${what}: ${result.stderr.slice(0, 2000)}`)
        assert.equal(result.stderr, '')
        // At most 64 characters of output per byte of input, whatever the module declares.
        assert.ok(result.stdoutLength < 64 * bytes.length, `${what}: ${result.stdoutLength} characters of output for ${bytes.length} bytes`)
        // All of it, to the end: one line an entry, and 6 around them (in text: heading, blank,
        // two titles, blank, and "(none)" for the empty list; in JSON: braces, file, [ ], []).
        assert.equal(result.lines, entries + 6, `${what}: ${result.lines} lines`)
        assert.match(result.tail, args.length === 0 ? /(func[^\n]*|\(none\))\n$/ : /(\}\n {2}\]|"exports": \[\])\n\}\n$/, what)
        if (label.includes('giant type')) {
          const omitted = (label.includes('many functions') ? 100_000 : PARAMS) - 17
          if (args.length === 0) assert.match(result.head, new RegExp(`func \\(param (i32 ){16}i32 \\.\\.\\. ${omitted} more\\) \\(result i32\\)\\n`), what)
          else assert.match(result.head, new RegExp(`"params":\\["i32"(,"i32"){16}\\],"paramsOmitted":${omitted},"results":\\["i32"\\]`), what)
        }
      }
    })
  }

  test('the giant type as JSON is valid JSON with the counts of what was left out', async () => {
    const bytes = wasmModule(giantType(1000), manyImports(3))
    const result = await inspect('giant-json', bytes, ['--json'])
    assert.equal(result.status, 0, result.stderr)
    const info = JSON.parse(result.head)
    assert.equal(info.imports.length, 3)
    for (const entry of info.imports) {
      assert.equal(entry.params.length + entry.paramsOmitted, 1000)
      assert.equal(entry.params.length, 17)
      assert.deepEqual(entry.results, ['i32'])
      assert.equal(entry.resultsOmitted, undefined)
    }
  })

  test('names with control characters are shown escaped, so a module cannot write to the terminal', async () => {
    const bytes = wasmModule(
      section(1, vec([funcType([], [])])),
      section(3, vec([[0]])),
      section(7, vec([[...name('evil\n\u001b[2Jname'), KIND.function, 0], [...name('plain'), KIND.function, 0]])),
      section(10, vec([[2, 0, 0x0b]])),
    )
    const result = await inspect('escapes', bytes)
    assert.equal(result.status, 0, result.stderr)
    assert.doesNotMatch(result.head, /\u001b/)
    assert.match(result.head, /\n {2}"evil\\n\\u001b\[2Jname" {2}func\n {2}plain +func\n$/)
  })

  test('endless or huge inputs are refused without being read whole', async () => {
    // /dev/zero has no magic number: refused after its first bytes.
    if (existsSync('/dev/zero')) {
      const zero = await inspectPath('/dev/zero')
      assertRefused('/dev/zero', zero, /no \\0asm magic number/)
    }
    // A sparse file of 4 GiB that starts like a module: refused by its size, unread.
    const sparse = join(work, 'sparse.wasm')
    writeFileSync(sparse, Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]))
    truncateSync(sparse, 4 * 2 ** 30)
    const huge = await inspectPath(sparse)
    assertBounded('sparse', huge)
    assert.equal(huge.status, 1)
    assert.match(huge.stderr, /^runtime-wasm: .*sparse\.wasm: larger than 512 MiB, the largest module inspect reads\n$/)
    rmSync(sparse)
  })

  test('truncated and corrupted modules: status 0 or 1, never a crash', async () => {
    // The giant-type module cut at many places, and with bytes overwritten by 0xff (a
    // continuation byte that makes every number longer) or 0x00.
    const base = wasmModule(giantType(5000), manyImports(5000), manyExports(2000))
    const variants = []
    for (let cut = 9; cut < base.length; cut += Math.ceil(base.length / 12)) variants.push([`cut at ${cut}`, base.subarray(0, cut)])
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < 12; i++) {
      const corrupted = base.slice()
      for (let j = 0; j < 4; j++) corrupted[8 + Math.floor(random() * (corrupted.length - 8))] = random() < 0.5 ? 0xff : 0x00
      variants.push([`corrupted ${i}`, corrupted])
    }
    for (const [label, bytes] of variants) {
      const result = await inspect(label, bytes)
      assertBounded(label, result)
      assert.ok(result.status === 0 || result.status === 1, `${label}: status ${result.status}: ${result.stderr.slice(0, 2000)}`)
      if (result.status === 1) assertRefused(label, result)
      else assert.ok(result.stdoutLength < 64 * bytes.length + 4096, label)
    }
  })
})
