// Inputs that must not cost the process its memory, tell it what it may not know, or free what
// it does not own. Each scenario runs in its own Node process (the module size limit and the
// capability policy are process-wide): see ../capabilities/helpers.mjs.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'

import { NODE_PERMISSION_FLAG, PACKAGE, PACKAGE_DIR, manifest, runChild, withWorld } from '../capabilities/helpers.mjs'

const DEFAULT_LIMIT = 512 * 1024 * 1024

// A failed outcome with `code` whose message says every one of `says`.
function assertFails(outcome, code, says, what = '') {
  assert.equal(outcome.ok, false, `${what} should fail, got ${JSON.stringify(outcome)}`)
  assert.equal(outcome.code, code, `${what}: ${JSON.stringify(outcome)}`)
  for (const text of says) assert.ok(outcome.message.includes(text), `${what}: ${JSON.stringify(outcome.message)} should say ${JSON.stringify(text)}`)
}

// --- 1. the module size limit ---

test('compileFile refuses a 16 GiB sparse file without reading it (manifest and permissive)', () => {
  withWorld({ manifest: manifest('load = ["./wasm/*.wasm"]') }, (world) => {
    const huge = world.path('app/wasm/huge.wasm')
    fs.writeFileSync(huge, '')
    fs.truncateSync(huge, 16 * 1024 ** 3)
    const body = `
      const before = process.memoryUsage().rss
      const started = performance.now()
      out.huge = await attempt(() => rw.compileFile(${JSON.stringify(huge)}))
      out.ms = performance.now() - started
      out.grew = process.memoryUsage().rss - before
      out.ok = await load(${JSON.stringify(world.path('app/wasm/ok.wasm'))})`
    for (const env of [{}, { RUNTIME_WASM_MANIFEST: undefined }]) {
      const cwd = Object.keys(env).length === 0 ? world.app : world.root
      const out = runChild(world, body, { cwd, env })
      assertFails(out.huge, 5008, ['too large', String(16 * 1024 ** 3), String(DEFAULT_LIMIT), 'maxModuleBytes'], 'a 16 GiB file')
      assert.equal(out.huge.path, huge)
      assert.ok(out.grew < 64 * 1024 * 1024, `memory grew by ${out.grew} bytes`)
      assert.ok(out.ms < 5000, `took ${out.ms} ms`)
      assert.deepEqual(out.ok, { ok: true, value: 1 })
    }
  })
})

test('compileFile reads at most the limit plus one byte of a file whose size stat does not tell (/proc)', () => {
  withWorld({}, (world) => {
    const out = runChild(
      world,
      `rw.configure({ maxModuleBytes: 1 << 20 })
       const before = process.memoryUsage().rss
       out.pagemap = await attempt(() => rw.compileFile('/proc/self/pagemap'))
       out.grew = process.memoryUsage().rss - before
       rw.configure({ maxModuleBytes: 1000 })
       out.mapsCapped = await attempt(() => rw.compileFile('/proc/self/maps'))
       rw.configure({ maxModuleBytes: 1 << 20 })
       out.maps = await attempt(() => rw.compileFile('/proc/self/maps'))`,
      { cwd: world.root },
    )
    // pagemap is read in 8-byte entries: the read that would pass the limit is either refused
    // by the kernel or cut at the limit, never followed by more.
    assert.equal(out.pagemap.code, 5008, JSON.stringify(out.pagemap))
    assert.ok(out.grew < 64 * 1024 * 1024, `memory grew by ${out.grew} bytes`)
    assertFails(out.mapsCapped, 5008, ['too large', 'more than 1000 bytes', 'maxModuleBytes'], '/proc/self/maps capped')
    // Small enough to read: it is then just not a module.
    assertFails(out.maps, 5000, ['/proc/self/maps'], '/proc/self/maps')
  })
})

