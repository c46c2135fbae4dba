#!/usr/bin/env node
'use strict'
// The runtime-wasm command line; see `runtime-wasm --help`.

const { main } = require('../lib/cli/main.js')
const EXIT = require('../lib/cli/exit-codes.js')

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    process.stderr.write(`runtime-wasm: internal error: ${error?.stack ?? error}\n`)
    process.exit(EXIT.INTERNAL)
  },
)
