// Shared by the capability tests. The policy is process-wide and can never be loosened once
// settled, so every scenario runs in its own Node process: a small script, written next to a
// throwaway directory tree, that uses the public API and prints its findings as JSON.

import { spawnSync } from 'node:child_process'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const PACKAGE = fileURLToPath(new URL('../../index.js', import.meta.url))
export const PACKAGE_DIR = path.dirname(PACKAGE)
export const PROBE_WAT = fileURLToPath(new URL('./fixtures/fs_probe.wat', import.meta.url))
export const ESCAPE_WAT = fileURLToPath(new URL('./fixtures/escape_start.wat', import.meta.url))

/** The content of every file outside the allowed places: it must never show up anywhere. */
export const SECRET = 'TOP-SECRET-outside-7f3a91'

/** A module (WAT text, which compileFile accepts like binary) whose `value` export returns n. */
export const valueModule = (n) => `(module (func (export "value") (result i32) i32.const ${n}))`

/** The allowed module exports 1; every module outside the allowed places exports 2. */
export const ALLOWED_VALUE = 1
export const OUTSIDE_VALUE = 2

/**
 * A fresh tree:
 *   root/app/            the application (cwd of the child unless told otherwise)
 *   root/app/wasm/ok.wasm        an allowed module (value 1)
 *   root/app/data/inside.txt     a file inside a preopenable directory
 *   root/app/secret.wasm         next to the allowed places, not in them (value 2)
 *   root/outside/secret.wasm     outside everything (value 2)
 *   root/outside/secret.txt      outside everything (SECRET)
 *   root/home/                   HOME of the child
 * `manifest` (TOML text) becomes root/app/manifest.app.toml when given.
 */
export function makeWorld({ manifest } = {}) {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rw-caps-')))
  const world = {
    root,
    app: path.join(root, 'app'),
    outside: path.join(root, 'outside'),
    home: path.join(root, 'home'),
    scripts: path.join(root, 'scripts'),
    path: (rel) => path.join(root, rel),
    write(rel, content) {
      const file = path.join(root, rel)
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, content)
      return file
    },
    mkdir(rel) {
      const dir = path.join(root, rel)
      fs.mkdirSync(dir, { recursive: true })
      return dir
    },
    symlink(target, rel) {
      const link = path.join(root, rel)
      fs.mkdirSync(path.dirname(link), { recursive: true })
      fs.symlinkSync(target, link)
      return link
    },
  }
  world.write('app/wasm/ok.wasm', valueModule(ALLOWED_VALUE))
  world.write('app/data/inside.txt', 'inside-data')
  world.write('app/secret.wasm', valueModule(OUTSIDE_VALUE))
  world.write('outside/secret.wasm', valueModule(OUTSIDE_VALUE))
  world.write('outside/secret.txt', SECRET)
  world.mkdir('home')
  world.mkdir('scripts')
  if (manifest !== undefined) world.write('app/manifest.app.toml', manifest)
  return world
}

/** Runs `fn(world)` on a fresh world (see makeWorld), removed afterwards. */
export function withWorld(options, fn) {
  const world = makeWorld(options)
  try {
    return fn(world)
  } finally {
    removeWorld(world)
  }
}

export function removeWorld(world) {
  fs.rmSync(world.root, { recursive: true, force: true })
}

/**
 * Everything under `dir` except the `skip` directories: type, content, mode, link count,
 * mtime, symlink text. Two equal snapshots mean nothing there was created, changed or removed.
 */
export function snapshot(dir, skip = []) {
  const entries = {}
  const walk = (current) => {
    for (const name of fs.readdirSync(current).sort()) {
      const full = path.join(current, name)
      if (skip.includes(full)) continue
      const rel = path.relative(dir, full)
      const stat = fs.lstatSync(full)
      if (stat.isSymbolicLink()) {
        entries[rel] = { type: 'link', target: fs.readlinkSync(full) }
      } else if (stat.isDirectory()) {
        entries[rel] = { type: 'dir', mode: stat.mode }
        walk(full)
      } else {
        entries[rel] = {
          type: 'file',
          content: fs.readFileSync(full, 'utf8'),
          mode: stat.mode,
          nlink: stat.nlink,
          mtimeMs: stat.mtimeMs,
        }
      }
    }
  }
  walk(dir)
  return entries
}

/** Snapshot of the whole world outside `sandboxes` (and the scripts). */
export function outsideSnapshot(world, sandboxes = []) {
  return snapshot(world.root, [world.scripts, ...sandboxes])
}

