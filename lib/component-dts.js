'use strict'
// A TypeScript declaration file for calling a component through runtime-wasm, made from its
// world (componentWorld()): the overloads of `call` and `invoke` for its exports, an interface
// per resource, and the shape of the `imports` its host gives. Values follow jco's
// representations, as calls do. A compiled component keeps no WIT type names, so records,
// variants and the like are written out where they are used.

const { camelCase, pascalCase, resourceFunction } = require('./wit-names.js')

const TYPED_ARRAYS = Object.freeze({
  u8: 'Uint8Array',
  s8: 'Int8Array',
  u16: 'Uint16Array',
  s16: 'Int16Array',
  u32: 'Uint32Array',
  s32: 'Int32Array',
  u64: 'BigUint64Array',
  s64: 'BigInt64Array',
  f32: 'Float32Array',
  f64: 'Float64Array',
})
const NUMBERS = new Set(['s8', 'u8', 's16', 'u16', 's32', 'u32', 'f32', 'f64'])

// Global names the file refers to, and the names it imports: no declaration may shadow them.
const RESERVED_NAMES = ['Array', 'Promise', 'Symbol', 'Omit', 'CallOptions', 'Instance', 'Imports', ...Object.values(TYPED_ARRAYS)]

// Words a parameter cannot be named in strict mode code.
const RESERVED_WORDS = new Set(
  ('arguments await break case catch class const continue debugger default delete do else enum eval export ' +
    'extends false finally for function if implements import in instanceof interface let new null package ' +
    'private protected public return static super switch this throw true try typeof var void while with yield').split(' '),
)

const isWasi = (name) => name.startsWith('wasi:')

/** A quoted string literal (type or key). */
function literal(text) {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`
}

function propertyKey(name) {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : literal(name)
}

/** A JSDoc line for a WIT signature (a WIT text cannot hold `*\/`, but a hostile name might). */
function doc(text) {
  return `/** ${text.replace(/\*\//g, '*\\/').replace(/[\r\n\u2028\u2029]+/g, ' ')} */`
}

/** Allocates the file's top-level names, each once. */
function nameAllocator() {
  const taken = new Set(RESERVED_NAMES)
  return (wanted) => {
    const base = /^[A-Za-z_$]/.test(wanted) ? wanted : `Wasm${wanted}`
    let name = base
    for (let n = 2; taken.has(name); n++) name = `${base}${n}`
    taken.add(name)
    return name
  }
}

/** Unique, valid parameter names for a function's parameters, none of them `taken`. */
function parameterNames(params, taken = []) {
  const used = new Set(taken)
  return params.map(({ name }) => {
    let id = camelCase(name).replace(/[^\w$]/g, '_')
    if (!/^[A-Za-z_$]/.test(id) || RESERVED_WORDS.has(id)) id = `${id}_`
    while (used.has(id)) id = `${id}_`
    used.add(id)
    return id
  })
}

/** Every exported function, with the interface it belongs to ('' for the world's own). */
function exportedFunctions(world) {
  return world.exports.flatMap((item) => {
    if (item.kind === 'function') return [{ interfaceName: '', fn: item }]
    if (item.kind === 'interface') return item.functions.map((fn) => ({ interfaceName: item.name, fn }))
    return []
  })
}

/**
 * The TypeScript type of a WIT type. `resource(name)` gives the name of a resource's type.
 */
function tsType(type, resource) {
  const of = (inner) => tsType(inner, resource)
  if (NUMBERS.has(type.kind)) return 'number'
  switch (type.kind) {
    case 'bool':
      return 'boolean'
    case 's64':
    case 'u64':
      return 'bigint'
    case 'char':
    case 'string':
      return 'string'
    case 'list':
    case 'fixed-list':
      return TYPED_ARRAYS[type.element.kind] ?? `Array<${of(type.element)}>`
    case 'map':
      return `Array<[${of(type.key)}, ${of(type.value)}]>`
    case 'record':
      return objectType(type.fields.map((field) => `${propertyKey(camelCase(field.name))}: ${of(field.type)}`))
    case 'tuple':
      return `[${type.types.map(of).join(', ')}]`
    case 'variant':
      return type.cases.map((c) => tagged(c.name, c.type === null ? null : of(c.type))).join(' | ')
    case 'enum':
      return type.names.map(literal).join(' | ')
    case 'flags':
      return objectType(type.names.map((name) => `${propertyKey(camelCase(name))}?: boolean`))
    case 'option':
      // An option of an option is tagged (as in jco); `val` is the inner option.
      if (type.some.kind === 'option') return `${tagged('some', of(type.some))} | ${tagged('none', null)}`
      return `${of(type.some)} | undefined`
    case 'result':
      return `${tagged('ok', type.ok === null ? null : of(type.ok))} | ${tagged('err', type.err === null ? null : of(type.err))}`
    case 'own':
    case 'borrow':
      return resource(type.resource)
    default:
      // future, stream, error-context: not passed to or from JS yet.
      return 'unknown'
  }
}

function tagged(tag, val) {
  return val === null ? `{ tag: ${literal(tag)} }` : `{ tag: ${literal(tag)}; val: ${val} }`
}

function objectType(members) {
  return members.length === 0 ? '{}' : `{ ${members.join('; ')} }`
}

/** What a call to `fn` resolves to: a function's own result<T, E> resolves T, rejects for E. */
function callResult(fn, resource) {
  if (fn.result === null) return 'void'
  if (fn.result.kind !== 'result') return tsType(fn.result, resource)
  return fn.result.ok === null ? 'void' : tsType(fn.result.ok, resource)
}

function callDoc(fn) {
  return doc(fn.result?.kind === 'result' ? `${fn.wit} (an err rejects: a WasmError with the error as its payload)` : fn.wit)
}

function parameters(params, names, resource) {
  return params.map((param, i) => `${names[i]}: ${tsType(param.type, resource)}`)
}

/** The overloads of `call` and of `invoke` for one exported function. */
function callOverloads({ interfaceName, fn }, resource) {
  const name = literal(interfaceName === '' ? fn.name : `${interfaceName}#${fn.name}`)
  const names = parameterNames(fn.params, ['fn', 'args', 'options'])
  const params = parameters(fn.params, names, resource)
  const result = `Promise<${callResult(fn, resource)}>`
  return {
    call: [callDoc(fn), `call(fn: ${name}${params.map((p) => `, ${p}`).join('')}): ${result}`],
    invoke: [callDoc(fn), `invoke(fn: ${name}, args: [${params.join(', ')}], options?: CallOptions | null): ${result}`],
  }
}