test('compileFile refuses what is not a regular file before reading it: FIFO, device, directory', () => {
  withWorld({ manifest: manifest('load = ["./wasm/*.wasm"]') }, (world) => {
    const fifo = world.path('app/wasm/fifo.wasm')
    execFileSync('mkfifo', [fifo])
    world.mkdir('app/wasm/dir.wasm')
    world.symlink('/dev/zero', 'app/wasm/zero.wasm')
    // /dev/zero is outside the manifest: it is a 5009 there, and "not a regular file" without.
    const out = runChild(
      world,
      `out.fifo = await attempt(() => rw.compileFile('./wasm/fifo.wasm'))
       out.dir = await attempt(() => rw.compileFile('./wasm/dir.wasm'))
       out.zero = await attempt(() => rw.compileFile('./wasm/zero.wasm'))`,
      { timeout: 20_000 },
    )
    assertFails(out.fifo, 5008, ['not a regular file'], 'a FIFO')
    assertFails(out.dir, 5008, ['not a regular file'], 'a directory')
    assert.equal(out.zero.code, 5009)
    const permissive = runChild(
      world,
      `out.zero = await attempt(() => rw.compileFile('/dev/zero'))
       out.fifo = await attempt(() => rw.compileFile(${JSON.stringify(fifo)}))
       out.dir = await attempt(() => rw.compileFile('/tmp'))`,
      { cwd: world.root, timeout: 20_000 },
    )
    assertFails(permissive.zero, 5008, ['not a regular file'], '/dev/zero')
    assertFails(permissive.fifo, 5008, ['not a regular file'], 'a FIFO (permissive)')
    assertFails(permissive.dir, 5008, ['not a regular file'], 'a directory (permissive)')
  })
})

test('configure({ maxModuleBytes }) bounds compile and compileFile; the default is 512 MiB', () => {
  withWorld({}, (world) => {
    const small = '(module)'
    const big = `(module ${';; padding\n'.repeat(20)})`
    world.write('app/small.wat', small)
    world.write('app/big.wat', big)
    const out = runChild(
      world,
      `out.defaultBig = await attempt(() => rw.compile(new Uint8Array(${DEFAULT_LIMIT} + 1)))
       out.defaultAtLimit = await attempt(() => rw.compile(new Uint8Array(1 << 20)))
       rw.configure({ maxModuleBytes: ${small.length} })
       out.small = await attempt(() => rw.compileFile('./small.wat'))
       out.big = await attempt(() => rw.compileFile('./big.wat'))
       out.bytes = await attempt(() => rw.compile(new TextEncoder().encode(${JSON.stringify(big)})))
       out.text = await attempt(() => rw.compile(${JSON.stringify(big)}))
       out.textSmall = await attempt(() => rw.compile(${JSON.stringify(small)}))
       rw.configure({ maxModuleBytes: 1 << 20 })
       out.raised = await attempt(() => rw.compileFile('./big.wat'))
       out.bad = [-1, 1.5, NaN, Infinity, '10', 2 ** 53, null].map((v) => {
         try { rw.configure({ maxModuleBytes: v }); return 'accepted' } catch (e) { return e.constructor.name }
       })
       rw.configure({ maxModuleBytes: 0 })
       out.zero = await attempt(() => rw.compile(new Uint8Array(1)))`,
    )
    // Past the default: refused before compiling (an all-zero buffer is not wasm either, but
    // the message is about its size).
    assertFails(out.defaultBig, 5000, ['too large', String(DEFAULT_LIMIT + 1), String(DEFAULT_LIMIT), 'maxModuleBytes'], 'past 512 MiB')
    assertFails(out.defaultAtLimit, 5000, ['invalid WebAssembly module'], '1 MiB of zeros')
    assert.equal(out.small.ok, true, JSON.stringify(out.small))
    assertFails(out.big, 5008, ['too large', String(big.length), `limit of ${small.length} bytes`, 'maxModuleBytes'], 'big.wat')
    assertFails(out.bytes, 5000, ['too large', String(big.length)], 'compile(bytes)')
    assertFails(out.text, 5000, ['too large', String(big.length)], 'compile(text)')
    assert.equal(out.textSmall.ok, true)
    assert.equal(out.raised.ok, true, JSON.stringify(out.raised))
    assert.deepEqual(out.bad, Array(7).fill('TypeError'))
    assertFails(out.zero, 5000, ['too large', 'limit of 0 bytes'], 'a limit of 0')
  })
})

