// A minimal WebAssembly binary encoder: enough to emit the benchmarks' small modules and the
// generated large module without a text-format toolchain. Function bodies are arrays of bytes
// built with the `op` table and the immediate helpers below.

export const type = Object.freeze({ i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c })

export const op = Object.freeze({
  unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, f64_load: 0x2b, i32_load8_u: 0x2d,
  i32_store: 0x36, i64_store: 0x37, f64_store: 0x39, i32_store8: 0x3a,
  memory_size: 0x3f, memory_grow: 0x40,
  i32_const: 0x41, i64_const: 0x42, f64_const: 0x44,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a,
  i32_gt_u: 0x4b, i32_le_u: 0x4d, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_ne: 0x52, i64_lt_u: 0x54,
  f64_lt: 0x63, f64_gt: 0x64,
  i32_clz: 0x67, i32_popcnt: 0x69, i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c,
  i32_div_u: 0x6e, i32_rem_u: 0x70, i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74,
  i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85,
  i64_shl: 0x86, i64_shr_u: 0x88, i64_rotl: 0x89,
  f64_abs: 0x99, f64_neg: 0x9a, f64_sqrt: 0x9f, f64_add: 0xa0, f64_sub: 0xa1, f64_mul: 0xa2,
  f64_div: 0xa3, f64_min: 0xa4, f64_max: 0xa5,
  i32_wrap_i64: 0xa7, i32_trunc_sat_f64_s: [0xfc, 0x02], i64_extend_i32_u: 0xad,
  f64_convert_i32_s: 0xb7, f64_convert_i64_u: 0xba,
})

// The block type of a block, loop or if with no result.
export const EMPTY = 0x40

export function uleb(value) {
  const out = []
  let n = BigInt(value)
  do {
    let byte = Number(n & 0x7fn)
    n >>= 7n
    if (n !== 0n) byte |= 0x80
    out.push(byte)
  } while (n !== 0n)
  return out
}

export function sleb(value) {
  const out = []
  let n = BigInt(value)
  for (;;) {
    const byte = Number(n & 0x7fn)
    n >>= 7n
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}

export function f64(value) {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setFloat64(0, value, true)
  return [...bytes]
}

// A memory immediate: alignment exponent and offset.
export function memarg(align, offset = 0) {
  return [...uleb(align), ...uleb(offset)]
}

export function name(text) {
  const bytes = new TextEncoder().encode(text)
  return [...uleb(bytes.length), ...bytes]
}

function vector(items) {
  return [...uleb(items.length), ...items.flat()]
}

function section(id, content) {
  return content.length === 0 ? [] : [id, ...uleb(content.length), ...content]
}

// Concatenates large byte lists without spreading them onto the call stack.
function concat(parts) {
  const total = parts.reduce((sum, part) => sum + part.length, 0)
  const out = new Uint8Array(total)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

export class ModuleBuilder {
  #types = []
  #typeKeys = new Map()
  #imports = []
  #functions = [] // { typeIndex, locals, body }
  #memory = null
  #exports = []

  // Returns the index of the function type (params) -> (results), adding it once.
  type(params, results) {
    const key = `${params.join(',')}:${results.join(',')}`
    if (!this.#typeKeys.has(key)) {
      this.#typeKeys.set(key, this.#types.length)
      this.#types.push([0x60, ...vector(params.map((t) => [t])), ...vector(results.map((t) => [t]))])
    }
    return this.#typeKeys.get(key)
  }

  // Imports a function; imports must all be declared before the first defined function.
  importFunction(module, field, params, results) {
    if (this.#functions.length > 0) throw new Error('imports must come before defined functions')
    this.#imports.push([...name(module), ...name(field), 0x00, ...uleb(this.type(params, results))])
    return this.#imports.length - 1
  }

  // Defines a function. `locals` is a list of value types; `body` the instructions without the
  // final `end`. Returns the function index.
  function(params, results, locals, body, exportName) {
    const index = this.#imports.length + this.#functions.length
    this.#functions.push({ typeIndex: this.type(params, results), locals, body })
    if (exportName !== undefined) this.export(exportName, 0x00, index)
    return index
  }

  // Declares the one linear memory (sizes in 64 KiB pages).
  memory(minPages, maxPages, exportName) {
    this.#memory = maxPages === undefined ? [0x00, ...uleb(minPages)] : [0x01, ...uleb(minPages), ...uleb(maxPages)]
    if (exportName !== undefined) this.export(exportName, 0x02, 0)
  }

  export(exportName, kind, index) {
    this.#exports.push([...name(exportName), kind, ...uleb(index)])
  }

  get functionCount() {
    return this.#imports.length + this.#functions.length
  }

  bytes() {
    const bodies = this.#functions.map(({ locals, body }) => {
      const groups = []
      for (const t of locals) {
        const last = groups[groups.length - 1]
        if (last && last[1] === t) last[0]++
        else groups.push([1, t])
      }
      const content = concat([
        Uint8Array.from(vector(groups.map(([count, t]) => [...uleb(count), t]))),
        Uint8Array.from(body.flat(Infinity)),
        Uint8Array.of(op.end),
      ])
      return concat([Uint8Array.from(uleb(content.length)), content])
    })
    const code = concat([Uint8Array.from(uleb(bodies.length)), ...bodies])
    return concat([
      Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00),
      Uint8Array.from(section(1, vector(this.#types))),
      Uint8Array.from(section(2, this.#imports.length ? vector(this.#imports) : [])),
      Uint8Array.from(section(3, this.#functions.length ? vector(this.#functions.map((f) => uleb(f.typeIndex))) : [])),
      Uint8Array.from(section(5, this.#memory ? vector([this.#memory]) : [])),
      Uint8Array.from(section(7, this.#exports.length ? vector(this.#exports) : [])),
      code.length > 1 ? concat([Uint8Array.of(10, ...uleb(code.length)), code]) : new Uint8Array(0),
    ])
  }
}
