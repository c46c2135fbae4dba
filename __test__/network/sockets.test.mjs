// Sockets and name lookups of a component under network grants: denied by default, granted
// by address, range, name and port, both directions, both protocols; names that resolve to
// loopback; refusals reported to the host.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { compileFile, instantiate, WasmError, ErrorCode } from '../../index.js'
import { PROBE, tcpEcho, udpEcho, hasIpv6Loopback, bytes, text, outcome, withProbe, settle } from './servers.mjs'
import net from 'node:net'
import { once } from 'node:events'

test('nothing is granted by default: connects, datagrams, lookups and binds are access-denied', async () => {
  const tcp = await tcpEcho()
  const udp = await udpEcho()
  try {
    await withProbe(undefined, async (p) => {
      assert.deepEqual(await outcome(p.call('tcp-echo', '127.0.0.1', tcp.port, bytes('hi'))), { err: 'access-denied' })
      assert.deepEqual(await outcome(p.call('udp-echo', '127.0.0.1', udp.port, bytes('hi'))), { err: 'access-denied' })
      assert.deepEqual(await outcome(p.call('lookup', 'localhost')), { err: 'access-denied' })
      assert.deepEqual(await outcome(p.call('tcp-listen', '127.0.0.1', 0)), { err: 'access-denied' })
    })
    // An empty grant list is the same.
    await withProbe({ allow: [] }, async (p, denials) => {
      assert.deepEqual(await outcome(p.call('tcp-echo', '127.0.0.1', tcp.port, bytes('hi'))), { err: 'access-denied' })
      await settle()
      assert.equal(denials[0].protocol, 'tcp')
      assert.equal(denials[0].direction, 'connect')
      assert.equal(denials[0].host, '127.0.0.1')
      assert.equal(denials[0].port, tcp.port)
      assert.match(denials[0].reason, /no network access was granted/)
    })
  } finally {
    await tcp.close()
    await udp.close()
  }
})

test('a TCP grant by address and port: that port works (1 MiB both ways), others and other addresses do not', async () => {
  const tcp = await tcpEcho()
  const other = await tcpEcho()
  try {
    const allow = [{ host: '127.0.0.1', ports: tcp.port, protocols: ['tcp'] }]
    await withProbe({ allow }, async (p, denials) => {
      const message = new Uint8Array(1 << 20).map((_, i) => i % 251)
      const echoed = await p.call('tcp-echo', '127.0.0.1', tcp.port, message)
      assert.equal(echoed.length, message.length)
      assert.ok(Buffer.from(echoed).equals(Buffer.from(message)))
      assert.deepEqual(await outcome(p.call('tcp-echo', '127.0.0.1', other.port, bytes('x'))), { err: 'access-denied' })
      assert.deepEqual(await outcome(p.call('tcp-echo', '127.0.0.2', tcp.port, bytes('x'))), { err: 'access-denied' })
      // The grant is for TCP: UDP to the same address and port is refused.
      assert.deepEqual(await outcome(p.call('udp-echo', '127.0.0.1', tcp.port, bytes('x'))), { err: 'access-denied' })
      await settle()
      assert.ok(denials.some((d) => d.port === other.port && /loopback, private or reserved/.test(d.reason) === false && /no grant covers 127\.0\.0\.1 port/.test(d.reason)), JSON.stringify(denials))
    })
    // Ranges of ports and of addresses.
    const low = Math.min(tcp.port, other.port)
    const high = Math.max(tcp.port, other.port)
    await withProbe({ allow: [{ host: '127.0.0.0/8', ports: `${low}-${high}`, protocols: ['tcp'] }] }, async (p) => {
      assert.equal(text(await p.call('tcp-echo', '127.0.0.1', tcp.port, bytes('a'))), 'a')
      assert.equal(text(await p.call('tcp-echo', '127.0.0.1', other.port, bytes('b'))), 'b')
    })
  } finally {
    await tcp.close()
    await other.close()
  }
})