test('the manifest\'s max_module_size bounds the size too, and says so', () => {
  withWorld({ manifest: manifest('load = ["./wasm/*.wasm"]', 'max_module_size = "1KiB"') }, (world) => {
    world.write('app/wasm/big.wasm', `(module ${';;'.repeat(1000)})`)
    const out = runChild(
      world,
      `out.caps = rw.capabilities().maxModuleSize
       out.big = await attempt(() => rw.compileFile('./wasm/big.wasm'))
       out.bytes = await attempt(() => rw.compile(new Uint8Array(2000)))
       out.ok = await load('./wasm/ok.wasm')
       // A higher configured limit does not lift the manifest's; a lower one applies.
       rw.configure({ maxModuleBytes: 1 << 30 })
       out.stillBig = await attempt(() => rw.compileFile('./wasm/big.wasm'))
       rw.configure({ maxModuleBytes: 10 })
       out.lower = await attempt(() => rw.compileFile('./wasm/ok.wasm'))`,
    )
    assert.equal(out.caps, 1024)
    assertFails(out.big, 5008, ['too large', 'limit of 1024 bytes', 'max_module_size', world.path('app/manifest.app.toml')], 'manifest limit')
    assertFails(out.bytes, 5000, ['too large', 'limit of 1024 bytes', 'max_module_size'], 'compile(bytes) under the manifest')
    assert.deepEqual(out.ok, { ok: true, value: 1 })
    assertFails(out.stillBig, 5008, ['limit of 1024 bytes'], 'configured above the manifest')
    assertFails(out.lower, 5008, ['limit of 10 bytes', 'maxModuleBytes'], 'configured below the manifest')
  })
})

// --- 2. refusals tell nothing about places outside the manifest ---

