'use strict'
// `runtime-wasm inspect`: a module's imports and exports with their types, as text (in the
// WebAssembly text format's type syntax) or as JSON. A component's world is shown by
// inspect-component.js.
//
// The output stays in proportion to the module's size, whatever the module declares. Many
// entries may share one type, so a long list of parameter or result types is cut once its text
// passes LIST_CHARACTERS and followed by the number of types left out ("... 99984 more" in
// text, "paramsOmitted"/"resultsOmitted" in JSON); each signature is built once per type. Names
// are aligned only up to NAME_COLUMN characters, and names with control characters are shown
// quoted and escaped, so a module cannot write to the terminal. The output is written in
// chunks as it is made, never held whole.

const { open } = require('node:fs/promises')
const { readModuleInfo, ModuleFormatError } = require('../module-info.js')
const EXIT = require('./exit-codes.js')
const { printable } = require('./printable.js')
const { isComponentBinary } = require('./component-world.js')

/** A list of value types is cut once its text is longer than this. */
const LIST_CHARACTERS = 64
/** Names are padded to the longest name, but to no more than this. */
const NAME_COLUMN = 40
/** Output is handed to `write` in chunks of about this many characters. */
const CHUNK_CHARACTERS = 64 * 1024
/** The largest file read: compile()'s default limit on a module's size. */
const MAX_INPUT_BYTES = 512 * 1024 * 1024
const MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d])

/**
 * The file's bytes, read up to MAX_INPUT_BYTES (null past it). A file that does not start
 * with the magic number is read no further than its first 256 bytes, so that /dev/zero, a
 * pipe or a huge text file is refused at once, not read whole.
 */
async function readInput(file) {
  const handle = await open(file, 'r')
  try {
    const stat = await handle.stat()
    if (stat.isFile() && stat.size > MAX_INPUT_BYTES) return null
    const chunks = []
    let total = 0
    for (;;) {
      const chunk = Buffer.allocUnsafe(total === 0 ? 256 : 1 << 20)
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) break
      chunks.push(chunk.subarray(0, bytesRead))
      total += bytesRead
      if (total > MAX_INPUT_BYTES) return null
      if (chunks.length === 1 && bytesRead >= MAGIC.length && !chunk.subarray(0, MAGIC.length).equals(MAGIC)) break
    }
    return new Uint8Array(Buffer.concat(chunks, total))
  } finally {
    await handle.close()
  }
}

/** The types of a list that are shown, and how many are left out. */
function cutList(types) {
  let characters = 0
  let shown = 0
  while (shown < types.length && characters <= LIST_CHARACTERS) characters += types[shown++].length + 1
  return { shown: shown === types.length ? types : types.slice(0, shown), omitted: types.length - shown }
}

// The cut lists of each signature, made once per (params, results) pair: entries of the same
// type share their arrays, so a type used by 100,000 functions is cut once.
const cuts = new WeakMap()
const NONE = Object.freeze([]) // a tag's results
function cutSignature(entry) {
  const params = entry.params ?? NONE
  const results = entry.results ?? NONE
  let byResults = cuts.get(params)
  if (byResults === undefined) cuts.set(params, (byResults = new WeakMap()))
  let cut = byResults.get(results)
  if (cut === undefined) {
    const p = cutList(params)
    const r = cutList(results)
    cut = { params: p.shown, paramsOmitted: p.omitted, results: r.shown, resultsOmitted: r.omitted, text: null, json: undefined, tagJson: undefined }
    byResults.set(results, cut)
  }
  return cut
}

function signature(entry) {
  const cut = cutSignature(entry)
  if (cut.text === null) {
    const list = (keyword, shown, omitted) => `(${keyword} ${shown.join(' ')}${omitted > 0 ? ` ... ${omitted} more` : ''})`
    const parts = []
    if (cut.params.length > 0) parts.push(list('param', cut.params, cut.paramsOmitted))
    if (cut.results.length > 0) parts.push(list('result', cut.results, cut.resultsOmitted))
    cut.text = parts.join(' ')
  }
  return cut.text
}

function describeType(entry) {
  switch (entry.kind) {
    case 'function':
      return ['func', signature(entry)].filter(Boolean).join(' ')
    case 'tag':
      return ['tag', signature(entry)].filter(Boolean).join(' ')
    case 'memory': {
      const parts = ['memory']
      if (entry.memory64) parts.push('i64')
      parts.push(String(entry.minimum))
      if (entry.maximum !== null) parts.push(String(entry.maximum))
      if (entry.shared) parts.push('shared')
      if (entry.pageSize !== undefined) parts.push(`(pagesize ${entry.pageSize})`)
      return parts.join(' ')
    }
    case 'table': {
      const parts = ['table']
      if (entry.table64) parts.push('i64')
      parts.push(String(entry.minimum))
      if (entry.maximum !== null) parts.push(String(entry.maximum))
      parts.push(entry.element)
      return parts.join(' ')
    }
    case 'global':
      return `global ${entry.mutable ? `(mut ${entry.type})` : entry.type}`
    default:
      return entry.kind
  }
}

