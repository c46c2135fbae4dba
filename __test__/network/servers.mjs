// Loopback servers the network tests start themselves: TCP and UDP echo servers and an HTTP
// server with a few routes, each on a free port of 127.0.0.1 (or ::1).

import dgram from 'node:dgram'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

import { compileFile, instantiate, WasmError } from '../../index.js'

export const PROBE = fileURLToPath(new URL('../fixtures/components/net/probe.wasm', import.meta.url))
export const SERVICE = fileURLToPath(new URL('../fixtures/components/net/service.wasm', import.meta.url))
export const SERVICE_P3 = fileURLToPath(new URL('../fixtures/components/p3/service.wasm', import.meta.url))

/** A TCP server that sends back what it reads, until the client ends its side. */
export async function tcpEcho(host = '127.0.0.1') {
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.pipe(socket)
  })
  server.listen(0, host)
  await once(server, 'listening')
  return {
    port: server.address().port,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

/** A UDP server that sends each datagram back to its sender. */
export async function udpEcho(host = '127.0.0.1') {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
  socket.on('message', (message, from) => socket.send(message, from.port, from.address))
  socket.bind(0, host)
  await once(socket, 'listening')
  return { port: socket.address().port, close: () => new Promise((resolve) => socket.close(resolve)) }
}

/**
 * An HTTP server: GET /hello, POST /echo (the body back), GET /big?bytes=N, GET /slow (never
 * answers; `stalled` counts the requests it holds and `closedEarly` those whose client went
 * away), GET /drip (the head at once, then a byte every 100 ms), GET /redirect?to=URL (302).
 */
export async function httpServer(host = '127.0.0.1') {
  const state = { stalled: 0, closedEarly: 0, dripsEnded: 0, requests: [] }
  const sockets = new Set()
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x')
    state.requests.push({ method: req.method, path: url.pathname, headers: req.headers })
    const chunks = []
    try {
      for await (const chunk of req) chunks.push(chunk)
    } catch {
      return // the client went away mid-body (a request stopped by its cap, say)
    }
    const body = Buffer.concat(chunks)
    switch (url.pathname) {
      case '/hello':
        res.writeHead(200, { 'content-type': 'text/plain', 'x-test': 'yes' }).end('hello from node')
        break
      case '/echo':
        res.writeHead(200, { 'x-method': req.method, 'x-bytes': String(body.length) }).end(body)
        break
      case '/big':
        res.writeHead(200).end(Buffer.alloc(Number(url.searchParams.get('bytes')), 'y'))
        break
      case '/slow':
        state.stalled++
        req.socket.on('close', () => state.closedEarly++)
        break
      case '/drip': {
        res.writeHead(200)
        const timer = setInterval(() => res.write('.'), 100)
        res.on('close', () => {
          clearInterval(timer)
          state.dripsEnded++
        })
        break
      }
      case '/redirect':
        res.writeHead(302, { location: url.searchParams.get('to') }).end()
        break
      default:
        res.writeHead(404).end('not found')
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.listen(0, host)
  await once(server, 'listening')
  const port = server.address().port
  return {
    port,
    url: (path) => `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    state,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

/** Whether this machine has IPv6 loopback. */
export async function hasIpv6Loopback() {
  const server = net.createServer()
  try {
    server.listen(0, '::1')
    await once(server, 'listening')
    return true
  } catch {
    return false
  } finally {
    server.close()
  }
}

export const text = (bytes) => Buffer.from(bytes).toString()
export const bytes = (string) => new Uint8Array(Buffer.from(string))

/** { ok } or { err } of a call whose WIT result is result<T, string>. */
export async function outcome(promise) {
  try {
    return { ok: await promise }
  } catch (error) {
    if (error instanceof WasmError && 'payload' in error) return { err: error.payload }
    throw error
  }
}

let probeId
/**
 * Runs `body(instance, denials)` on a new instance of probe.wasm with `network` (and an
 * onDenied that collects refusals into `denials`); no `network` option when undefined.
 */
export async function withProbe(network, body) {
  probeId ??= await compileFile(PROBE)
  const denials = []
  const options = network === undefined ? {} : { network: { onDenied: (d) => denials.push(d), ...network } }
  const instance = await instantiate(probeId, options)
  try {
    return await body(instance, denials)
  } finally {
    await instance.drop()
  }
}

/** Lets onDenied callbacks queued by the core run. */
export function settle() {
  return new Promise((resolve) => setTimeout(resolve, 20))
}
