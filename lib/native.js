'use strict'
// The native binding, as the rest of lib/ calls it: instrumented with DEBUG=runtime-wasm
// (lib/debug.js), otherwise as it is.

module.exports = require('./debug.js').instrument(require('../binding.js'))
