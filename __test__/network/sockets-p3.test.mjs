// WASI 0.3 sockets and name lookups (wasi:sockets@0.3.0) under the same grants, through run()
// with the C fixture p3/net-command.wasm (modes: lookup, tcp-echo, udp-echo, tcp-listen).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

import { compileFile, instantiate, run } from '../../index.js'
import { tcpEcho, udpEcho, settle } from './servers.mjs'

const NET_P3 = await compileFile(fileURLToPath(new URL('../fixtures/components/p3/net-command.wasm', import.meta.url)))

/** Runs a mode of the fixture; { exitCode, out } with its stdout as text. */
async function netCommand(network, ...args) {
  const denials = []
  const options = { args: ['net-command', ...args.map(String)] }
  if (network !== undefined) options.network = { onDenied: (d) => denials.push(d), ...network }
  const { exitCode, stdout } = await run(NET_P3, options)
  await settle()
  return { exitCode, out: Buffer.from(stdout).toString().trim(), denials }
}

test('WASI 0.3: nothing granted, every socket and lookup is access-denied and reported', async () => {
  const tcp = await tcpEcho()
  try {
    assert.deepEqual((await netCommand(undefined, 'tcp-echo', '127.0.0.1', tcp.port, 'hi')).out, 'error: access-denied')
    assert.deepEqual((await netCommand(undefined, 'lookup', 'localhost')).out, 'error: access-denied')
    const denied = await netCommand({ allow: [] }, 'tcp-echo', '127.0.0.1', tcp.port, 'hi')
    assert.equal(denied.exitCode, 1)
    assert.equal(denied.denials[0]?.host, '127.0.0.1')
    assert.equal(denied.denials[0]?.port, tcp.port)
  } finally {
    await tcp.close()
  }
})

test('WASI 0.3: grants by address, by name (localhost), and * not reaching loopback', async () => {
  const tcp = await tcpEcho()
  const udp = await udpEcho()
  try {
    const byAddress = { allow: [{ host: '127.0.0.1', ports: [tcp.port, udp.port], protocols: ['tcp', 'udp'] }] }
    assert.deepEqual(await netCommand(byAddress, 'tcp-echo', '127.0.0.1', tcp.port, 'over tcp'), { exitCode: 0, out: 'over tcp', denials: [] })
    assert.equal((await netCommand(byAddress, 'udp-echo', '127.0.0.1', udp.port, 'over udp')).out, 'over udp')
    assert.equal((await netCommand(byAddress, 'lookup', 'localhost')).out, 'error: access-denied')
    const byName = { allow: [{ host: 'localhost', ports: tcp.port, protocols: ['tcp'] }] }
    assert.match((await netCommand(byName, 'lookup', 'localhost')).out, /127\.0\.0\.1/)
    assert.equal((await netCommand(byName, 'tcp-echo', 'localhost', tcp.port, 'by name')).out, 'by name')
    const everyPublic = await netCommand({ allow: [{ host: '*', protocols: ['tcp'] }] }, 'tcp-echo', 'localhost', tcp.port, 'x')
    assert.equal(everyPublic.out, 'error: access-denied')
    assert.match(everyPublic.denials.at(-1)?.reason ?? '', /loopback, private or reserved/)
  } finally {
    await tcp.close()
    await udp.close()
  }
})

test('WASI 0.3: listening needs a bind grant; with one the command serves a connection', async () => {
  assert.equal((await netCommand({ allow: [{ host: '127.0.0.1', protocols: ['tcp'] }] }, 'tcp-listen', '127.0.0.1', 0)).out, 'error: access-denied')
  // The command prints its port, then serves one connection: its stdout goes to a callback.
  let printed = ''
  let portSeen
  const port = new Promise((resolve) => (portSeen = resolve))
  const instance = await instantiate(NET_P3, {
    args: ['net-command', 'tcp-listen', '127.0.0.1', '0'],
    network: { allow: [{ host: '127.0.0.1', protocols: ['tcp'], directions: ['bind'] }] },
    stdout: (chunk) => {
      printed += Buffer.from(chunk).toString()
      const match = /^(\d+)\n/.exec(printed)
      if (match) portSeen(Number(match[1]))
    },
  })
  try {
    const serving = instance.invoke('wasi:cli/run@0.3.0#run', [], { timeoutMs: 30_000 })
    const client = net.connect(await port, '127.0.0.1')
    await once(client, 'connect')
    client.end('served over WASI 0.3')
    const chunks = []
    for await (const chunk of client) chunks.push(chunk)
    assert.equal(Buffer.concat(chunks).toString(), 'served over WASI 0.3')
    await serving
  } finally {
    await instance.drop()
  }
})
