// WASI guests try to get out of their preopened directory. The guests are WAT programs
// (fixtures/fs_probe.wat, whose exports return -errno on refusal and leave what they read in
// their memory; fixtures/escape_start.wat, a command that reports in its own sandbox). Each
// test asserts the refusal, that the guest saw none of the outside content, and that nothing
// outside the sandbox changed.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'

import {
  ESCAPE_WAT,
  SECRET,
  makeWorld,
  manifest,
  outsideSnapshot,
  removeWorld,
  runChild,
} from './helpers.mjs'

const DATA = manifest('preopens = ["./data"]', 'preopens_readonly = ["./config"]')

// Runs `body` with `guest` = a probe sandbox on ./data (or `preopen`), then checks that the
// guest's outcomes show no secret and nothing outside the sandbox changed.
function escape(world, body, { preopen = './data', sandboxDir = world.path('app/data') } = {}) {
  const before = outsideSnapshot(world, [sandboxDir])
  const out = runChild(world, `const guest = await sandbox({ '/sandbox': ${JSON.stringify(preopen)} })\n${body}`)
  assert.deepEqual(outsideSnapshot(world, [sandboxDir]), before, 'nothing outside the sandbox changed')
  return out
}

function assertRefused(result, what) {
  assert.ok(typeof result === 'number' && result < 0, `${what}: expected a WASI error (-errno), got ${result}`)
}

function assertNotRead(outcome, what) {
  assertRefused(outcome.result, what)
  assert.ok(!outcome.text.includes(SECRET), `${what}: the guest saw the secret`)
}

test('positive: the guest reads and writes inside its preopen', () => {
  const world = makeWorld({ manifest: DATA })
  try {
    const out = escape(
      world,
      `out.read = await guest.read('inside.txt')
       out.write = await guest.write('made-by-guest.txt', 'hello')
       out.mkdir = await guest.op('mkdir', 'newdir')`,
    )
    assert.deepEqual(out.read, { result: 11, text: 'inside-data' })
    assert.equal(out.write, 5)
    assert.equal(out.mkdir, 0)
    assert.equal(fs.readFileSync(world.path('app/data/made-by-guest.txt'), 'utf8'), 'hello')
  } finally {
    removeWorld(world)
  }
})

test('escape: `..` paths', () => {
  const world = makeWorld({ manifest: DATA })
  try {
    world.mkdir('app/data/sub')
    const out = escape(
      world,
      `out.up = await guest.read('../../outside/secret.txt')
       out.upThroughSub = await guest.read('sub/../../../outside/secret.txt')
       out.justUp = await guest.read('..')
       const sub = await guest.openDir('sub')
       out.subFd = sub
       out.fromSub = await guest.read('../../../outside/secret.txt', { dir: sub })
       out.subUpDir = await guest.openDir('../..', { dir: sub })`,
    )
    assertNotRead(out.up, '../../outside/secret.txt')
    assertNotRead(out.upThroughSub, 'sub/../../../outside/secret.txt')
    assertRefused(out.justUp.result, '..')
    assert.ok(out.subFd > 3, 'the subdirectory opens')
    assertNotRead(out.fromSub, '.. from a subdirectory fd')
    assertRefused(out.subUpDir, 'opening ../.. from a subdirectory')
  } finally {
    removeWorld(world)
  }
})

test('escape: absolute paths', () => {
  const world = makeWorld({ manifest: DATA })
  try {
    const out = escape(
      world,
      `out.hostAbsolute = await guest.read(${JSON.stringify(world.path('outside/secret.txt'))})
       out.guestAbsolute = await guest.read('/sandbox/../outside/secret.txt')
       out.root = await guest.openDir('/')
       out.etc = await guest.read('/etc/passwd')`,
    )
    assertNotRead(out.hostAbsolute, 'the host absolute path')
    assertNotRead(out.guestAbsolute, 'a guest absolute path')
    assertRefused(out.root, 'opening /')
    assertNotRead(out.etc, '/etc/passwd')
  } finally {
    removeWorld(world)
  }
})

