// The runtime-wasm command, run as a user runs it: a child process of bin/runtime-wasm.js, with
// a real WASI program (fixtures/cli/probe.c, built with clang) and small WAT programs.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import * as api from '../index.mjs'
import * as wasm from './fixtures/cli/encode.mjs'

const BIN = fileURLToPath(new URL('../bin/runtime-wasm.js', import.meta.url))
const PROBE = fileURLToPath(new URL('./fixtures/cli/probe.wasm', import.meta.url))
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

// Every child runs in an empty directory, so no manifest.app.toml of the repository applies.
const work = mkdtempSync(join(tmpdir(), 'runtime-wasm-cli-'))
after(() => rmSync(work, { recursive: true, force: true }))


/** Runs the command; resolves { status, stdout, stderr, ms }. */
function cli(args, { input, env, cwd = work } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, DEBUG: '', NODE_DEBUG: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, ms: performance.now() - started }))
    child.stdin.on('error', () => {}) // the program may exit without reading its input
    child.stdin.end(input ?? '')
  })
}

/** Writes a file into the work directory and returns its path. */
function file(name, text) {
  const path = join(work, name)
  writeFileSync(path, text)
  return path
}

const EXIT_WITH = (status) => `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const ${status}))))`

describe('help and usage', { concurrency: 4 }, () => {
  test('--help documents the commands, options and exit statuses, and exits 0', async () => {
    const { status, stdout, stderr } = await cli(['--help'])
    assert.equal(status, 0, stderr)
    for (const text of ['run FILE', 'inspect FILE', '--json', 'DEBUG=runtime-wasm']) assert.match(stdout, new RegExp(escape(text)))
    const run = await cli(['run', '--help'])
    assert.equal(run.status, 0)
    for (const text of ['--dir HOST[::GUEST]', '--dir-ro', '--env NAME=VALUE', '--fuel N', '--timeout MS', '--max-memory', '--manifest FILE', '--argv0', '124', '125', '126', '134']) {
      assert.match(run.stdout, new RegExp(escape(text)), `run --help mentions ${text}`)
    }
    const inspect = await cli(['help', 'inspect'])
    assert.equal(inspect.status, 0)
    assert.match(inspect.stdout, /Usage: runtime-wasm inspect FILE \[--json\]/)
    assert.deepEqual(await cli(['inspect', '-h']).then((r) => [r.status, r.stdout]), [0, inspect.stdout])
    assert.deepEqual(await cli(['help', 'run']).then((r) => r.stdout), run.stdout)
  })

  test('--version prints the package version', async () => {
    const { status, stdout } = await cli(['--version'])
    assert.equal(status, 0)
    assert.equal(stdout, `${PACKAGE.version}\n`)
    assert.equal((await cli(['-V'])).stdout, stdout)
  })

  test('no command prints the usage to stderr and exits 2', async () => {
    const { status, stdout, stderr } = await cli([])
    assert.equal(status, 2)
    assert.equal(stdout, '')
    assert.match(stderr, /Usage: runtime-wasm <command>/)
  })

  const usageErrors = [
    [['frobnicate'], /unknown command "frobnicate"/, /Usage: runtime-wasm <command>/],
    [['run'], /run needs the \.wasm file/, /Usage: runtime-wasm run/],
    [['run', 'x.wasm', '--verbose'], /unknown option --verbose \(the program's own options go after --\)/, /Usage: runtime-wasm run/],
    [['run', 'x.wasm', '--fuel', 'lots'], /--fuel lots: expected a non-negative integer/, /Usage: runtime-wasm run/],
    [['run', 'x.wasm', '--fuel', '-1'], /--fuel -1: expected a non-negative integer/, /Usage/],
    [['run', 'x.wasm', '--timeout', '0'], /--timeout 0: expected a number of milliseconds greater than 0/, /Usage/],
    [['run', 'x.wasm', '--timeout'], /--timeout needs a value/, /Usage/],
    [['run', 'x.wasm', '--timeout', '5', '--timeout', '6'], /--timeout is given more than once/, /Usage/],
    [['run', 'x.wasm', '--env', '=x'], /--env =x: the variable name is empty/, /Usage/],
    [['run', 'x.wasm', '--env', 'RUNTIME_WASM_SURELY_UNSET'], /RUNTIME_WASM_SURELY_UNSET is not set in this environment/, /Usage/],
    [['run', 'x.wasm', '--dir', 'a::'], /--dir a::: the guest path after :: is empty/, /Usage/],
    [['run', 'x.wasm', '--dir', '::/g'], /--dir ::\/g: the host directory is empty/, /Usage/],
    [['run', 'x.wasm', '--dir', 'a::/g', '--dir-ro', 'b::/g'], /the guest path \/g is mounted twice/, /Usage/],
    [['run', 'x.wasm', '--max-memory', 'lots'], /--max-memory lots: expected a size in bytes/, /Usage/],
    [['run', 'x.wasm', '--help=yes'], /--help takes no value/, /Usage/],
    [['inspect'], /inspect needs a \.wasm file/, /Usage: runtime-wasm inspect/],
    [['inspect', 'a.wasm', 'b.wasm'], /inspect takes one file/, /Usage: runtime-wasm inspect/],
    [['inspect', 'a.wasm', '--yaml'], /unknown option --yaml/, /Usage: runtime-wasm inspect/],
    [['help', 'frobnicate'], /no help for "frobnicate"/, /Usage: runtime-wasm <command>/],
  ]
  for (const [args, ...patterns] of usageErrors) {
    test(`usage error: runtime-wasm ${args.join(' ')} exits 2`, async () => {
      const { status, stdout, stderr } = await cli(args)
      assert.equal(status, 2, stderr)
      assert.equal(stdout, '')
      for (const pattern of patterns) assert.match(stderr, pattern)
    })
  }
})

describe('run: a WASI program sees what the command line gives it', { concurrency: 4 }, () => {
  test('argv[0] is the file name and the arguments follow, with or without --', async () => {
    const plain = await cli(['run', PROBE, 'args', 'one', 'two words'])
    assert.equal(plain.status, 0, plain.stderr)
    assert.equal(plain.stdout, 'argc=4\nargv[0]=probe.wasm\nargv[1]=args\nargv[2]=one\nargv[3]=two words\n')
    const dashed = await cli(['run', PROBE, '--', 'args', '--verbose', '-x', '--'])
    assert.equal(dashed.status, 0, dashed.stderr)
    assert.equal(dashed.stdout, 'argc=5\nargv[0]=probe.wasm\nargv[1]=args\nargv[2]=--verbose\nargv[3]=-x\nargv[4]=--\n')
    const options = await cli(['run', '--argv0', 'tool', '--fuel=100000000', PROBE, 'args', '--timeout', '60000', '--', 'x'])
    assert.equal(options.status, 0, options.stderr)
    assert.equal(options.stdout, 'argc=3\nargv[0]=tool\nargv[1]=args\nargv[2]=x\n')
  })

  test('--env sets variables (NAME=VALUE, or NAME for the host value) and nothing else leaks', async () => {
    const { status, stdout, stderr } = await cli(
      ['run', PROBE, '--env', 'GREETING=hello=world', '--env', 'FROM_HOST', '--env', 'EMPTY=', '--', 'env', 'GREETING', 'FROM_HOST', 'EMPTY', 'HOME', 'PATH'],
      { env: { FROM_HOST: 'host value' } },
    )
    assert.equal(status, 0, stderr)
    assert.equal(stdout, 'GREETING=hello=world\nFROM_HOST=host value\nEMPTY=\nHOME unset\nPATH unset\n')
  })

  test('stdin, stdout and stderr are the terminal\'s', async () => {
    const input = 'line one\nline two: ünïcödé\n'.repeat(500)
    const cat = await cli(['run', PROBE, 'cat'], { input })
    assert.equal(cat.status, 0, cat.stderr)
    assert.equal(cat.stdout, input)
    const err = await cli(['run', PROBE, 'stderr', 'to the error stream'])
    assert.equal(err.status, 0)
    assert.equal(err.stdout, '')
    assert.equal(err.stderr, 'to the error stream\n')
  })

  test('the exit status is the program\'s', async () => {
    for (const code of [0, 1, 3, 42, 125]) {
      const { status, stderr } = await cli(['run', PROBE, 'exit', String(code)])
      assert.equal(status, code, stderr)
      assert.equal(stderr, '')
    }
    const wat = await cli(['run', file('exit9.wat', EXIT_WITH(9))])
    assert.equal(wat.status, 9, wat.stderr)
  })

  test('--dir mounts a host directory read-write; nothing else of the host is visible', async () => {
    const data = join(work, 'data-rw')
    mkdirSync(data, { recursive: true })
    writeFileSync(join(data, 'in.txt'), 'from the host\n')
    const read = await cli(['run', PROBE, '--dir', `${data}::/data`, '--', 'read', '/data/in.txt'])
    assert.equal(read.status, 0, read.stderr)
    assert.equal(read.stdout, 'from the host\n')
    const write = await cli(['run', PROBE, '--dir', `${data}::/data`, '--', 'write', '/data/out.txt', 'from the guest'])
    assert.equal(write.status, 0, write.stderr)
    assert.equal(readFileSync(join(data, 'out.txt'), 'utf8'), 'from the guest')
    // Guest path defaults to the host path as written, relative to the current directory.
    const relative = await cli(['run', PROBE, '--dir', 'data-rw', '--', 'read', 'data-rw/in.txt'])
    assert.equal(relative.status, 0, relative.stderr)
    assert.equal(relative.stdout, 'from the host\n')
    const outside = await cli(['run', PROBE, '--dir', `${data}::/data`, '--', 'read', '/data/../../etc/passwd'])
    assert.equal(outside.status, 1)
    assert.match(outside.stderr, /probe: cannot read/)
    const none = await cli(['run', PROBE, 'read', join(data, 'in.txt')])
    assert.equal(none.status, 1)
    assert.match(none.stderr, /probe: cannot read/)
  })

  test('--dir-ro mounts a host directory read-only', async () => {
    const data = join(work, 'data-ro')
    mkdirSync(data, { recursive: true })
    writeFileSync(join(data, 'in.txt'), 'read me\n')
    const read = await cli(['run', PROBE, '--dir-ro', `${data}::/ro`, '--', 'read', '/ro/in.txt'])
    assert.equal(read.status, 0, read.stderr)
    assert.equal(read.stdout, 'read me\n')
    const write = await cli(['run', PROBE, '--dir-ro', `${data}::/ro`, '--', 'write', '/ro/out.txt', 'nope'])
    assert.equal(write.status, 1, write.stderr)
    assert.match(write.stderr, /probe: cannot write \/ro\/out.txt/)
    assert.equal(existsSync(join(data, 'out.txt')), false)
  })

  test('--manifest is loaded first: what it allows runs, what it does not is refused', async () => {
    const allowed = join(work, 'manifest-allowed')
    mkdirSync(allowed, { recursive: true })
    copyFileSync(PROBE, join(allowed, 'probe.wasm'))
    const manifest = join(allowed, 'manifest.app.toml')
    writeFileSync(manifest, '[capabilities.wasm]\nload = ["./*.wasm"]\n')
    const ok = await cli(['run', '--manifest', manifest, join(allowed, 'probe.wasm'), 'exit', '5'])
    assert.equal(ok.status, 5, ok.stderr)
    const refused = await cli(['run', '--manifest', manifest, PROBE, 'exit', '5'])
    assert.equal(refused.status, 126, refused.stderr)
    assert.match(refused.stderr, /^runtime-wasm: /)
    const broken = await cli(['run', '--manifest', join(work, 'no-such-manifest.toml'), PROBE, 'exit', '5'])
    assert.equal(broken.status, 126, broken.stderr)
    assert.match(broken.stderr, /--manifest .*no-such-manifest\.toml/)
  })

  test('the manifest decides which --dir and --dir-ro it grants; ./manifest.app.toml applies by itself', async () => {
    const app = join(work, 'manifest-dirs')
    mkdirSync(join(app, 'config'), { recursive: true })
    writeFileSync(join(app, 'config', 'settings.txt'), 'theme=dark\n')
    copyFileSync(PROBE, join(app, 'probe.wasm'))
    writeFileSync(join(app, 'manifest.app.toml'), '[capabilities.wasm]\nload = ["./*.wasm"]\npreopens_readonly = ["./config"]\n')
    const probe = join(app, 'probe.wasm')
    const manifest = join(app, 'manifest.app.toml')
    const readOnly = await cli(['run', '--manifest', manifest, '--dir-ro', `${join(app, 'config')}::/config`, probe, 'read', '/config/settings.txt'])
    assert.equal(readOnly.status, 0, readOnly.stderr)
    assert.equal(readOnly.stdout, 'theme=dark\n')
    const readWrite = await cli(['run', '--manifest', manifest, '--dir', `${join(app, 'config')}::/config`, probe, 'read', '/config/settings.txt'])
    assert.equal(readWrite.status, 126, 'the manifest grants this directory read-only only')
    assert.match(readWrite.stderr, /^runtime-wasm: /)
    // Run from the application's folder, its manifest.app.toml is in force without --manifest.
    const inside = await cli(['run', 'probe.wasm', 'exit', '4'], { cwd: app })
    assert.equal(inside.status, 4, inside.stderr)
    const outside = await cli(['run', PROBE, 'exit', '4'], { cwd: app })
    assert.equal(outside.status, 126, outside.stderr)
  })
})

describe('run: limits, traps and failures have their own exit statuses', { concurrency: 4 }, () => {
  test('--timeout stops a runaway program with status 124', async () => {
    const { status, stderr, ms } = await cli(['run', '--timeout', '300', PROBE, 'spin'])
    assert.equal(status, 124, stderr)
    assert.match(stderr, /^runtime-wasm: .*probe\.wasm: stopped by --timeout after \d+ ms\n$/)
    assert.ok(ms < 10_000, `took ${ms} ms`)
  })

  test('--fuel stops a program that runs out with status 125', async () => {
    const { status, stderr } = await cli(['run', '--fuel', '1000000', PROBE, 'spin'])
    assert.equal(status, 125, stderr)
    assert.match(stderr, /^runtime-wasm: .*probe\.wasm: ran out of fuel \(--fuel\)/)
    const enough = await cli(['run', '--fuel', '100000000', PROBE, 'exit', '4'])
    assert.equal(enough.status, 4, enough.stderr)
  })

  test('--max-memory caps the linear memory: memory.grow fails past it', async () => {
    const grow = file('grow.wat', `(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        ;; exit 3 when growing by 15 pages (to 1 MiB) fails, 0 when it works
        (call $exit (select (i32.const 3) (i32.const 0) (i32.eq (memory.grow (i32.const 15)) (i32.const -1))))))`)
    assert.equal((await cli(['run', grow])).status, 0)
    assert.equal((await cli(['run', '--max-memory', '2MiB', grow])).status, 0)
    assert.equal((await cli(['run', '--max-memory', '512KiB', grow])).status, 3)
    const tooSmall = await cli(['run', '--max-memory', '1000', grow])
    assert.equal(tooSmall.status, 126, 'a module whose initial memory exceeds the cap cannot start')
  })

  test('a trap exits 134 with the trap and its backtrace on stderr', async () => {
    const { status, stdout, stderr } = await cli(['run', PROBE, 'trap'])
    assert.equal(status, 134)
    assert.equal(stdout, '')
    assert.match(stderr, /^runtime-wasm: .*probe\.wasm: .*unreachable/)
    assert.match(stderr, /wasm backtrace/)
  })

  test('a program that cannot start exits 126 and says why', async () => {
    const cases = [
      [[join(work, 'missing.wasm')], /missing\.wasm: cannot read module file/],
      [[file('garbage.wasm', 'this is not wasm')], /garbage\.wasm: /],
      [[file('needs-import.wat', '(module (import "env" "log" (func (param i32))) (func (export "_start")))')], /unsatisfied import env::log/],
      [[file('library.wat', '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')], /is not a WASI command: it has no _start export/],
      [['--dir', join(work, 'no-such-dir'), PROBE], /no-such-dir/],
    ]
    for (const [args, message] of cases) {
      const { status, stdout, stderr } = await cli(['run', ...args])
      assert.equal(status, 126, `${args.join(' ')}: ${stderr}`)
      assert.equal(stdout, '')
      assert.match(stderr, /^runtime-wasm: /)
      assert.match(stderr, message)
    }
  })

  test('an exit status outside WASI\'s 0..125 is a failure of the program (134)', async () => {
    const { status, stderr } = await cli(['run', file('exit200.wat', EXIT_WITH(200))])
    assert.equal(status, 134)
    assert.match(stderr, /exit status outside of \[0\.\.126\)/)
  })

  test('DEBUG=runtime-wasm logs what the command does to stderr', async () => {
    const { status, stdout, stderr } = await cli(['run', PROBE, 'exit', '0'], { env: { DEBUG: 'runtime-wasm' } })
    assert.equal(status, 0, stderr)
    assert.equal(stdout, '')
    assert.match(stderr, /runtime-wasm compileFile .*probe\.wasm.* ms/)
    assert.match(stderr, /runtime-wasm instantiate .* ms/)
  })
})

describe('inspect', { concurrency: 4 }, () => {
  test('prints the imports and exports of a WASI program with their types', async () => {
    const { status, stdout, stderr } = await cli(['inspect', PROBE])
    assert.equal(status, 0, stderr)
    assert.match(stdout, /^.*probe\.wasm: WebAssembly module, \d+ imports, 2 exports\n/)
    assert.match(stdout, /\n {2}wasi_snapshot_preview1\.fd_write +func \(param i32 i32 i32 i32\) \(result i32\)\n/)
    assert.match(stdout, /\n {2}wasi_snapshot_preview1\.proc_exit +func \(param i32\)\n/)
    assert.match(stdout, /\n {2}memory +memory 2\n/)
    assert.match(stdout, /\n {2}_start +func\n/)
  })

  test('--json gives the same facts as getExports() for the exports', async () => {
    const { status, stdout, stderr } = await cli(['inspect', '--json', PROBE])
    assert.equal(status, 0, stderr)
    const info = JSON.parse(stdout)
    assert.equal(info.file, PROBE)
    assert.ok(info.imports.every((entry) => entry.module === 'wasi_snapshot_preview1' && entry.kind === 'function'))
    assert.deepEqual(
      info.imports.find((entry) => entry.name === 'fd_write'),
      { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'function', params: ['i32', 'i32', 'i32', 'i32'], results: ['i32'] },
    )
    const instance = await api.instantiate(await api.compileFile(PROBE))
    const live = await instance.getExports()
    await instance.drop()
    assert.deepEqual(
      info.exports.map(({ name, kind, params, results, minimum, maximum }) => ({ name, kind, params, results, minimum, maximum })),
      live.map(({ name, kind, params, results, minimum, maximum }) => ({ name, kind, params, results, minimum, maximum })),
    )
  })

  test('shows every kind of import and export', async () => {
    const bytes = wasm.module(
      wasm.section(1, wasm.vec([wasm.funcType([wasm.TYPE.i32, wasm.TYPE.i64], [wasm.TYPE.f64])])),
      wasm.section(2, wasm.vec([
        [...wasm.name('env'), ...wasm.name('log'), wasm.KIND.function, 0],
        [...wasm.name('env'), ...wasm.name('mem'), wasm.KIND.memory, ...wasm.limits(1, 2, { shared: true })],
        [...wasm.name('env'), ...wasm.name('tbl'), wasm.KIND.table, wasm.TYPE.externref, ...wasm.limits(4)],
        [...wasm.name('env'), ...wasm.name('g'), wasm.KIND.global, wasm.TYPE.f32, 1],
      ])),
      wasm.section(4, wasm.vec([[wasm.TYPE.funcref, ...wasm.limits(2, 10)]])),
      wasm.section(6, wasm.vec([[wasm.TYPE.i32, 0, 0x41, 7, 0x0b]])),
      wasm.section(7, wasm.vec([
        [...wasm.name('counter'), wasm.KIND.global, 1],
        [...wasm.name('funcs'), wasm.KIND.table, 1],
        [...wasm.name('log'), wasm.KIND.function, 0],
        [...wasm.name('shared'), wasm.KIND.memory, 0],
      ])),
    )
    const path = join(work, 'kinds.wasm')
    writeFileSync(path, bytes)
    const { status, stdout, stderr } = await cli(['inspect', path])
    assert.equal(status, 0, stderr)
    assert.equal(stdout, [
      `${path}: WebAssembly module, 4 imports, 4 exports`,
      '',
      'imports (4):',
      '  env.log  func (param i32 i64) (result f64)',
      '  env.mem  memory 1 2 shared',
      '  env.tbl  table 4 externref',
      '  env.g    global (mut f32)',
      '',
      'exports (4):',
      '  counter  global i32',
      '  funcs    table 2 10 funcref',
      '  log      func (param i32 i64) (result f64)',
      '  shared   memory 1 2 shared',
      '',
    ].join('\n'))
  })

  test('a module without imports or exports says (none)', async () => {
    const path = join(work, 'empty.wasm')
    writeFileSync(path, Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]))
    const { status, stdout } = await cli(['inspect', path])
    assert.equal(status, 0)
    assert.equal(stdout, `${path}: WebAssembly module, 0 imports, 0 exports\n\nimports (0):\n  (none)\n\nexports (0):\n  (none)\n`)
    const json = await cli(['inspect', path, '--json'])
    assert.deepEqual(JSON.parse(json.stdout), { file: path, imports: [], exports: [] })
  })

  test('WebAssembly text, a missing file and a broken module exit 1 and say why', async () => {
    const wat = await cli(['inspect', file('text.wat', ';; a comment\n(module)\n')])
    assert.equal(wat.status, 1)
    assert.equal(wat.stdout, '')
    assert.match(wat.stderr, /text\.wat is WebAssembly text; inspect reads binary modules only\. Convert it first, e\.g\. with wabt: wat2wasm /)
    const missing = await cli(['inspect', join(work, 'nope.wasm')])
    assert.equal(missing.status, 1)
    assert.match(missing.stderr, /nope\.wasm: cannot read the file/)
    const truncated = join(work, 'truncated.wasm')
    writeFileSync(truncated, readFileSync(PROBE).subarray(0, 200))
    const broken = await cli(['inspect', truncated])
    assert.equal(broken.status, 1)
    assert.match(broken.stderr, /truncated\.wasm: not a valid binary WebAssembly module: .*\(at byte offset \d+\)/)
  })
})

test('bin/runtime-wasm.js is an executable script with a node shebang', () => {
  assert.equal(readFileSync(BIN, 'utf8').split('\n')[0], '#!/usr/bin/env node')
  assert.ok(statSync(BIN).mode & 0o111, 'the file is executable')
  assert.equal(PACKAGE.bin['runtime-wasm'], 'bin/runtime-wasm.js')
})

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
