'use strict'
// `runtime-wasm inspect` for a component: its world in WIT (imports, then exports; an
// interface's resources first, each with its constructor, methods and static functions), or
// as JSON with the WIT types as componentWorld() describes them.

const EXIT = require('./exit-codes.js')
const { printable } = require('./printable.js')
const { loadComponentWorld } = require('./component-world.js')
const { resourceFunction } = require('../wit-names.js')

/** A resource's function as WIT writes it inside `resource NAME { ... }`. */
function resourceMember(owner, fn) {
  const params = fn.wit.slice('func'.length)
  switch (owner.role) {
    case 'constructor':
      return `constructor${params.endsWith(` -> ${owner.resource}`) ? params.slice(0, -` -> ${owner.resource}`.length) : params};`
    case 'method':
      return `${owner.member}: func${params.replace(`(self: borrow<${owner.resource}>, `, '(').replace(`(self: borrow<${owner.resource}>)`, '()')};`
    default:
      return `${owner.member}: static func${params};`
  }
}

function interfaceLines({ functions, resources }) {
  const lines = []
  const members = new Map(resources.map((r) => [r, []]))
  const plain = []
  for (const fn of functions) {
    const owner = resourceFunction(fn.name)
    if (owner !== null && members.has(owner.resource)) members.get(owner.resource).push(resourceMember(owner, fn))
    else plain.push(`${printable(fn.name)}: ${fn.wit};`)
  }
  for (const [resource, list] of members) {
    if (list.length === 0) lines.push(`resource ${printable(resource)};`)
    else lines.push(`resource ${printable(resource)} {`, ...list.map((line) => `  ${line}`), '}')
  }
  return [...lines, ...plain]
}

function itemLines(direction, item) {
  const head = `${direction} ${printable(item.name)}`
  switch (item.kind) {
    case 'function':
      return [`${head}: ${item.wit};`]
    case 'interface':
      return [`${head}: interface {`, ...interfaceLines(item).map((line) => `  ${line}`), '}']
    default:
      return [`${head}: ${item.what};`]
  }
}

/** The world as WIT text, one line per entry. */
function worldText(file, world) {
  const items = [...world.imports.flatMap((item) => itemLines('import', item)), ...world.exports.flatMap((item) => itemLines('export', item))]
  return [`component ${printable(file)}`, 'world {', ...items.map((line) => `  ${line}`), '}', ''].join('\n')
}

/**
 * Writes the component's world and returns the exit status, and a one-line message for
 * stderr when it failed.
 *
 * @param {string} file
 * @param {{ json?: boolean, write: (text: string) => Promise<void> | void }} options
 * @returns {Promise<{ status: number, message: string | null }>}
 */
async function inspectComponent(file, { json = false, write }) {
  const { world, message } = await loadComponentWorld(file)
  if (message !== undefined) return { status: EXIT.FAILED, message }
  await write(json ? `${JSON.stringify({ file, kind: 'component', ...world }, null, 2)}\n` : worldText(file, world))
  return { status: EXIT.OK, message: null }
}

module.exports = { inspectComponent, worldText }
