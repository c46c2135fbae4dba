'use strict'
// Incoming HTTP for components that export wasi:http/incoming-handler (WASI 0.2's proxy
// world, or wasi:http/handler of WASI 0.3): `createHttpHandler` gives a fetch-API handler,
// Request -> Promise<Response>, that hands each request to the component through the one
// call path (limits, deadline, abort); the Response comes once the component sets it, and its
// body streams as the component writes it. `toNodeListener` adapts it to node:http.

const { once } = require('node:events')
const native = require('./native.js')
const { ErrorCode, WasmError } = require('./errors.js')
const { describe, snapshot } = require('./arguments.js')
const { isModuleId } = require('./handles.js')
const { compileFile, dropModule } = require('./modules.js')
const { createInstance, dropInstance } = require('./instances.js')
const { callWithSignal } = require('./call-options.js')

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
// Responses to HEAD and these statuses carry no body (the Response constructor refuses one).
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

/**
 * @param {string} moduleOrPath a compiled component's id, or the path of one
 * @param {object} [options] instantiate's options (WASI config, network, limits, imports),
 *   plus `reuseInstance` (one instance serves every request, in turn; default: a fresh
 *   instance for each) and `maxBodyBytes` (request and response bodies; default 64 MiB)
 */
async function createHttpHandler(moduleOrPath, options = {}) {
  if (options === null || typeof options !== 'object') throw new WasmError(ErrorCode.WasiError, `handler options must be an object, got ${describe(options)}`)
  const { reuseInstance = false, maxBodyBytes = DEFAULT_MAX_BODY_BYTES, ...instanceOptions } = snapshot(ErrorCode.WasiError, 'handler options', () => ({ ...options }))
  if (typeof reuseInstance !== 'boolean') throw new WasmError(ErrorCode.WasiError, `reuseInstance must be a boolean, got ${describe(reuseInstance)}`)
  if (!(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes >= 0)) throw new WasmError(ErrorCode.WasiError, `maxBodyBytes must be a whole number of bytes, got ${describe(maxBodyBytes)}`)
  const ownModule = !isModuleId(moduleOrPath)
  const moduleId = ownModule ? await compileFile(moduleOrPath) : moduleOrPath
  if (native.moduleKind(moduleId) !== 'component') {
    if (ownModule) await dropModule(moduleId)
    throw new WasmError(ErrorCode.InstantiateError, 'a core module cannot serve HTTP: give a component that exports wasi:http/incoming-handler')
  }
  let shared = reuseInstance ? createInstance(moduleId, instanceOptions) : null
  shared?.catch(() => {}) // the first request gets the error
  let sharedId = null
  let closed = false
  const replaceShared = () => {
    const old = sharedId
    sharedId = null
    shared = createInstance(moduleId, instanceOptions)
    shared.catch(() => {}) // the next request gets the error
    dropInstance(old).catch(() => {})
  }

  async function handle(request, { signal } = {}) {
    if (closed) throw new WasmError(ErrorCode.InvalidInstanceHandle, 'this HTTP handler was closed')
    const incoming = await toIncoming(request, maxBodyBytes)
    const instanceId = reuseInstance ? await shared : await createInstance(moduleId, instanceOptions)
    if (reuseInstance) sharedId = instanceId
    const reader = new native.HttpResponseReader(maxBodyBytes)
    const { timeoutMs } = instanceOptions.limits ?? {}
    // Settles when the call ends: after the whole body was handed over, or with its error.
    const finished = callWithSignal(native.handleHttpRequest, instanceId, incoming, reader, { timeoutMs, signal: signal ?? request.signal }, undefined).finally(async () => {
      if (!reuseInstance) await dropInstance(instanceId).catch(() => {})
    })
    // A component instance cannot be entered again after a call trapped or was stopped: the
    // shared one is replaced at once (and the old one dropped, which also ends its call).
    finished.catch(() => {
      if (reuseInstance && !closed && sharedId === instanceId) replaceShared()
    })
    const head = Promise.resolve(reader.head())
    const { status, headers } = (await Promise.race([head, finished.then(() => head)])) ?? (await finished, noResponse())
    const noBody = request.method === 'HEAD' || NULL_BODY_STATUSES.has(status)
    return new Response(noBody ? null : bodyStream(reader, finished), { status, headers })
  }

  handle.close = async () => {
    if (closed) return
    closed = true
    if (shared !== null) await dropInstance(await shared.catch(() => null)).catch(() => {})
    shared = null
    if (ownModule) await dropModule(moduleId)
  }
  return handle
}

async function toIncoming(request, maxBodyBytes) {
  if (!(request instanceof Request)) throw new TypeError(`expected a fetch-API Request, got ${describe(request)}`)
  const url = new URL(request.url)
  return {
    method: request.method,
    scheme: url.protocol.slice(0, -1),
    authority: url.host,
    pathWithQuery: `${url.pathname}${url.search}`,
    headers: [...request.headers],
    body: request.body === null ? undefined : await readCapped(request.body, maxBodyBytes),
  }
}

async function readCapped(stream, max) {
  const chunks = []
  let total = 0
  for await (const chunk of stream) {
    total += chunk.byteLength
    if (total > max) throw new WasmError(ErrorCode.TypeError, `the request body is larger than maxBodyBytes (${max} bytes)`)
    chunks.push(chunk)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

function noResponse() {
  throw new WasmError(ErrorCode.CallError, "the component's handler returned without setting a response")
}

// The body as the component writes it: a chunk as soon as it comes; the end once the call
// has ended well (a call that fails after its head errors the stream).
function bodyStream(reader, finished) {
  return new ReadableStream({
    async pull(controller) {
      const chunk = await reader.next()
      if (chunk !== null) return controller.enqueue(chunk)
      try {
        await finished
        controller.close()
      } catch (error) {
        controller.error(error)
      }
    },
  })
}

/**
 * node:http's request listener for a handler: `http.createServer(toNodeListener(handler))`.
 * A handler that fails (a trap, a deadline) answers 500 (504 for a deadline) with the error's
 * first line; `onError` (default: nothing) is told of it.
 */
function toNodeListener(handler, { onError } = {}) {
  return async (req, res) => {
    const controller = new AbortController()
    res.on('close', () => controller.abort())
    try {
      const host = req.headers.host ?? 'localhost'
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
      const request = new Request(`http://${host}${req.url}`, {
        method: req.method,
        headers: Object.entries(req.headers).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => [name, v]) : [[name, value]])),
        body: hasBody ? req : undefined,
        duplex: hasBody ? 'half' : undefined,
      })
      const response = await handler(request, { signal: controller.signal })
      res.writeHead(response.status, [...response.headers].flat())
      if (response.body !== null) {
        for await (const chunk of response.body) {
          if (!res.write(chunk)) await once(res, 'drain')
        }
      }
      res.end()
    } catch (error) {
      onError?.(error)
      if (res.headersSent) return res.destroy()
      const status = error?.code === ErrorCode.FuelExhausted && error?.reason === 'timeout' ? 504 : 500
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${String(error?.message ?? error).split('\n', 1)[0]}\n`)
    }
  }
}

module.exports = { createHttpHandler, toNodeListener }
