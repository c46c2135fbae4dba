// The small modules the benchmarks use, emitted as binary wasm so that both runtimes load the
// very same bytes. The C kernels are in ../kernels, the generated large module in large-module.mjs.

import { readFileSync } from 'node:fs'
import { EMPTY, ModuleBuilder, op, sleb, type } from './wasm-encoder.mjs'

const { i32, i64, f64 } = type

// add(a: i32, b: i32) -> i32, and mix(a: i32, b: i64, c: f64) -> f64 (one argument of each
// kind the call path converts).
export function callModule() {
  const m = new ModuleBuilder()
  m.function([i32, i32], [i32], [], [op.local_get, 0, op.local_get, 1, op.i32_add], 'add')
  m.function([i32, i64, f64], [f64], [], [
    op.local_get, 0, op.f64_convert_i32_s,
    op.local_get, 1, op.f64_convert_i64_u, op.f64_add,
    op.local_get, 2, op.f64_add,
  ], 'mix')
  m.function([], [], [], [], 'noop')
  return m.bytes()
}

// ticks(n: i32) -> i32: the sum of env.tick(i) for i < n, a host call per round (a JS import).
export function ticksModule() {
  const m = new ModuleBuilder()
  const tick = m.importFunction('env', 'tick', [i32], [i32])
  const [n, i, sum] = [0, 1, 2]
  m.function([i32], [i32], [i32, i32], [
    op.block, EMPTY,
    op.loop, EMPTY,
    op.local_get, i, op.local_get, n, op.i32_ge_u, op.br_if, 1,
    op.local_get, i, op.call, tick, op.local_get, sum, op.i32_add, op.local_set, sum,
    op.local_get, i, op.i32_const, 1, op.i32_add, op.local_set, i,
    op.br, 0,
    op.end,
    op.end,
    op.local_get, sum,
  ], 'ticks')
  return m.bytes()
}

// spin(n: i32) -> i32: n rounds of a linear congruential generator, a loop that does nothing
// but take time (about a nanosecond a round).
export function spinModule() {
  const m = new ModuleBuilder()
  const [n, i, x] = [0, 1, 2]
  m.function([i32], [i32], [i32, i32], [
    op.block, EMPTY,
    op.loop, EMPTY,
    op.local_get, i, op.local_get, n, op.i32_ge_u, op.br_if, 1,
    op.local_get, x, op.i32_const, sleb(1664525), op.i32_mul, op.i32_const, sleb(1013904223), op.i32_add, op.local_set, x,
    op.local_get, i, op.i32_const, 1, op.i32_add, op.local_set, i,
    op.br, 0,
    op.end,
    op.end,
    op.local_get, x,
  ], 'spin')
  return m.bytes()
}

// A module with `pages` pages of exported memory and nothing else.
export function memoryModule(pages) {
  const m = new ModuleBuilder()
  m.memory(pages, undefined, 'memory')
  return m.bytes()
}

const kernels = new URL('../kernels/', import.meta.url)

// The C kernels (see ../kernels/build.sh): fill, fnv1a, xxh64, nbody, fannkuch, fib, sort.
export function kernelsModule() {
  return readFileSync(new URL('kernels.wasm', kernels))
}

// A WASI preview1 command built from ../kernels/wasi-command.c.
export const wasiCommandPath = new URL('wasi-command.wasm', kernels).pathname

export function wasiCommandModule() {
  return readFileSync(wasiCommandPath)
}

