'use strict'
// A component file's world, for `inspect` and `types`. A component is described by compiling
// it (the core reads its types from the compiled form), so it is told from a core module by
// its header first: a module is never compiled just to be refused.

const { open } = require('node:fs/promises')
const { oneLine } = require('./printable.js')

const MAGIC = [0x00, 0x61, 0x73, 0x6d]
// After the magic number: the version (2 bytes) and the layer (2 bytes), 0 for a core module
// and 1 for a component (whose version is 0x0d today; an unknown one is left to the compile to
// report).
const COMPONENT_LAYER = [0x01, 0x00]
const MODULE_VERSION = [0x01, 0x00, 0x00, 0x00]

const startsWith = (bytes, prefix, at = 0) => bytes.length >= at + prefix.length && prefix.every((byte, i) => bytes[at + i] === byte)

/** Whether the bytes are a binary component (layer 1). */
function isComponentBinary(bytes) {
  return startsWith(bytes, MAGIC) && startsWith(bytes, COMPONENT_LAYER, 6)
}

/** Whether the bytes are a binary core module (version 1, layer 0). */
function isModuleBinary(bytes) {
  return startsWith(bytes, MAGIC) && startsWith(bytes, MODULE_VERSION, 4)
}

/** The first 8 bytes of the file (fewer when it is shorter). */
async function readHeader(file) {
  const handle = await open(file, 'r')
  try {
    const header = new Uint8Array(8)
    const { bytesRead } = await handle.read(header, 0, header.length, 0)
    return header.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

function notAComponent(file) {
  return `${file} is a core WebAssembly module, not a component (runtime-wasm inspect shows a module's imports and exports)`
}

/**
 * A compile error in one line, without the quoted path the core starts it with (the message
 * names the file already). A WAT error's source excerpt has its lines joined.
 */
function compileError(file, error) {
  const text = String(error?.message ?? error).replace(/^"[^"\n]*": /, '')
  return `${file}: ${oneLine(text.replace(/\s*\n\s*/g, ' '))}`
}

/**
 * Compiles the file and describes it: `{ world }` for a component, else `{ message }` saying
 * why not (in one line).
 */
async function loadComponentWorld(file) {
  // Loaded only now: the module paths of inspect work where the native addon cannot load.
  const api = require('../../index.js')
  let id
  try {
    id = await api.compileFile(file)
  } catch (error) {
    return { message: compileError(file, error) }
  }
  try {
    if (api.moduleKind(id) !== 'component') return { message: notAComponent(file) }
    return { world: api.componentWorld(id) }
  } finally {
    await api.dropModule(id)
  }
}

module.exports = { isComponentBinary, isModuleBinary, readHeader, loadComponentWorld, notAComponent }