test('IPv6 loopback, and the IPv4-mapped form of a denied address', async (t) => {
  if (!(await hasIpv6Loopback())) return t.skip('no IPv6 loopback here')
  const tcp6 = await tcpEcho('::1')
  try {
    await withProbe({ allow: [{ host: '::1', protocols: ['tcp'] }] }, async (p) => {
      assert.equal(text(await p.call('tcp-echo', '::1', tcp6.port, bytes('six'))), 'six')
      assert.deepEqual(await outcome(p.call('tcp-echo', '127.0.0.1', tcp6.port, bytes('x'))), { err: 'access-denied' })
    })
    // A grant of every public address does not reach loopback, in any spelling.
    await withProbe({ allow: [{ host: '*', protocols: ['tcp'] }] }, async (p) => {
      assert.deepEqual(await outcome(p.call('tcp-echo', '::1', tcp6.port, bytes('x'))), { err: 'access-denied' })
      // (wasmtime-wasi refuses IPv4-mapped addresses on IPv6 sockets itself.)
      const mapped = await outcome(p.call('tcp-echo', '::ffff:127.0.0.1', tcp6.port, bytes('x')))
      assert.ok(['access-denied', 'invalid-argument'].includes(mapped.err), JSON.stringify(mapped))
    })
  } finally {
    await tcp6.close()
  }
})

test('names: lookups only for granted names; a name reaches loopback only as localhost, never through *', async () => {
  const tcp = await tcpEcho()
  try {
    await withProbe({ allow: [{ host: 'localhost', ports: tcp.port, protocols: ['tcp'] }] }, async (p, denials) => {
      const addresses = await p.call('lookup', 'localhost')
      assert.ok(addresses.includes('127.0.0.1'), addresses.join(' '))
      assert.deepEqual(await outcome(p.call('lookup', 'LocalHost')), { ok: addresses })
      assert.equal(text(await p.call('tcp-echo', 'localhost', tcp.port, bytes('by name'))), 'by name')
      // Other names are not even looked up.
      assert.deepEqual(await outcome(p.call('lookup', 'example.com')), { err: 'access-denied' })
      await settle()
      const lookup = denials.find((d) => d.direction === 'lookup')
      assert.equal(lookup.protocol, 'dns')
      assert.equal(lookup.host, 'example.com')
      // The address itself was not granted: reached only through the name.
      assert.deepEqual(await outcome(p.call('tcp-echo', '127.0.0.2', tcp.port, bytes('x'))), { err: 'access-denied' })
    })
    // `*` names every name, but a name that resolves to loopback is still refused.
    await withProbe({ allow: [{ host: '*', protocols: ['tcp'] }] }, async (p, denials) => {
      assert.ok((await p.call('lookup', 'localhost')).includes('127.0.0.1'))
      assert.deepEqual(await outcome(p.call('tcp-echo', 'localhost', tcp.port, bytes('x'))), { err: 'access-denied' })
      await settle()
      assert.ok(denials.some((d) => /loopback, private or reserved/.test(d.reason)), JSON.stringify(denials))
    })
    // A lookup of an address reusing a dropped lookup's stream is not taken for that name.
    const other = await tcpEcho('127.0.0.2')
    try {
      await withProbe({ allow: [{ host: 'localhost', ports: other.port, protocols: ['tcp'] }] }, async (p) => {
        await p.call('lookup', 'localhost')
        await p.call('lookup', '127.0.0.2')
        assert.deepEqual(await outcome(p.call('tcp-echo', '127.0.0.2', other.port, bytes('x'))), { err: 'access-denied' })
      })
    } finally {
      await other.close()
    }
    // Text that is neither a name nor an address is not looked up, even under `*`.
    await withProbe({ allow: [{ host: '*', protocols: ['tcp'] }] }, async (p) => {
      assert.deepEqual(await outcome(p.call('lookup', 'a*b.localhost')), { err: 'access-denied' })
    })
    // A name pattern under a domain does not cover another name.
    await withProbe({ allow: [{ host: '*.localhost', protocols: ['tcp'] }] }, async (p) => {
      assert.deepEqual(await outcome(p.call('lookup', 'localhost')), { err: 'access-denied' })
    })
  } finally {
    await tcp.close()
  }
})

