'use strict'
// Before `run` compiles a module (which may take seconds for a large one), the imports that
// nothing will provide: WASI preview 1 provides functions of wasi_snapshot_preview1,
// --unknown-imports makes up any other function, and nothing provides memories, tables,
// globals or tags. A module that needs one cannot start, so it is refused at once. (The core
// does not link wasi_unstable, the older "preview 0" name: its imports are missing too.)
//
// Only the sections before the first function are read (the 8-byte header, then the type and
// import sections, skipping custom sections), with a few small reads, so the check costs the
// same for a 100 MB module as for a tiny one. They are parsed by lib/module-info.js, the parser
// of `runtime-wasm inspect`. Whatever this cannot read (WebAssembly text, a file that is not
// a module, a malformed section, an unreadable file) is left to compileFile, which says what
// is wrong with it.

const { constants } = require('node:fs')
const { open } = require('node:fs/promises')
const { readModuleInfo, ModuleFormatError } = require('../module-info.js')
const { printable } = require('./printable.js')

const MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d])
const HEADER_BYTES = 8
const SECTION = Object.freeze({ custom: 0, type: 1, import: 2 })
/** A section's id and size take at most 1 + 5 bytes. */
const SECTION_HEAD_BYTES = 6
/** The import modules whose functions WASI provides (src/runtime/linker.rs). */
const WASI_MODULES = new Set(['wasi_snapshot_preview1'])
/** How many missing imports the message names. */
const NAMED = 5

/**
 * The imports of the binary module `file`, or null when it cannot tell (see above).
 *
 * @param {string} file
 * @returns {Promise<Array<{ module: string, name: string, kind: string }> | null>}
 */
async function readImports(file) {
  let handle
  try {
    // Non-blocking, so that opening a FIFO does not wait for a writer; only a regular file is
    // read (compileFile refuses anything else, and says so).
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
    const stat = await handle.stat()
    if (!stat.isFile()) return null
    const sections = await leadingSections(handle, stat.size)
    return sections === null ? null : readModuleInfo(sections).imports
  } catch (error) {
    if (error instanceof ModuleFormatError || typeof error?.code === 'string') return null
    throw error
  } finally {
    await handle?.close()
  }
}

/**
 * The header, type section and import section of the module as one small module (what
 * module-info.js reads), or null when the file does not start as a binary module.
 */
async function leadingSections(handle, fileBytes) {
  const header = await readAt(handle, 0, HEADER_BYTES)
  if (header.length < HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) return null
  const parts = [header]
  let position = HEADER_BYTES
  for (;;) {
    const head = await readAt(handle, position, SECTION_HEAD_BYTES)
    if (head.length === 0) break // the end of the module
    const size = sectionSize(head)
    if (size === null) return null
    const { id } = size
    const total = size.headBytes + size.bodyBytes
    if (position + total > fileBytes) return null // a section past the end of the file
    if (id === SECTION.type || id === SECTION.import) {
      const section = await readAt(handle, position, total)
      if (section.length < total) return null
      parts.push(section)
    } else if (id !== SECTION.custom) {
      break // the import section, if any, comes before every other known section
    }
    if (id === SECTION.import) break
    position += total
  }
  return new Uint8Array(Buffer.concat(parts))
}

/** A section's id, and the bytes of its head (id and size) and of its body; null if malformed. */
function sectionSize(head) {
  let bodyBytes = 0
  for (let i = 1; i < head.length; i++) {
    bodyBytes += (head[i] & 0x7f) * 2 ** (7 * (i - 1))
    if ((head[i] & 0x80) === 0) return { id: head[0], headBytes: i + 1, bodyBytes }
  }
  return null
}

async function readAt(handle, position, length) {
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await handle.read(buffer, 0, length, position)
  return buffer.subarray(0, bytesRead)
}

/**
 * The imports that neither WASI nor --unknown-imports provides.
 *
 * @param {Array<{ module: string, name: string, kind: string }>} imports
 * @param {'trap' | 'default' | undefined} unknownImports
 */
function missingImports(imports, unknownImports) {
  return imports.filter(({ module, kind }) => kind !== 'function' || (!WASI_MODULES.has(module) && unknownImports === undefined))
}

/** The one-line message for missing imports: a few named, the rest counted, and what to do. */
function describeMissing(file, missing) {
  const named = missing.slice(0, NAMED).map(({ module, name, kind }) => `${printable(module)}.${printable(name)} (${kind})`)
  const more = missing.length > NAMED ? ` and ${missing.length - NAMED} more` : ''
  const functions = missing.some(({ kind }) => kind === 'function')
  const hint = functions
    ? 'to run it anyway, give --unknown-imports trap (a missing function traps when called) or --unknown-imports default (it returns zeros)'
    : 'only functions can be made up (--unknown-imports), not memories, tables, globals or tags'
  return `${file} cannot start: it imports what neither WASI nor runtime-wasm provides: ${named.join(', ')}${more}; ${hint}`
}

module.exports = { readImports, missingImports, describeMissing }