/** An exported resource's object: its methods, its name, drop() and disposal. */
function resourceInterface(typeName, resourceName, methods, resource) {
  const members = [`readonly resource: ${literal(resourceName)}`]
  for (const { member, fn } of methods) {
    const params = fn.params.slice(1) // the first is the resource itself
    const names = parameterNames(params)
    members.push(callDoc(fn), `${propertyKey(camelCase(member))}(${parameters(params, names, resource).join(', ')}): Promise<${callResult(fn, resource)}>`)
  }
  members.push('/** Runs its destructor. */', 'drop(): Promise<void>', '[Symbol.dispose](): void', '[Symbol.asyncDispose](): Promise<void>')
  return [doc(`The resource ${resourceName}, as a call gives it.`), `export interface ${typeName} {`, ...indent(members), '}']
}

/** A host function's declaration: a result<T, E> import returns T, and throws for E. */
function hostFunction(fn, resource) {
  const names = parameterNames(fn.params)
  const returned = callResult(fn, resource)
  const signature = fn.result?.kind === 'result' ? `${fn.wit} (throw for an err: a WasmError's payload, else the thrown value, is the error)` : fn.wit
  return [doc(signature), `${propertyKey(camelCase(fn.name))}(${parameters(fn.params, names, resource).join(', ')}): ${returned} | Promise<${returned}>`]
}

// Resource functions are the guest's: the host gives plain functions only.
const hostFunctions = (functions) => functions.filter((fn) => resourceFunction(fn.name) === null)

/**
 * A resource the component imports, given by the host as a class: its constructor, its
 * methods (on its objects, without `self`) and its static functions.
 */
function hostResourceClass(item, resourceName, resource) {
  const member = (fn, params) => {
    const names = parameterNames(params)
    const returned = callResult(fn, resource)
    return `${parameters(params, names, resource).join(', ')}): ${returned} | Promise<${returned}>`
  }
  const parts = { constructor: [], method: [], static: [] }
  for (const fn of item.functions) {
    const owner = resourceFunction(fn.name)
    if (owner?.resource !== resourceName) continue
    if (owner.role === 'constructor') parts.constructor.push(`new (${parameters(fn.params, parameterNames(fn.params), resource).join(', ')}): Instance${pascalCase(resourceName)}`)
    if (owner.role === 'method') parts.method.push(`${propertyKey(camelCase(owner.member))}(${member(fn, fn.params.slice(1))}`)
    if (owner.role === 'static') parts.static.push(`${propertyKey(camelCase(owner.member))}(${member(fn, fn.params)}`)
  }
  const instance = parts.method.length === 0 ? 'object' : `{ ${parts.method.join('; ')} }`
  const members = [...parts.constructor.map((c) => c.replace(`Instance${pascalCase(resourceName)}`, instance)), ...parts.static]
  return [doc(`The resource ${resourceName}: a class (its objects stand behind the component's handles).`), `${propertyKey(pascalCase(resourceName))}: { ${members.join('; ')} }`]
}

