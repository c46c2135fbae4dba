// The compiled-code cache against a forger: someone (a guest given a read-write preopen, in a
// process that does not cache) who can write cache files as this user but cannot read the user's
// secret key. Like cache.test.mjs, every scenario runs in fresh Node processes with
// DEBUG=runtime-wasm and reads where each compile's code came from off stderr. The suite proves:
// - a cache file whose machine code was patched is never run, whatever its trailer says: with an
//   unkeyed hash of the patched bytes in the MAC's place, with its own old trailer, with the trailer
//   of another valid file, or in the former format (RWCACHE2); the module is compiled, and works;
// - a valid file still loads from disk, and only under the key that made it;
// - the key: created on first use (0600, in a 0700 directory of its own, by default under
//   $XDG_CONFIG_HOME or ~/.config, never in the cache directory); a missing key is made anew
//   (and the files of the old one are compiled over); a key that others could access, that
//   cannot be read, or that sits in a directory others could write turns the disk cache off:
//   nothing is loaded or written, the key is left alone, compiles still work;
// - preopens: one that is, contains (a parent, a grandparent, through a symlink) or lies
//   inside (a subdirectory) the cache directory is refused with 5009 naming the cache, while
//   caching is on; with the cache off (configure or RUNTIME_WASM_CACHE=off) it is allowed; one that
//   contains or lies inside the key's directory is refused whether or not caching is on;
//   unrelated preopens (a sibling whose name starts like the cache's too) work.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { childEnv, childScript, parseChild } from './cache-children.mjs'
const IS_ROOT = process.getuid?.() === 0

// f returns a value whose machine code is easy to find: x86-64 `mov eax, imm32`.
const VALUE = 0x1357_9bd
const wat = (n) => `(module (func (export "f") (result i32) i32.const ${n}))`

// --- child processes (cache-children.mjs) ---