test('a refused compileFile or preopen reads the same for a missing and an existing path outside', () => {
  withWorld({ manifest: manifest('load = ["./wasm/*.wasm"]', 'preopens = ["./data"]') }, (world) => {
    world.write('outside/big.wasm', 'x'.repeat(12345))
    world.write('outside/locked.wasm', 'x')
    fs.chmodSync(world.path('outside/locked.wasm'), 0o000)
    world.mkdir('outside/dir')
    world.symlink(world.path('outside/secret.wasm'), 'app/wasm/to-existing.wasm')
    world.symlink(world.path('outside/missing.wasm'), 'app/wasm/to-missing.wasm')
    world.symlink(world.path('outside/dir'), 'app/data/to-dir')
    world.symlink(world.path('outside/no-dir'), 'app/data/to-no-dir')
    const loads = {
      existing: '../outside/secret.wasm',
      big: '../outside/big.wasm',
      locked: '../outside/locked.wasm',
      directory: '../outside/dir',
      missing: '../outside/missing.wasm',
      missingDir: '../outside/no/such/x.wasm',
      linkToExisting: './wasm/to-existing.wasm',
      linkToMissing: './wasm/to-missing.wasm',
      sibling: './secret.wasm',
      siblingMissing: './missing.wasm',
      dev: '/dev/zero',
      proc: '/proc/self/pagemap',
    }
    const preopens = {
      existing: '../outside/dir',
      missing: '../outside/no-dir',
      file: '../outside/secret.txt',
      linkToExisting: './data/to-dir',
      linkToMissing: './data/to-no-dir',
    }
    const out = runChild(
      world,
      `const loads = ${JSON.stringify(loads)}
       const preopens = ${JSON.stringify(preopens)}
       out.loads = {}
       out.events = {}
       for (const [name, file] of Object.entries(loads)) {
         const events = []
         out.loads[name] = await attempt(() => rw.compileFile(file, { onProgress: (e) => events.push({ ...e, error: undefined, elapsedMs: undefined }) }))
         out.events[name] = events
       }
       const allowedEvents = []
       out.allowed = await attempt(() => rw.compileFile('./wasm/ok.wasm', { onProgress: (e) => allowedEvents.push(e.bytes) }))
       out.allowedEvents = allowedEvents
       const id = await rw.compile('(module)')
       out.preopens = {}
       for (const [name, dir] of Object.entries(preopens)) {
         out.preopens[name] = {
           rw: await attempt(() => rw.instantiate(id, { preopens: { '/d': dir } })),
           ro: await attempt(() => rw.instantiate(id, { preopens: { '/d': { path: dir, readonly: true } } })),
         }
       }`,
    )
    const shape = (outcome, path) => ({ ...outcome, message: outcome.message.replaceAll(JSON.stringify(path), '<path>'), path: outcome.path === path ? '<path>' : outcome.path })
    const reference = shape(out.loads.missing, loads.missing)
    assert.equal(reference.code, 5009)
    for (const [name, file] of Object.entries(loads)) {
      assert.deepEqual(shape(out.loads[name], file), reference, `compileFile of ${name}`)
      // onProgress: a start and a failure, neither with a size.
      assert.deepEqual(out.events[name].map((e) => [e.phase, 'bytes' in e]), [['start', false], ['failed', false]], `onProgress of ${name}`)
    }
    assert.equal(out.allowed.ok, true)
    assert.deepEqual(out.allowedEvents, [fs.statSync(world.path('app/wasm/ok.wasm')).size, fs.statSync(world.path('app/wasm/ok.wasm')).size])
    for (const mode of ['rw', 'ro']) {
      const reference = shape(out.preopens.missing[mode], preopens.missing)
      assert.equal(reference.code, 5009, JSON.stringify(reference))
      for (const [name, dir] of Object.entries(preopens)) {
        assert.deepEqual(shape(out.preopens[name][mode], dir), reference, `preopen (${mode}) of ${name}`)
      }
    }
  })
})

// --- 3. only the owner's lifetime frees an instance ---

