// Outgoing HTTP of a component (wasi:http 0.2's outgoing-handler) under network grants:
// granted and denied hosts, redirects to a denied host, body caps both ways, slow servers
// against the host's timeouts and the call's deadline, aborts mid-request.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { ErrorCode } from '../../index.js'
import { httpServer, bytes, text, outcome, withProbe, settle } from './servers.mjs'

const get = (p, url, headers = []) => p.call('http-request', 'GET', url, headers, undefined)
const header = (reply, name) => reply.headers.find(([k]) => k.toLowerCase() === name)?.[1]

test('a granted host answers: status, headers and body; POST bodies go out whole', async () => {
  const server = await httpServer()
  try {
    await withProbe({ allow: [{ host: '127.0.0.1', ports: server.port, protocols: ['http'] }] }, async (p) => {
      const reply = await get(p, server.url('/hello'), [['x-from', 'wasm']])
      assert.equal(reply.status, 200)
      assert.equal(text(reply.body), 'hello from node')
      assert.equal(header(reply, 'x-test'), 'yes')
      assert.equal(server.state.requests.at(-1).headers['x-from'], 'wasm')
      const body = new Uint8Array(3 << 20).map((_, i) => i % 256)
      const echoed = await p.call('http-request', 'POST', server.url('/echo'), [], body)
      assert.equal(echoed.status, 200)
      assert.equal(header(echoed, 'x-bytes'), String(body.length))
      assert.ok(Buffer.from(echoed.body).equals(Buffer.from(body)))
    })
  } finally {
    await server.close()
  }
})

test('denied: no grant, another port, another scheme, a name no grant names, a name resolving to loopback', async () => {
  const server = await httpServer()
  try {
    await withProbe({ allow: [] }, async (p, denials) => {
      assert.deepEqual(await outcome(get(p, server.url('/hello'))), { err: 'destination-IP-prohibited' })
      assert.deepEqual(await outcome(get(p, `http://localhost:${server.port}/hello`)), { err: 'HTTP-request-denied' })
      await settle()
      assert.equal(denials.length, 2)
      assert.equal(denials[0].protocol, 'http')
      assert.equal(denials[1].host, 'localhost')
      assert.match(denials[1].reason, /no grant names localhost/)
    })
    await withProbe({ allow: [{ host: '127.0.0.1', ports: server.port, protocols: ['tcp', 'https'] }] }, async (p) => {
      // tcp does not cover http, and https is another protocol
      assert.deepEqual(await outcome(get(p, server.url('/hello'))), { err: 'destination-IP-prohibited' })
    })
    await withProbe({ allow: [{ host: '127.0.0.1', ports: server.port + 1, protocols: ['http'] }] }, async (p) => {
      assert.deepEqual(await outcome(get(p, server.url('/hello'))), { err: 'destination-IP-prohibited' })
    })
    // `*` names every host, but localhost's addresses are loopback: refused by address.
    await withProbe({ allow: [{ host: '*', protocols: ['http'] }] }, async (p, denials) => {
      assert.deepEqual(await outcome(get(p, `http://localhost:${server.port}/hello`)), { err: 'destination-IP-prohibited' })
      await settle()
      assert.equal(denials[0].host, 'localhost')
      assert.match(denials[0].address, /^(127\.0\.0\.1|::1)$/)
      assert.match(denials[0].reason, /loopback, private or reserved/)
    })
    // Named as localhost, loopback is reached.
    await withProbe({ allow: [{ host: 'localhost', ports: server.port, protocols: ['http'] }] }, async (p) => {
      assert.equal((await get(p, `http://localhost:${server.port}/hello`)).status, 200)
    })
    assert.ok(server.state.requests.every((r) => r.path === '/hello'))
  } finally {
    await server.close()
  }
})

test('a redirect to a host that is not granted: the guest gets the 302, its next request is refused', async () => {
  const server = await httpServer()
  try {
    await withProbe({ allow: [{ host: '127.0.0.1', ports: server.port, protocols: ['http'] }] }, async (p) => {
      const target = `http://127.0.0.2:${server.port}/hello`
      const reply = await get(p, server.url(`/redirect?to=${encodeURIComponent(target)}`))
      assert.equal(reply.status, 302)
      assert.equal(header(reply, 'location'), target)
      assert.deepEqual(await outcome(get(p, target)), { err: 'destination-IP-prohibited' })
    })
  } finally {
    await server.close()
  }
})

test('bodies past maxBodyBytes fail both ways', async () => {
  const server = await httpServer()
  try {
    const allow = [{ host: '127.0.0.1', ports: server.port, protocols: ['http'] }]
    await withProbe({ allow, maxBodyBytes: 1 << 20 }, async (p) => {
      const small = await get(p, server.url(`/big?bytes=${1 << 19}`))
      assert.equal(small.body.length, 1 << 19)
      // The body's read fails (wasmtime-wasi-http hands the guest no error code for a body
      // error it did not make itself: the stream error is last-operation-failed).
      const big = await outcome(get(p, server.url(`/big?bytes=${4 << 20}`)))
      assert.ok(['HTTP-response-body-size', 'last-operation-failed'].includes(big.err), JSON.stringify(big))
      const sent = await outcome(p.call('http-request', 'POST', server.url('/echo'), [], new Uint8Array(2 << 20)))
      assert.ok('err' in sent, JSON.stringify(sent))
    })
  } finally {
    await server.close()
  }
})

test('slow servers: the host timeouts end a request; the call deadline and an abort end it too', async () => {
  const server = await httpServer()
  try {
    const allow = [{ host: '127.0.0.1', ports: server.port, protocols: ['http'] }]
    await withProbe({ allow, firstByteTimeoutMs: 200 }, async (p) => {
      assert.deepEqual(await outcome(get(p, server.url('/slow'))), { err: 'connection-read-timeout' })
    })
    await withProbe({ allow, betweenBytesTimeoutMs: 20 }, async (p) => {
      const result = await outcome(get(p, server.url('/drip')))
      assert.ok('err' in result, JSON.stringify(result))
    })
    const before = server.state.closedEarly
    await withProbe({ allow }, async (p) => {
      await assert.rejects(p.invoke('http-request', ['GET', server.url('/slow'), [], undefined], { timeoutMs: 300 }), (error) => error.code === ErrorCode.FuelExhausted && error.reason === 'timeout')
    })
    await withProbe({ allow }, async (p) => {
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 200)
      await assert.rejects(p.invoke('http-request', ['GET', server.url('/slow'), [], undefined], { signal: controller.signal }), (error) => error.name === 'AbortError')
    })
    // The server sees both requests go away (the connection is closed, not left open).
    for (let i = 0; i < 100 && server.state.closedEarly < before + 2; i++) await settle()
    assert.equal(server.state.closedEarly, before + 2)
    // A response whose body never ends: the call's deadline ends its connection too.
    const dripsBefore = server.state.dripsEnded
    await withProbe({ allow }, async (p) => {
      await assert.rejects(p.invoke('http-request', ['GET', server.url('/drip'), [], undefined], { timeoutMs: 400 }), (error) => error.reason === 'timeout')
      for (let i = 0; i < 150 && server.state.dripsEnded === dripsBefore; i++) await settle()
      assert.equal(server.state.dripsEnded, dripsBefore + 1, 'the server saw the connection close while the instance lives')
    })
  } finally {
    await server.close()
  }
})

