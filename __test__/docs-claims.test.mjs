// What the README says about the manifest's ceilings and about shared memories, checked against
// what the runtime does: the four ceilings are applied (to the command line too, through
// run()), and a module with a shared memory compiles but does not instantiate (5001).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import * as api from '../index.mjs'

const BIN = fileURLToPath(new URL('../bin/runtime-wasm.js', import.meta.url))
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const oneLine = (text) => text.replace(/\s+/g, ' ')

const SHARED = `(module
  (memory (export "memory") 1 1 shared)
  (func (export "load") (result i32) (i32.atomic.load (i32.const 0))))`

describe('shared memories', () => {
  test('a module with a shared memory compiles, and instantiating it is a 5001 that says why', async () => {
    const moduleId = await api.compile(SHARED)
    await assert.rejects(api.instantiate(moduleId), (error) => {
      assert.equal(error.code, 5001, String(error))
      assert.match(error.message, /shared memory support is disabled/)
      return true
    })
    await api.dropModule(moduleId)
  })

  test('the FAQ says they are not supported, and does not list them among the features', () => {
    const faq = oneLine(README.slice(README.indexOf('**Which WebAssembly features are supported?**')))
    const answer = faq.slice(0, faq.indexOf('**', 50))
    assert.doesNotMatch(answer, /exceptions, threads' shared memories/)
    assert.match(answer, /Shared memories \(the threads proposal's `\(memory 1 1 shared\)`\) are not supported/)
    assert.match(answer, /rejects it with 5001/)
  })
})

/** Runs the command in `cwd`; resolves { status, stdout, stderr }. */
function cli(args, cwd) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DEBUG: '', RUNTIME_WASM_MANIFEST: '', RUNTIME_WASM_CACHE_DIR: join(cwd, 'cache') }
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
    child.stdin.end()
  })
}

const SPIN = `(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))`
const TWO_PAGES = `(module (memory (export "memory") 2) (func (export "_start")))`

describe('the manifest ceilings are applied to `runtime-wasm run` too', { concurrency: 4 }, () => {
  const cases = [
    ['max_fuel = 100_000', SPIN, 125, /fuel/],
    ['max_timeout_ms = 200', SPIN, 124, /200 ms|timeout|deadline/i],
    ['max_memory = "64KiB"', TWO_PAGES, 126, /memory budget \(maxMemoryBytes\) of 65536 bytes/],
    ['max_instances = 0', TWO_PAGES, 126, /max_instances/],
  ]
  for (const [line, wat, expected, pattern] of cases) {
    test(`${line}: exit status ${expected}`, async () => {
      const dir = realpathSync(mkdtempSync(join(tmpdir(), 'rw-ceilings-')))
      try {
        writeFileSync(join(dir, 'manifest.app.toml'), `[capabilities.wasm]\nload = ["./*.wat"]\n${line}\n`)
        writeFileSync(join(dir, 'prog.wat'), wat)
        const started = Date.now()
        const { status, stderr } = await cli(['run', 'prog.wat'], dir)
        assert.equal(status, expected, stderr)
        assert.match(stderr, pattern)
        assert.ok(Date.now() - started < 20_000)
        // Without the ceiling the same program runs (or spins: checked only for the others).
        if (wat === TWO_PAGES) {
          writeFileSync(join(dir, 'manifest.app.toml'), '[capabilities.wasm]\nload = ["./*.wat"]\n')
          const free = await cli(['run', 'prog.wat'], dir)
          assert.equal(free.status, 0, free.stderr)
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  }

  test('the README says the ceilings are applied, not "not applied yet"', () => {
    const text = oneLine(README)
    assert.doesNotMatch(text, /does not apply them yet/)
    assert.match(text, /applied to every instance and call in the process, `run\(\)` and the command line included/)
    for (const key of ['max_fuel', 'max_timeout_ms', 'max_memory', 'max_instances']) assert.match(text, new RegExp(`- \`${key}\` (caps|counts)`))
  })
})
