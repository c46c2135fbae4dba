// Random but valid modules, from a seed (a small wasm-smith for the JS smoke run), and a
// mutator that breaks them. The same seed always gives the same bytes.
import { buildModule, sleb, uleb, I32, I64, F32, F64, FUNCREF } from './wasm-builder.mjs'

/** SplitMix32-style generator: deterministic, seedable, fast. */
export function rng(seed) {
  let state = seed >>> 0 || 1
  const next = () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  const below = (n) => (n <= 0 ? 0 : next() % n)
  const pick = (items) => items[below(items.length)]
  return { next, below, pick, chance: (p) => next() / 2 ** 32 < p }
}

const NUM_TYPES = [I32, I64, F32, F64]

// Opcodes by type: binary (T, T) -> T, and unary T -> T.
const BINARY = {
  [I32]: [0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78],
  [I64]: [0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a],
  [F32]: [0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98],
  [F64]: [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6],
}
const UNARY = {
  [I32]: [0x67, 0x68, 0x69],
  [I64]: [0x79, 0x7a, 0x7b],
  [F32]: [0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91],
  [F64]: [0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f],
}
// Conversions into T: [opcode, from].
const CONVERT = {
  [I32]: [[0xa7, I64], [0xa8, F32], [0xa9, F32], [0xaa, F64], [0xab, F64], [0x45, I32], [0x50, I64]],
  [I64]: [[0xac, I32], [0xad, I32], [0xae, F32], [0xaf, F32], [0xb0, F64], [0xb1, F64]],
  [F32]: [[0xb2, I32], [0xb3, I32], [0xb4, I64], [0xb5, I64], [0xb6, F64]],
  [F64]: [[0xb7, I32], [0xb8, I32], [0xb9, I64], [0xba, I64], [0xbb, F32]],
}
// Comparisons (T, T) -> i32: [opcode, T].
const COMPARE = [[0x46, I32], [0x4f, I32], [0x51, I64], [0x59, I64], [0x5b, F32], [0x5e, F32], [0x61, F64], [0x66, F64]]
// Loads of T: [opcode, alignment].
const LOAD = { [I32]: [0x28, 2], [I64]: [0x29, 3], [F32]: [0x2a, 2], [F64]: [0x2b, 3] }
const STORE = { [I32]: [0x36, 2], [I64]: [0x37, 3], [F32]: [0x38, 2], [F64]: [0x39, 3] }
const SPECIAL_CONSTS = [0, 1, -1, 0x7fffffff, -0x80000000, 0xff, 65535, 65536]

function constOf(type, r) {
  switch (type) {
    case I32:
      return [0x41, ...sleb(r.chance(0.5) ? r.pick(SPECIAL_CONSTS) : (r.next() | 0) >> r.below(32))]
    case I64:
      return [0x42, ...sleb(BigInt.asIntN(64, (BigInt(r.next()) << 32n) | BigInt(r.next())) >> BigInt(r.below(64)))]
    case F32: {
      const bytes = new Uint8Array(new Float32Array([r.pick([0, -0, 1.5, NaN, Infinity, -1e30, r.next()])]).buffer)
      return [0x43, ...bytes]
    }
    default: {
      const bytes = new Uint8Array(new Float64Array([r.pick([0, -0, 2.5, NaN, -Infinity, 1e300, r.next()])]).buffer)
      return [0x44, ...bytes]
    }
  }
}

/** Generates a valid module (and a description of its functions) from `seed`. */
export function randomModule(seed) {
  const r = rng(seed)
  const hasMemory = r.chance(0.8)
  const memory = hasMemory ? { min: r.below(3), max: r.chance(0.5) ? 3 + r.below(4) : undefined } : null
  const globals = Array.from({ length: r.below(4) }, () => {
    const type = r.pick(NUM_TYPES)
    return { type, mutable: true, init: constOf(type, r) }
  })
  const funcCount = 1 + r.below(6)
  const types = []
  const funcs = []
  for (let f = 0; f < funcCount; f++) {
    const params = Array.from({ length: r.below(5) }, () => r.pick(NUM_TYPES))
    const results = r.chance(0.15) ? [] : r.chance(0.85) ? [r.pick(NUM_TYPES)] : [r.pick(NUM_TYPES), r.pick(NUM_TYPES)]
    types.push([params, results])
    funcs.push({ params, results, locals: Array.from({ length: r.below(4) }, () => r.pick(NUM_TYPES)) })
  }
  const functions = funcs.map((fn, index) => {
    const ctx = { r, fn, index, funcs, globals, hasMemory, depth: 0 }
    const body = []
    for (let s = 0, n = r.below(4); s < n; s++) body.push(...statement(ctx))
    for (const type of fn.results) body.push(...expression(ctx, type))
    if (r.chance(0.05)) body.unshift(0x00) // unreachable
    return { type: index, locals: fn.locals.map((type) => [1, type]), body }
  })
  const exports = funcs.map((_, index) => ({ name: `f${index}`, kind: 'func', index }))
  if (hasMemory) exports.push({ name: 'memory', kind: 'memory', index: 0 })
  globals.forEach((_, index) => exports.push({ name: `g${index}`, kind: 'global', index }))
  const tables = r.chance(0.3) ? [{ element: FUNCREF, min: r.below(8) }] : []
  if (tables.length) exports.push({ name: 'table', kind: 'table', index: 0 })
  const bytes = buildModule({
    types,
    functions,
    tables,
    memories: memory ? [memory] : [],
    globals,
    exports,
    data: hasMemory && memory.min > 0 && r.chance(0.5) ? [{ offset: [0x41, ...sleb(r.below(1024))], bytes: [1, 2, 3, 4] }] : [],
  })
  return { bytes, functions: funcs.map((fn, index) => ({ name: `f${index}`, params: fn.params, results: fn.results })) }
}

