'use strict'
// `runtime-wasm cache`: what the compiled-code cache holds, and pruning or clearing it.
//   cache [list] [--json]        its directory, cap, total and files (least recently used first)
//   cache prune [--max-size SIZE] remove the least recently used files past SIZE (default: the cap)
//   cache clear                  remove every file
// Uses the package's public API only.

const api = require('../../index.js')
const EXIT = require('./exit-codes.js')

/**
 * @param {{ action: 'list' | 'prune' | 'clear', json: boolean, maxBytes?: number }} request
 * @param {(text: string) => Promise<void>} write
 */
async function cacheCommand({ action, json, maxBytes }, write) {
  if (action === 'list') {
    const info = api.cacheInfo()
    await write(json ? `${JSON.stringify(info)}\n` : describe(info))
    return { status: EXIT.OK, message: null }
  }
  if (api.cacheInfo().dir === null) return { status: EXIT.OK, message: 'the compiled-code cache is off: nothing to remove' }
  const pruned = action === 'clear' ? api.clearCache() : api.pruneCache(maxBytes)
  const summary = { action, ...pruned }
  await write(json ? `${JSON.stringify(summary)}\n` : `removed ${pruned.removed} file(s), ${binarySize(pruned.freedBytes)}; ${binarySize(pruned.keptBytes)} kept\n`)
  return { status: EXIT.OK, message: null }
}

/** 2147483648 -> "2 GiB", 21424 -> "20.9 KiB". */
function binarySize(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${unit === 0 ? value : value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`
}

function describe({ dir, maxBytes, totalBytes, entries }) {
  if (dir === null) return 'the compiled-code cache is off (RUNTIME_WASM_CACHE=off)\n'
  const lines = [`${dir}: ${entries.length} file(s), ${binarySize(totalBytes)} of ${binarySize(maxBytes)}`]
  for (const entry of entries) {
    lines.push(`  ${new Date(entry.lastUsed).toISOString()}  ${binarySize(entry.bytes).padStart(10)}  ${entry.file}`)
  }
  return `${lines.join('\n')}\n`
}

module.exports = { cacheCommand }