/** Runs `body` in a new Node process (it must exit 0): its `out` values and compile origins. */
function run(body, { cacheDir, keyDir, env = {} } = {}) {
  const result = spawnSync(process.execPath, ['-e', childScript(body)], {
    env: childEnv({ cacheDir, keyDir, env }),
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(result.error, undefined, `child did not finish: ${result.error}\n${result.stderr}`)
  assert.equal(result.status, 0, `child exited with ${result.status ?? result.signal}:\n${result.stderr}`)
  return parseChild(result.stdout, result.stderr)
}

/** One process: compiles `source`, calls f; returns f's result and where its code came from. */
function compileAndCall(source, options) {
  const child = run(`out(await callF(await rw.compile(${JSON.stringify(source)})))`, options)
  assert.equal(child.origins.length, 1, child.stderr)
  return { value: child.outputs[0], origin: child.origins[0] }
}

// --- files ---

function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'rw-forgery-test-'))
  t.after(() => {
    restoreModes(dir)
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

function restoreModes(path) {
  try {
    const stats = lstatSync(path)
    if (stats.isSymbolicLink()) return
    chmodSync(path, stats.isDirectory() ? 0o700 : 0o600)
    if (stats.isDirectory()) for (const name of readdirSync(path)) restoreModes(join(path, name))
  } catch {}
}

const mode = (path) => lstatSync(path).mode & 0o777
const cacheFiles = (dir) => (existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.rwc')).sort() : [])

// Trailer: key (32) | keyed BLAKE3 MAC (32) | payload length (u64 LE) | "RWCACHE3".
const TRAILER = 80
const MAC_AT = -48

/** Replaces the file at `path` by `bytes`, read-only as the runtime writes them. */
function plant(path, bytes) {
  rmSync(path, { force: true })
  writeFileSync(path, bytes, { mode: 0o400 })
  chmodSync(path, 0o400)
}

/**
 * `image` with f's machine code patched to return another value: the `mov eax, VALUE` found and
 * its immediate changed (elsewhere than x86-64, a byte in the middle of the image). Returns the
 * patched image and the value the patched code would return.
 */
function patchCode(image) {
  const patched = Buffer.from(image)
  const needle = Buffer.alloc(5)
  needle[0] = 0xb8
  needle.writeInt32LE(VALUE, 1)
  const at = patched.indexOf(needle)
  if (at >= 0 && patched.indexOf(needle, at + 1) < 0) {
    patched.writeInt32LE(666, at + 1)
    return { patched, forgedValue: 666 }
  }
  patched[patched.length >> 1] ^= 0xff
  return { patched, forgedValue: null }
}

/** A cache directory and a key directory holding one valid file for wat(value). */
function validCache(t, value = VALUE) {
  const root = tempDir(t)
  const cacheDir = join(root, 'cache')
  const keyDir = join(root, 'key')
  assert.equal(compileAndCall(wat(value), { cacheDir, keyDir }).origin, 'compiled')
  const [name] = cacheFiles(cacheDir)
  assert.ok(name)
  return { root, cacheDir, keyDir, name, path: join(cacheDir, name), valid: readFileSync(join(cacheDir, name)) }
}

// --- 1: forged files ---

test('a cache file with patched machine code is never run, whatever its trailer; the module is compiled', async (t) => {
  const base = validCache(t)
  const image = base.valid.subarray(0, base.valid.length - TRAILER)
  const trailer = base.valid.subarray(-TRAILER)
  const { patched, forgedValue } = patchCode(image)
  if (process.arch === 'x64') assert.equal(forgedValue, 666, "f's `mov eax, imm32` was found and patched")

  // Another valid file (another module) under the same key, for its trailer.
  const other = compileAndCall(wat(VALUE + 1), { cacheDir: base.cacheDir, keyDir: base.keyDir })
  assert.equal(other.origin, 'compiled')
  const otherName = cacheFiles(base.cacheDir).find((name) => name !== base.name)
  const otherFile = readFileSync(join(base.cacheDir, otherName))
  const otherTrailer = otherFile.subarray(-TRAILER)

  const withMac = (mac) => {
    const forged = Buffer.concat([patched, trailer])
    mac.copy(forged, forged.length + MAC_AT)
    return forged
  }
  const forgeries = {
    'its own trailer kept (the MAC of the original code)': () => Buffer.concat([patched, trailer]),
    'an unkeyed hash of the patched code recomputed in the MAC\'s place': () =>
      withMac(createHash('sha256').update(patched).digest()),
    'the MAC field copied from another valid file': () => withMac(otherTrailer.subarray(32, 64)),
    'the whole trailer of another valid file, its key and length made this file\'s': () => {
      const copied = Buffer.from(otherTrailer)
      trailer.copy(copied, 0, 0, 32) // this file's key
      copied.writeBigUInt64LE(BigInt(patched.length), TRAILER - 16)
      return Buffer.concat([patched, copied])
    },
    'the former format (RWCACHE2: key, 16-byte checksum, length, magic)': () => {
      const old = Buffer.alloc(64)
      trailer.copy(old, 0, 0, 32)
      createHash('md5').update(patched).digest().copy(old, 32)
      old.writeBigUInt64LE(BigInt(patched.length), 48)
      old.write('RWCACHE2', 56, 'latin1')
      return Buffer.concat([patched, old])
    },
    'another module\'s valid file under this name': () => otherFile,
  }

  for (const [name, forge] of Object.entries(forgeries)) {
    await t.test(name, (t) => {
      const cacheDir = tempDir(t)
      const path = join(cacheDir, base.name)
      const forged = forge()
      plant(path, forged)
      const next = compileAndCall(wat(VALUE), { cacheDir, keyDir: base.keyDir })
      assert.equal(next.origin, 'compiled', 'the forged file is not loaded')
      assert.equal(next.value, VALUE, 'the code that ran is the module\'s own, not the patched one')
      assert.notDeepEqual(readFileSync(path), forged, 'the forged file was replaced')
      const again = compileAndCall(wat(VALUE), { cacheDir, keyDir: base.keyDir })
      assert.deepEqual([again.origin, again.value], ['disk', VALUE], 'the rebuilt file loads')
    })
  }
})

test('a valid file loads from disk, but only under the key that made it', (t) => {
  const base = validCache(t)
  assert.deepEqual(Object.values(compileAndCall(wat(VALUE), base)), [VALUE, 'disk'])
  // The same bytes, checked with another user's (another directory's) key.
  const otherKey = join(base.root, 'other-key')
  const elsewhere = compileAndCall(wat(VALUE), { cacheDir: base.cacheDir, keyDir: otherKey })
  assert.deepEqual([elsewhere.origin, elsewhere.value], ['compiled', VALUE])
  assert.ok(existsSync(join(otherKey, 'cache.key')))
})

test('the trailer is a 32-byte MAC: two files of one module under two keys differ only there', (t) => {
  const a = validCache(t)
  const b = validCache(t)
  assert.equal(a.name, b.name)
  assert.equal(a.valid.length, b.valid.length)
  assert.deepEqual(a.valid.subarray(0, a.valid.length + MAC_AT), b.valid.subarray(0, b.valid.length + MAC_AT))
  assert.notDeepEqual(a.valid.subarray(MAC_AT, -16), b.valid.subarray(MAC_AT, -16))
  assert.deepEqual(a.valid.subarray(-16), b.valid.subarray(-16))
})

// --- 2: the key ---

test('the key is made on first use: 0600, in a 0700 directory of its own under $XDG_CONFIG_HOME or ~/.config', (t) => {
  const home = tempDir(t)
  const cacheDir = join(home, 'cache')
  const xdg = join(home, 'xdg-config')
  const env = { HOME: home, XDG_CONFIG_HOME: xdg }
  assert.equal(compileAndCall(wat(11), { cacheDir, env }).origin, 'compiled')
  const keyDir = join(xdg, 'runtime-wasm')
  assert.deepEqual(readdirSync(keyDir), ['cache.key'])
  assert.equal(mode(keyDir), 0o700)
  assert.equal(mode(join(keyDir, 'cache.key')), 0o600)
  assert.equal(readFileSync(join(keyDir, 'cache.key')).length, 32)
  assert.deepEqual(readdirSync(cacheDir).filter((name) => !name.endsWith('.rwc')), [], 'no key in the cache directory')
  assert.equal(compileAndCall(wat(11), { cacheDir, env }).origin, 'disk')

  // Without XDG_CONFIG_HOME: ~/.config/runtime-wasm.
  const plain = { HOME: home, XDG_CONFIG_HOME: undefined }
  assert.equal(compileAndCall(wat(12), { cacheDir, env: plain }).origin, 'compiled')
  assert.deepEqual(readdirSync(join(home, '.config', 'runtime-wasm')), ['cache.key'])
  // The files made under the other key are compiled over, not loaded.
  assert.equal(compileAndCall(wat(11), { cacheDir, env: plain }).origin, 'compiled')
  assert.equal(compileAndCall(wat(11), { cacheDir, env: plain }).origin, 'disk')
})

test('a missing key is made anew, and the files of the old one are compiled over', (t) => {
  const base = validCache(t)
  const oldKey = readFileSync(join(base.keyDir, 'cache.key'))
  rmSync(join(base.keyDir, 'cache.key'))
  const next = compileAndCall(wat(VALUE), base)
  assert.deepEqual([next.origin, next.value], ['compiled', VALUE])
  const newKey = readFileSync(join(base.keyDir, 'cache.key'))
  assert.notDeepEqual(newKey, oldKey)
  assert.equal(compileAndCall(wat(VALUE), base).origin, 'disk')
  // A missing key directory too.
  rmSync(base.keyDir, { recursive: true })
  assert.equal(compileAndCall(wat(VALUE), base).origin, 'compiled')
  assert.equal(mode(base.keyDir), 0o700)
})

test('a key that is not private turns the disk cache off: nothing loaded or written, the key left alone', async (t) => {
  const cases = {
    'world-writable (0666)': (key) => chmodSync(key, 0o666),
    'group-writable (0620)': (key) => chmodSync(key, 0o620),
    'readable by others (0604)': (key) => chmodSync(key, 0o604),
    'unreadable (0000)': (key) => chmodSync(key, 0o000),
    'in a world-writable directory': (key, keyDir) => chmodSync(keyDir, 0o777),
    'a symlink to a private key': (key, keyDir) => {
      const real = join(keyDir, '..', 'real.key')
      writeFileSync(real, readFileSync(key), { mode: 0o600 })
      rmSync(key)
      symlinkSync(real, key)
    },
    'of the wrong size': (key) => writeFileSync(key, Buffer.alloc(16, 1)),
  }
  for (const [name, spoil] of Object.entries(cases)) {
    const skip = IS_ROOT && name.startsWith('unreadable') && 'root reads through mode 0000'
    await t.test(name, { skip }, (t) => {
      const base = validCache(t)
      const key = join(base.keyDir, 'cache.key')
      spoil(key, base.keyDir)
      const before = lstatSync(key, { throwIfNoEntry: false })
      const beforeBytes = before?.isFile() && mode(key) & 0o400 ? readFileSync(key) : null
      for (let i = 0; i < 2; i++) {
        const child = run(`
          out(await callF(await rw.compile(${JSON.stringify(wat(VALUE))})))
          out(await callF(await rw.compile(${JSON.stringify(wat(VALUE + 7))})))
        `, base)
        assert.deepEqual(child.origins, ['compiled', 'compiled'], 'the valid file is not loaded without a trusted key')
        assert.deepEqual(child.outputs, [VALUE, VALUE + 7])
      }
      assert.deepEqual(cacheFiles(base.cacheDir), [base.name], 'nothing written')
      assert.deepEqual(readFileSync(base.path), base.valid, 'the valid file is left as it was')
      const after = lstatSync(key)
      assert.equal(after.ino, before.ino, 'the key is not replaced')
      if (beforeBytes) assert.deepEqual(readFileSync(key), beforeBytes)
    })
  }
})

// --- 3: preopens ---

/** In one process: tries each preopen (host path) and reports ok or the error. */
function tryPreopens(hosts, { cacheDir, keyDir, env, setup = '' }) {
  const child = run(`
    ${setup}
    const moduleId = await rw.compile(${JSON.stringify(wat(1))})
    for (const host of ${JSON.stringify(hosts)}) {
      out(await attempt(() => callF(moduleId, { preopens: { '/data': host } })))
      out(await attempt(() => callF(moduleId, { preopens: { '/ro': { path: host, readonly: true } } })))
    }
  `, { cacheDir, keyDir, env })
  const results = {}
  hosts.forEach((host, i) => {
    const [readWrite, readOnly] = [child.outputs[2 * i], child.outputs[2 * i + 1]]
    assert.deepEqual(readOnly.ok, readWrite.ok, `${host}: read-only is judged alike`)
    results[host] = readWrite
  })
  return results
}

function assertRefused(outcome, host, what) {
  assert.equal(outcome.ok, false, `${host} should be refused`)
  assert.equal(outcome.code, 5009, `${host}: ${JSON.stringify(outcome)}`)
  assert.equal(outcome.name, 'PermissionDenied')
  assert.match(outcome.message, what)
  assert.equal(outcome.path, host)
}

test('preopens that are, contain or lie inside the cache directory are refused with 5009; others work', (t) => {
  const root = tempDir(t)
  const data = join(root, 'app', 'data')
  const cacheDir = join(data, 'cache')
  const keyDir = join(root, 'key')
  mkdirSync(join(cacheDir, 'sub'), { recursive: true, mode: 0o700 })
  mkdirSync(join(data, 'cachex'), { recursive: true })
  mkdirSync(join(root, 'other'))
  symlinkSync(data, join(root, 'link-to-data'))
  symlinkSync(join(cacheDir, 'sub'), join(root, 'link-to-sub'))
  const refused = [cacheDir, data, join(root, 'app'), join(cacheDir, 'sub'), join(root, 'link-to-data'), join(root, 'link-to-sub'), `${cacheDir}/.`, `${data}/../data`]
  const allowed = [join(data, 'cachex'), join(root, 'other')]
  const results = tryPreopens([...refused, ...allowed], { cacheDir, keyDir })
  for (const host of refused) assertRefused(results[host], host, /compiled-code cache directory/)
  assert.match(results[data].message, /contains the compiled-code cache directory/)
  assert.match(results[join(cacheDir, 'sub')].message, /lies inside the compiled-code cache directory/)
  assert.ok(results[data].message.includes(cacheDir), 'the message names the cache')
  for (const host of allowed) assert.deepEqual(results[host], { ok: true, value: 1 }, host)
})

test('a preopen that would contain the cache directory before it exists is refused too', (t) => {
  const root = tempDir(t)
  const cacheDir = join(root, 'data', 'not', 'yet', 'cache')
  mkdirSync(join(root, 'data'))
  const results = tryPreopens([join(root, 'data')], { cacheDir, keyDir: join(root, 'key') })
  assertRefused(results[join(root, 'data')], join(root, 'data'), /contains the compiled-code cache directory/)
})

test('with the disk cache off, the cache directory may be preopened', (t) => {
  const root = tempDir(t)
  const cacheDir = join(root, 'data', 'cache')
  const keyDir = join(root, 'key')
  mkdirSync(cacheDir, { recursive: true })
  const hosts = [cacheDir, join(root, 'data')]
  for (const options of [
    { setup: 'rw.configure({ cache: false })' },
    { env: { RUNTIME_WASM_CACHE: 'off' } },
    { env: { RUNTIME_WASM_CACHE: '0' } },
  ]) {
    const results = tryPreopens(hosts, { cacheDir, keyDir, ...options })
    for (const host of hosts) assert.deepEqual(results[host], { ok: true, value: 1 }, `${host} ${JSON.stringify(options)}`)
  }
  // configure({ cacheDir }) elsewhere frees the old place, and guards the new one.
  const moved = tryPreopens(hosts, { cacheDir, keyDir, setup: `rw.configure({ cacheDir: ${JSON.stringify(join(root, 'data', 'cache', 'moved'))} })` })
  assert.deepEqual(moved[join(root, 'data')].ok, false)
  const elsewhere = tryPreopens(hosts, { cacheDir, keyDir, setup: `rw.configure({ cacheDir: ${JSON.stringify(join(root, 'elsewhere'))} })` })
  for (const host of hosts) assert.deepEqual(elsewhere[host], { ok: true, value: 1 }, host)
})

test('preopens that contain or lie inside the key\'s directory are refused, with the cache on or off', (t) => {
  const root = tempDir(t)
  const config = join(root, 'config')
  const keyDir = join(config, 'runtime-wasm')
  mkdirSync(keyDir, { recursive: true, mode: 0o700 })
  mkdirSync(join(root, 'cache'))
  mkdirSync(join(root, 'other'))
  const refused = [keyDir, config]
  for (const options of [{}, { setup: 'rw.configure({ cache: false })' }, { env: { RUNTIME_WASM_CACHE: 'off' } }]) {
    const results = tryPreopens([...refused, join(root, 'other')], { cacheDir: join(root, 'cache'), keyDir, ...options })
    for (const host of refused) {
      assertRefused(results[host], host, /key that authenticates compiled-code cache files/)
    }
    assert.deepEqual(results[join(root, 'other')], { ok: true, value: 1 })
  }
  // The default place: $XDG_CONFIG_HOME/runtime-wasm.
  const env = { RUNTIME_WASM_CACHE_KEY_DIR: undefined, XDG_CONFIG_HOME: config, HOME: root }
  const byDefault = tryPreopens([config, join(root, 'other')], { cacheDir: join(root, 'cache'), env })
  assertRefused(byDefault[config], config, /key that authenticates/)
  assert.deepEqual(byDefault[join(root, 'other')], { ok: true, value: 1 })
})
