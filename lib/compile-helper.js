'use strict'
// The helper process that compiles a module under a time budget (src/runtime/compile_helper.rs
// starts it and kills it when the budget runs out). Run as a script, it reads the module's
// binary on stdin and writes the compiled code to stdout; it never touches process.stdin or
// process.stdout, which the core reads and writes directly.
//
// Required as a module, it tells the core how to start one: this Node executable and this
// file, unless Node's permission model allows no child process.

const native = require('./native.js')

function registerCompileHelper() {
  const allowed = typeof process.permission?.has !== 'function' || process.permission.has('child')
  if (allowed) native.registerCompileHelper(process.execPath, __filename)
  else native.registerCompileHelper(null, null)
}

if (require.main === module) {
  process.exitCode = native.compileHelperMain(process.argv[2] ?? '', process.argv[3], process.argv[4])
} else {
  registerCompileHelper()
}
