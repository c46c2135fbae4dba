'use strict'
// `runtime-wasm serve FILE --addr HOST:PORT`: serves HTTP with a component that exports
// wasi:http/incoming-handler, as `wasmtime serve` does: each request goes to a fresh instance
// (unless --reuse-instance), under the same options as `run` (--dir, --env, --allow-net,
// --timeout, ...). Runs until SIGINT or SIGTERM. Uses the package's public API only.

const http = require('node:http')
const { once } = require('node:events')
const api = require('../../index.js')
const EXIT = require('./exit-codes.js')
const { UsageError } = require('./args.js')

/** `HOST:PORT` or `[V6]:PORT` -> { host, port }. */
function parseAddress(text) {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text)
  const port = match === null ? NaN : Number(match[3])
  if (match === null || !(port >= 0 && port <= 65535)) throw new UsageError(`--addr ${text}: expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080`)
  return { host: match[1] ?? match[2], port }
}

async function serveComponent(options, io) {
  const { file, address, instantiateOptions, compileLimits, trusted, reuseInstance, manifest } = options
  if (manifest !== undefined) api.configure({ manifest })
  let moduleId
  try {
    moduleId = await api.compileFile(file, { limits: compileLimits, trusted })
  } catch (error) {
    return { status: EXIT.CANNOT_START, message: `${file}: ${error?.message ?? error}` }
  }
  const { args, ...config } = instantiateOptions
  let handler
  try {
    handler = await api.createHttpHandler(moduleId, { ...config, args, reuseInstance, inheritStdout: true, inheritStderr: true })
    // Instantiating once up front says at startup what would fail every request.
    await (await api.instantiate(moduleId, { ...config, args })).drop()
  } catch (error) {
    return { status: EXIT.CANNOT_START, message: `${file}: ${error?.message ?? error}` }
  }
  const server = http.createServer(api.toNodeListener(handler, { onError: (error) => io.stderr.write(`runtime-wasm: ${file}: ${String(error?.message ?? error).split('\n', 1)[0]}\n`) }))
  server.listen(address.port, address.host)
  try {
    await once(server, 'listening')
  } catch (error) {
    return { status: EXIT.CANNOT_START, message: `--addr ${address.host}:${address.port}: ${error.message}` }
  }
  const bound = server.address()
  const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address
  io.stderr.write(`Serving HTTP on http://${shown}:${bound.port}/\n`)
  await new Promise((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  server.close()
  server.closeAllConnections?.()
  await handler.close()
  return { status: EXIT.OK, message: null }
}

module.exports = { parseAddress, serveComponent }
