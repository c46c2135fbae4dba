// Incoming HTTP: a component exporting wasi:http/incoming-handler served through
// createHttpHandler (fetch-API Request -> Response), node:http via toNodeListener, and the
// `runtime-wasm serve` command; fresh instance state per request unless asked otherwise,
// limits per request, many requests at once.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

import { compileFile, createHttpHandler, toNodeListener, ErrorCode, WasmError } from '../../index.js'
import { SERVICE, SERVICE_P3, PROBE, httpServer } from './servers.mjs'

const BIN = fileURLToPath(new URL('../../bin/runtime-wasm.js', import.meta.url))
const service = await compileFile(SERVICE)

const request = (path, init) => new Request(`http://example.test${path}`, init)

test('a handler answers fetch-API requests: status, headers, bodies both ways, env, empty bodies', async () => {
  const handler = await createHttpHandler(service, { env: { GREETING: 'hi there' } })
  try {
    const hello = await handler(request('/hello'))
    assert.equal(hello.status, 200)
    assert.equal(hello.headers.get('content-type'), 'text/plain')
    assert.equal(await hello.text(), 'hello from wasm')
    const body = new Uint8Array(2 << 20).map((_, i) => (i * 7) % 256)
    const echo = await handler(request('/echo', { method: 'PUT', body, headers: { 'content-type': 'application/x-test' } }))
    assert.equal(echo.headers.get('x-method'), 'PUT')
    assert.equal(echo.headers.get('x-request-bytes'), String(body.length))
    assert.equal(echo.headers.get('content-type'), 'application/x-test')
    assert.ok(Buffer.from(await echo.arrayBuffer()).equals(Buffer.from(body)))
    assert.equal((await handler(request('/status/204'))).status, 204)
    assert.equal((await handler(request('/status/418'))).status, 418)
    assert.equal(await (await handler(request('/env'))).text(), 'hi there')
    assert.equal((await (await handler(request('/big?bytes=3000000'))).arrayBuffer()).byteLength, 3000000)
    const headers = await (await handler(request('/headers', { headers: { 'x-one': '1', 'x-two': 'zwei' } }))).text()
    assert.match(headers, /x-one: 1/)
    assert.match(headers, /x-two: zwei/)
    assert.equal((await handler(request('/nowhere'))).status, 404)
  } finally {
    await handler.close()
  }
})

/** The body's chunks as they come, with when each came (ms after `started`). */
async function chunksOf(body, started) {
  const chunks = []
  for await (const chunk of body) chunks.push({ text: Buffer.from(chunk).toString(), at: Date.now() - started })
  return chunks
}

