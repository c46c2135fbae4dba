'use strict'
// `types.i32(5)` and the like: a value tagged with the wasm type it is passed as, checked by
// the core when it is made.

const native = require('./native.js')
const { invoke } = require('./errors.js')

function tagged(type) {
  return (value) => {
    invoke(native.checkValue, type, value !== null && typeof value === 'object' ? {} : value)
    return Object.freeze({ type, value })
  }
}

const types = Object.freeze({
  i32: tagged('i32'),
  i64: tagged('i64'),
  f32: tagged('f32'),
  f64: tagged('f64'),
})

module.exports = { types }