test('a worker that wraps the main thread\'s instance id never frees it (exit, terminate, GC); its own instances are freed', () => {
  withWorld({}, (world) => {
    const out = runChild(
      world,
      `const { Worker } = await import('node:worker_threads')
       const PACKAGE = ${JSON.stringify(PACKAGE)}
       const turns = async (n) => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)) }
       const collect = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await turns(5) } }
       // Runs body in a worker with workerData { id }; resolves its messages and exit code.
       function inWorker(body, id, { onMessage } = {}) {
         const code = \`
           const { parentPort, workerData } = require('node:worker_threads')
           const rw = require(\${JSON.stringify(PACKAGE)})
           const turns = async (n) => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)) }
           const collect = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await turns(5) } }
           ;(async () => { \${body} })().catch((e) => parentPort.postMessage({ error: String(e?.stack ?? e) }))\`
         return new Promise((resolve) => {
           const messages = []
           const worker = new Worker(code, { eval: true, workerData: { id } })
           worker.on('message', (m) => {
             messages.push(m)
             onMessage?.(m, worker)
           })
           worker.on('exit', (exitCode) => resolve({ messages, exitCode }))
         })
       }
       const value = async (id) => attempt(async () => (await rw.call(id, 'value', []))[0])
       const moduleId = await rw.compile('(module (func (export "value") (result i32) i32.const 7))')
       const instance = await rw.instantiate(moduleId)
       const id = instance.id

       out.exited = await inWorker(\`
         const wrapper = new rw.Instance(workerData.id)
         parentPort.postMessage((await wrapper.call('value'))[0])\`, id)
       await collect()
       out.afterExit = await value(id)

       out.terminated = await inWorker(\`
         const wrapper = new rw.Instance(workerData.id)
         parentPort.postMessage((await wrapper.call('value'))[0])
         parentPort.postMessage('wrapped')
         setInterval(() => {}, 1000)\`, id, { onMessage: (m, worker) => m === 'wrapped' && worker.terminate() })
       await collect()
       out.afterTerminate = await value(id)

       out.collected = await inWorker(\`
         for (let i = 0; i < 50; i++) new rw.Instance(workerData.id)
         await collect()
         parentPort.postMessage((await rw.call(workerData.id, 'value', []))[0])\`, id)
       out.afterWorkerGc = await value(id)

       // A second wrapper in the owning thread does not own it either.
       for (let i = 0; i < 50; i++) new rw.Instance(id)
       await collect()
       out.afterMainGc = await value(id)

       // The worker's own instances: freed at its exit, and by collecting their object.
       out.own = await inWorker(\`
         const moduleId = await rw.compile('(module (func (export "value") (result i32) i32.const 9))')
         let mine = await rw.instantiate(moduleId)
         const collectedId = mine.id
         mine = null
         await collect()
         let collected
         try { await rw.call(collectedId, 'value', []); collected = 'alive' } catch (e) { collected = e.code }
         const kept = await rw.instantiate(moduleId)
         parentPort.postMessage({ collected, kept: kept.id, value: (await kept.call('value'))[0] })\`, id)
       const kept = out.own.messages[0]?.kept
       await collect()
       out.ownAfterExit = kept === undefined ? null : await value(kept)
       out.stillMine = await value(id)
       // The main thread wraps a worker's live instance and collects the wrapper: the worker's
       // instance lives on until the worker ends.
       out.reverse = await inWorker(\`
         const moduleId = await rw.compile('(module (func (export "value") (result i32) i32.const 5))')
         const mine = await rw.instantiate(moduleId)
         parentPort.postMessage(mine.id)
         await new Promise((resolve) => parentPort.once('message', resolve))
         parentPort.postMessage((await mine.call('value'))[0])\`, id, {
         onMessage: async (m, worker) => {
           if (typeof m !== 'string') return
           for (let i = 0; i < 50; i++) new rw.Instance(m)
           await collect()
           worker.postMessage('go')
         },
       })`,
      { nodeArgs: ['--expose-gc'] },
    )
    assert.deepEqual(out.exited, { messages: [7], exitCode: 0 })
    assert.deepEqual(out.afterExit, { ok: true, value: 7 }, 'after the wrapping worker exited')
    assert.equal(out.terminated.messages[0], 7)
    assert.deepEqual(out.afterTerminate, { ok: true, value: 7 }, 'after the wrapping worker was terminated')
    assert.deepEqual(out.collected, { messages: [7], exitCode: 0 })
    assert.deepEqual(out.afterWorkerGc, { ok: true, value: 7 }, 'after the worker collected its wrappers')
    assert.deepEqual(out.afterMainGc, { ok: true, value: 7 }, 'after the main thread collected extra wrappers')
    assert.equal(out.own.exitCode, 0, JSON.stringify(out.own))
    assert.deepEqual({ ...out.own.messages[0], kept: undefined }, { collected: 5005, kept: undefined, value: 9 }, 'the worker\'s collected instance is freed')
    assert.equal(out.ownAfterExit.ok, false, 'the worker\'s instance is freed at its exit')
    assert.equal(out.ownAfterExit.code, 5005)
    assert.deepEqual(out.stillMine, { ok: true, value: 7 })
    assert.equal(out.reverse.exitCode, 0, JSON.stringify(out.reverse))
    assert.equal(out.reverse.messages[1], 5, 'the worker\'s instance outlives the main thread\'s wrappers')
  })
})

// --- 4. Node's permission model judges what was opened, not a name checked earlier ---

