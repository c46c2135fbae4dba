// Generates a large module deterministically: thousands of functions with non-trivial bodies
// (nested loops, branches, br_table, calls, i32/i64/f64 arithmetic, loads and stores), so that
// compiling it is real work for an optimizing compiler. Same seed, same bytes.
//
// Every function is (i32, i32) -> i32 and calls only functions defined before it. The code is
// valid but not meant to be run.

import { EMPTY, ModuleBuilder, f64, memarg, op, sleb, type } from './wasm-encoder.mjs'

const { i32 } = type

// Local slots: 0-1 params, 2-5 i32 scratch, 6-7 i64, 8 f64, 9-11 loop counters (one per depth).
const I32_LOCALS = [0, 1, 2, 3, 4, 5]
const I64_LOCALS = [6, 7]
const F64_LOCAL = 8
const COUNTERS = [9, 10, 11]
const LOCALS = [i32, i32, i32, i32, type.i64, type.i64, type.f64, i32, i32, i32]

function prng(seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class BodyWriter {
  constructor(random, index) {
    this.random = random
    this.index = index // this function's index: it may call any lower one
    this.out = []
  }

  pick(list) {
    return list[Math.floor(this.random() * list.length)]
  }

  emit(...bytes) {
    for (const b of bytes) this.out.push(b)
  }

  exprI32(depth) {
    const r = this.random()
    if (depth <= 0 || r < 0.25) {
      if (this.random() < 0.7) this.emit(op.local_get, this.pick(I32_LOCALS))
      else this.emit(op.i32_const, ...sleb((this.random() * 2 ** 32) | 0))
      return
    }
    if (r < 0.6) {
      this.exprI32(depth - 1)
      this.exprI32(depth - 1)
      this.emit(this.pick([op.i32_add, op.i32_sub, op.i32_mul, op.i32_and, op.i32_or, op.i32_xor, op.i32_shl, op.i32_shr_u, op.i32_rotl]))
    } else if (r < 0.7) {
      this.exprI32(depth - 1)
      this.emit(op.i32_const, ...sleb(0xfffc), op.i32_and, op.i32_load, ...memarg(2))
    } else if (r < 0.78) {
      this.emit(op.local_get, this.pick(I64_LOCALS), op.i32_wrap_i64)
    } else if (r < 0.84) {
      this.emit(op.local_get, F64_LOCAL, ...op.i32_trunc_sat_f64_s)
    } else if (r < 0.92 && this.index > 0) {
      this.exprI32(depth - 1)
      this.exprI32(depth - 1)
      this.emit(op.call, ...uleb32(Math.floor(this.random() * this.index)))
    } else {
      this.exprI32(depth - 1)
      this.exprI32(depth - 1)
      this.exprI32(depth - 1)
      this.emit(op.select)
    }
  }

  statement(depth) {
    const r = this.random()
    if (r < 0.3 || depth <= 0) {
      this.exprI32(3)
      this.emit(op.local_set, this.pick(I32_LOCALS.slice(2)))
    } else if (r < 0.42) {
      const l = this.pick(I64_LOCALS)
      this.emit(op.local_get, l)
      this.exprI32(2)
      this.emit(op.i64_extend_i32_u, this.pick([op.i64_add, op.i64_mul, op.i64_xor, op.i64_rotl]), op.local_set, l)
    } else if (r < 0.5) {
      this.emit(op.local_get, F64_LOCAL)
      this.exprI32(2)
      this.emit(op.f64_convert_i32_s, this.pick([op.f64_add, op.f64_mul, op.f64_sub, op.f64_max]))
      if (this.random() < 0.3) this.emit(op.f64_sqrt)
      this.emit(op.local_set, F64_LOCAL)
    } else if (r < 0.6) {
      this.exprI32(2)
      this.emit(op.i32_const, ...sleb(0xfffc), op.i32_and)
      this.exprI32(2)
      this.emit(op.i32_store, ...memarg(2))
    } else if (r < 0.75) {
      this.exprI32(2)
      this.emit(op.if, EMPTY)
      this.block(depth - 1, 2)
      this.emit(op.else)
      this.block(depth - 1, 2)
      this.emit(op.end)
    } else if (r < 0.9 && depth <= COUNTERS.length) {
      const counter = COUNTERS[COUNTERS.length - depth]
      this.emit(op.i32_const, ...sleb(2 + Math.floor(this.random() * 30)), op.local_set, counter)
      this.emit(op.block, EMPTY, op.loop, EMPTY)
      this.block(depth - 1, 3)
      this.exprI32(1)
      this.emit(op.i32_eqz, op.br_if, 1)
      this.emit(op.local_get, counter, op.i32_const, 1, op.i32_sub, op.local_tee, counter, op.br_if, 0)
      this.emit(op.end, op.end)
    } else {
      this.emit(op.block, EMPTY, op.block, EMPTY, op.block, EMPTY)
      this.exprI32(2)
      this.emit(op.br_table, 2, 0, 1, 2)
      this.emit(op.end)
      this.block(depth - 1, 2)
      this.emit(op.end)
      this.block(depth - 1, 2)
      this.emit(op.end)
    }
  }

  block(depth, count) {
    for (let i = 0; i < count; i++) this.statement(depth)
  }
}

function uleb32(n) {
  const out = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}

// Returns the module's bytes. About 1 KiB of code per function.
export function largeModule({ functions = 5000, seed = 6 } = {}) {
  const random = prng(seed)
  const m = new ModuleBuilder()
  m.memory(1, undefined, 'memory')
  for (let index = 0; index < functions; index++) {
    const w = new BodyWriter(random, index)
    w.emit(op.f64_const, ...f64(1.5))
    w.emit(op.local_set, F64_LOCAL)
    w.block(3, 8)
    w.exprI32(3)
    w.emit(op.local_get, I64_LOCALS[0], op.i32_wrap_i64, op.i32_add)
    m.function([i32, i32], [i32], LOCALS, w.out, index % 500 === 0 ? `f${index}` : undefined)
  }
  return m.bytes()
}