test('UDP: a granted peer echoes; others are refused', async () => {
  const udp = await udpEcho()
  try {
    await withProbe({ allow: [{ host: '127.0.0.1', ports: udp.port, protocols: ['udp'] }] }, async (p) => {
      assert.equal(text(await p.call('udp-echo', '127.0.0.1', udp.port, bytes('datagram'))), 'datagram')
      assert.deepEqual(await outcome(p.call('udp-echo', '127.0.0.1', udp.port + 1 === 65536 ? 1 : udp.port + 1, bytes('x'))), { err: 'access-denied' })
      // The grant is for UDP only.
      assert.deepEqual(await outcome(p.call('tcp-echo', '127.0.0.1', udp.port, bytes('x'))), { err: 'access-denied' })
    })
  } finally {
    await udp.close()
  }
})

test('binding and listening need a bind grant; with one, the component serves TCP and takes datagrams', async () => {
  await withProbe({ allow: [{ host: '127.0.0.1', protocols: ['tcp', 'udp'] }] }, async (p) => {
    // connect-only grant: no listening
    assert.deepEqual(await outcome(p.call('tcp-listen', '127.0.0.1', 0)), { err: 'access-denied' })
    assert.deepEqual(await outcome(p.call('udp-bind', '127.0.0.1', 0)), { err: 'access-denied' })
  })
  await withProbe({ allow: [{ host: '127.0.0.1', protocols: ['tcp'], directions: ['bind'] }] }, async (p) => {
    const port = await p.call('tcp-listen', '127.0.0.1', 0)
    assert.ok(port > 0)
    const accepted = p.call('tcp-accept-echo')
    const client = net.connect(port, '127.0.0.1')
    await once(client, 'connect')
    client.end('served by wasm')
    const chunks = []
    for await (const chunk of client) chunks.push(chunk)
    assert.equal(Buffer.concat(chunks).toString(), 'served by wasm')
    assert.equal(text(await accepted), 'served by wasm')
    // Binding another address is refused, the unspecified one (every interface) too.
    assert.deepEqual(await outcome(p.call('tcp-listen', '127.0.0.2', 0)), { err: 'access-denied' })
    assert.deepEqual(await outcome(p.call('tcp-listen', '0.0.0.0', 0)), { err: 'access-denied' })
  })
  // A bind grant on some ports does not allow "any free port" (port 0).
  await withProbe({ allow: [{ host: '127.0.0.1', ports: '40000-40010', protocols: ['tcp'], directions: ['bind'] }] }, async (p) => {
    assert.deepEqual(await outcome(p.call('tcp-listen', '127.0.0.1', 0)), { err: 'access-denied' })
  })
  await withProbe({ allow: [{ host: '127.0.0.1', protocols: ['udp'], directions: ['bind'] }] }, async (p) => {
    const port = await p.call('udp-bind', '127.0.0.1', 0)
    assert.ok(port > 0)
  })
})

test('addresses in other spellings reach nothing a grant does not: 0.0.0.0, mapped, numeric hosts, names of special addresses', async () => {
  const tcp = await tcpEcho()
  try {
    // Every public address granted, nothing special.
    await withProbe({ allow: [{ host: '*', protocols: ['tcp', 'http'] }] }, async (p) => {
      // 0.0.0.0 reaches this host's own services on Linux (wasmtime-wasi refuses it as a
      // remote address itself).
      const unspecified = await outcome(p.call('tcp-echo', '0.0.0.0', tcp.port, bytes('x')))
      assert.ok(['access-denied', 'invalid-argument'].includes(unspecified.err), JSON.stringify(unspecified))
      for (const host of ['0.0.0.0', '2130706433', '0x7f.1', '127.1', '[::ffff:7f00:1]']) {
        const reply = await outcome(p.call('http-request', 'GET', `http://${host}:${tcp.port}/`, [], undefined))
        assert.ok('err' in reply, `${host}: ${JSON.stringify(reply)}`)
      }
      // A numeric name is no name: looking it up gives its address, which is checked as one.
      const looked = await outcome(p.call('lookup', '2130706433'))
      if ('ok' in looked) {
        assert.deepEqual(await outcome(p.call('tcp-echo', looked.ok[0], tcp.port, bytes('x'))), { err: 'access-denied' })
      }
    })
  } finally {
    await tcp.close()
  }
})

