// Where the manifest comes from, what capabilities() reports, broken manifests, and the rule
// that a policy in force never loosens.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'

import { ALLOWED_VALUE, assertDenied, makeWorld, manifest, removeWorld, runChild, valueModule } from './helpers.mjs'

const WASM_ONLY = manifest('load = ["./wasm/*.wasm"]', 'preopens = ["./data"]')

test('permissive mode when there is no manifest anywhere, and it is reported as such', () => {
  const world = makeWorld()
  try {
    const out = runChild(
      world,
      `out.capabilities = rw.capabilities()
       out.outside = await load('../outside/secret.wasm')`,
    )
    assert.deepEqual(out.capabilities, {
      mode: 'permissive',
      source: null,
      origin: null,
      load: [],
      preopens: [],
      preopensReadonly: [],
      maxFuel: null,
      maxTimeoutMs: null,
      maxMemory: null,
      maxInstances: null,
      maxModuleSize: null,
      maxFunctions: null,
      maxFunctionSize: null,
      maxCompileTimeMs: null,
      net: null,
    })
    assert.deepEqual(out.outside, { ok: true, value: 2 })
  } finally {
    removeWorld(world)
  }
})

test('discovery: manifest.app.toml in the current directory, found at first use', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    const out = runChild(
      world,
      `out.capabilities = rw.capabilities()
       out.allowed = await load('./wasm/ok.wasm')
       out.denied = await load('./secret.wasm')`,
    )
    assert.equal(out.capabilities.mode, 'manifest')
    assert.equal(out.capabilities.origin, 'cwd')
    assert.equal(out.capabilities.source, path.join(world.app, 'manifest.app.toml'))
    assert.deepEqual(out.capabilities.load, [`${world.app}/wasm/*.wasm`])
    assert.deepEqual(out.capabilities.preopens, [`${world.app}/data`])
    assert.deepEqual(out.allowed, { ok: true, value: ALLOWED_VALUE })
    assertDenied(out.denied)
  } finally {
    removeWorld(world)
  }
})

test('discovery: the RUNTIME_WASM_MANIFEST environment variable, ahead of the current directory', () => {
  const world = makeWorld({ manifest: manifest('load = []') })
  try {
    const file = world.write('elsewhere/env.app.toml', manifest('load = ["../app/wasm/*.wasm"]'))
    const out = runChild(
      world,
      `out.capabilities = rw.capabilities()
       out.allowed = await load('./wasm/ok.wasm')`,
      { env: { RUNTIME_WASM_MANIFEST: file } },
    )
    assert.equal(out.capabilities.origin, 'env')
    assert.equal(out.capabilities.source, file)
    assert.deepEqual(out.capabilities.load, [`${world.app}/wasm/*.wasm`])
    assert.deepEqual(out.allowed, { ok: true, value: ALLOWED_VALUE })
  } finally {
    removeWorld(world)
  }
})

test('discovery: configure({ manifest }) before first use, ahead of the variable and the current directory', () => {
  const world = makeWorld({ manifest: manifest('load = []') })
  try {
    const envFile = world.write('env.app.toml', manifest('load = []'))
    const file = world.write('app/conf/configured.app.toml', manifest('load = ["../wasm/*.wasm"]'))
    const out = runChild(
      world,
      `out.returned = rw.configure({ manifest: './conf/configured.app.toml' }) ?? null
       out.capabilities = rw.capabilities()
       out.allowed = await load('./wasm/ok.wasm')`,
      { env: { RUNTIME_WASM_MANIFEST: envFile } },
    )
    assert.equal(out.returned, null, 'configure returns nothing')
    assert.equal(out.capabilities.source, file)
    assert.equal(out.capabilities.origin, 'configure')
    assert.deepEqual(out.allowed, { ok: true, value: ALLOWED_VALUE })
  } finally {
    removeWorld(world)
  }
})

test('a manifest without [capabilities.wasm] allows nothing', () => {
  const world = makeWorld({ manifest: '[app]\nname = "demo"\n\n[capabilities.net]\nallow = [{ host = "example.org" }]\n' })
  try {
    const out = runChild(
      world,
      `out.capabilities = rw.capabilities()
       out.load = await load('./wasm/ok.wasm')
       out.preopen = await attempt(() => sandbox({ '/d': './data' }))
       out.bytes = await attempt(async () => typeof (await rw.compile(${JSON.stringify(valueModule(1))})))`,
    )
    assert.equal(out.capabilities.mode, 'manifest')
    assert.deepEqual(out.capabilities.load, [])
    assertDenied(out.load)
    assertDenied(out.preopen)
    assert.deepEqual(out.bytes, { ok: true, value: 'string' })
  } finally {
    removeWorld(world)
  }
})

