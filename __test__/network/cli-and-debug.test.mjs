// The command line's network flags (--allow-net, --allow-bind, -S inherit-network) and the
// DEBUG=runtime-wasm line for each refusal.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

import { PROBE } from './servers.mjs'

const require = createRequire(import.meta.url)
const { parseRunOptions } = require('../../lib/cli/run-options.js')
const PACKAGE = fileURLToPath(new URL('../../index.js', import.meta.url))

const allowOf = (...flags) => parseRunOptions([...flags, 'x.wasm'], {}).instantiateOptions.network?.allow

test('--allow-net and --allow-bind read HOST[:PORTS][/PROTOCOLS]', () => {
  assert.equal(allowOf(), undefined)
  assert.deepEqual(allowOf('--allow-net', 'api.example.com:443/https'), [{ host: 'api.example.com', directions: ['connect'], ports: [443], protocols: ['https'] }])
  assert.deepEqual(allowOf('--allow-net', '127.0.0.1:8000-8100/tcp+http'), [{ host: '127.0.0.1', directions: ['connect'], ports: ['8000-8100'], protocols: ['tcp', 'http'] }])
  assert.deepEqual(allowOf('--allow-net', '*.example.com'), [{ host: '*.example.com', directions: ['connect'] }])
  assert.deepEqual(allowOf('--allow-net', '[::1]:80,443'), [{ host: '::1', directions: ['connect'], ports: [80, 443] }])
  assert.deepEqual(allowOf('--allow-net', '10.0.0.0/8'), [{ host: '10.0.0.0/8', directions: ['connect'] }])
  assert.deepEqual(allowOf('--allow-net', '[10.0.0.0/8]:*/udp'), [{ host: '10.0.0.0/8', directions: ['connect'], protocols: ['udp'] }])
  assert.deepEqual(allowOf('--allow-bind', '127.0.0.1:8080/tcp'), [{ host: '127.0.0.1', directions: ['bind'], ports: [8080], protocols: ['tcp'] }])
  assert.deepEqual(allowOf('-S', 'inherit-network').map((g) => g.host), ['*', '0.0.0.0/0', '::/0'])
  assert.throws(() => allowOf('--allow-net', ''), /the host is empty/)
  assert.throws(() => allowOf('--allow-net', '[::1'), /without its "\]"/)
  assert.throws(() => allowOf('--allow-net', 'a.com:'), /ports after ":" are empty/)
  // wasmtime's settings that only choose what to link are taken.
  assert.doesNotThrow(() => parseRunOptions(['-S', 'cli,http,p3,tcp,udp,allow-ip-name-lookup', '-W', 'component-model-async', 'x.wasm'], {}))
})

test('an onDenied that throws or rejects is a warning, never the end of the process', async () => {
  const { withProbe } = await import('./servers.mjs')
  const warnings = []
  const onWarning = (warning) => warnings.push(warning)
  process.on('warning', onWarning)
  try {
    for (const onDenied of [() => { throw new Error('sync') }, async () => { throw new Error('async') }]) {
      await withProbe({ allow: [], onDenied }, async (p) => {
        await p.call('tcp-echo', '127.0.0.1', 9, new Uint8Array([1])).catch(() => {})
      })
    }
    for (let i = 0; i < 50 && warnings.length < 2; i++) await new Promise((r) => setTimeout(r, 20))
    assert.deepEqual(warnings.map((w) => w.message), ['network.onDenied threw: sync', 'network.onDenied threw: async'])
  } finally {
    process.off('warning', onWarning)
  }
})

test('DEBUG=runtime-wasm logs each refusal, beside the instance own onDenied', () => {
  const script = `
    const rw = require(${JSON.stringify(PACKAGE)})
    ;(async () => {
      const id = await rw.compileFile(${JSON.stringify(PROBE)})
      const seen = []
      const p = await rw.instantiate(id, { network: { allow: [], onDenied: (d) => seen.push(d.reason) } })
      await p.call('tcp-echo', '127.0.0.1', 9, new Uint8Array([1])).catch(() => {})
      await p.call('lookup', 'example.com').catch(() => {})
      await new Promise((r) => setTimeout(r, 50))
      console.log(JSON.stringify(seen))
      await p.drop()
    })()`
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, DEBUG: 'runtime-wasm' } })
  assert.equal(child.status, 0, child.stderr)
  assert.match(child.stderr, /runtime-wasm network tcp connect 127\.0\.0\.1:9 refused: no network access was granted/)
  assert.match(child.stderr, /runtime-wasm network dns lookup example\.com refused: no grant names this host/)
  assert.equal(JSON.parse(child.stdout).length, 2)
})
