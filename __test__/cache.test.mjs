// The compiled-code cache (src/cache/mod.rs, src/cache/file.rs), seen from outside. Each scenario runs
// in fresh Node processes with DEBUG=runtime-wasm, reads where each compile's code came from off
// stderr ("compiled", "loaded from the compiled-code cache", "shared with a live module of the same
// bytes"), calls the module, and looks at the cache directory. The suite proves that:
// - a compile writes one read-only (0400) file, atomically, into a private (0700) directory, and a
//   later process loads it instead of compiling; the key is the source as given (WAT text and its
//   binary are two entries), whether it comes from compile() or compileFile();
// - within a process a live module's code is shared, and only while the module is alive;
// - different sources never share a file, and one module's code is never returned for another;
// - a damaged cache file (any byte flipped, cut, extended, emptied, garbage, spliced, or another
//   module's file under this one's name) is never loaded: it is deleted and rebuilt, and works;
// - a file that anyone (its owner too) could write, a directory others could write, a symlink, or
//   something that is not a regular file is never loaded, and the module is compiled instead;
// (cache-forgery.test.mjs: files forged without the user's secret key, the key file itself, and
// preopens that would reach the cache.)
// - configure() and the environment decide where, and whether, the cache lives;
// - an unusable cache directory only makes compiles slower; fuel-metered code is cached as well;
// - processes racing to fill the cache all work and leave exactly one valid file.
// No assertion depends on how long anything takes.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { childEnv as sharedChildEnv, childScript, parseChild } from './cache-children.mjs'

// --- modules: `f` returns a constant, so every test can use its own module and check who answered ---

const wat = (n) => `(module (func (export "f") (result i32) i32.const ${n}))`

function sleb128(value) {
  const out = []
  for (;;) {
    const byte = value & 0x7f
    value >>= 7
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}

/** The binary encoding of wat(n), byte for byte what a WAT assembler makes of it. */
function wasm(n) {
  const section = (id, content) => [id, content.length, ...content]
  const body = [0x00, 0x41, ...sleb128(n), 0x0b] // no locals; i32.const n; end
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x00, 0x01, 0x7f]), // type 0: [] -> [i32]
    ...section(3, [0x01, 0x00]), // func 0: type 0
    ...section(7, [0x01, 0x01, 0x66, 0x00, 0x00]), // export "f" = func 0
    ...section(10, [0x01, body.length, ...body]),
  ])
}

/** A module with many functions (a compile that takes a while), whose `f` returns n. */
function bigWat(n, functions = 400) {
  const funcs = Array.from({ length: functions }, (_, i) =>
    `(func (export "g${i}") (param i32) (result i32) local.get 0 i32.const ${i} i32.add i32.const 3 i32.mul)`)
  return `(module ${funcs.join(' ')} (func (export "f") (result i32) i32.const ${n}))`
}

/** The JS expression, in a child's script, for `source`. */
function sourceExpression(source) {
  return typeof source === 'string' ? JSON.stringify(source) : `Uint8Array.from(${JSON.stringify([...source])})`
}

// --- child processes (cache-children.mjs) ---

// The secret key that authenticates cache files: one private directory for every child of this
// file (cache-forgery.test.mjs tests where it goes by default), removed at the end.
const KEY_DIR = join(mkdtempSync(join(tmpdir(), 'rw-cache-key-')), 'key')
process.on('exit', () => rmSync(join(KEY_DIR, '..'), { recursive: true, force: true }))

/** A child's environment, with RUNTIME_WASM_CACHE_DIR = `cacheDir` and this file's key. */
const childEnv = (cacheDir, env) => sharedChildEnv({ cacheDir, keyDir: KEY_DIR, env })

/** Runs `body` (async JS using rw, out and callF) in a new Node process; it must exit 0. */
function run(body, { cacheDir, env, cwd, timeout = 30_000 } = {}) {
  const result = spawnSync(process.execPath, ['-e', childScript(body)], {
    env: childEnv(cacheDir, env),
    cwd,
    encoding: 'utf8',
    timeout,
  })
  assert.equal(result.error, undefined, `child did not finish: ${result.error}\n${result.stderr}`)
  assert.equal(result.status, 0, `child exited with ${result.status ?? result.signal}:\n${result.stderr}`)
  return parseChild(result.stdout, result.stderr)
}

