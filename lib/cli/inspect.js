'use strict'
// `runtime-wasm inspect`: a module's imports and exports with their types, as text (in the
// WebAssembly text format's type syntax) or as JSON.

const { readFile } = require('node:fs/promises')
const { readModuleInfo, ModuleFormatError } = require('../module-info.js')
const EXIT = require('./exit-codes.js')

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

function signature({ params = [], results = [] }) {
  const parts = []
  if (params.length > 0) parts.push(`(param ${params.join(' ')})`)
  if (results.length > 0) parts.push(`(result ${results.join(' ')})`)
  return parts.join(' ')
}

function table(rows) {
  const width = Math.max(0, ...rows.map(([name]) => name.length))
  return rows.map(([name, type]) => `  ${name.padEnd(width)}  ${type}`).join('\n')
}

function formatText(file, info) {
  const lines = [`${file}: WebAssembly module, ${info.imports.length} imports, ${info.exports.length} exports`]
  lines.push('', `imports (${info.imports.length}):`)
  if (info.imports.length > 0) lines.push(table(info.imports.map((entry) => [`${entry.module}.${entry.name}`, describeType(entry)])))
  else lines.push('  (none)')
  lines.push('', `exports (${info.exports.length}):`)
  if (info.exports.length > 0) lines.push(table(info.exports.map((entry) => [entry.name, describeType(entry)])))
  else lines.push('  (none)')
  return `${lines.join('\n')}\n`
}

function formatJson(file, info) {
  // Sizes beyond 2^53 (only possible for 64-bit memories and tables) are written as strings.
  const replacer = (_key, value) => (typeof value === 'bigint' ? value.toString() : value)
  return `${JSON.stringify({ file, imports: info.imports, exports: info.exports }, replacer, 2)}\n`
}

function looksLikeText(bytes) {
  const start = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart()
  return start.startsWith('(') || start.startsWith(';;') || start.startsWith('(;')
}

/**
 * @returns {Promise<{ status: number, output: string, message: string | null }>}
 */
async function inspectModule(file, { json = false } = {}) {
  let bytes
  try {
    bytes = new Uint8Array(await readFile(file))
  } catch (error) {
    return { status: EXIT.FAILED, output: '', message: `${file}: cannot read the file: ${error.message}` }
  }
  let info
  try {
    info = readModuleInfo(bytes)
  } catch (error) {
    if (!(error instanceof ModuleFormatError)) throw error
    const message = error.offset === 0 && looksLikeText(bytes)
      ? `${file} is WebAssembly text; inspect reads binary modules only. Convert it first, e.g. with wabt: wat2wasm ${file}`
      : `${file}: not a valid binary WebAssembly module: ${error.message}`
    return { status: EXIT.FAILED, output: '', message }
  }
  return { status: EXIT.OK, output: json ? formatJson(file, info) : formatText(file, info), message: null }
}

module.exports = { inspectModule, describeType }
