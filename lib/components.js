'use strict'
// Components: calls by WIT type, their exports described, resources as objects, and host
// functions for their imports. Values are converted by the core (src/api/component_values.rs,
// jco's representations); this file adds what JS does better: a function's own `result` is
// its value or a rejection carrying the error's payload, resources become objects with their
// methods, and host functions whose import returns a `result` may return the ok value or throw.

const native = require('./native.js')
const { ErrorCode, WasmError, invoke, invokeAsync, toPublicError } = require('./errors.js')
const { keepAlive } = require('./finalizers.js')
const { describe, requireArray, requireString } = require('./arguments.js')
const { requireInstanceId } = require('./handles.js')
const { refuseReentry, waitingInstances, hostImports } = require('./host-calls.js')
const { settleAfterOutput } = require('./output.js')
const { callWithSignal } = require('./call-options.js')
const { resourceHandleKey, hostResourceKey } = require('./constants.js')
const { componentWorld } = require('./modules.js')
const { camelCase, pascalCase } = require('./wit-names.js')

// What is known of each instance id, asked of the core once: forgotten when the instance is
// dropped, and all at once past CACHED_INSTANCES (instances the garbage collector freed
// without drop() leave their entries behind).
const CACHED_INSTANCES = 10000
const kinds = new Map() // id -> 'component' | 'module'
const functionTypes = new Map() // id -> Map(name -> { name, params, result, wit })
const exportsByInstance = new Map() // id -> componentExports()
const worlds = new Map() // module id -> componentWorld(), for its instances' host imports

function cached(map, instanceId, make) {
  let value = map.get(instanceId)
  if (value === undefined) {
    value = make()
    if (map.size >= CACHED_INSTANCES) map.clear()
    map.set(instanceId, value)
  }
  return value
}

function isComponentInstance(instanceId) {
  return cached(kinds, instanceId, () => invoke(native.instanceKind, instanceId)) === 'component'
}

function forgetComponentInstance(instanceId) {
  kinds.delete(instanceId)
  functionTypes.delete(instanceId)
  exportsByInstance.delete(instanceId)
}

function functionType(instanceId, name) {
  const functions = cached(functionTypes, instanceId, () => new Map())
  let type = functions.get(name)
  if (type === undefined) {
    type = JSON.parse(invoke(native.componentFunction, instanceId, name))
    functions.set(name, type)
  }
  return type
}

// Calls a component's function: `greet`, or `pkg:name/interface#function`. `owner` (the
// Instance object, if any) is kept reachable until the call settles.
async function callComponent(instanceId, name, args = [], options = undefined, owner = undefined) {
  requireInstanceId(instanceId)
  requireString(name, 'export name')
  refuseReentry(instanceId)
  requireArray(args)
  const type = functionType(instanceId, name)
  const upstream = waitingInstances()
  let value
  try {
    const pending =
      options === undefined || options === null
        ? native.callComponent(instanceId, name, args, undefined, undefined, undefined, upstream)
        : callWithSignal(native.callComponent, instanceId, name, args, options, upstream)
    value = await settleAfterOutput(instanceId, pending)
  } catch (error) {
    throw readingFailed(toPublicError(error), name)
  }
  keepAlive(owner)
  const lifted = type.result === null ? undefined : liftResources(value, type.result, instanceId, name, owner)
  // A WASI program that exits with status 0 returns nothing.
  if (type.result?.kind !== 'result' || lifted === undefined) return lifted
  if (lifted.tag === 'err') {
    throw new WasmError(ErrorCode.CallError, `call to ${JSON.stringify(name)} returned an error: ${summary(lifted.val)}`, { payload: lifted.val })
  }
  return lifted.val
}

// The core reads arguments with their getters and proxies: what one of those throws is the
// call's 5007, with the thrown value as its cause.
function readingFailed(error, name) {
  if (error instanceof WasmError || error?.name === 'AbortError') return error
  return new WasmError(ErrorCode.TypeError, `reading the arguments of ${JSON.stringify(name)} threw: ${error?.message ?? String(error)}`, { cause: error })
}

function summary(payload) {
  if (payload === undefined) return '(no payload)'
  if (typeof payload === 'string') return payload
  if (typeof payload === 'object' && payload !== null && typeof payload.tag === 'string') return payload.tag
  try {
    return JSON.stringify(payload, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))
  } catch {
    return describe(payload)
  }
}

// Wraps the resource handles inside `value` (of WIT type `type`) into ComponentResource objects.
function liftResources(value, type, instanceId, calledName, owner) {
  const interfaceName = calledName.includes('#') ? calledName.slice(0, calledName.lastIndexOf('#')) : ''
  return mapResources(value, type, (handle, t) => new ComponentResource(instanceId, handle[resourceHandleKey], t.resource, interfaceName, owner))
}

