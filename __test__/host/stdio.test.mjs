// WASI standard streams: stdin from a string or bytes; stdout and stderr piped (drained with
// readStdout / readStderr, capped by outputLimitBytes), streamed to a callback, inherited or
// ignored.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'

import { ErrorCode, compile, instantiate, readStderr, readStdout } from '../../index.mjs'
import {
  CAT_PROGRAM,
  concat,
  encoder,
  floodBytes,
  floodProgram,
  fromWat,
  mustSettle,
  rejectsWith,
  sleep,
  text,
} from './helpers.mjs'

const catModule = compile(CAT_PROGRAM)

/** Runs _start; resolves its exit status (0 when it resolves []). */
async function exitStatus(instance, name = '_start') {
  try {
    assert.deepEqual(await instance.call(name), [])
    return 0
  } catch (error) {
    if (typeof error?.exitCode !== 'number') throw error
    assert.equal(error.code, ErrorCode.CallError)
    return error.exitCode
  }
}

// Writes "one\n" (stdout) and "e1\n" (stderr), asks the host tick(1), writes "two\n", tick(2),
// then "three\n" and "e2\n".
const TICKING_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "host" "tick" (func $tick (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "one\\n")
  (data (i32.const 110) "two\\n")
  (data (i32.const 120) "three\\n")
  (data (i32.const 130) "e1\\n")
  (data (i32.const 140) "e2\\n")
  (func $w (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (if (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)) (then unreachable)))
  (func (export "_start")
    (call $w (i32.const 1) (i32.const 100) (i32.const 4))
    (call $w (i32.const 2) (i32.const 130) (i32.const 3))
    (call $tick (i32.const 1))
    (call $w (i32.const 1) (i32.const 110) (i32.const 4))
    (call $tick (i32.const 2))
    (call $w (i32.const 1) (i32.const 120) (i32.const 6))
    (call $w (i32.const 2) (i32.const 140) (i32.const 3))))`

describe('stdin', () => {
  test('a string is the program\'s standard input (UTF-8)', async () => {
    const input = 'one\ntwo\nthree — ünïcødé ✓\n'
    const instance = await instantiate(await catModule, { stdin: input, stdout: 'pipe', stderr: 'pipe' })
    assert.equal(await exitStatus(instance), 0)
    const out = await instance.readStdout()
    assert.ok(out instanceof Uint8Array)
    assert.equal(text(out), input)
    assert.deepEqual(out, encoder.encode(input))
    assert.equal(text(await instance.readStderr()), 'done\n')
    await instance.drop()
  })

  test('bytes pass exactly: every byte value, from a Uint8Array, a Buffer, an ArrayBuffer and a subarray', async () => {
    const all = Uint8Array.from({ length: 512 }, (_, i) => (i * 7 + 3) & 0xff)
    const wide = new Uint8Array(600).fill(0xee)
    wide.set(all, 40)
    for (const [what, stdin, expected] of [
      ['Uint8Array', all, all],
      ['Buffer', Buffer.from(all), all],
      ['ArrayBuffer', all.slice().buffer, all],
      ['subarray', wide.subarray(40, 40 + all.length), all],
      ['empty', new Uint8Array(0), new Uint8Array(0)],
    ]) {
      const instance = await instantiate(await catModule, { stdin, stdout: 'pipe' })
      assert.equal(await exitStatus(instance), 0, what)
      assert.deepEqual(await instance.readStdout(), expected, what)
      await instance.drop()
    }
  })

  test('input larger than one read arrives whole, in order', async () => {
    const input = Array.from({ length: 20_000 }, (_, i) => `line ${i} ✓\n`).join('')
    const instance = await instantiate(await catModule, { stdin: input, stdout: 'pipe' })
    assert.equal(await exitStatus(instance), 0)
    const out = await instance.readStdout()
    assert.equal(out.length, encoder.encode(input).length)
    assert.equal(text(out), input)
    await instance.drop()
  })

  test('without stdin the program reads end-of-file at once', async () => {
    const instance = await instantiate(await catModule, { stdout: 'pipe', stderr: 'pipe' })
    assert.equal(await exitStatus(instance), 0)
    assert.equal((await instance.readStdout()).length, 0)
    assert.equal(text(await instance.readStderr()), 'done\n')
    await instance.drop()
  })
})

describe('piped stdout and stderr', () => {
  test('each read returns what was written since the last one, also during a call', { timeout: 20_000 }, async () => {
    const seen = []
    let instance
    instance = await fromWat(TICKING_WAT, {
      stdout: 'pipe',
      stderr: 'pipe',
      imports: {
        host: {
          async tick(n) {
            seen.push([n, text(await instance.readStdout()), text(await readStderr(instance.id))])
          },
        },
      },
    })
    assert.equal(await exitStatus(instance), 0)
    assert.deepEqual(seen, [
      [1, 'one\n', 'e1\n'],
      [2, 'two\n', ''],
    ])
    assert.equal(text(await readStdout(instance.id)), 'three\n')
    assert.equal(text(await instance.readStderr()), 'e2\n')
    const empty = await instance.readStdout()
    assert.ok(empty instanceof Uint8Array)
    assert.equal(empty.length, 0)
    assert.equal((await instance.readStderr()).length, 0)
    await instance.drop()
  })

  test('output of several calls accumulates until read; reads return independent copies', async () => {
    const instance = await instantiate(await catModule, { stdout: 'pipe', stderr: 'pipe' })
    await instance.memory.write(1000, encoder.encode('abcdef'))
    assert.deepEqual(await instance.call('say', 1, 1000, 3), [0])
    assert.deepEqual(await instance.call('say', 1, 1003, 3), [0])
    assert.deepEqual(await instance.call('say', 2, 1000, 1), [0])
    const first = await instance.readStdout()
    assert.equal(text(first), 'abcdef')
    assert.deepEqual(await instance.call('say', 1, 1000, 2), [0])
    const second = await instance.readStdout()
    assert.equal(text(second), 'ab')
    assert.equal(text(first), 'abcdef', 'a later read does not change an earlier result')
    assert.equal(text(await instance.readStderr()), 'a')
    await instance.drop()
  })

  test('reading a stream that is not piped is 5010; reading a dropped instance is 5005', async () => {
    const moduleId = await catModule
    for (const stdout of [undefined, 'ignore', () => {}]) {
      const instance = await instantiate(moduleId, stdout === undefined ? { stderr: 'pipe' } : { stdout, stderr: 'pipe' })
      await rejectsWith(() => instance.readStdout(), ErrorCode.WasiError, 'stdout')
      assert.equal((await instance.readStderr()).length, 0)
      await instance.drop()
    }
    const instance = await instantiate(moduleId, { stdout: 'pipe' })
    await rejectsWith(() => instance.readStderr(), ErrorCode.WasiError, 'stderr')
    await instance.drop()
    await rejectsWith(() => instance.readStdout(), ErrorCode.InvalidInstanceHandle)
  })

  test('malformed stream options are 5010', async () => {
    const moduleId = await catModule
    for (const options of [
      { stdout: 'pipes' },
      { stderr: 5 },
      { stdout: {} },
      { stdin: 5 },
      { stdin: {} },
      { outputLimitBytes: -1 },
      { outputLimitBytes: 1.5 },
      { outputLimitBytes: '100' },
    ]) {
      await rejectsWith(() => instantiate(moduleId, options), ErrorCode.WasiError)
    }
  })
})

describe('the cap of a piped stream (outputLimitBytes)', () => {
  test('a program that writes more than the cap: exactly the cap is kept, the write past it fails', async () => {
    const moduleId = await compile(floodProgram({ chunk: 100, count: 50, failExit: 42 }))
    const instance = await instantiate(moduleId, { stdout: 'pipe', outputLimitBytes: 1000 })
    assert.equal(await exitStatus(instance), 42, 'the program saw its write fail and exited with its own status')
    const kept = await instance.readStdout()
    assert.equal(kept.length, 1000)
    assert.deepEqual(kept, floodBytes(1000), 'the kept bytes are the first 1000 written, none dropped')
    const [written] = await instance.call('written')
    const [errno] = await instance.call('errno')
    const [writes] = await instance.call('writes')
    assert.equal(written, 1000, 'every write that fit succeeded')
    assert.equal(writes, 10)
    assert.notEqual(errno, 0, 'fd_write returned an error')
    await instance.drop()
  })

  test('a write that straddles the cap: the kept bytes are still exactly the cap, the guest sees an error', async () => {
    const moduleId = await compile(floodProgram({ chunk: 300, count: 10, failExit: 9 }))
    const instance = await instantiate(moduleId, { stdout: 'pipe', outputLimitBytes: 1000 })
    assert.equal(await exitStatus(instance), 9)
    const kept = await instance.readStdout()
    assert.equal(kept.length, 1000)
    assert.deepEqual(kept, floodBytes(1000))
    const [written] = await instance.call('written')
    assert.ok(written <= 1000, `the guest was told ${written} bytes were written`)
    assert.ok(written >= 900, `the three writes that fit succeeded (${written})`)
    await instance.drop()
  })

  test('the default cap is 4 MiB', { timeout: 30_000 }, async () => {
    const moduleId = await compile(floodProgram({ chunk: 65536, count: 65, failExit: 3 }))
    const instance = await instantiate(moduleId, { stdout: 'pipe' })
    assert.equal(await exitStatus(instance), 3)
    const kept = await instance.readStdout()
    assert.equal(kept.length, 4 * 1024 * 1024)
    const expected = floodBytes(kept.length)
    assert.ok(Buffer.from(kept.buffer, kept.byteOffset, kept.length).equals(Buffer.from(expected)), 'the kept bytes are what was written')
    assert.equal((await instance.call('written'))[0], 4 * 1024 * 1024)
    await instance.drop()
  })

  test('each piped stream has its own cap; bigint and 0 are accepted', async () => {
    const toStderr = await compile(floodProgram({ chunk: 64, count: 10, fd: 2, failExit: 5 }))
    const both = await instantiate(toStderr, { stdout: 'pipe', stderr: 'pipe', outputLimitBytes: 256n })
    assert.equal(await exitStatus(both), 5)
    assert.deepEqual(await both.readStderr(), floodBytes(256))
    assert.equal((await both.readStdout()).length, 0)
    await both.drop()
    const nothing = await instantiate(toStderr, { stderr: 'pipe', outputLimitBytes: 0 })
    assert.equal(await exitStatus(nothing), 5)
    assert.equal((await nothing.readStderr()).length, 0)
    assert.equal((await nothing.call('written'))[0], 0)
    await nothing.drop()
    const exact = await instantiate(toStderr, { stderr: 'pipe', outputLimitBytes: 640 })
    assert.equal(await exitStatus(exact), 0, 'writing exactly the cap is fine')
    assert.deepEqual(await exact.readStderr(), floodBytes(640))
    await exact.drop()
  })

  test('the cap does not apply to a callback', async () => {
    const moduleId = await compile(floodProgram({ chunk: 4096, count: 10, failExit: 5 }))
    const chunks = []
    const instance = await instantiate(moduleId, { stdout: (chunk) => chunks.push(chunk), outputLimitBytes: 1000 })
    assert.equal(await exitStatus(instance), 0)
    await mustSettle(waitFor(() => concat(chunks).length >= 40960), 10_000, 'the chunks')
    assert.deepEqual(concat(chunks), floodBytes(40960))
    await instance.drop()
  })
})

/** Resolves once `condition()` holds (checked every 5 ms). */
async function waitFor(condition) {
  while (!condition()) await sleep(5)
}

describe('streamed output (a callback)', () => {
  test('chunks are Uint8Arrays, in order, delivered as the program writes (not only at the end)', { timeout: 20_000 }, async () => {
    const out = []
    const err = []
    const atTick = []
    const instance = await fromWat(TICKING_WAT, {
      stdout: (chunk) => out.push(chunk),
      stderr: (chunk) => err.push(chunk),
      imports: {
        host: {
          async tick(n) {
            // the call is still running (waiting for this function): what was written so far
            // must reach the callbacks meanwhile
            const expected = n === 1 ? 'one\n' : 'one\ntwo\n'
            await mustSettle(waitFor(() => text(concat(out)) === expected), 5000, `stdout chunks before tick ${n} returned`)
            atTick.push([n, text(concat(out)), text(concat(err))])
          },
        },
      },
    })
    assert.equal(await exitStatus(instance), 0)
    assert.deepEqual(atTick, [
      [1, 'one\n', 'e1\n'],
      [2, 'one\ntwo\n', 'e1\n'],
    ])
    await mustSettle(waitFor(() => concat(out).length === 14 && concat(err).length === 6), 5000, 'the last chunks')
    for (const chunk of [...out, ...err]) {
      assert.ok(chunk instanceof Uint8Array, 'each chunk is a Uint8Array')
      assert.ok(chunk.length > 0, 'no empty chunks')
    }
    assert.equal(text(concat(out)), 'one\ntwo\nthree\n')
    assert.equal(text(concat(err)), 'e1\ne2\n')
    await instance.drop()
  })

  test('many small writes arrive in order, byte for byte', { timeout: 20_000 }, async () => {
    const moduleId = await compile(floodProgram({ chunk: 7, count: 2000 }))
    const chunks = []
    const instance = await instantiate(moduleId, { stdout: (chunk) => chunks.push(chunk) })
    assert.equal(await exitStatus(instance), 0)
    await mustSettle(waitFor(() => concat(chunks).length >= 14_000), 10_000, 'the chunks')
    assert.deepEqual(concat(chunks), floodBytes(14_000))
    await instance.drop()
  })

  test('every chunk has been delivered by the time the call settles', { timeout: 30_000 }, async () => {
    // Short programs (1 to 5 writes), 40 runs each: at the moment `await call` resumes, every
    // chunk written must have reached the callback. (A race, so one run alone may not show it.)
    const late = []
    for (const count of [1, 2, 3, 5]) {
      const moduleId = await compile(floodProgram({ chunk: 10, count }))
      for (let run = 0; run < 40; run++) {
        const chunks = []
        const instance = await instantiate(moduleId, { stdout: (chunk) => chunks.push(chunk) })
        await instance.call('_start')
        const atSettlement = concat(chunks).length
        if (atSettlement !== 10 * count) late.push(`${count} writes, run ${run}: ${atSettlement} of ${10 * count} bytes`)
        await instance.drop()
      }
    }
    assert.deepEqual(late, [], `chunks still arriving after the call resolved in ${late.length} of 160 runs: ${late.slice(0, 5).join('; ')}`)
  })

  test('a callback for stdout with stderr piped, and the output of a failing program', async () => {
    const moduleId = await compile(floodProgram({ chunk: 50, count: 3, fd: 1 }))
    const chunks = []
    const instance = await instantiate(moduleId, { stdout: (chunk) => chunks.push(chunk), stderr: 'pipe' })
    assert.equal(await exitStatus(instance), 0)
    await mustSettle(waitFor(() => concat(chunks).length >= 150), 5000, 'the chunks')
    assert.deepEqual(concat(chunks), floodBytes(150))
    assert.equal((await instance.readStderr()).length, 0)
    await instance.drop()
  })
})

describe('"inherit" and "ignore"', () => {
  test('inherit writes to this process\'s streams, ignore discards, inheritStdout still works', { timeout: 30_000 }, () => {
    const index = new URL('../../index.mjs', import.meta.url).href
    const script = `
      import { compile, instantiate } from ${JSON.stringify(index)}
      const say = async (options, out, err) => {
        const instance = await instantiate(await compile(${JSON.stringify(CAT_PROGRAM)}), options)
        const bytes = new TextEncoder().encode(out + err)
        await instance.memory.write(2000, bytes)
        await instance.call('say', 1, 2000, out.length)
        await instance.call('say', 2, 2000 + out.length, err.length)
        await instance.drop()
      }
      await say({ stdout: 'inherit', stderr: 'inherit' }, '[out-inherit]', '[err-inherit]')
      await say({ stdout: 'ignore', stderr: 'ignore' }, '[out-ignored]', '[err-ignored]')
      await say({}, '[out-default]', '[err-default]')
      await say({ inheritStdout: true, inheritStderr: true }, '[out-shorthand]', '[err-shorthand]')
    `
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      encoding: 'utf8',
      timeout: 25_000,
    })
    assert.equal(child.status, 0, child.stderr)
    assert.equal(child.stdout, '[out-inherit][out-shorthand]')
    assert.equal(child.stderr, '[err-inherit][err-shorthand]')
  })
})