test('a second configure with another manifest is a 5009 and changes nothing; the same one is accepted', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    world.write('app/other/x.wasm', valueModule(2))
    world.write('app/looser.app.toml', manifest('load = ["./**/*.wasm", "../outside/*.wasm"]', 'preopens = ["/"]'))
    const out = runChild(
      world,
      `rw.configure({ manifest: './manifest.app.toml' })
       out.first = rw.capabilities()
       out.again = attemptSync(() => rw.configure({ manifest: ${JSON.stringify(path.join(world.app, 'manifest.app.toml'))} }))
       out.second = attemptSync(() => rw.configure({ manifest: './looser.app.toml' }))
       out.after = rw.capabilities()
       out.other = await load('./other/x.wasm')
       out.outside = await load('../outside/secret.wasm')
       out.rootPreopen = await attempt(() => sandbox({ '/': '/' }))
       out.allowed = await load('./wasm/ok.wasm')`,
    )
    assert.equal(out.again.ok, true)
    assertDenied(out.second, 'a second, looser manifest')
    assert.match(out.second.message, /already in force/)
    assert.deepEqual(out.after, out.first)
    assertDenied(out.other)
    assertDenied(out.outside)
    assertDenied(out.rootPreopen)
    assert.deepEqual(out.allowed, { ok: true, value: ALLOWED_VALUE })
  } finally {
    removeWorld(world)
  }
})

test('a manifest found by discovery cannot be replaced by configure either', () => {
  const world = makeWorld({ manifest: WASM_ONLY })
  try {
    world.write('looser.app.toml', manifest('load = ["/**"]'))
    const out = runChild(
      world,
      `out.first = await load('./wasm/ok.wasm')
       out.second = attemptSync(() => rw.configure({ manifest: '../looser.app.toml' }))
       out.outside = await load('../outside/secret.wasm')`,
    )
    assert.deepEqual(out.first, { ok: true, value: ALLOWED_VALUE })
    assertDenied(out.second)
    assertDenied(out.outside)
  } finally {
    removeWorld(world)
  }
})

test('permissive mode can still be narrowed by configure', () => {
  const world = makeWorld()
  try {
    world.write('app/strict.app.toml', manifest('load = ["./wasm/*.wasm"]'))
    const out = runChild(
      world,
      `out.before = await load('../outside/secret.wasm')
       out.mode = rw.capabilities().mode
       rw.configure({ manifest: './strict.app.toml' })
       out.configured = rw.capabilities().mode
       out.after = await load('../outside/secret.wasm')`,
    )
    assert.deepEqual(out.before, { ok: true, value: 2 })
    assert.equal(out.mode, 'permissive')
    assert.equal(out.configured, 'manifest')
    assertDenied(out.after)
  } finally {
    removeWorld(world)
  }
})

// A broken manifest: the 5009 names file, line and key, and the process stays closed.
function assertBroken(world, text, { line, key, problem }) {
  world.write('app/manifest.app.toml', text)
  const out = runChild(
    world,
    `out.capabilities = attemptSync(() => rw.capabilities())
     out.load = await load('./wasm/ok.wasm')
     out.preopen = await attempt(() => sandbox({ '/d': './data' }))
     out.configure = attemptSync(() => rw.configure({ manifest: './manifest.app.toml' }))`,
  )
  const file = path.join(world.app, 'manifest.app.toml')
  const error = out.capabilities
  assertDenied(error, 'capabilities() with a broken manifest')
  assert.equal(error.manifest, file)
  assert.equal(error.line, line)
  assert.equal(error.key, key)
  assert.ok(error.message.includes(file), error.message)
  assert.ok(error.message.includes(`line ${line}`), error.message)
  assert.ok(error.message.includes(key), error.message)
  if (problem) assert.match(error.message, problem)
  // Never permissive: the otherwise allowed operations fail with the same error.
  assertDenied(out.load)
  assertDenied(out.preopen)
  assertDenied(out.configure)
  assert.equal(out.load.message, error.message)
}