// Keeps `link` a symlink whose target flips between `inside` and `outside` (each flip an atomic
// rename), as fast as it can, in a process of its own, until killed.
function startSwapper(world, link, inside, outside) {
  const script = world.write('scripts/swapper.cjs', `
    const fs = require('node:fs')
    const [link, inside, outside] = process.argv.slice(2)
    let n = 0
    for (;;) {
      const tmp = link + '.tmp'
      try { fs.unlinkSync(tmp) } catch {}
      fs.symlinkSync(n++ % 2 ? outside : inside, tmp)
      fs.renameSync(tmp, link)
    }`)
  return spawn(process.execPath, [script, link, inside, outside], { stdio: 'ignore' })
}

function permissionArgs(world, grants) {
  const args = [NODE_PERMISSION_FLAG, '--allow-addons', `--allow-fs-read=${PACKAGE_DIR}`, `--allow-fs-read=${world.scripts}`]
  for (const [scope, path] of grants) args.push(`--allow-${scope.replace('.', '-')}=${path}`)
  return args
}

test('Node permission: a module name swapped for a symlink to outside never loads the outside module', () => {
  withWorld({}, (world) => {
    const link = world.symlink('ok.wasm', 'app/wasm/swap.wasm')
    const swapper = startSwapper(world, link, 'ok.wasm', world.path('outside/secret.wasm'))
    try {
      const out = runChild(
        world,
        `out.direct = await load('./wasm/ok.wasm')
         out.outcomes = {}
         for (let i = 0; i < 1500; i++) {
           const outcome = await load('./wasm/swap.wasm')
           const key = outcome.ok ? 'value ' + outcome.value : 'code ' + outcome.code
           out.outcomes[key] = (out.outcomes[key] ?? 0) + 1
         }`,
        { nodeArgs: permissionArgs(world, [['fs.read', world.path('app/wasm')]]), timeout: 120_000 },
      )
      assert.deepEqual(out.direct, { ok: true, value: 1 })
      assert.equal(out.outcomes['value 2'], undefined, `the outside module loaded: ${JSON.stringify(out.outcomes)}`)
      for (const key of Object.keys(out.outcomes)) assert.ok(['value 1', 'code 5009'].includes(key), JSON.stringify(out.outcomes))
    } finally {
      swapper.kill()
    }
  })
})

test('Node permission: a preopen swapped for a symlink to outside never gives the guest the outside directory', () => {
  withWorld({}, (world) => {
    world.write('app/data/real/secret.txt', 'inside-data')
    const link = world.symlink('real', 'app/data/swap')
    const swapper = startSwapper(world, link, 'real', world.path('outside'))
    try {
      for (const readonly of [false, true]) {
        const grants = [['fs.read', world.path('app/data')]]
        if (!readonly) grants.push(['fs.write', world.path('app/data')])
        const out = runChild(
          world,
          `out.direct = await attempt(async () => {
             const box = await sandbox({ '/d': ${readonly} ? { path: './data/real', readonly: true } : './data/real' })
             const { text } = await box.read('secret.txt')
             await box.instance.drop()
             return text
           })
           out.outcomes = {}
           const note = (key) => { out.outcomes[key] = (out.outcomes[key] ?? 0) + 1 }
           for (let i = 0; i < 400; i++) {
             let box
             try {
               box = await sandbox({ '/d': ${readonly} ? { path: './data/swap', readonly: true } : './data/swap' })
             } catch (e) {
               note('code ' + e.code)
               continue
             }
             const { text } = await box.read('secret.txt')
             note(text.includes('inside-data') ? 'inside' : 'other: ' + text.slice(0, 40).replace(/[^a-z-]/gi, '?'))
             await box.instance.drop()
           }`,
          { nodeArgs: permissionArgs(world, grants), timeout: 120_000 },
        )
        // runChild already fails if the outside secret shows up anywhere in the findings.
        assert.deepEqual(out.direct, { ok: true, value: 'inside-data' })
        for (const key of Object.keys(out.outcomes)) assert.ok(['inside', 'code 5009'].includes(key), `readonly ${readonly}: ${JSON.stringify(out.outcomes)}`)
      }
    } finally {
      swapper.kill()
    }
  })
})