// `value` (of WIT type `type`) with each resource in it replaced by onResource(resource, type);
// the value itself when its type holds no resource. Containers are copied, never changed.
function mapResources(value, type, onResource) {
  if (!mentionsResource(type)) return value
  const map = (v, t) => {
    if (v === undefined || v === null || !mentionsResource(t)) return v
    switch (t.kind) {
      case 'own':
      case 'borrow':
        return onResource(v, t)
      case 'list':
      case 'fixed-list':
        return Array.isArray(v) ? v.map((item) => map(item, t.element)) : v
      case 'option':
        return t.some.kind === 'option' ? (v.tag === 'some' ? { tag: 'some', val: map(v.val, t.some) } : v) : map(v, t.some)
      case 'result': {
        const inner = v.tag === 'ok' ? t.ok : t.err
        return inner ? { tag: v.tag, val: map(v.val, inner) } : v
      }
      case 'record': {
        const copy = { ...v }
        for (const field of t.fields) copy[camelCase(field.name)] = map(v[camelCase(field.name)], field.type)
        return copy
      }
      case 'tuple':
        return Array.isArray(v) ? v.map((item, i) => map(item, t.types[i])) : v
      case 'variant': {
        const found = t.cases.find((c) => c.name === v.tag)
        return found?.type ? { tag: v.tag, val: map(v.val, found.type) } : v
      }
      default:
        return v
    }
  }
  return map(value, type)
}

// Whether a type holds a resource anywhere: asked for every value that crosses, so kept per
// type object (types are described once per function).
const resourceMentions = new WeakMap()

function mentionsResource(type) {
  if (type === null || type === undefined) return false
  let mentions = resourceMentions.get(type)
  if (mentions === undefined) {
    mentions = holdsResource(type)
    resourceMentions.set(type, mentions)
  }
  return mentions
}

function holdsResource(type) {
  switch (type.kind) {
    case 'own':
    case 'borrow':
      return true
    case 'list':
    case 'fixed-list':
      return mentionsResource(type.element)
    case 'option':
      return mentionsResource(type.some)
    case 'result':
      return mentionsResource(type.ok) || mentionsResource(type.err)
    case 'record':
      return type.fields.some((f) => mentionsResource(f.type))
    case 'tuple':
      return type.types.some(mentionsResource)
    case 'variant':
      return type.cases.some((c) => mentionsResource(c.type))
    default:
      return false
  }
}

// A resource a component gave to JS. Its methods are the interface's `[method]NAME.*`
// functions, in camelCase; drop() (or `using` / `await using`) runs its destructor.
class ComponentResource {
  #instanceId
  #owner
  constructor(instanceId, handle, resource, interfaceName, owner) {
    Object.defineProperty(this, resourceHandleKey, { value: handle, enumerable: false })
    this.#instanceId = instanceId
    this.#owner = owner // keeps the Instance (and so the instance) alive while this is used
    Object.defineProperty(this, 'resource', { value: resource, enumerable: true })
    const prefix = `${interfaceName === '' ? '' : `${interfaceName}#`}[method]${resource}.`
    for (const method of methodsOf(instanceId, interfaceName, resource)) {
      Object.defineProperty(this, camelCase(method), {
        value: (...args) => callComponent(instanceId, `${prefix}${method}`, [this, ...args], undefined, owner),
        enumerable: false,
      })
    }
  }
  async drop() {
    await invokeAsync(native.dropComponentResource, this.#instanceId, this[resourceHandleKey])
  }
  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this.drop().catch(() => {})
  }
  async [Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')]() {
    try {
      await this.drop()
    } catch (error) {
      if (error?.code !== ErrorCode.InvalidInstanceHandle) throw error
    }
  }
}

// The names of a resource's methods (kebab-case), from the instance's exports.
function methodsOf(instanceId, interfaceName, resource) {
  const exports = componentExports(instanceId)
  const functions = interfaceName === '' ? exports.filter((e) => e.kind === 'function') : exports.find((e) => e.name === interfaceName)?.functions ?? []
  const prefix = `[method]${resource}.`
  return functions.filter((f) => f.name.startsWith(prefix)).map((f) => f.name.slice(prefix.length))
}

// A component instance's exports: [{ kind: 'function', name, params, result, wit },
// { kind: 'interface', name, functions, resources }], with types as the core describes them.
function componentExports(instanceId) {
  return cached(exportsByInstance, instanceId, () => JSON.parse(invoke(native.componentExports, instanceId)))
}