/** One process: compiles `source`, calls f. Returns f's result and where the code came from. */
function compileAndCall(source, options) {
  const child = run(`out(await callF(await rw.compile(${sourceExpression(source)})))`, options)
  assert.equal(child.origins.length, 1, child.stderr)
  return { value: child.outputs[0], origin: child.origins[0], child }
}

/** The same, with compileFile(path). */
function compileFileAndCall(path, options) {
  const child = run(`out(await callF(await rw.compileFile(${JSON.stringify(path)})))`, options)
  assert.equal(child.origins.length, 1, child.stderr)
  return { value: child.outputs[0], origin: child.origins[0], child }
}

// --- the cache directory ---

/** A fresh temporary directory, removed after the test. */
function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'rw-cache-test-'))
  t.after(() => {
    restoreModes(dir)
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

// Directories a test made unreadable or untrusted get 0700 back, so they can be removed.
function restoreModes(dir) {
  try {
    if (!lstatSync(dir).isDirectory()) return
    chmodSync(dir, 0o700)
    for (const name of readdirSync(dir)) restoreModes(join(dir, name))
  } catch {}
}

const CACHE_FILE = /^[0-9a-f]{64}\.rwc$/

/** The cache files in `dir`, sorted; anything else there (a *.tmp left behind) fails. */
function cacheFiles(dir) {
  const names = readdirSync(dir).sort()
  assert.deepEqual(names.filter((name) => !CACHE_FILE.test(name)), [], `only cache files in ${dir}`)
  return names
}

const mode = (path) => lstatSync(path).mode & 0o777

// Trailer: key (32) | keyed BLAKE3 MAC (32) | payload length (u64 LE) | "RWCACHE3".
const TRAILER = 80
const KEY_AT = -80
const MAC_AT = -48
const LENGTH_AT = -16

/** Checks `name` in `dir`: a read-only regular file whose trailer names its key and its length. */
function assertWellFormed(dir, name) {
  const path = join(dir, name)
  const stats = lstatSync(path)
  assert.ok(stats.isFile(), `${name} is a regular file`)
  assert.equal(stats.mode & 0o777, 0o400, `${name} has mode 0400`)
  const bytes = readFileSync(path)
  assert.ok(bytes.length > TRAILER)
  assert.equal(bytes.subarray(-8).toString('latin1'), 'RWCACHE3', 'the magic ends the file')
  assert.equal(bytes.readBigUInt64LE(bytes.length + LENGTH_AT), BigInt(bytes.length - TRAILER), 'the payload length')
  assert.equal(bytes.subarray(KEY_AT, MAC_AT).toString('hex') + '.rwc', name, 'the trailer holds the key the file is named after')
  assert.equal(bytes.subarray(0, 4).toString('latin1'), '\x7fELF', "the payload is wasmtime's ELF image")
  return bytes
}

/** The only cache file in `dir` (checked well formed). */
function onlyCacheFile(dir) {
  const names = cacheFiles(dir)
  assert.equal(names.length, 1, `exactly one cache file in ${dir}: ${names}`)
  assertWellFormed(dir, names[0])
  return names[0]
}

/**
 * Identity of a file: a file rewritten (new file renamed over it) gets another inode, and its
 * contents are hashed. (Not its modification time: a load marks the file as recently used.)
 */
const identity = (path) => {
  const stats = statSync(path)
  return `${stats.ino}:${stats.size}:${createHash('sha256').update(readFileSync(path)).digest('hex')}`
}

// --- 1 ---

test('a first compile writes exactly one private cache file, atomically, into a private directory it creates', (t) => {
  const cacheDir = join(tempDir(t), 'not', 'there', 'yet')
  const { value, origin, child } = compileAndCall(wat(101), { cacheDir })
  assert.equal(origin, 'compiled')
  assert.equal(value, 101)
  assert.deepEqual(child.cacheLines, [`runtime-wasm cache in ${cacheDir}`])
  assert.equal(mode(cacheDir), 0o700, 'the cache creates its directory 0700')
  assert.equal(mode(join(cacheDir, '..')), 0o700, 'and any missing parent too')
  const name = onlyCacheFile(cacheDir) // mode 0400, no *.tmp left, trailer names the key
  assert.match(name, CACHE_FILE)
})

// --- 2 ---

test('a later process loads the cache file instead of compiling, from compile() and compileFile(); the key is the binary compiled', (t) => {
  const root = tempDir(t)
  const cacheDir = join(root, 'cache')
  const binary = wasm(202)
  const binaryPath = join(root, 'm.wasm')
  const textPath = join(root, 'm.wat')
  writeFileSync(binaryPath, binary)
  writeFileSync(textPath, wat(202))
  assert.ok(WebAssembly.validate(binary), 'the hand-made binary is valid')

  let first = compileAndCall(binary, { cacheDir })
  assert.deepEqual([first.origin, first.value], ['compiled', 202])
  const binaryFile = onlyCacheFile(cacheDir)
  const written = identity(join(cacheDir, binaryFile))

  const again = compileAndCall(binary, { cacheDir })
  assert.deepEqual([again.origin, again.value], ['disk', 202])
  assert.equal(identity(join(cacheDir, binaryFile)), written, 'a load leaves the file as it was')

  // compileFile reads the same bytes: the same key, the same file.
  const fromFile = compileFileAndCall(binaryPath, { cacheDir })
  assert.deepEqual([fromFile.origin, fromFile.value], ['disk', 202])
  assert.equal(fromFile.child.compiles[0], `compileFile ${JSON.stringify(binaryPath)}`)
  assert.deepEqual(cacheFiles(cacheDir), [binaryFile])

  // WAT text is keyed by the binary it assembles to: the same entry.
  const text = compileAndCall(wat(202), { cacheDir })
  assert.deepEqual([text.origin, text.value], ['disk', 202])
  const textFromFile = compileFileAndCall(textPath, { cacheDir })
  assert.deepEqual([textFromFile.origin, textFromFile.value], ['disk', 202])
  assert.deepEqual(cacheFiles(cacheDir), [binaryFile])
  // Other text is another module: a second entry.
  const other = compileAndCall(wat(203), { cacheDir })
  assert.deepEqual([other.origin, other.value], ['compiled', 203])
  const names = cacheFiles(cacheDir)
  assert.equal(names.length, 2)
  assertWellFormed(cacheDir, names.find((name) => name !== binaryFile))
})

// --- 3 ---

test('in one process, identical bytes share a live module\'s code, and only while a module holds it', (t) => {
  const cacheDir = tempDir(t)
  const source = sourceExpression(wasm(303))
  const child = run(`
    const source = ${source}
    const a = await rw.compile(source)          // compiled
    const b = await rw.compile(source)          // memory: a is alive
    out({ distinctIds: a !== b, a: await callF(a), b: await callF(b) })
    await rw.dropModule(a)
    const c = await rw.compile(source)          // memory: b is alive
    await rw.dropModule(b)
    await rw.dropModule(c)
    const d = await rw.compile(source)          // disk: nothing alive holds the code
    const instance = await rw.instantiate(d)
    await rw.dropModule(d)
    const e = await rw.compile(source)          // memory or disk: only d's instance is left
    await rw.dropModule(e)
    out({ instance: (await instance.call('f'))[0] })
    await instance.drop()
    const f = await rw.compile(source)          // disk: the instance is gone too
    out({ f: await callF(f) })
  `, { cacheDir })
  const [a, b, c, d, e, f] = child.origins
  assert.deepEqual([a, b, c, d], ['compiled', 'memory', 'memory', 'disk'])
  // Whether an instance keeps its module's code shareable is not promised (today it does not:
  // instances do not hold the module's entry); it is never compiled again while the file is there.
  assert.ok(e === 'memory' || e === 'disk', e)
  assert.equal(f, 'disk')
  assert.deepEqual(child.outputs, [{ distinctIds: true, a: 303, b: 303 }, { instance: 303 }, { f: 303 }])
  onlyCacheFile(cacheDir)
})

// --- 4 ---

test('different bytes get different files, and one module is never returned for another', (t) => {
  const cacheDir = tempDir(t)
  // wasm(401) and wasm(402) differ in one byte.
  const first = run(`
    const a = await rw.compile(${sourceExpression(wasm(401))})
    const b = await rw.compile(${sourceExpression(wasm(402))})   // a is alive, yet b is its own
    out([await callF(a), await callF(b)])
  `, { cacheDir })
  assert.deepEqual(first.origins, ['compiled', 'compiled'])
  assert.deepEqual(first.outputs, [[401, 402]])
  const names = cacheFiles(cacheDir)
  assert.equal(names.length, 2)
  names.forEach((name) => assertWellFormed(cacheDir, name))

  const second = run(`
    const b = await rw.compile(${sourceExpression(wasm(402))})
    const a = await rw.compile(${sourceExpression(wasm(401))})
    out([await callF(a), await callF(b)])
  `, { cacheDir })
  assert.deepEqual(second.origins, ['disk', 'disk'])
  assert.deepEqual(second.outputs, [[401, 402]])

  // A third source not seen before is compiled, whatever else is in the cache.
  const third = compileAndCall(wasm(403), { cacheDir })
  assert.deepEqual([third.origin, third.value], ['compiled', 403])
  assert.equal(cacheFiles(cacheDir).length, 3)
})

// --- 5 ---

test('a damaged or foreign cache file is never loaded: it is rebuilt, and the module works', async (t) => {
  // A valid file for the victim (f returns 500) and one for another module (f returns 501).
  const pristine = tempDir(t)
  assert.equal(compileAndCall(wasm(500), { cacheDir: pristine }).origin, 'compiled')
  const victimName = onlyCacheFile(pristine)
  assert.equal(compileAndCall(wasm(501), { cacheDir: pristine }).origin, 'compiled')
  const otherName = cacheFiles(pristine).find((name) => name !== victimName)
  const valid = readFileSync(join(pristine, victimName))
  const other = readFileSync(join(pristine, otherName))

  const flip = (at) => (bytes) => {
    const copy = Buffer.from(bytes)
    const index = at < 0 ? copy.length + at : at
    copy[index] ^= 0xff
    return copy
  }
  const garbage = (length) => Buffer.from(Array.from({ length }, (_, i) => (i * 7919 + 13) % 251))
  const damages = {
    'one byte flipped in the middle': (b) => flip(Math.floor(b.length / 2))(b),
    'the first byte flipped': flip(0),
    'the last byte flipped (the magic)': flip(-1),
    'a byte of the trailer\'s key flipped': flip(KEY_AT + 5),
    'a byte of the trailer\'s MAC flipped': flip(MAC_AT + 3),
    'a byte of the payload length flipped': flip(LENGTH_AT),
    'truncated by one byte': (b) => b.subarray(0, b.length - 1),
    'truncated to half': (b) => b.subarray(0, Math.floor(b.length / 2)),
    'its trailer cut off': (b) => b.subarray(0, b.length - TRAILER),
    'one byte appended': (b) => Buffer.concat([b, Buffer.from([0])]),
    'its trailer written twice': (b) => Buffer.concat([b, b.subarray(-TRAILER)]),
    'emptied': () => Buffer.alloc(0),
    'garbage of the same size': (b) => garbage(b.length),
    'garbage before a trailer with the right key, length and magic': (b) => {
      const payload = garbage(b.length - TRAILER)
      const trailer = Buffer.from(b.subarray(-TRAILER))
      return Buffer.concat([payload, trailer]) // only the MAC can tell
    },
    'another module\'s payload with this file\'s trailer': (b) => {
      const payload = other.subarray(0, other.length - TRAILER)
      const trailer = Buffer.from(b.subarray(-TRAILER))
      trailer.writeBigUInt64LE(BigInt(payload.length), TRAILER + LENGTH_AT)
      return Buffer.concat([payload, trailer])
    },
    'another module\'s valid cache file copied under this name': () => other,
  }

  for (const [damage, make] of Object.entries(damages)) {
    await t.test(damage, (t) => {
      const cacheDir = tempDir(t)
      const path = join(cacheDir, victimName)
      const damaged = make(valid)
      assert.notDeepEqual(damaged, valid)
      // Read-only, as the runtime writes them: only the MAC can tell.
      writeFileSync(path, damaged, { mode: 0o400 })
      chmodSync(path, 0o400)

      const next = compileAndCall(wasm(500), { cacheDir })
      assert.equal(next.origin, 'compiled', 'the damaged file is not loaded')
      assert.equal(next.value, 500, 'the module is the victim, working')
      assert.equal(onlyCacheFile(cacheDir), victimName, 'rebuilt under its own name, nothing else left')
      assert.notDeepEqual(readFileSync(path), damaged, 'the damaged bytes are gone')

      const third = compileAndCall(wasm(500), { cacheDir })
      assert.deepEqual([third.origin, third.value], ['disk', 500], 'the rebuilt file loads')
    })
  }
})

// --- 6 ---

test('a cache file or directory others could write, a symlink, or a non-regular file is never loaded', async (t) => {
  const N = 600
  const pristine = tempDir(t)
  compileAndCall(wasm(N), { cacheDir: pristine })
  const name = onlyCacheFile(pristine)
  const valid = readFileSync(join(pristine, name))
  /** A fresh cache directory holding a valid copy of the file. */
  const validCache = (t) => {
    const cacheDir = tempDir(t)
    writeFileSync(join(cacheDir, name), valid, { mode: 0o400 })
    chmodSync(join(cacheDir, name), 0o400)
    return cacheDir
  }

  await t.test('control: the valid copy, at 0400 or 0444, is loaded', (t) => {
    for (const fileMode of [0o400, 0o444]) {
      const cacheDir = validCache(t)
      chmodSync(join(cacheDir, name), fileMode)
      const { origin, value } = compileAndCall(wasm(N), { cacheDir })
      assert.deepEqual([origin, value], ['disk', N], `mode 0${fileMode.toString(8)}`)
    }
  })

  await t.test('a file writable by anyone, its owner too, is compiled over, and replaced by a read-only one', (t) => {
    // Writable by its owner: a guest running as this user could rewrite it between the check
    // and the mapping (WASI cannot change modes, so it cannot make a 0400 file writable).
    for (const fileMode of [0o666, 0o620, 0o602, 0o600, 0o644]) {
      const cacheDir = validCache(t)
      chmodSync(join(cacheDir, name), fileMode)
      const { origin, value } = compileAndCall(wasm(N), { cacheDir })
      assert.deepEqual([origin, value], ['compiled', N], `mode 0${fileMode.toString(8)} is not loaded`)
      assert.equal(onlyCacheFile(cacheDir), name, 'a read-only 0400 file took its place')
      assert.equal(compileAndCall(wasm(N), { cacheDir }).origin, 'disk')
    }
  })

  await t.test('a symlink to a valid cache file is not followed, and its target is left alone', (t) => {
    const cacheDir = tempDir(t)
    const elsewhere = tempDir(t)
    const target = join(elsewhere, name)
    writeFileSync(target, valid, { mode: 0o400 })
    chmodSync(target, 0o400)
    symlinkSync(target, join(cacheDir, name))
    const { origin, value } = compileAndCall(wasm(N), { cacheDir })
    assert.deepEqual([origin, value], ['compiled', N])
    assert.deepEqual(readFileSync(target), valid, 'nothing written through the link')
    assert.equal(onlyCacheFile(cacheDir), name, 'a regular file replaced the link')
  })

  await t.test('a cache directory writable by its group or by others is not read', (t) => {
    for (const dirMode of [0o777, 0o770, 0o702]) {
      const cacheDir = validCache(t)
      chmodSync(cacheDir, dirMode)
      const { origin, value } = compileAndCall(wasm(N), { cacheDir })
      assert.deepEqual([origin, value], ['compiled', N], `directory mode 0${dirMode.toString(8)}`)
      chmodSync(cacheDir, 0o700)
      assert.equal(onlyCacheFile(cacheDir), name)
      assert.equal(compileAndCall(wasm(N), { cacheDir }).origin, 'disk', 'read again once private')
    }
  })

  await t.test('a cache directory that is a symlink (to a valid cache) is not read', (t) => {
    const real = validCache(t)
    const cacheDir = join(tempDir(t), 'link')
    symlinkSync(real, cacheDir)
    const { origin, value } = compileAndCall(wasm(N), { cacheDir })
    assert.deepEqual([origin, value], ['compiled', N])
    assert.equal(compileAndCall(wasm(N), { cacheDir: real }).origin, 'disk', 'the real directory is read')
  })

  await t.test('a directory under the cache file\'s name: compiled, and nothing left behind', (t) => {
    const cacheDir = tempDir(t)
    mkdirSync(join(cacheDir, name), { mode: 0o700 })
    const { origin, value } = compileAndCall(wasm(N), { cacheDir })
    assert.deepEqual([origin, value], ['compiled', N])
    assert.deepEqual(readdirSync(cacheDir), [name], 'no *.tmp left')
    assert.ok(lstatSync(join(cacheDir, name)).isDirectory())
  })

  await t.test('a FIFO under the cache file\'s name: compiled, not waited on', (t) => {
    const cacheDir = tempDir(t)
    execFileSync('mkfifo', ['-m', '600', join(cacheDir, name)])
    const { origin, value } = compileAndCall(wasm(N), { cacheDir, timeout: 8_000 })
    assert.deepEqual([origin, value], ['compiled', N])
  })
})

// --- 7 ---

test('configure({ cache: false }) writes nothing; cache: true turns it back on', (t) => {
  const cacheDir = join(tempDir(t), 'cache')
  for (let i = 0; i < 2; i++) {
    const child = run(`
      rw.configure({ cache: false })
      const source = ${sourceExpression(wasm(701))}
      const a = await rw.compile(source)
      const b = await rw.compile(source)     // still shared in memory
      out([await callF(a), await callF(b)])
      await rw.dropModule(a)
      await rw.dropModule(b)
      out(await callF(await rw.compile(source)))
    `, { cacheDir })
    assert.deepEqual(child.origins, ['compiled', 'memory', 'compiled'], `process ${i + 1}`)
    assert.deepEqual(child.outputs, [[701, 701], 701])
    assert.deepEqual(child.cacheLines, ['runtime-wasm cache off'])
    assert.equal(existsSync(cacheDir), false, 'nothing written, not even the directory')
  }

  const back = run(`
    rw.configure({ cache: false })
    rw.configure({ cache: true })
    out(await callF(await rw.compile(${sourceExpression(wasm(701))})))
  `, { cacheDir })
  assert.deepEqual(back.origins, ['compiled'])
  assert.deepEqual(back.cacheLines, ['runtime-wasm cache off', `runtime-wasm cache in ${cacheDir}`])
  onlyCacheFile(cacheDir)
  assert.equal(compileAndCall(wasm(701), { cacheDir }).origin, 'disk')
})

test('configure({ cacheDir }) moves the cache (created 0700, relative paths resolved), over RUNTIME_WASM_CACHE_DIR', (t) => {
  const root = tempDir(t)
  const fromEnv = join(root, 'env')
  const configured = join(root, 'configured', 'deep')
  const body = (dir) => `
    rw.configure({ cacheDir: ${JSON.stringify(dir)} })
    out(await callF(await rw.compile(${sourceExpression(wasm(702))})))
  `
  const first = run(body(configured), { cacheDir: fromEnv })
  assert.deepEqual([first.origins, first.outputs], [['compiled'], [702]])
  assert.equal(mode(configured), 0o700)
  const name = onlyCacheFile(configured)
  assert.equal(existsSync(fromEnv), false, 'RUNTIME_WASM_CACHE_DIR is not used')

  const second = run(body(configured), { cacheDir: fromEnv })
  assert.deepEqual(second.origins, ['disk'])
  // The environment's directory alone has nothing yet.
  assert.equal(compileAndCall(wasm(702), { cacheDir: fromEnv }).origin, 'compiled')

  // A relative cacheDir is resolved against the working directory.
  const relative = run(body(join('rel', 'cache')), { cacheDir: fromEnv, cwd: root })
  assert.deepEqual(relative.origins, ['compiled'])
  assert.deepEqual(relative.cacheLines, [`runtime-wasm cache in ${join(root, 'rel', 'cache')}`])
  assert.equal(onlyCacheFile(join(root, 'rel', 'cache')), name)
})

test('RUNTIME_WASM_CACHE_DIR alone is honoured', (t) => {
  const home = tempDir(t)
  const cacheDir = join(tempDir(t), 'from-env')
  const env = { HOME: home, XDG_CACHE_HOME: join(home, 'xdg') }
  const { origin, child } = compileAndCall(wasm(703), { cacheDir, env })
  assert.equal(origin, 'compiled')
  assert.deepEqual(child.cacheLines, [`runtime-wasm cache in ${cacheDir}`])
  onlyCacheFile(cacheDir)
  assert.deepEqual(readdirSync(home), [], 'nothing in the default location')
  assert.equal(compileAndCall(wasm(703), { cacheDir, env }).origin, 'disk')
})

test('without RUNTIME_WASM_CACHE_DIR (unset or empty) the cache is $XDG_CACHE_HOME/runtime-wasm, else ~/.cache/runtime-wasm', (t) => {
  const home = tempDir(t)
  const xdg = join(tempDir(t), 'xdg')

  for (const unset of [undefined, '']) {
    const env = { HOME: home, XDG_CACHE_HOME: xdg, RUNTIME_WASM_CACHE_DIR: unset }
    const { origin, value, child } = compileAndCall(wasm(704), { env })
    assert.deepEqual(child.cacheLines, [`runtime-wasm cache in ${join(xdg, 'runtime-wasm')}`])
    assert.equal(value, 704)
    assert.equal(origin, unset === undefined ? 'compiled' : 'disk')
  }
  assert.equal(mode(join(xdg, 'runtime-wasm')), 0o700)
  onlyCacheFile(join(xdg, 'runtime-wasm'))
  assert.deepEqual(readdirSync(home), [])

  // XDG_CACHE_HOME unset, or relative (which the XDG spec says to ignore): ~/.cache.
  for (const xdgValue of [undefined, 'relative/cache']) {
    const env = { HOME: home, XDG_CACHE_HOME: xdgValue, RUNTIME_WASM_CACHE_DIR: undefined }
    const { origin, value, child } = compileAndCall(wasm(705), { env, cwd: home })
    assert.deepEqual(child.cacheLines, [`runtime-wasm cache in ${join(home, '.cache', 'runtime-wasm')}`])
    assert.equal(value, 705)
    assert.equal(origin, xdgValue === undefined ? 'compiled' : 'disk')
  }
  onlyCacheFile(join(home, '.cache', 'runtime-wasm'))
  assert.deepEqual(readdirSync(home), ['.cache'], 'nothing made under the relative XDG_CACHE_HOME')
})

// --- 8 ---

test('an unusable cache directory only costs a compile: compiles still succeed', async (t) => {
  await t.test('a path under a regular file', (t) => {
    const root = tempDir(t)
    writeFileSync(join(root, 'file'), 'not a directory')
    const cacheDir = join(root, 'file', 'cache')
    for (let i = 0; i < 2; i++) {
      const child = run(`
        const source = ${sourceExpression(wasm(801))}
        const a = await rw.compile(source)
        out(await callF(a))
        await rw.dropModule(a)
        out(await callF(await rw.compile(source)))
      `, { cacheDir })
      assert.deepEqual(child.origins, ['compiled', 'compiled'])
      assert.deepEqual(child.outputs, [801, 801])
    }
    assert.equal(readFileSync(join(root, 'file'), 'utf8'), 'not a directory')
  })

  await t.test('a regular file as the directory', (t) => {
    const cacheDir = join(tempDir(t), 'file')
    writeFileSync(cacheDir, 'not a directory', { mode: 0o600 })
    for (let i = 0; i < 2; i++) {
      const { origin, value } = compileAndCall(wasm(802), { cacheDir })
      assert.deepEqual([origin, value], ['compiled', 802])
    }
    assert.equal(readFileSync(cacheDir, 'utf8'), 'not a directory')
  })

  await t.test('a read-only directory', { skip: process.getuid?.() === 0 && 'root writes through mode 0500' }, (t) => {
    const cacheDir = tempDir(t)
    chmodSync(cacheDir, 0o500)
    for (let i = 0; i < 2; i++) {
      const { origin, value } = compileAndCall(wasm(803), { cacheDir })
      assert.deepEqual([origin, value], ['compiled', 803])
    }
    chmodSync(cacheDir, 0o700)
    assert.deepEqual(readdirSync(cacheDir), [])
  })
})

// --- 9 ---

test('the fuel-metered variant is cached in a file of its own, checked like any other', (t) => {
  const cacheDir = tempDir(t)
  const source = sourceExpression(wasm(901))
  const plainOnly = run(`out(await callF(await rw.compile(${source})))`, { cacheDir })
  assert.deepEqual(plainOnly.origins, ['compiled'])
  const plainName = onlyCacheFile(cacheDir)

  const metered = `
    const moduleId = await rw.compile(${source})
    const instance = await rw.instantiate(moduleId, { limits: { fuel: 1e6 } })
    const [value] = await instance.call('f')
    out({ value, fuelLeft: await instance.fuel(), plain: await callF(moduleId) })
    await instance.drop()
  `
  const checkMetered = (child) => {
    assert.equal(child.outputs.length, 1, child.stderr)
    const [{ value, fuelLeft, plain }] = child.outputs
    assert.deepEqual([value, plain], [901, 901])
    assert.ok(fuelLeft > 0 && fuelLeft < 1e6, `fuel was burnt: ${fuelLeft} left`)
  }

  const first = run(metered, { cacheDir })
  assert.deepEqual(first.origins, ['disk'], 'the plain code is loaded')
  checkMetered(first)
  const names = cacheFiles(cacheDir)
  assert.equal(names.length, 2, 'instantiating with fuel wrote a second file')
  names.forEach((name) => assertWellFormed(cacheDir, name))
  const meteredName = names.find((name) => name !== plainName)
  const meteredPath = join(cacheDir, meteredName)
  const before = names.map((name) => identity(join(cacheDir, name)))

  // Another process finds both files and rewrites neither: the metered variant was loaded.
  const second = run(metered, { cacheDir })
  assert.deepEqual(second.origins, ['disk'])
  checkMetered(second)
  assert.deepEqual(cacheFiles(cacheDir), names)
  assert.deepEqual(names.map((name) => identity(join(cacheDir, name))), before)

  // A damaged metered file is rebuilt, and the metered instance still works.
  const damaged = Buffer.from(readFileSync(meteredPath))
  damaged[damaged.length >> 1] ^= 0xff
  rmSync(meteredPath)
  writeFileSync(meteredPath, damaged, { mode: 0o400 })
  const third = run(metered, { cacheDir })
  checkMetered(third)
  assert.deepEqual(cacheFiles(cacheDir), names)
  assert.notDeepEqual(readFileSync(meteredPath), damaged, 'rebuilt')
  assertWellFormed(cacheDir, meteredName)
})

// --- 10 ---

test('4 processes racing to compile one new module into an empty cache all work, and leave one valid file', async (t) => {
  const root = tempDir(t)
  const cacheDir = join(root, 'cache')
  const go = join(root, 'go')
  const source = bigWat(1001)
  // Each child says it is ready, then waits for the go file, so the four compile at once.
  const body = `
    out('ready')
    const fs = require('node:fs')
    const nap = new Int32Array(new SharedArrayBuffer(4))
    while (!fs.existsSync(${JSON.stringify(go)})) Atomics.wait(nap, 0, 0, 1)
    out(await callF(await rw.compile(${sourceExpression(source)})))
  `
  const children = Array.from({ length: 4 }, () => {
    const child = spawn(process.execPath, ['-e', childScript(body)], { env: childEnv(cacheDir), stdio: ['ignore', 'pipe', 'pipe'] })
    const state = { stdout: '', stderr: '' }
    state.ready = new Promise((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk) => {
        state.stdout += chunk
        if (state.stdout.startsWith('"ready"\n')) resolve()
      })
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => (state.stderr += chunk))
    state.exit = new Promise((resolve, reject) => {
      child.on('error', reject)
      child.on('close', (code, signal) => resolve({ code, signal }))
    })
    state.child = child
    return state
  })
  const killer = setTimeout(() => children.forEach(({ child }) => child.kill()), 30_000)
  try {
    await Promise.all(children.map((state) => Promise.race([state.ready, state.exit])))
    writeFileSync(go, '')
    const exits = await Promise.all(children.map((state) => state.exit))
    children.forEach((state, i) => {
      assert.deepEqual(exits[i], { code: 0, signal: null }, state.stderr)
      const { outputs, origins } = parseChild(state.stdout, state.stderr)
      assert.deepEqual(outputs, ['ready', 1001])
      assert.equal(origins.length, 1)
      assert.notEqual(origins[0], 'memory')
    })
  } finally {
    clearTimeout(killer)
  }
  onlyCacheFile(cacheDir) // exactly one, well formed, no *.tmp left
  const fifth = compileAndCall(source, { cacheDir })
  assert.deepEqual([fifth.origin, fifth.value], ['disk', 1001])
})