test('a response streams: its head comes before the body is written, the body as it is written', async () => {
  const handler = await createHttpHandler(service)
  try {
    const started = Date.now()
    const response = await handler(request('/drip?n=5&ms=300'))
    const headAt = Date.now() - started
    assert.equal(response.status, 200)
    const chunks = await chunksOf(response.body, started)
    assert.equal(chunks.map((c) => c.text).join(''), 'tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n')
    // 1.2 s of pauses between the lines: the head and the first lines came long before the last.
    const last = chunks.at(-1).at
    assert.ok(headAt < last - 600, `head at ${headAt} ms, last line at ${last} ms`)
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`)
    assert.ok(chunks[0].at < last - 600, `first line at ${chunks[0].at} ms, last at ${last} ms`)
  } finally {
    await handler.close()
  }
})

test('each request gets a fresh instance; reuseInstance keeps one', async () => {
  const fresh = await createHttpHandler(service)
  const reused = await createHttpHandler(service, { reuseInstance: true })
  try {
    for (let i = 0; i < 3; i++) assert.equal(await (await fresh(request('/counter'))).text(), '1')
    const counts = []
    for (let i = 0; i < 3; i++) counts.push(await (await reused(request('/counter'))).text())
    assert.deepEqual(counts, ['1', '2', '3'])
  } finally {
    await fresh.close()
    await reused.close()
  }
})

test('limits apply per request: a spinning handler is stopped by its deadline, the next request is served', async () => {
  const handler = await createHttpHandler(service, { limits: { timeoutMs: 300 } })
  try {
    await assert.rejects(handler(request('/spin')), (error) => error instanceof WasmError && error.code === ErrorCode.FuelExhausted && error.reason === 'timeout')
    assert.equal(await (await handler(request('/hello'))).text(), 'hello from wasm')
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    await assert.rejects(handler(request('/spin'), { signal: controller.signal }), (error) => error.name === 'AbortError')
    // One instance for every request: a stopped call's instance is replaced for the next one.
    const reused = await createHttpHandler(service, { reuseInstance: true, limits: { timeoutMs: 300 } })
    try {
      assert.equal(await (await reused(request('/counter'))).text(), '1')
      await assert.rejects(reused(request('/spin')), (error) => error.reason === 'timeout')
      assert.equal(await (await reused(request('/counter'))).text(), '1')
      const aborting = new AbortController()
      setTimeout(() => aborting.abort(), 100)
      await assert.rejects(reused(request('/sleep?ms=2000'), { signal: aborting.signal }), (error) => error.name === 'AbortError')
      assert.equal(await (await reused(request('/hello'))).text(), 'hello from wasm')
    } finally {
      await reused.close()
    }
    // A request body past maxBodyBytes is refused before the component sees it.
    const small = await createHttpHandler(service, { maxBodyBytes: 1000 })
    try {
      await assert.rejects(small(request('/echo', { method: 'POST', body: new Uint8Array(2000) })), /larger than maxBodyBytes/)
      // The response comes (its head), and its body fails past the cap.
      const big = await small(request('/big?bytes=5000'))
      assert.equal(big.status, 200)
      await assert.rejects(big.arrayBuffer(), (error) => /larger than maxBodyBytes/.test(`${error.message} ${error.cause?.message}`))
    } finally {
      await small.close()
    }
  } finally {
    await handler.close()
  }
})

test('a WASI 0.3 service (wasi:http/handler@0.3.0): bodies written after the response, echo, errors', async () => {
  const handler = await createHttpHandler(SERVICE_P3)
  try {
    const hello = await handler(request('/hello'))
    assert.equal(hello.status, 200)
    assert.equal(hello.headers.get('content-type'), 'text/plain')
    assert.equal(await hello.text(), 'hello from wasi 0.3')
    assert.equal((await handler(request('/status/418'))).status, 418)
    assert.equal((await handler(request('/nope'))).status, 404)
    const body = new Uint8Array(3_000_000).map((_, i) => (i * 13) % 256)
    const echo = await handler(request('/echo', { method: 'POST', body }))
    assert.ok(Buffer.from(await echo.arrayBuffer()).equals(Buffer.from(body)))
    // handle returning its error-code: the request fails, saying so.
    await assert.rejects(handler(request('/status/abc')), (error) => error instanceof WasmError && /answered with the error/.test(error.message))
    const many = await Promise.all(Array.from({ length: 32 }, () => handler(request('/hello')).then((r) => r.text())))
    assert.ok(many.every((text) => text === 'hello from wasi 0.3'))
  } finally {
    await handler.close()
  }
})

test('a component that serves no HTTP, and a closed handler, say so', async () => {
  const probe = await createHttpHandler(await compileFile(PROBE))
  await assert.rejects(probe(request('/')), (error) => error.code === ErrorCode.ExportNotFound && /exports neither wasi:http\/incoming-handler/.test(error.message))
  await probe.close()
  const handler = await createHttpHandler(service)
  await handler.close()
  await assert.rejects(handler(request('/hello')), /closed/)
})

test('outgoing requests from a handler follow the network grants', async () => {
  const upstream = await httpServer()
  try {
    const denied = await createHttpHandler(service)
    const granted = await createHttpHandler(service, { network: { allow: [{ host: '127.0.0.1', ports: upstream.port, protocols: ['http'] }] } })
    try {
      const target = encodeURIComponent(upstream.url('/hello'))
      const refused = await denied(request(`/fetch?url=${target}`))
      assert.equal(refused.status, 502)
      assert.equal(await refused.text(), 'destination-IP-prohibited')
      const fetched = await granted(request(`/fetch?url=${target}`))
      assert.equal(fetched.status, 200)
      assert.equal(await fetched.text(), 'hello from node')
    } finally {
      await denied.close()
      await granted.close()
    }
  } finally {
    await upstream.close()
  }
})

test('node:http through toNodeListener, under 64 concurrent requests', async () => {
  const handler = await createHttpHandler(service)
  const server = http.createServer(toNodeListener(handler))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const base = `http://127.0.0.1:${server.address().port}`
  try {
    const replies = await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const response = await fetch(`${base}/echo`, { method: 'POST', body: `request ${i}` })
        return [response.status, await response.text()]
      }),
    )
    replies.forEach(([status, text], i) => {
      assert.equal(status, 200)
      assert.equal(text, `request ${i}`)
    })
    const counters = await Promise.all(Array.from({ length: 16 }, () => fetch(`${base}/counter`).then((r) => r.text())))
    assert.ok(counters.every((c) => c === '1'), counters.join(','))
    // Streamed through node:http as well.
    const started = Date.now()
    const dripping = await fetch(`${base}/drip?n=4&ms=300`)
    const chunks = await chunksOf(dripping.body, started)
    assert.equal(chunks.map((c) => c.text).join(''), 'tick 0\ntick 1\ntick 2\ntick 3\n')
    assert.ok(chunks[0].at < chunks.at(-1).at - 400, JSON.stringify(chunks))
  } finally {
    server.close()
    await handler.close()
  }
})

test('runtime-wasm serve: serves until interrupted, with --env and --timeout', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--addr', '127.0.0.1:0', '--env', 'GREETING=from cli', '--timeout', '500', SERVICE], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8')
  const address = await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      const match = /Serving HTTP on (http:\/\/\S+)\//.exec(stderr)
      if (match) resolve(match[1])
    })
    child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)))
  })
  try {
    assert.equal(await (await fetch(`${address}/hello`)).text(), 'hello from wasm')
    assert.equal(await (await fetch(`${address}/env`)).text(), 'from cli')
    const spin = await fetch(`${address}/spin`)
    assert.equal(spin.status, 504)
    assert.equal(await (await fetch(`${address}/hello`)).text(), 'hello from wasm')
  } finally {
    child.kill('SIGINT')
    const [code] = await once(child, 'exit')
    assert.equal(code, 0, stderr)
  }
})
