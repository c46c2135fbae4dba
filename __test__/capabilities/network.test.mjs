// [capabilities.net]: the network ceilings of a manifest. Grants past them fail instantiate
// with 5009; no [capabilities.net] allows no grant; capabilities() reports them; a broken
// section closes the process as any broken manifest does.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'

import { assertDenied, makeWorld, manifest, removeWorld, runChild } from './helpers.mjs'

const PROBE = fileURLToPath(new URL('../fixtures/components/net/probe.wasm', import.meta.url))

function worldWith(netSection) {
  const world = makeWorld({ manifest: `${manifest('load = ["./wasm/*.wasm"]')}${netSection}` })
  fs.copyFileSync(PROBE, world.path('app/wasm/probe.wasm'))
  return world
}

// instantiate probe.wasm with each grant list; each outcome's ok/code/message.
const tryGrants = (lists) => `
  const id = await rw.compileFile('./wasm/probe.wasm')
  out.outcomes = []
  for (const allow of ${JSON.stringify(lists)}) {
    out.outcomes.push(await attempt(async () => { const i = await rw.instantiate(id, allow === null ? {} : { network: { allow } }); await i.drop(); return true }))
  }
  out.capabilities = rw.capabilities()`

test('grants within [capabilities.net] are allowed, any past it is a 5009 naming it; capabilities() lists the ceilings', () => {
  const world = worldWith(`
[capabilities.net]
allow = [
  { host = "*.example.com", ports = [443], protocols = ["https"] },
  { host = "127.0.0.0/8", ports = "8000-8100", protocols = ["tcp", "http"], directions = ["connect", "bind"] },
]
`)
  try {
    const within = [
      null,
      [],
      [{ host: 'api.example.com', ports: 443, protocols: ['https'] }],
      [{ host: '*.api.example.com', ports: [443], protocols: ['https'] }],
      [{ host: '127.0.0.1', ports: '8000-8010', protocols: ['tcp'] }],
      [{ host: '127.0.0.5', ports: 8080, protocols: ['http'], directions: ['bind'] }],
    ]
    const past = [
      [{ host: 'example.com', ports: 443, protocols: ['https'] }], // the domain itself is not under it
      [{ host: 'api.example.com', ports: 443 }], // every protocol
      [{ host: 'api.example.com', protocols: ['https'] }], // every port
      [{ host: 'api.example.org', ports: 443, protocols: ['https'] }],
      [{ host: '127.0.0.1', ports: '8000-8200', protocols: ['tcp'] }],
      [{ host: '10.0.0.1', ports: 8000, protocols: ['tcp'] }],
      [{ host: '127.0.0.1', ports: 8000, protocols: ['udp'] }],
      [{ host: '*', ports: 443, protocols: ['https'] }],
    ]
    const out = runChild(world, tryGrants([...within, ...past]))
    out.outcomes.slice(0, within.length).forEach((o, i) => assert.equal(o.ok, true, `${JSON.stringify(within[i])}: ${JSON.stringify(o)}`))
    out.outcomes.slice(within.length).forEach((o, i) => {
      assertDenied(o, JSON.stringify(past[i]))
      assert.match(o.message, /is not within the manifest's \[capabilities\.net\]/)
      assert.ok(o.manifest?.endsWith('manifest.app.toml'), JSON.stringify(o))
    })
    assert.deepEqual(out.capabilities.net, [
      { host: '*.example.com', ports: ['443'], protocols: ['https'], directions: ['connect'] },
      { host: '127.0.0.0/8', ports: ['8000-8100'], protocols: ['tcp', 'http'], directions: ['connect', 'bind'] },
    ])
  } finally {
    removeWorld(world)
  }
})

test('a ceiling of * covers names and public addresses, not localhost nor special addresses', () => {
  const world = worldWith('\n[capabilities.net]\nallow = [{ host = "*" }]\n')
  try {
    const out = runChild(world, tryGrants([[{ host: 'example.com' }], [{ host: '8.8.8.8' }], [{ host: 'localhost' }], [{ host: '127.0.0.1' }], [{ host: '10.0.0.0/8' }]]))
    assert.equal(out.outcomes[0].ok, true, JSON.stringify(out.outcomes[0]))
    assert.equal(out.outcomes[1].ok, true, JSON.stringify(out.outcomes[1]))
    out.outcomes.slice(2).forEach((o) => assertDenied(o, 'a special host under *'))
  } finally {
    removeWorld(world)
  }
})

test('a manifest without [capabilities.net] allows no grant (network omitted still works)', () => {
  const world = worldWith('')
  try {
    const out = runChild(world, tryGrants([null, [], [{ host: '127.0.0.1' }]]))
    assert.equal(out.outcomes[0].ok, true)
    assert.equal(out.outcomes[1].ok, true)
    assertDenied(out.outcomes[2], 'a grant with no [capabilities.net]')
    assert.match(out.outcomes[2].message, /allowed: nothing/)
    assert.deepEqual(out.capabilities.net, [])
  } finally {
    removeWorld(world)
  }
})

test('a broken [capabilities.net] is a broken manifest: 5009 naming the line and the key', () => {
  const cases = [
    ['[capabilities.net]\nallow = [ { host = "a b" } ]\n', 'capabilities.net.allow', /host "a b"/],
    ['[capabilities.net]\nallow = [ { host = "a.com", port = 80 } ]\n', 'capabilities.net.allow.port', /unknown key/],
    ['[capabilities.net]\nallowed = []\n', 'capabilities.net.allowed', /unknown key/],
    ['[capabilities.net]\nallow = [ { ports = [80] } ]\n', 'capabilities.net.allow', /needs a host/],
    ['[capabilities.net]\nallow = [ { host = "a.com", ports = [70000] } ]\n', 'capabilities.net.allow', /70000/],
    ['[capabilities.net]\nallow = [ { host = "a.com", protocols = ["gopher"] } ]\n', 'capabilities.net.allow', /gopher/],
  ]
  for (const [section, key, problem] of cases) {
    const world = worldWith(`\n${section}`)
    try {
      const out = runChild(world, `out.result = attemptSync(() => rw.capabilities())`)
      assertDenied(out.result, section)
      assert.equal(out.result.key, key, JSON.stringify(out.result))
      assert.match(out.result.message, problem)
      assert.equal(typeof out.result.line, 'number')
    } finally {
      removeWorld(world)
    }
  }
})