// The child's prelude: the API, and helpers that turn outcomes into plain JSON.
const prelude = () => `
import * as rw from ${JSON.stringify(pathToFileURL(PACKAGE).href)}
import fs from 'node:fs'
const out = {}
function failure(e) {
  return { ok: false, code: e?.code, name: e?.name, message: String(e?.message), path: e?.path,
           manifest: e?.manifest, line: e?.line, key: e?.key, limit: e?.limit, isWasmError: e instanceof rw.WasmError }
}
async function attempt(fn) {
  try { return { ok: true, value: await fn() } } catch (e) { return failure(e) }
}
function attemptSync(fn) {
  try { return { ok: true, value: fn() } } catch (e) { return failure(e) }
}
// compileFile + instantiate + call value(): what the loaded module really was.
async function load(file) {
  return attempt(async () => {
    const id = await rw.compileFile(file)
    const instance = await rw.instantiate(id)
    const [value] = await instance.call('value')
    await instance.drop()
    await rw.dropModule(id)
    return value
  })
}
const probeSource = fs.readFileSync(${JSON.stringify(PROBE_WAT)}, 'utf8')
// A guest (fixtures/fs_probe.wat) with the given preopens; fd 3 is the first preopen.
async function sandbox(preopens) {
  const id = await rw.compile(probeSource)
  const instance = await rw.instantiate(id, { preopens })
  const encoder = new TextEncoder()
  let at = 16
  const str = async (text) => {
    const bytes = encoder.encode(text)
    if (at + bytes.length > 0x7000) at = 16
    const offset = at
    await instance.memory.write(offset, bytes)
    at += bytes.length + 1
    return [offset, bytes.length]
  }
  const seen = async () => new TextDecoder().decode(await instance.memory.read(0x8000, 4096)).replace(/\\0+$/, '')
  const call = async (name, ...args) => (await instance.call(name, ...args))[0]
  return {
    instance,
    // { result: byte count or -errno, text: what the guest's buffer holds afterwards }
    async read(file, { dir = 3, follow = true } = {}) {
      const result = await call('read_file', dir, ...(await str(file)), follow ? 1 : 0)
      return { result, text: await seen() }
    },
    // oflags: 1 create, 4 exclusive, 8 truncate
    async write(file, data, { dir = 3, oflags = 9 } = {}) {
      return call('write_file', dir, ...(await str(file)), oflags, ...(await str(data)))
    },
    async op(name, file, { dir = 3 } = {}) { return call(name, dir, ...(await str(file))) },
    async openDir(file, { dir = 3, follow = true } = {}) {
      return call('open_dir', dir, ...(await str(file)), follow ? 1 : 0)
    },
    async rename(from, to, { dir = 3 } = {}) { return call('rename', dir, ...(await str(from)), ...(await str(to))) },
    async symlink(target, link, { dir = 3 } = {}) { return call('symlink', dir, ...(await str(target)), ...(await str(link))) },
    async link(from, to, { dir = 3, follow = false } = {}) {
      return call('link', dir, follow ? 1 : 0, ...(await str(from)), ...(await str(to)))
    },
  }
}
`

let scriptCount = 0

/**
 * Runs `body` (an async module body that fills `out`) in a new Node process with cwd
 * `cwd` (default: the app directory) and `env` added to this process's environment (a
 * value of undefined removes a variable). Returns `out`.
 */
export function runChild(world, body, { cwd = world.app, env = {}, nodeArgs = [], timeout = 60_000 } = {}) {
  const script = path.join(world.scripts, `child-${++scriptCount}.mjs`)
  fs.writeFileSync(script, `${prelude()}\n${body}\nprocess.stdout.write('\\n@@' + JSON.stringify(out) + '\\n')\n`)
  // The compiled-code cache and its key go beside the scripts, outside every snapshot.
  const childEnv = {
    ...process.env,
    HOME: world.home,
    RUNTIME_WASM_CACHE_DIR: path.join(world.scripts, 'cache'),
    RUNTIME_WASM_CACHE_KEY_DIR: path.join(world.scripts, 'key'),
  }
  delete childEnv.RUNTIME_WASM_MANIFEST
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key]
    else childEnv[key] = value
  }
  delete childEnv.NODE_TEST_CONTEXT
  const child = spawnSync(process.execPath, [...nodeArgs, script], {
    cwd,
    env: childEnv,
    encoding: 'utf8',
    timeout,
  })
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('@@'))
  if (child.status !== 0 || !line) {
    throw new Error(`child failed (status ${child.status}, signal ${child.signal}):\n${child.stdout}\n${child.stderr}`)
  }
  const raw = line.slice(2)
  assert.ok(!raw.includes(SECRET), `the secret leaked into the child's findings: ${raw}`)
  return JSON.parse(raw)
}

/** Asserts a failed attempt is a 5009 WasmError. */
export function assertDenied(outcome, what = '') {
  assert.equal(outcome.ok, false, `${what} should be denied, got ${JSON.stringify(outcome)}`)
  assert.equal(outcome.code, 5009, `${what}: expected 5009, got ${JSON.stringify(outcome)}`)
  assert.equal(outcome.name, 'PermissionDenied')
  assert.equal(outcome.isWasmError, true)
}

/** A manifest with `[capabilities.wasm]` lines. */
export function manifest(...lines) {
  return ['[capabilities.wasm]', ...lines, ''].join('\n')
}

/** Node's flag for its permission model: --permission (Node 22+) or --experimental-permission. */
export const NODE_PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission')
  ? '--permission'
  : '--experimental-permission'
