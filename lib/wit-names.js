'use strict'
// WIT names as a component's description gives them, and as JS spells them: camelCase for
// record fields, flags and functions, and the resource a `[constructor]R`, `[method]R.name` or
// `[static]R.name` function belongs to.

/** `label-text` -> `labelText`, as the core converts record fields and flags. */
function camelCase(name) {
  return name.replace(/-+(.?)/gs, (_, next) => next.toUpperCase())
}

/** `test:types/api` -> `TestTypesApi`, `wasi:cli/run@0.2.12` -> `WasiCliRun`. */
function pascalCase(name) {
  return name
    .replace(/@.*$/s, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('')
}

const RESOURCE_FUNCTION = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/s

/**
 * What a resource's function is: `{ role: 'constructor' | 'method' | 'static', resource,
 * member }` (member is the function's own name, null for a constructor), or null for a
 * function of no resource.
 */
function resourceFunction(name) {
  const match = RESOURCE_FUNCTION.exec(name)
  if (match === null) return null
  const [, role, resource, member = null] = match
  if ((role === 'constructor') !== (member === null)) return null
  return { role, resource, member }
}

/**
 * The name of a command component's entry point, `wasi:cli/run@0.3.x#run` or `…@0.2.x#run`,
 * among its exports (as componentWorld() and getExports() list them); undefined if it has none.
 * A component that exports both (toolchains emit the two side by side) is run through WASI 0.3's,
 * as wasmtime does.
 */
function commandRun(exports) {
  for (const minor of ['3', '2']) {
    const run = exports.find((e) => e.kind === 'interface' && e.name.startsWith(`wasi:cli/run@0.${minor}.`))
    if (run?.functions.some((f) => f.name === 'run')) return `${run.name}#run`
  }
  return undefined
}

module.exports = { camelCase, pascalCase, resourceFunction, commandRun }