function localsOf(ctx, type) {
  const all = [...ctx.fn.params, ...ctx.fn.locals]
  return all.map((t, i) => (t === type ? i : -1)).filter((i) => i >= 0)
}

function expression(ctx, type) {
  const { r } = ctx
  ctx.depth++
  try {
    if (ctx.depth > 6) return constOf(type, r)
    const locals = localsOf(ctx, type)
    const globals = ctx.globals.map((g, i) => (g.type === type ? i : -1)).filter((i) => i >= 0)
    const callees = ctx.funcs
      .map((f, i) => (i < ctx.index && f.results.length === 1 && f.results[0] === type ? i : -1))
      .filter((i) => i >= 0)
    switch (r.below(10)) {
      case 0:
        return constOf(type, r)
      case 1:
        return locals.length ? [0x20, ...uleb(r.pick(locals))] : constOf(type, r)
      case 2:
        return globals.length ? [0x23, ...uleb(r.pick(globals))] : constOf(type, r)
      case 3:
        return [...expression(ctx, type), ...expression(ctx, type), r.pick(BINARY[type])]
      case 4:
        return [...expression(ctx, type), r.pick(UNARY[type])]
      case 5: {
        const [opcode, from] = r.pick(CONVERT[type])
        return [...expression(ctx, from), opcode]
      }
      case 6: {
        if (!ctx.hasMemory) return constOf(type, r)
        const [opcode, align] = LOAD[type]
        return [...address(ctx), opcode, align, ...uleb(r.below(16))]
      }
      case 7: {
        if (!callees.length) return constOf(type, r)
        const callee = r.pick(callees)
        return [...ctx.funcs[callee].params.flatMap((t) => expression(ctx, t)), 0x10, ...uleb(callee)]
      }
      case 8:
        if (type === I32 && r.chance(0.5)) {
          const [opcode, from] = r.pick(COMPARE)
          return [...expression(ctx, from), ...expression(ctx, from), opcode]
        }
        // if (result T) ... else ... end
        return [...expression(ctx, I32), 0x04, type, ...expression(ctx, type), 0x05, ...expression(ctx, type), 0x0b]
      default:
        return [...expression(ctx, type), ...expression(ctx, type), ...expression(ctx, I32), 0x1b] // select
    }
  } finally {
    ctx.depth--
  }
}

function address(ctx) {
  const { r } = ctx
  return r.chance(0.8) ? [0x41, ...sleb(r.below(70000))] : [...expression(ctx, I32)]
}

function statement(ctx) {
  const { r } = ctx
  const type = r.pick(NUM_TYPES)
  switch (r.below(6)) {
    case 0: {
      const locals = localsOf(ctx, type)
      return locals.length ? [...expression(ctx, type), 0x21, ...uleb(r.pick(locals))] : []
    }
    case 1: {
      const globals = ctx.globals.map((g, i) => (g.type === type ? i : -1)).filter((i) => i >= 0)
      return globals.length ? [...expression(ctx, type), 0x24, ...uleb(r.pick(globals))] : []
    }
    case 2: {
      if (!ctx.hasMemory) return []
      const [opcode, align] = STORE[type]
      return [...address(ctx), ...expression(ctx, type), opcode, align, ...uleb(r.below(16))]
    }
    case 3:
      // A counted loop: i32 local 0 of a fresh block is not available, so count on the stack
      // with a global-free pattern: (loop (br_if 0 (i32.const 0)))... bounded by construction.
      return [0x03, 0x40, ...expression(ctx, I32), 0x45, 0x45, 0x1a, 0x0b]
    case 4:
      return ctx.hasMemory && r.chance(0.3) ? [...constOf(I32, { ...r, next: () => r.below(3) }), 0x40, 0x00, 0x1a] : []
    default:
      return [...expression(ctx, type), 0x1a]
  }
}

/** Breaks a module: flipped bits, changed, inserted or removed bytes, a cut, a huge LEB. */
export function mutate(bytes, seed) {
  const r = rng(seed ^ 0x5bd1e995)
  const out = [...bytes]
  for (let edits = 1 + r.below(6); edits > 0; edits--) {
    if (out.length <= 8) break
    const at = 8 + r.below(out.length - 8)
    switch (r.below(6)) {
      case 0:
        out[at] ^= 1 << r.below(8)
        break
      case 1:
        out[at] = r.below(256)
        break
      case 2:
        out.splice(at, 0, r.below(256))
        break
      case 3:
        out.splice(at, 1)
        break
      case 4:
        out.length = at
        break
      default:
        out.splice(at, 1, 0xff, 0xff, 0xff, 0xff, 0x0f)
    }
  }
  return Uint8Array.from(out)
}