test('broken manifest: a TOML syntax error', () => {
  const world = makeWorld()
  try {
    assertBroken(world, '[capabilities.wasm]\npreopens = ["./data"]\nload = ./wasm/*.wasm\n', {
      line: 3,
      key: 'capabilities.wasm.load',
      problem: /not valid TOML/,
    })
  } finally {
    removeWorld(world)
  }
})

test('broken manifest: a wrong type (a string where an array belongs)', () => {
  const world = makeWorld()
  try {
    assertBroken(world, '# plugins\n[capabilities.wasm]\n\nload = "./wasm/*.wasm"\n', {
      line: 4,
      key: 'capabilities.wasm.load',
      problem: /expected an array of strings, found string/,
    })
  } finally {
    removeWorld(world)
  }
})

test('broken manifest: a wrong type inside an array', () => {
  const world = makeWorld()
  try {
    assertBroken(world, '[capabilities.wasm]\nload = ["./wasm/*.wasm"]\npreopens = [\n  "./data",\n  7,\n]\n', {
      line: 5,
      key: 'capabilities.wasm.preopens',
      problem: /found integer/,
    })
  } finally {
    removeWorld(world)
  }
})

test('broken manifest: an unknown key under [capabilities.wasm]', () => {
  const world = makeWorld()
  try {
    assertBroken(world, '[capabilities.wasm]\nload = ["./wasm/*.wasm"]\npreopen = ["./data"]\n', {
      line: 3,
      key: 'capabilities.wasm.preopen',
      problem: /unknown key/,
    })
  } finally {
    removeWorld(world)
  }
})

test('broken manifest: [capabilities.wasm] that is not a table', () => {
  const world = makeWorld()
  try {
    assertBroken(world, '[capabilities]\nwasm = "everything"\n', { line: 2, key: 'capabilities.wasm' })
  } finally {
    removeWorld(world)
  }
})

test('broken manifest: ceilings of the wrong type or out of range', () => {
  const cases = [
    ['max_fuel = -1', 'capabilities.wasm.max_fuel', /out of range/],
    ['max_fuel = 1.5', 'capabilities.wasm.max_fuel', /found float/],
    ['max_timeout_ms = "10s"', 'capabilities.wasm.max_timeout_ms', /found string/],
    ['max_memory = "12XB"', 'capabilities.wasm.max_memory', /"12XB"/],
    ['max_memory = "1.5GiB"', 'capabilities.wasm.max_memory', /"1.5GiB"/],
    ['max_memory = true', 'capabilities.wasm.max_memory', /found boolean/],
    ['max_instances = 9007199254740992', 'capabilities.wasm.max_instances', /out of range/],
  ]
  for (const [line, key, problem] of cases) {
    const world = makeWorld()
    try {
      assertBroken(world, `[capabilities.wasm]\nload = []\n${line}\n`, { line: 3, key, problem })
    } finally {
      removeWorld(world)
    }
  }
})

test('broken manifest: an entry that cannot be resolved', () => {
  const world = makeWorld()
  try {
    assertBroken(world, '[capabilities.wasm]\nload = [\n  "./wasm/*/../x.wasm",\n]\n', {
      line: 3,
      key: 'capabilities.wasm.load',
      problem: /`\.\.` may not follow a wildcard/,
    })
  } finally {
    removeWorld(world)
  }
})

test('a broken manifest given to configure closes the process, even for a later valid one', () => {
  const world = makeWorld()
  try {
    world.write('app/broken.app.toml', '[capabilities.wasm]\nload = 5\n')
    world.write('app/valid.app.toml', manifest('load = ["./wasm/*.wasm"]'))
    const out = runChild(
      world,
      `out.broken = attemptSync(() => rw.configure({ manifest: './broken.app.toml' }))
       out.valid = attemptSync(() => rw.configure({ manifest: './valid.app.toml' }))
       out.load = await load('./wasm/ok.wasm')
       out.outside = await load('../outside/secret.wasm')`,
    )
    assertDenied(out.broken)
    assert.equal(out.broken.line, 2)
    assertDenied(out.valid)
    assertDenied(out.load)
    assertDenied(out.outside)
  } finally {
    removeWorld(world)
  }
})