test('escape: existing symlinks that point outside (file and directory, relative and absolute)', () => {
  const world = makeWorld({ manifest: DATA })
  try {
    world.symlink('../../outside/secret.txt', 'app/data/relative-link')
    world.symlink(world.path('outside/secret.txt'), 'app/data/absolute-link')
    world.symlink('../../outside', 'app/data/dir-link')
    const out = escape(
      world,
      `out.relative = await guest.read('relative-link')
       out.absolute = await guest.read('absolute-link')
       out.throughDir = await guest.read('dir-link/secret.txt')
       out.noFollow = await guest.read('relative-link', { follow: false })
       out.writeThrough = await guest.write('relative-link', 'overwritten', { oflags: 9 })
       out.writeThroughDir = await guest.write('dir-link/new.txt', 'created', { oflags: 1 })
       out.mkdirThroughDir = await guest.op('mkdir', 'dir-link/newdir')
       out.unlinkThroughDir = await guest.op('unlink', 'dir-link/secret.txt')
       out.truncateThrough = await guest.op('truncate', 'absolute-link')
       out.timesThrough = await guest.op('set_times', 'relative-link')`,
    )
    assertNotRead(out.relative, 'a relative symlink to outside')
    assertNotRead(out.absolute, 'an absolute symlink to outside')
    assertNotRead(out.throughDir, 'a directory symlink to outside')
    assertNotRead(out.noFollow, 'a symlink opened without following')
    assertRefused(out.writeThrough, 'writing through a symlink')
    assertRefused(out.writeThroughDir, 'creating through a directory symlink')
    assertRefused(out.mkdirThroughDir, 'mkdir through a directory symlink')
    assertRefused(out.unlinkThroughDir, 'unlink through a directory symlink')
    assertRefused(out.truncateThrough, 'truncating through a symlink')
    assertRefused(out.timesThrough, 'setting times through a symlink')
  } finally {
    removeWorld(world)
  }
})

test('escape: symlinks created by the guest', () => {
  const world = makeWorld({ manifest: DATA })
  try {
    const out = escape(
      world,
      `out.made = await guest.symlink('../../outside/secret.txt', 'evil')
       out.madeAbsolute = await guest.symlink(${JSON.stringify(world.path('outside/secret.txt'))}, 'evil-absolute')
       out.madeDir = await guest.symlink('../../outside', 'evil-dir')
       out.read = await guest.read('evil')
       out.readAbsolute = await guest.read('evil-absolute')
       out.readDir = await guest.read('evil-dir/secret.txt')
       out.write = await guest.write('evil', 'overwritten', { oflags: 9 })
       out.createInDir = await guest.write('evil-dir/planted.txt', 'planted', { oflags: 1 })
       out.outsideLink = await guest.symlink('inside.txt', '../../outside/planted-link')`,
    )
    // Creating a link inside the sandbox may succeed (its text is only text); following it may not.
    assertNotRead(out.read, 'a guest-made relative symlink')
    assertNotRead(out.readAbsolute, 'a guest-made absolute symlink')
    assertNotRead(out.readDir, 'a guest-made directory symlink')
    assertRefused(out.write, 'writing through a guest-made symlink')
    assertRefused(out.createInDir, 'creating through a guest-made directory symlink')
    assertRefused(out.outsideLink, 'creating a symlink outside')
  } finally {
    removeWorld(world)
  }
})

test('escape: hard links', () => {
  const world = makeWorld({ manifest: DATA })
  try {
    world.symlink('../../outside/secret.txt', 'app/data/link-to-secret')
    const out = escape(
      world,
      `out.direct = await guest.link('../../outside/secret.txt', 'stolen')
       out.absolute = await guest.link(${JSON.stringify(world.path('outside/secret.txt'))}, 'stolen-absolute')
       out.followingSymlink = await guest.link('link-to-secret', 'stolen-via-symlink', { follow: true })
       out.outward = await guest.link('inside.txt', '../../outside/planted')
       out.readStolen = await guest.read('stolen')
       out.readViaSymlink = await guest.read('stolen-via-symlink')`,
    )
    assertRefused(out.direct, 'linking ../ into the sandbox')
    assertRefused(out.absolute, 'linking an absolute path into the sandbox')
    assertRefused(out.followingSymlink, 'linking the target of a symlink to outside')
    assertRefused(out.outward, 'linking a sandbox file outside')
    assertNotRead(out.readStolen, 'the would-be stolen link')
    assertNotRead(out.readViaSymlink, 'the would-be link via a symlink')
    for (const name of fs.readdirSync(world.path('app/data'))) {
      const stat = fs.lstatSync(world.path(`app/data/${name}`))
      if (stat.isFile()) assert.ok(!fs.readFileSync(world.path(`app/data/${name}`), 'utf8').includes(SECRET))
    }
  } finally {
    removeWorld(world)
  }
})