// A component's imports from JS: { "pkg:name/interface": { fn() {} }, topLevelFn() {} }.
// Functions whose import returns a `result` may return the ok value (or a Promise of it) and
// throw for the error: the `payload` of a thrown object that has one (a WasmError made with
// { payload }), else a thrown value that is not an Error, is the error's payload; a thrown
// Error is a failure of the host function (the call rejects with it as the cause).
// A resource the component imports is given as a class, by its name in PascalCase or as in
// WIT (`{ "my:pkg/store": { Kv: class { get(key) {} } } }`): its constructor, methods and
// static functions serve the resource's functions, and its objects stand behind the handles.
function componentHostImports(given, self, moduleId) {
  if (given === undefined || given === null) return undefined
  if (typeof given !== 'object') throw new WasmError(ErrorCode.InstantiateError, `imports must be an object, got ${describe(given)}`)
  const world = cached(worlds, moduleId, () => componentWorld(moduleId))
  const objects = new HostResources()
  const namespaces = {}
  for (const [key, value] of Object.entries(given)) {
    if (typeof value === 'function') {
      namespaces[''] ??= {}
      namespaces[''][key] = hostFunction(value, importedFunction(world, '', key), objects)
    } else if (value !== null && typeof value === 'object') {
      const imported = world.imports.find((item) => item.kind === 'interface' && item.name === key)
      namespaces[key] = {}
      for (const [name, implementation] of Object.entries(value)) {
        const resource = imported?.resources.find((r) => r === name || pascalCase(r) === name)
        if (resource !== undefined && typeof implementation === 'function') {
          Object.assign(namespaces[key], resourceFunctions(imported, resource, implementation, objects))
        } else {
          namespaces[key][name] = typeof implementation === 'function' ? hostFunction(implementation, importedFunction(world, key, name), objects) : implementation
        }
      }
    } else {
      throw new WasmError(ErrorCode.InstantiateError, `imports.${key} must be an object of functions or a function, got ${describe(value)}`)
    }
  }
  return hostImports(namespaces, self)
}

// The host functions of an imported resource, served by the class that implements it.
function resourceFunctions(imported, resource, Class, objects) {
  const functions = {}
  for (const fn of imported.functions) {
    // [constructor]kv, [method]kv.get, [static]kv.open
    const [, kind, owner, name = ''] = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(fn.name) ?? []
    if (owner !== resource) continue
    const member = camelCase(name)
    const implementation =
      kind === 'constructor'
        ? (...args) => new Class(...args)
        : kind === 'method'
          ? (self, ...args) => self[member](...args)
          : (...args) => Class[member](...args)
    functions[fn.name] = hostFunction(implementation, fn, objects)
  }
  return functions
}

// The objects that stand behind the handles of resources JS defines, by number.
class HostResources {
  #objects = new Map()
  #numbers = new WeakMap()
  #next = 0
  // What crosses into wasm for `object`.
  handleOf(object) {
    let number = this.#numbers.get(object)
    if (number === undefined) {
      number = ++this.#next
      this.#numbers.set(object, number)
      this.#objects.set(number, object)
    }
    return { [hostResourceKey]: number }
  }
  objectOf(handle) {
    return this.#objects.get(handle?.[hostResourceKey])
  }
}

// A host function with its import's result convention (see wrapForResult), and the resources
// JS defines turned into their objects on the way in and into handles on the way out.
function hostFunction(implementation, type, objects) {
  const inner = wrapForResult(implementation, type)
  const params = type?.params ?? []
  if (!params.some((p) => mentionsResource(p.type)) && !mentionsResource(type?.result)) return inner
  const lower = (value) => mapResources(value, type.result, (object) => objects.handleOf(object))
  return function (...args) {
    const lifted = args.map((arg, i) => mapResources(arg, params[i]?.type, (handle) => objects.objectOf(handle) ?? handle))
    const returned = inner.apply(this, lifted)
    if (returned !== null && typeof returned?.then === 'function') return Promise.resolve(returned).then(lower)
    return lower(returned)
  }
}

function importedFunction(world, interfaceName, name) {
  const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
  const functions = interfaceName === '' ? world.imports.filter((i) => i.kind === 'function') : world.imports.find((i) => i.name === interfaceName)?.functions ?? []
  return functions.find((f) => f.name === name || f.name === kebab)
}

function wrapForResult(implementation, type) {
  if (type?.result?.kind !== 'result') return implementation
  const err = (error) => {
    if (error !== null && typeof error === 'object' && 'payload' in error) return { tag: 'err', val: error.payload }
    if (error instanceof Error) throw error
    return { tag: 'err', val: error }
  }
  return function (...args) {
    let returned
    try {
      returned = implementation.apply(this, args)
    } catch (error) {
      return err(error)
    }
    if (returned !== null && typeof returned?.then === 'function') {
      return Promise.resolve(returned).then((val) => ({ tag: 'ok', val }), err)
    }
    return { tag: 'ok', val: returned }
  }
}

module.exports = {
  isComponentInstance,
  forgetComponentInstance,
  callComponent,
  componentExports,
  componentHostImports,
  ComponentResource,
}