/**
 * Collects text and hands it to `write` in chunks; `line` returns the promise of `write` when
 * it wrote a chunk, so that awaiting it waits for the output to drain.
 */
function chunked(write) {
  let pending = []
  let size = 0
  return {
    line(text) {
      pending.push(text, '\n')
      size += text.length + 1
      return size >= CHUNK_CHARACTERS ? this.flush() : undefined
    },
    flush() {
      const text = pending.join('')
      pending = []
      size = 0
      return text.length > 0 ? write(text) : undefined
    },
  }
}

async function rows(out, entries, label) {
  if (entries.length === 0) {
    await out.line('  (none)')
    return
  }
  let width = 0
  for (const entry of entries) width = Math.max(width, Math.min(NAME_COLUMN, label(entry).length))
  for (const entry of entries) await out.line(`  ${label(entry).padEnd(width)}  ${describeType(entry)}`)
}

async function writeText(file, info, write) {
  const out = chunked(write)
  out.line(`${file}: WebAssembly module, ${info.imports.length} imports, ${info.exports.length} exports`)
  out.line('')
  out.line(`imports (${info.imports.length}):`)
  await rows(out, info.imports, (entry) => `${printable(entry.module)}.${printable(entry.name)}`)
  out.line('')
  out.line(`exports (${info.exports.length}):`)
  await rows(out, info.exports, (entry) => printable(entry.name))
  await out.flush()
}

// Sizes beyond 2^53 (only possible for 64-bit memories and tables) are written as strings.
const replacer = (_key, value) => (typeof value === 'bigint' ? value.toString() : value)

/** An entry as JSON, its signature cut as in the text output. */
function jsonEntry(entry) {
  if (entry.kind !== 'function' && entry.kind !== 'tag') return JSON.stringify(entry, replacer)
  const cut = cutSignature(entry)
  const key = entry.kind === 'function' ? 'json' : 'tagJson'
  if (cut[key] === undefined) {
    const shown = { params: cut.params }
    if (cut.paramsOmitted > 0) shown.paramsOmitted = cut.paramsOmitted
    if (entry.kind === 'function') {
      shown.results = cut.results
      if (cut.resultsOmitted > 0) shown.resultsOmitted = cut.resultsOmitted
    }
    cut[key] = JSON.stringify(shown).slice(1) // without its "{": it ends the entry's object
  }
  const { params: _params, results: _results, ...rest } = entry
  return `${JSON.stringify(rest, replacer).slice(0, -1)},${cut[key]}`
}

// { file, imports, exports } with one entry a line.
async function writeJson(file, info, write) {
  const out = chunked(write)
  out.line(`{`)
  out.line(`  "file": ${JSON.stringify(file)},`)
  const list = async (key, entries, last) => {
    if (entries.length === 0) {
      await out.line(`  ${JSON.stringify(key)}: []${last ? '' : ','}`)
      return
    }
    out.line(`  ${JSON.stringify(key)}: [`)
    for (let i = 0; i < entries.length; i++) await out.line(`    ${jsonEntry(entries[i])}${i < entries.length - 1 ? ',' : ''}`)
    await out.line(`  ]${last ? '' : ','}`)
  }
  await list('imports', info.imports, false)
  await list('exports', info.exports, true)
  out.line('}')
  await out.flush()
}

function looksLikeText(bytes) {
  const start = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart()
  return start.startsWith('(') || start.startsWith(';;') || start.startsWith('(;')
}

/**
 * Writes the module's description with `write` (in chunks, each awaited before the next is
 * made) and returns the exit status, and a one-line message for stderr when it failed.
 *
 * @param {string} file
 * @param {{ json?: boolean, write: (text: string) => Promise<void> | void }} options
 * @returns {Promise<{ status: number, message: string | null }>}
 */
async function inspectModule(file, { json = false, write }) {
  let bytes
  try {
    bytes = await readInput(file)
  } catch (error) {
    return { status: EXIT.FAILED, message: `${file}: cannot read the file: ${error.message}` }
  }
  if (bytes === null) return { status: EXIT.FAILED, message: `${file}: larger than ${MAX_INPUT_BYTES / 2 ** 20} MiB, the largest module inspect reads` }
  if (isComponentBinary(bytes)) return require('./inspect-component.js').inspectComponent(file, { json, write })
  let info
  try {
    info = readModuleInfo(bytes)
  } catch (error) {
    if (!(error instanceof ModuleFormatError)) throw error
    const message = error.offset === 0 && looksLikeText(bytes)
      ? `${file} is WebAssembly text; inspect reads binary modules only. Convert it first, e.g. with wabt: wat2wasm ${file}`
      : `${file}: not a valid binary WebAssembly module: ${error.message}`
    return { status: EXIT.FAILED, message }
  }
  bytes = null
  if (json) await writeJson(file, info, write)
  else await writeText(file, info, write)
  return { status: EXIT.OK, message: null }
}

module.exports = { inspectModule, describeType, LIST_CHARACTERS, NAME_COLUMN }
