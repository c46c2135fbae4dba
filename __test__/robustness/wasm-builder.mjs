// A small encoder of the WebAssembly binary format, for building modules that WAT makes
// awkward: huge declared limits, thousands of functions, deep nesting, odd encodings.

export const I32 = 0x7f
export const I64 = 0x7e
export const F32 = 0x7d
export const F64 = 0x7c
export const V128 = 0x7b
export const FUNCREF = 0x70
export const EXTERNREF = 0x6f

// The byte-level primitives (LEB128 numbers, names) are the project's one binary encoder's.
import { name, sleb, uleb } from '../../bench/lib/wasm-encoder.mjs'

export { name, sleb, uleb }

/** Appends every item of `items` to `out` (no spread: arrays here may be huge). */
export function append(out, items) {
  for (let i = 0; i < items.length; i++) out.push(items[i])
  return out
}

export function vector(items) {
  const out = uleb(items.length)
  for (const item of items) {
    if (typeof item === 'number') out.push(item)
    else append(out, item)
  }
  return out
}

export function section(id, content) {
  return append([id, ...uleb(content.length)], content)
}

/** Limits: { min, max?, memory64?, shared? } */
export function limits({ min, max, memory64 = false, shared = false }) {
  let flags = max === undefined ? 0 : 1
  if (shared) flags |= 2
  if (memory64) flags |= 4
  return [flags, ...uleb(min), ...(max === undefined ? [] : uleb(max))]
}

/**
 * Builds a module. spec: {
 *   types: [[params[], results[]]], imports: [{ module, name, func: typeIndex }],
 *   functions: [{ type, locals?: [[count, type]], body: number[] (without the final end) }],
 *   tables: [{ element, min, max }], memories: [{ min, max, memory64 }],
 *   globals: [{ type, mutable, init: number[] (const expr without end) }],
 *   exports: [{ name, kind: 'func'|'table'|'memory'|'global', index }],
 *   start, data: [{ memory, offset: number[], bytes }], customs: [{ name, bytes }]
 * }
 */
export function buildModule(spec) {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
  const { types = [], imports = [], functions = [], tables = [], memories = [], globals = [] } = spec
  const { exports = [], data = [], customs = [] } = spec
  if (types.length) {
    append(out, section(1, vector(types.map(([params, results]) => [0x60, ...vector(params), ...vector(results)]))))
  }
  if (imports.length) {
    append(out, section(2, vector(imports.map((i) => [...name(i.module), ...name(i.name), 0x00, ...uleb(i.func)]))))
  }
  if (functions.length) append(out, section(3, vector(functions.map((f) => uleb(f.type)))))
  if (tables.length) append(out, section(4, vector(tables.map((t) => [t.element ?? FUNCREF, ...limits(t)]))))
  if (memories.length) append(out, section(5, vector(memories.map((m) => limits(m)))))
  if (globals.length) {
    append(out, section(6, vector(globals.map((g) => [g.type, g.mutable ? 1 : 0, ...g.init, 0x0b]))))
  }
  if (exports.length) {
    const kinds = { func: 0, table: 1, memory: 2, global: 3 }
    append(out, section(7, vector(exports.map((e) => [...name(e.name), kinds[e.kind], ...uleb(e.index)]))))
  }
  if (spec.start !== undefined) append(out, section(8, uleb(spec.start)))
  if (functions.length) {
    const bodies = functions.map((f) => {
      const locals = vector((f.locals ?? []).map(([count, type]) => [...uleb(count), type]))
      const body = append(append(locals, f.body), [0x0b])
      return append(uleb(body.length), body)
    })
    append(out, section(10, vector(bodies)))
  }
  if (data.length) {
    append(out, section(11, vector(data.map((d) => append([0x00, ...d.offset, 0x0b, ...uleb(d.bytes.length)], d.bytes)))))
  }
  for (const custom of customs) append(out, section(0, append(name(custom.name), custom.bytes)))
  return Uint8Array.from(out)
}

// A few instructions, for bodies.
export const op = {
  unreachable: [0x00],
  nop: [0x01],
  block: (type = 0x40) => [0x02, type],
  loop: (type = 0x40) => [0x03, type],
  if: (type = 0x40) => [0x04, type],
  else: [0x05],
  end: [0x0b],
  br: (depth) => [0x0c, ...uleb(depth)],
  brIf: (depth) => [0x0d, ...uleb(depth)],
  return: [0x0f],
  call: (index) => [0x10, ...uleb(index)],
  drop: [0x1a],
  localGet: (index) => [0x20, ...uleb(index)],
  localSet: (index) => [0x21, ...uleb(index)],
  i32Const: (value) => [0x41, ...sleb(value)],
  i64Const: (value) => [0x42, ...sleb(value)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Eqz: [0x45],
  i32Load: (offset = 0) => [0x28, 0x02, ...uleb(offset)],
  i32Store: (offset = 0) => [0x36, 0x02, ...uleb(offset)],
  memoryGrow: [0x40, 0x00],
  memorySize: [0x3f, 0x00],
}
