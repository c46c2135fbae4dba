// Under Node's permission model (node --permission, or --experimental-permission on Node 20),
// compileFile needs fs.read, and a preopen fs.read plus fs.write unless it is read-only, on the
// path as given and on its real path. A refusal is a 5009 like any other.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import {
  ALLOWED_VALUE,
  NODE_PERMISSION_FLAG,
  PACKAGE_DIR,
  assertDenied,
  makeWorld,
  outsideSnapshot,
  removeWorld,
  runChild,
} from './helpers.mjs'

// Node flags granting the package and the scripts, plus `grants` ([scope, path]).
function permissionArgs(world, grants) {
  const args = [NODE_PERMISSION_FLAG, '--allow-addons', `--allow-fs-read=${PACKAGE_DIR}`, `--allow-fs-read=${world.scripts}`]
  for (const [scope, path] of grants) args.push(`--allow-${scope.replace('.', '-')}=${path}`)
  return args
}

test('Node permission: compileFile needs fs.read on the file', () => {
  const world = makeWorld()
  try {
    const before = outsideSnapshot(world)
    const out = runChild(
      world,
      `out.permission = typeof process.permission?.has
       out.granted = await load('./wasm/ok.wasm')
       out.notGranted = await load('../outside/secret.wasm')
       out.sibling = await load('./secret.wasm')`,
      { nodeArgs: permissionArgs(world, [['fs.read', world.path('app/wasm')]]) },
    )
    assert.equal(out.permission, 'function')
    assert.deepEqual(out.granted, { ok: true, value: ALLOWED_VALUE })
    assertDenied(out.notGranted)
    assert.match(out.notGranted.message, /Node's permission model does not grant fs\.read/)
    assertDenied(out.sibling)
    assert.deepEqual(outsideSnapshot(world), before)
  } finally {
    removeWorld(world)
  }
})

test('Node permission: a granted name whose real path is not granted is denied', () => {
  const world = makeWorld()
  try {
    world.symlink('../../outside/secret.wasm', 'app/wasm/evil.wasm')
    const out = runChild(
      world,
      `out.link = await load('./wasm/evil.wasm')`,
      { nodeArgs: permissionArgs(world, [['fs.read', world.path('app/wasm')]]) },
    )
    assertDenied(out.link)
    assert.match(out.link.message, /Node's permission model does not grant fs\.read on .*outside/)
  } finally {
    removeWorld(world)
  }
})

test('Node permission: a read-write preopen needs fs.read and fs.write; a read-only one fs.read', () => {
  const world = makeWorld()
  try {
    world.write('app/rw/inside.txt', 'rw-data')
    const before = outsideSnapshot(world, [world.path('app/rw')])
    const out = runChild(
      world,
      `const read = async (preopens) => attempt(async () => (await sandbox(preopens)).read('inside.txt'))
       out.readWriteWithoutWrite = await read({ '/d': './data' })
       out.readOnly = await read({ '/d': { path: './data', readonly: true } })
       out.readWrite = await read({ '/d': './rw' })
       out.notGranted = await read({ '/d': { path: '../outside', readonly: true } })`,
      {
        nodeArgs: permissionArgs(world, [
          ['fs.read', world.path('app/data')],
          ['fs.read', world.path('app/rw')],
          ['fs.write', world.path('app/rw')],
        ]),
      },
    )
    assertDenied(out.readWriteWithoutWrite)
    assert.match(out.readWriteWithoutWrite.message, /fs\.write/)
    assert.deepEqual(out.readOnly, { ok: true, value: { result: 11, text: 'inside-data' } })
    assert.deepEqual(out.readWrite, { ok: true, value: { result: 7, text: 'rw-data' } })
    assertDenied(out.notGranted)
    assert.deepEqual(outsideSnapshot(world, [world.path('app/rw')]), before)
  } finally {
    removeWorld(world)
  }
})

test('Node permission: a preopen entry is read once, so a getter cannot swap the path after the check', () => {
  const world = makeWorld()
  try {
    const out = runChild(
      world,
      `let reads = 0
       const entry = { get path() { reads++; return reads === 1 ? './data' : '../outside' }, readonly: true }
       out.result = await attempt(async () => (await sandbox({ '/d': entry })).read('inside.txt'))
       out.reads = reads`,
      { nodeArgs: permissionArgs(world, [['fs.read', world.path('app/data')]]) },
    )
    assert.equal(out.reads, 1)
    assert.deepEqual(out.result, { ok: true, value: { result: 11, text: 'inside-data' } })
  } finally {
    removeWorld(world)
  }
})
