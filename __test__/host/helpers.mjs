// Shared pieces of the host-function and standard-stream suites (__test__/host/*.test.mjs):
// small WAT programs and a guard that turns a would-be deadlock into a failure.
import assert from 'node:assert/strict'

import { compile, instantiate } from '../../index.mjs'

export { rejectsWith, throwsWith, checkWasmError, tempDir, sleep } from '../core-helpers.mjs'

export const encoder = new TextEncoder()
export const decoder = new TextDecoder()
export const text = (bytes) => decoder.decode(bytes)

/** Compiles WAT text and instantiates it with `options`. */
export async function fromWat(wat, options) {
  return instantiate(await compile(wat), options)
}

/**
 * Waits for `promise` at most `ms` milliseconds. Resolves { settled: false } when it is still
 * pending by then, else { settled: true, value } or { settled: true, error }.
 */
export async function settleWithin(promise, ms) {
  let timer
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms)
  })
  try {
    return await Promise.race([
      Promise.resolve(promise).then(
        (value) => ({ settled: true, value }),
        (error) => ({ settled: true, error }),
      ),
      late,
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Like settleWithin, but fails the test when `promise` is still pending after `ms` ms. */
export async function mustSettle(promise, ms, what) {
  const outcome = await settleWithin(promise, ms)
  assert.ok(outcome.settled, `${what} was still pending after ${ms} ms (a deadlock?)`)
  return outcome
}

/** Concatenates Uint8Arrays. */
export function concat(chunks) {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
  const out = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/** The byte the flood program writes at `index` of its output: 'a'..'z' repeating. */
export const floodByte = (index) => 97 + (index % 26)

/**
 * A WASI command that writes `count` chunks of `chunk` bytes (floodByte(i) at output offset i)
 * to `fd` with fd_write, one chunk per call. When a write fails it records the errno and exits
 * with status `failExit`; else it returns normally (status 0). Exports: `written` (the bytes
 * fd_write reported as written), `errno` (the first failure's errno, 0 if none), `writes` (how
 * many fd_write calls succeeded).
 */
export function floodProgram({ chunk, count, fd = 1, failExit = 42 }) {
  return `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") ${Math.ceil((1024 + chunk + 26) / 65536) + 1})
  (global $written (mut i32) (i32.const 0))
  (global $errno (mut i32) (i32.const 0))
  (global $writes (mut i32) (i32.const 0))
  (func (export "written") (result i32) (global.get $written))
  (func (export "errno") (result i32) (global.get $errno))
  (func (export "writes") (result i32) (global.get $writes))
  (func (export "_start")
    (local $i i32) (local $e i32) (local $start i32)
    ;; 1024 + chunk + 26 bytes of 'a'..'z' repeating, so a chunk starting at any output
    ;; offset o is at 1024 + (o mod 26)
    (block $done (loop $fill
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${chunk + 26})))
      (i32.store8 (i32.add (i32.const 1024) (local.get $i))
        (i32.add (i32.const 97) (i32.rem_u (local.get $i) (i32.const 26))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (local.set $i (i32.const 0))
    (block $done (loop $write
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${count})))
      (local.set $start (i32.add (i32.const 1024) (i32.rem_u (global.get $written) (i32.const 26))))
      (i32.store (i32.const 0) (local.get $start))
      (i32.store (i32.const 4) (i32.const ${chunk}))
      (i32.store (i32.const 8) (i32.const 0))
      (local.set $e (call $fd_write (i32.const ${fd}) (i32.const 0) (i32.const 1) (i32.const 8)))
      (if (local.get $e)
        (then
          (global.set $errno (local.get $e))
          (call $proc_exit (i32.const ${failExit}))))
      (global.set $written (i32.add (global.get $written) (i32.load (i32.const 8))))
      (global.set $writes (i32.add (global.get $writes) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $write)))))`
}

/** The first `length` bytes the flood program writes. */
export function floodBytes(length) {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = floodByte(i)
  return out
}

/**
 * A WASI command that copies its stdin to its stdout (reads of up to 4 KiB) and then writes
 * "done\n" to stderr. Exports `say(fd, ptr, len) -> errno` to write any part of its memory.
 */
export const CAT_PROGRAM = `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "done\\n")
  ;; iovec at 0, count at 8; buffer at 4096
  (func $say (export "say") (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
  (func (export "_start")
    (local $n i32)
    (block $eof (loop $copy
      (i32.store (i32.const 0) (i32.const 4096))
      (i32.store (i32.const 4) (i32.const 4096))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $proc_exit (i32.const 70))))
      (local.set $n (i32.load (i32.const 8)))
      (br_if $eof (i32.eqz (local.get $n)))
      (if (call $say (i32.const 1) (i32.const 4096) (local.get $n))
        (then (call $proc_exit (i32.const 71))))
      (br $copy)))
    (drop (call $say (i32.const 2) (i32.const 64) (i32.const 5)))))`