test('a manifest named by the variable that does not exist closes the process', () => {
  const world = makeWorld()
  try {
    const missing = world.path('app/missing.app.toml')
    const out = runChild(
      world,
      `out.capabilities = attemptSync(() => rw.capabilities())
       out.outside = await load('../outside/secret.wasm')`,
      { env: { RUNTIME_WASM_MANIFEST: missing } },
    )
    assertDenied(out.capabilities)
    assert.ok(out.capabilities.message.includes(missing))
    assertDenied(out.outside)
  } finally {
    removeWorld(world)
  }
})

test('ceilings are parsed and reported; absent ones are null', () => {
  const cases = [
    ['max_fuel = 1_000_000\nmax_timeout_ms = 250\nmax_memory = "256MiB"\nmax_instances = 8',
      { maxFuel: 1000000, maxTimeoutMs: 250, maxMemory: 256 * 2 ** 20, maxInstances: 8 }],
    ['max_memory = "1GiB"', { maxFuel: null, maxTimeoutMs: null, maxMemory: 2 ** 30, maxInstances: null }],
    ['max_memory = "512KiB"', { maxMemory: 512 * 1024 }],
    ['max_memory = "1000000"', { maxMemory: 1000000 }],
    ['max_memory = 65536', { maxMemory: 65536 }],
    ['max_memory = "2 MB"', { maxMemory: 2000000 }],
    ['max_fuel = 0x10', { maxFuel: 16 }],
  ]
  const world = makeWorld()
  try {
    const files = cases.map(([lines], i) => world.write(`app/m${i}.app.toml`, manifest('load = []', lines)))
    const out = []
    for (const file of files) {
      out.push(runChild(world, `rw.configure({ manifest: ${JSON.stringify(file)} })\n out.capabilities = rw.capabilities()`).capabilities)
    }
    cases.forEach(([, expected], i) => {
      for (const [key, value] of Object.entries(expected)) assert.equal(out[i][key], value, `${cases[i][0]}: ${key}`)
    })
  } finally {
    removeWorld(world)
  }
})

test('`~` in manifest entries expands to the home directory', () => {
  const world = makeWorld({ manifest: manifest('load = ["~/.myapp/plugins/*.wasm"]', 'preopens = ["~/.myapp/storage"]') })
  try {
    world.write('home/.myapp/plugins/ok.wasm', valueModule(ALLOWED_VALUE))
    world.write('home/.myapp/storage/inside.txt', 'stored')
    const out = runChild(
      world,
      `out.capabilities = rw.capabilities()
       out.load = await load(${JSON.stringify(world.path('home/.myapp/plugins/ok.wasm'))})
       const guest = await sandbox({ '/storage': ${JSON.stringify(world.path('home/.myapp/storage'))} })
       out.read = await guest.read('inside.txt')`,
    )
    assert.deepEqual(out.capabilities.load, [`${world.home}/.myapp/plugins/*.wasm`])
    assert.deepEqual(out.capabilities.preopens, [`${world.home}/.myapp/storage`])
    assert.deepEqual(out.load, { ok: true, value: ALLOWED_VALUE })
    assert.deepEqual(out.read, { result: 6, text: 'stored' })
  } finally {
    removeWorld(world)
  }
})

test('declared directories that do not exist yet are resolved through their existing parent', () => {
  const world = makeWorld({ manifest: manifest('load = ["./later/*.wasm"]', 'preopens = ["./store/later"]') })
  try {
    const out = runChild(
      world,
      `out.capabilities = rw.capabilities()
       fs.mkdirSync('./later')
       fs.writeFileSync('./later/ok.wasm', ${JSON.stringify(valueModule(ALLOWED_VALUE))})
       out.load = await load('./later/ok.wasm')`,
    )
    assert.deepEqual(out.capabilities.load, [`${world.app}/later/*.wasm`])
    assert.deepEqual(out.capabilities.preopens, [`${world.app}/store/later`])
    assert.deepEqual(out.load, { ok: true, value: ALLOWED_VALUE })
  } finally {
    removeWorld(world)
  }
})

test('configure checks its argument', () => {
  const world = makeWorld()
  try {
    const out = runChild(
      world,
      `out.none = attemptSync(() => rw.configure())
       out.number = attemptSync(() => rw.configure({ manifest: 5 }))
       out.mode = rw.capabilities().mode`,
    )
    assert.equal(out.none.ok, false)
    assert.equal(out.number.ok, false)
    assert.equal(out.mode, 'permissive')
  } finally {
    removeWorld(world)
  }
})