test('escape: creating directories, deleting and renaming outside', () => {
  const world = makeWorld({ manifest: DATA })
  try {
    const out = escape(
      world,
      `out.mkdir = await guest.op('mkdir', '../../outside/newdir')
       out.mkdirAbsolute = await guest.op('mkdir', ${JSON.stringify(world.path('outside/newdir2'))})
       out.unlink = await guest.op('unlink', '../../outside/secret.txt')
       out.rmdir = await guest.op('rmdir', '../../outside')
       out.renameOut = await guest.rename('inside.txt', '../../outside/moved.txt')
       out.renameIn = await guest.rename('../../outside/secret.txt', 'stolen.txt')
       out.renameSandbox = await guest.rename('.', '../../outside/sandbox')
       out.readStolen = await guest.read('stolen.txt')`,
    )
    for (const key of ['mkdir', 'mkdirAbsolute', 'unlink', 'rmdir', 'renameOut', 'renameIn', 'renameSandbox']) {
      assertRefused(out[key], key)
    }
    assertNotRead(out.readStolen, 'the would-be renamed file')
    assert.equal(fs.readFileSync(world.path('app/data/inside.txt'), 'utf8'), 'inside-data')
  } finally {
    removeWorld(world)
  }
})

test('escape: a WASI command reports that every outside path was blocked', () => {
  const world = makeWorld({ manifest: DATA })
  try {
    world.symlink('../../outside/secret.txt', 'app/data/link')
    world.symlink('../../outside', 'app/data/dir-link')
    const attempts = [
      '../../outside/secret.txt',
      world.path('outside/secret.txt'),
      '/outside/secret.txt',
      'link',
      'dir-link/secret.txt',
      './../data/../../outside/secret.txt',
    ]
    const before = outsideSnapshot(world, [world.path('app/data')])
    const out = runChild(
      world,
      `const id = await rw.compile(fs.readFileSync(${JSON.stringify(ESCAPE_WAT)}, 'utf8'))
       const instance = await rw.instantiate(id, {
         preopens: { '/sandbox': './data' },
         args: ['escape', ...${JSON.stringify(attempts)}, 'inside.txt'],
       })
       out.run = await attempt(() => instance.call('_start'))`,
    )
    // Exit status 1: only inside.txt was readable.
    assert.equal(out.run.ok, false)
    assert.equal(out.run.code, 5002)
    assert.match(out.run.message, /status 1\b/)
    const report = fs.readFileSync(world.path('app/data/report.txt'), 'utf8')
    assert.ok(!report.includes(SECRET), report)
    const lines = report.trim().split('\n')
    assert.deepEqual(lines, [...attempts.map((p) => `${p}:blocked`), 'inside.txt:read:inside-data'])
    assert.deepEqual(outsideSnapshot(world, [world.path('app/data')]), before)
  } finally {
    removeWorld(world)
  }
})

test('read-only preopen: reads work; writes, creates, renames, deletes, links and times fail; host unchanged', () => {
  const world = makeWorld({ manifest: DATA })
  try {
    world.write('app/config/settings.txt', 'settings')
    world.write('app/config/sub/nested.txt', 'nested')
    const sandboxDir = world.path('app/config')
    const before = outsideSnapshot(world)
    const out = runChild(
      world,
      `const guest = await sandbox({ '/config': { path: './config', readonly: true } })
       out.read = await guest.read('settings.txt')
       out.overwrite = await guest.write('settings.txt', 'changed', { oflags: 8 })
       out.openForWrite = await guest.write('settings.txt', 'changed', { oflags: 0 })
       out.create = await guest.write('new.txt', 'new', { oflags: 1 })
       out.createExclusive = await guest.write('new2.txt', 'new', { oflags: 5 })
       out.truncate = await guest.op('truncate', 'settings.txt')
       out.mkdir = await guest.op('mkdir', 'newdir')
       out.rmdir = await guest.op('rmdir', 'sub')
       out.unlink = await guest.op('unlink', 'settings.txt')
       out.rename = await guest.rename('settings.txt', 'renamed.txt')
       out.symlink = await guest.symlink('settings.txt', 'link')
       out.link = await guest.link('settings.txt', 'hard')
       out.times = await guest.op('set_times', 'settings.txt')
       const sub = await guest.openDir('sub')
       out.subRead = await guest.read('nested.txt', { dir: sub })
       out.subCreate = await guest.write('created.txt', 'x', { dir: sub, oflags: 1 })
       out.subUnlink = await guest.op('unlink', 'nested.txt', { dir: sub })`,
    )
    assert.deepEqual(out.read, { result: 8, text: 'settings' })
    assert.deepEqual(out.subRead, { result: 6, text: 'nested' })
    for (const key of [
      'overwrite', 'openForWrite', 'create', 'createExclusive', 'truncate', 'mkdir', 'rmdir',
      'unlink', 'rename', 'symlink', 'link', 'times', 'subCreate', 'subUnlink',
    ]) {
      assertRefused(out[key], key)
    }
    assert.deepEqual(outsideSnapshot(world), before, `nothing under ${sandboxDir} or elsewhere changed`)
  } finally {
    removeWorld(world)
  }
})