test('malformed grants are 5010 errors that name the grant; a module takes no network', async () => {
  const probe = await compileFile(PROBE)
  const bad = [
    [{ allow: 'x' }, /network\.allow must be an array/],
    [{ allow: [{}] }, /network\.allow\[0\]\.host is missing/],
    [{ allow: [{ host: 'a b' }] }, /network\.allow\[0\]: host "a b"/],
    [{ allow: [{ host: '10.0.0.1/33' }] }, /prefix length 33/],
    [{ allow: [{ host: '10.0.0.1/8' }] }, /bits set past the prefix/],
    [{ allow: [{ host: 'a.com', ports: 70000 }] }, /ports must be a port from 0 to 65535/],
    [{ allow: [{ host: 'a.com', ports: '70000' }] }, /70000 is past 65535/],
    [{ allow: [{ host: 'a.com', ports: '90-80' }] }, /empty/],
    [{ allow: [{ host: 'a.com', ports: [] }] }, /ports: empty list/],
    [{ allow: [{ host: 'a.com', protocols: ['ftp'] }] }, /"ftp" is not one of tcp, udp, http, https/],
    [{ allow: [{ host: 'a.com', directions: ['listen'] }] }, /"listen" is not one of connect, bind/],
    [{ allow: [], onDenied: 3 }, /onDenied must be a function/],
    [{ allow: [{ host: '127.0.0.1', port: 443, protocol: ['https'] }] }, /network\.allow\[0\]: unknown key "port" \(the keys are host, ports, protocols, directions\)/],
    [{ allow: [], timeout: 5 }, /network: unknown key "timeout"/],
    [{ allow: [{ host: 'a.com', ports: '+80' }] }, /"\+80" is not a port/],
    [{ allow: [{ host: 'a.com', ports: Infinity }] }, /ports must be a port from 0 to 65535/],
    [[], /network must be an object, got an array/],
    [{ allow: [], maxBodyBytes: -1 }, /maxBodyBytes/],
    ['all', /network must be an object/],
  ]
  for (const [network, message] of bad) {
    await assert.rejects(instantiate(probe, { network }), (error) => {
      assert.ok(error instanceof WasmError, String(error))
      assert.equal(error.code, ErrorCode.WasiError, error.message)
      assert.match(error.message, message)
      return true
    })
  }
  const module = await compileFile(new URL('../fixtures/arith.wat', import.meta.url).pathname)
  await assert.rejects(instantiate(module, { network: { allow: [] } }), (error) => error.code === ErrorCode.InstantiateError && /network is for components/.test(error.message))
})

test('a call waiting on a connection or a read is stopped by its deadline and its abort', async () => {
  // A server that accepts and never answers: the echo waits for the reply forever.
  const silent = net.createServer(() => {})
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  const port = silent.address().port
  try {
    await withProbe({ allow: [{ host: '127.0.0.1', ports: port, protocols: ['tcp'] }] }, async (p) => {
      const started = Date.now()
      await assert.rejects(p.invoke('tcp-echo', ['127.0.0.1', port, bytes('x')], { timeoutMs: 300 }), (error) => error.code === ErrorCode.FuelExhausted && error.reason === 'timeout')
      assert.ok(Date.now() - started < 10_000)
    })
    await withProbe({ allow: [{ host: '127.0.0.1', ports: port, protocols: ['tcp'] }] }, async (p) => {
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 200)
      await assert.rejects(p.invoke('tcp-echo', ['127.0.0.1', port, bytes('x')], { signal: controller.signal }), (error) => error.name === 'AbortError')
    })
  } finally {
    silent.close()
  }
})