function indent(lines) {
  return lines.map((line) => `  ${line}`)
}

/** The methods of each resource a call can give JS (exported resources), by resource name. */
function exportedResources(world, exported) {
  const methods = new Map()
  for (const item of world.exports) if (item.kind === 'interface') for (const r of item.resources) methods.set(r, [])
  for (const { fn } of exported) {
    const owner = resourceFunction(fn.name)
    if (owner === null) continue
    if (!methods.has(owner.resource)) methods.set(owner.resource, [])
    if (owner.role === 'method') methods.get(owner.resource).push({ member: owner.member, fn })
  }
  return methods
}

/**
 * Names the resources' types: the exported ones first, so that they keep their plain names,
 * then any other one as it is met (an opaque handle: only the host's imports hand it over).
 */
function resourceNames(exported, allocate) {
  const names = new Map([...exported].map((r) => [r, allocate(pascalCase(r) || 'Resource')]))
  const opaque = []
  const nameOf = (r) => {
    if (!names.has(r)) {
      names.set(r, allocate(pascalCase(r) || 'Resource'))
      opaque.push(r)
    }
    return names.get(r)
  }
  return { nameOf, opaque }
}

/** The host's interfaces, and the members of `Imports`. WASI's imports are the runtime's. */
function importDeclarations(world, resource, allocate) {
  const interfaces = []
  const members = []
  for (const item of world.imports) {
    if (item.kind === 'function' && resourceFunction(item.name) === null) members.push(...hostFunction(item, resource))
    if (item.kind !== 'interface' || isWasi(item.name)) continue
    const typeName = allocate(`${pascalCase(item.name)}Imports`)
    const classes = item.resources.flatMap((r) => hostResourceClass(item, r, resource))
    interfaces.push('', doc(`The host's functions for ${item.name}.`), `export interface ${typeName} {`, ...indent([...hostFunctions(item.functions).flatMap((fn) => hostFunction(fn, resource)), ...classes]), '}')
    members.push(`${literal(item.name)}: ${typeName}`)
  }
  return { interfaces, members }
}

function componentInterface(componentName, exported, resource) {
  const overloads = exported.map((entry) => callOverloads(entry, resource))
  return [
    doc(`An instance of the component, as instantiate() gives it (cast it: \`instance as unknown as ${componentName}\`).`),
    `export interface ${componentName} extends Omit<Instance, 'call' | 'invoke' | 'callSync' | 'memory'> {`,
    ...indent(overloads.flatMap((o) => o.call)),
    ...indent(overloads.flatMap((o) => o.invoke)),
    '}',
  ]
}

/**
 * The declaration file's text.
 *
 * @param {{ imports: object[], exports: object[] }} world as componentWorld() describes it
 * @param {{ name?: string }} [options] the component's name (its file's, without extension):
 *   the interface of its instance is named after it, `TypesComponent` for `types`
 * @returns {string}
 */
function componentDts(world, { name = 'component' } = {}) {
  const allocate = nameAllocator()
  const componentName = allocate(`${pascalCase(name)}Component`)
  const exported = exportedFunctions(world)
  const methods = exportedResources(world, exported)
  const { nameOf, opaque } = resourceNames(methods.keys(), allocate)
  // Made before the resources' declarations: making them names the opaque resources.
  const component = componentInterface(componentName, exported, nameOf)
  const imports = importDeclarations(world, nameOf, allocate)
  const resources = [...methods].flatMap(([r, list]) => ['', ...resourceInterface(nameOf(r), r, list, nameOf)])
  const handles = opaque.flatMap((r) => ['', doc(`A handle of the resource ${r}, opaque to JS.`), `export type ${nameOf(r)} = object`])
  return [
    `// The component ${JSON.stringify(name).replace(/[\u2028\u2029]/g, ' ')} for runtime-wasm, generated by \`runtime-wasm types\` from its world.`,
    '/// <reference lib="es2020.bigint" />',
    '/// <reference lib="esnext.disposable" />',
    "import type { CallOptions, Instance } from 'runtime-wasm'",
    ...resources,
    ...handles,
    '',
    ...component,
    ...imports.interfaces,
    '',
    doc('What to give instantiate() as `imports`. WASI 0.2 (wasi:*) is provided by the runtime.'),
    'export interface Imports {',
    ...indent(imports.members),
    '}',
    '',
  ].join('\n')
}

module.exports = { componentDts }
