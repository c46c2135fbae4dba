'use strict'
// The exit statuses of the runtime-wasm command. A WASI program's own status is 0 to 125
// (WASI's proc_exit allows nothing higher), so the statuses of runtime-wasm itself are kept
// above it, after the conventions of coreutils' `timeout` and of shells.

module.exports = Object.freeze({
  /** The program ended with status 0 (or inspect succeeded). */
  OK: 0,
  /** inspect: the file cannot be read or is not a binary WebAssembly module. */
  FAILED: 1,
  /** The command line is wrong: usage is printed to stderr. */
  USAGE: 2,
  /** run: the program was stopped by --timeout (like `timeout`). */
  TIMEOUT: 124,
  /** run: the program ran out of --fuel. */
  FUEL: 125,
  /**
   * run: the program could not be started: the file cannot be read or compiled, an import is
   * missing, a --dir cannot be opened, the manifest refuses it, it has no _start export, ...
   */
  CANNOT_START: 126,
  /** run: the program trapped or failed while running (128 + SIGABRT, as wasmtime's CLI does). */
  TRAP: 134,
  /** runtime-wasm itself failed unexpectedly (a bug; the stack is printed). EX_SOFTWARE. */
  INTERNAL: 70,
})
