// The runtime-wasm command, run as a user runs it: a child process of bin/runtime-wasm.js, with
// a real WASI program (fixtures/cli/probe.c, built with clang) and small WAT programs.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import * as api from '../index.mjs'
import * as wasm from './fixtures/cli/encode.mjs'

const require = createRequire(import.meta.url)

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
    for (const text of ['run [options] FILE [ARGS...]', 'inspect FILE', '--json', 'DEBUG=runtime-wasm']) assert.match(stdout, new RegExp(escape(text)))
    const run = await cli(['run', '--help'])
    assert.equal(run.status, 0)
    for (const text of ['run [options] [--] FILE [ARGS...]', '--dir HOST[::GUEST]', '--dir-ro', '--env NAME=VALUE', '--inherit-env', '-S, --wasi inherit-env', '--invoke NAME', '--unknown-imports trap|default', '-W, --wasm unknown-imports-trap', '--fuel N', '--timeout MS', '--max-memory', 'GiB, TiB (x1024)', 'kB, MB, GB, TB (x1000)', '--manifest FILE', '--argv0', '124', '125', '126', '134']) {
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

  // A usage error is one line saying what is wrong, then where the help is: not the help itself.
  const MAIN_HINT = 'Run "runtime-wasm --help" for the commands.'
  const RUN_HINT = 'Run "runtime-wasm help run" for the options.'
  const INSPECT_HINT = 'Run "runtime-wasm help inspect" for the options.'
  const usageErrors = [
    [['frobnicate'], /unknown command "frobnicate"/, MAIN_HINT],
    [['run'], /run needs the \.wasm file/, RUN_HINT],
    [['run', '--fuel', '5'], /run needs the \.wasm file/, RUN_HINT],
    [['run', '--'], /run needs the \.wasm file/, RUN_HINT],
    [['run', '--verbose', 'x.wasm'], /unknown option --verbose \(runtime-wasm's options go before FILE; everything after FILE goes to the program\)/, RUN_HINT],
    [['run', '--fuel', 'lots', 'x.wasm'], /--fuel lots: expected a non-negative integer/, RUN_HINT],
    [['run', '--fuel', '-1', 'x.wasm'], /--fuel -1: expected a non-negative integer/, RUN_HINT],
    [['run', '--fuel', '18446744073709551616', 'x.wasm'], /--fuel 18446744073709551616: must be less than 2\^64/, RUN_HINT],
    [['run', '--timeout', '0', 'x.wasm'], /--timeout 0: expected a number of milliseconds greater than 0/, RUN_HINT],
    [['run', '--timeout'], /--timeout needs a value/, RUN_HINT],
    [['run', '--timeout', '5', '--timeout', '6', 'x.wasm'], /--timeout is given more than once/, RUN_HINT],
    [['run', '--env', '=x', 'x.wasm'], /--env =x: the variable name is empty/, RUN_HINT],
    [['run', '--env', 'RUNTIME_WASM_SURELY_UNSET', 'x.wasm'], /RUNTIME_WASM_SURELY_UNSET is not set in this environment/, RUN_HINT],
    [['run', '--inherit-env', '--env', 'RUNTIME_WASM_SURELY_UNSET', 'x.wasm'], /RUNTIME_WASM_SURELY_UNSET is not set in this environment/, RUN_HINT],
    [['run', '--inherit-env=yes', 'x.wasm'], /--inherit-env takes no value/, RUN_HINT],
    [['run', '--dir', 'a::', 'x.wasm'], /--dir a::: the guest path after :: is empty/, RUN_HINT],
    [['run', '--dir', '::/g', 'x.wasm'], /--dir ::\/g: the host directory is empty/, RUN_HINT],
    [['run', '--dir', 'a::/g', '--dir-ro', 'b::/g', 'x.wasm'], /the guest path \/g is mounted twice/, RUN_HINT],
    [['run', '--max-memory', 'lots', 'x.wasm'], /--max-memory lots: expected a whole number of bytes, optionally followed by a unit: B, KiB, MiB, GiB, TiB \(powers of 1024\) or kB, MB, GB, TB \(powers of 1000\), e\.g\. 64MiB$/m, RUN_HINT],
    // The manifest's units, spelled as it spells them: a unit in another case is refused, with
    // the two sizes it may have meant.
    [['run', '--max-memory', '64mb', 'x.wasm'], /--max-memory 64mb: expected .*; did you mean 64MiB or 64MB\?$/m, RUN_HINT],
    [['run', '--max-memory', '512kib', 'x.wasm'], /did you mean 512KiB or 512kB\?$/m, RUN_HINT],
    [['run', '--max-memory', '1g', 'x.wasm'], /did you mean 1GiB or 1GB\?$/m, RUN_HINT],
    [['run', '--max-memory', '1.5GiB', 'x.wasm'], /--max-memory 1\.5GiB: expected a whole number of bytes/, RUN_HINT],
    [['run', '--max-memory', '-1MiB', 'x.wasm'], /--max-memory -1MiB: expected a whole number of bytes/, RUN_HINT],
    [['run', '--max-memory', '0x10', 'x.wasm'], /--max-memory 0x10: expected a whole number of bytes/, RUN_HINT],
    [['run', '--max-memory', '1 MiBs', 'x.wasm'], /--max-memory 1 MiBs: expected a whole number of bytes/, RUN_HINT],
    [['run', '--max-memory', 'constructor', 'x.wasm'], /--max-memory constructor: expected a whole number of bytes/, RUN_HINT],
    [['run', '--max-memory', '1constructor', 'x.wasm'], /--max-memory 1constructor: expected a whole number of bytes/, RUN_HINT],
    [['run', '--max-memory', '17179869184GiB', 'x.wasm'], /--max-memory 17179869184GiB: must be less than 2\^64 bytes/, RUN_HINT],
    [['run', '--max-function-size', '1Mb', 'x.wasm'], /--max-function-size 1Mb: expected .*did you mean 1MiB or 1MB\?$/m, RUN_HINT],
    [['run', '--unknown-imports', 'ignore', 'x.wasm'], /--unknown-imports ignore: expected trap \(a missing function traps when called\) or default \(it returns zeros\)/, RUN_HINT],
    [['run', '--unknown-imports', 'trap', '-W', 'unknown-imports-default', 'x.wasm'], /--unknown-imports trap and -W unknown-imports-default contradict each other/, RUN_HINT],
    [['run', '-W', 'unknown-imports-trap,unknown-imports-default', 'x.wasm'], /-W unknown-imports-trap and -W unknown-imports-default contradict each other/, RUN_HINT],
    [['run', '-W', 'fuel=5', 'x.wasm'], /-W fuel=5: runtime-wasm takes only unknown-imports-trap, unknown-imports-default, component-model-async of wasmtime's -W settings/, RUN_HINT],
    [['run', '-S', 'max-resources=5', 'x.wasm'], /-S max-resources=5: runtime-wasm takes only inherit-env, inherit-network, cli, http, p3, tcp, udp, allow-ip-name-lookup of wasmtime's -S settings/, RUN_HINT],
    [['run', '-S', 'inherit-env=maybe', 'x.wasm'], /-S inherit-env=maybe: expected y, yes, true, n, no or false after =/, RUN_HINT],
    [['run', '-S'], /--wasi needs a value/, RUN_HINT],
    [['run', '--invoke'], /--invoke needs a value/, RUN_HINT],
    [['run', '--invoke', 'add'], /run needs the \.wasm file/, RUN_HINT],
    [['run', '--help=yes', 'x.wasm'], /--help takes no value/, RUN_HINT],
    // Whatever is typed, the error stays on one line.
    [['run', '--env', '=a\nb\u001b[2J', 'x.wasm'], /--env =a\\nb\\u001b\[2J: the variable name is empty/, RUN_HINT],
    [['inspect'], /inspect needs a \.wasm file/, INSPECT_HINT],
    [['inspect', 'a.wasm', 'b.wasm'], /inspect takes one file/, INSPECT_HINT],
    [['inspect', 'a.wasm', '--yaml'], /unknown option --yaml/, INSPECT_HINT],
    [['help', 'frobnicate'], /no help for "frobnicate"/, MAIN_HINT],
  ]
  for (const [args, pattern, hint] of usageErrors) {
    test(`usage error: runtime-wasm ${JSON.stringify(args)} exits 2 with one line and a hint`, async () => {
      const { status, stdout, stderr } = await cli(args)
      assert.equal(status, 2, stderr)
      assert.equal(stdout, '')
      const [line, hintLine, ...rest] = stderr.split('\n')
      assert.match(line, /^runtime-wasm: /)
      assert.match(line, pattern)
      assert.equal(hintLine, hint)
      assert.deepEqual(rest, [''], 'nothing more: not the help text')
    })
  }
})

describe('run: a WASI program sees what the command line gives it', { concurrency: 4 }, () => {
  test('argv[0] is the file name and the arguments follow, with or without --', async () => {
    const plain = await cli(['run', PROBE, 'args', 'one', 'two words'])
    assert.equal(plain.status, 0, plain.stderr)
    assert.equal(plain.stdout, 'argc=4\nargv[0]=probe.wasm\nargv[1]=args\nargv[2]=one\nargv[3]=two words\n')
    // -- before FILE ends runtime-wasm's options; every later -- is the program's.
    const dashed = await cli(['run', '--', PROBE, 'args', '--verbose', '-x', '--'])
    assert.equal(dashed.status, 0, dashed.stderr)
    assert.equal(dashed.stdout, 'argc=5\nargv[0]=probe.wasm\nargv[1]=args\nargv[2]=--verbose\nargv[3]=-x\nargv[4]=--\n')
    const options = await cli(['run', '--argv0', 'tool', '--fuel=100000000', '--', PROBE, 'args', 'x'])
    assert.equal(options.status, 0, options.stderr)
    assert.equal(options.stdout, 'argc=3\nargv[0]=tool\nargv[1]=args\nargv[2]=x\n')
  })

  test('everything after FILE goes to the program untouched, runtime-wasm\'s own options and -- included', async () => {
    const args = ['-V', '-t', 'hello', '--help', '-h', '--dir', '/', '--env', 'X=1', '--fuel=1', '--', '--invoke', 'x', '-', '']
    const { status, stdout, stderr } = await cli(['run', '--fuel', '100000000', PROBE, 'args', ...args])
    assert.equal(status, 0, stderr)
    assert.equal(stdout, [`argc=${args.length + 2}`, 'argv[0]=probe.wasm', 'argv[1]=args', ...args.map((arg, i) => `argv[${i + 2}]=${arg}`), ''].join('\n'))
    // A file named like an option is reached through --.
    copyFileSync(PROBE, join(work, '--help'))
    const named = await cli(['run', '--', '--help', 'exit', '6'])
    assert.equal(named.status, 6, named.stderr)
    // The help of runtime-wasm is only before FILE.
    const help = await cli(['run', '-h', PROBE, 'exit', '6'])
    assert.equal(help.status, 0)
    assert.match(help.stdout, /^Usage: runtime-wasm run/)
  })

  test('--env sets variables (NAME=VALUE, or NAME for the host value) and nothing else leaks', async () => {
    const { status, stdout, stderr } = await cli(
      ['run', '--env', 'GREETING=hello=world', '--env', 'FROM_HOST', '--env', 'EMPTY=', PROBE, 'env', 'GREETING', 'FROM_HOST', 'EMPTY', 'HOME', 'PATH'],
      { env: { FROM_HOST: 'host value' } },
    )
    assert.equal(status, 0, stderr)
    assert.equal(stdout, 'GREETING=hello=world\nFROM_HOST=host value\nEMPTY=\nHOME unset\nPATH unset\n')
  })

  test('--inherit-env (wasmtime: -S inherit-env) passes the whole environment; --env wins over it', async () => {
    const env = { FROM_HOST: 'host value', OVERRIDDEN: 'host', PATH: '/usr/bin:/bin' }
    const names = ['FROM_HOST', 'OVERRIDDEN', 'PATH', 'ADDED']
    const expected = 'FROM_HOST=host value\nOVERRIDDEN=guest\nPATH=/usr/bin:/bin\nADDED=1\n'
    for (const flags of [['--inherit-env'], ['-S', 'inherit-env'], ['--wasi', 'inherit-env=yes'], ['-S', 'inherit-env=y']]) {
      const { status, stdout, stderr } = await cli(['run', ...flags, '--env', 'OVERRIDDEN=guest', '--env', 'ADDED=1', PROBE, 'env', ...names], { env })
      assert.equal(status, 0, `${flags.join(' ')}: ${stderr}`)
      assert.equal(stdout, expected, flags.join(' '))
    }
    const off = await cli(['run', '-S', 'inherit-env=n', PROBE, 'env', 'FROM_HOST', 'PATH'], { env })
    assert.equal(off.status, 0, off.stderr)
    assert.equal(off.stdout, 'FROM_HOST unset\nPATH unset\n')
  })

  test('a variable named like an Object.prototype property is a variable like any other', async () => {
    const { status, stdout, stderr } = await cli(['run', '--env', '__proto__=p', '--env', 'constructor=c', PROBE, 'env', '__proto__', 'constructor'])
    assert.equal(status, 0, stderr)
    assert.equal(stdout, '__proto__=p\nconstructor=c\n')
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
    const read = await cli(['run', '--dir', `${data}::/data`, PROBE, 'read', '/data/in.txt'])
    assert.equal(read.status, 0, read.stderr)
    assert.equal(read.stdout, 'from the host\n')
    const write = await cli(['run', '--dir', `${data}::/data`, PROBE, 'write', '/data/out.txt', 'from the guest'])
    assert.equal(write.status, 0, write.stderr)
    assert.equal(readFileSync(join(data, 'out.txt'), 'utf8'), 'from the guest')
    // Guest path defaults to the host path as written, relative to the current directory.
    const relative = await cli(['run', '--dir', 'data-rw', PROBE, 'read', 'data-rw/in.txt'])
    assert.equal(relative.status, 0, relative.stderr)
    assert.equal(relative.stdout, 'from the host\n')
    const outside = await cli(['run', '--dir', `${data}::/data`, PROBE, 'read', '/data/../../etc/passwd'])
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
    const read = await cli(['run', '--dir-ro', `${data}::/ro`, PROBE, 'read', '/ro/in.txt'])
    assert.equal(read.status, 0, read.stderr)
    assert.equal(read.stdout, 'read me\n')
    const write = await cli(['run', '--dir-ro', `${data}::/ro`, PROBE, 'write', '/ro/out.txt', 'nope'])
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

// A reactor: _initialize sets $base, which add() adds, so its results show it ran first.
const CALC = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (global $base (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $base (i32.const 100)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (i32.add (local.get 0) (local.get 1)) (global.get $base)))
  (func (export "wide") (param i64) (result i64) (local.get 0))
  (func (export "pair") (param f32 f64) (result f64 f32) (local.get 1) (local.get 0))
  (func (export "many") (result i32 i64 f32 f64 i32) (i32.const -1) (i64.const -1) (f32.const 0.1) (f64.const 1e300) (i32.const 7))
  (func (export "nothing"))
  (func (export "trap") unreachable)
  (func (export "spin") (loop br 0))
  (func (export "quit") (param i32) (call $exit (local.get 0)))
  (func (export "takes_ref") (param externref))
  (func (export "gives_ref") (result funcref) (ref.null func))
  (memory (export "memory") 1))`

describe('run --invoke: call a function of a reactor (or any module) and print its results', { concurrency: 4 }, () => {
  const calc = file('calc.wat', CALC)
  const invoke = (name, ...args) => cli(['run', '--invoke', name, calc, ...args])

  test('the results are printed one a line, after _initialize ran', async () => {
    const cases = [
      [['add', '1', '2'], '103\n'],
      [['add', '-5', '-7'], '88\n'], // arguments that look like options are the function's
      [['add', '0x10', '0XfF'], '371\n'],
      [['add', '+1', '0xffffffff'], '100\n'], // 0xffffffff is -1, as an i32 is unsigned or signed
      [['add', '-2147483648', '0'], '-2147483548\n'],
      [['wide', '-9223372036854775808'], '-9223372036854775808\n'],
      [['wide', '18446744073709551615'], '-1\n'],
      [['wide', '0x7fffffffffffffff'], '9223372036854775807\n'],
      [['pair', '0.1', '0.1'], '0.1\n0.1\n'], // f32 0.1 is printed as wasmtime prints it, not 0.10000000149011612
      [['pair', '1e-7', '1e21'], '1000000000000000000000\n0.0000001\n'],
      [['pair', 'nan', '-inf'], '-inf\nNaN\n'],
      [['pair', '-0', 'Infinity'], 'inf\n-0\n'],
      [['pair', '.5', '5.'], '5\n0.5\n'],
      [['pair', '1e40', '-1e-400'], '-0\ninf\n'], // out of range rounds, as Rust's parse does
      [['many'], `-1\n-1\n0.1\n1${'0'.repeat(300)}\n7\n`],
      [['nothing'], ''],
      [['gives_ref'], '<null funcref>\n'],
    ]
    for (const [args, expected] of cases) {
      const { status, stdout, stderr } = await invoke(...args)
      assert.equal(status, 0, `${args.join(' ')}: ${stderr}`)
      assert.equal(stdout, expected, args.join(' '))
      assert.equal(stderr, '', args.join(' '))
    }
  })

  test('-- before FILE ends the options', async () => {
    const { status, stdout, stderr } = await cli(['run', '--invoke', 'add', '--', calc, '40', '2'])
    assert.equal(status, 0, stderr)
    assert.equal(stdout, '142\n')
  })

  test('a command module: --invoke calls NAME instead of _start', async () => {
    const command = file('command.wat', `(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (i32.const 9)))
      (func (export "answer") (result i32) (i32.const 42)))`)
    const answer = await cli(['run', '--invoke', 'answer', command])
    assert.equal(answer.status, 0, answer.stderr)
    assert.equal(answer.stdout, '42\n')
    const start = await cli(['run', '--invoke', '_start', command])
    assert.equal(start.status, 9, start.stderr)
  })

  test('a trap exits 134, proc_exit gives its status, --timeout and --fuel apply', async () => {
    const trap = await invoke('trap')
    assert.equal(trap.status, 134)
    assert.equal(trap.stdout, '')
    assert.match(trap.stderr, /^runtime-wasm: .*calc\.wat: .*unreachable/)
    assert.equal((await invoke('quit', '7')).status, 7)
    const slow = await cli(['run', '--timeout', '200', '--invoke', 'spin', calc])
    assert.equal(slow.status, 124, slow.stderr)
    const hungry = await cli(['run', '--fuel', '100000', '--invoke', 'spin', calc])
    assert.equal(hungry.status, 125, hungry.stderr)
  })

  test('a missing export, one that is not a function, or one that takes a reference exits 126 and says why', async () => {
    const functions = 'its functions are _initialize, add, wide, pair, many, nothing, trap, spin, quit, takes_ref and 1 more'
    const cases = [
      [['mul', '1', '2'], `--invoke mul: the module exports no function of that name; ${functions}`],
      [['memory'], `--invoke memory: the export is a memory, not a function; ${functions}`],
      [['takes_ref', 'null'], '--invoke takes_ref: parameter 1 is a externref; only numbers (i32, i64, f32, f64, v128) can be given on the command line'],
      [['a\nb'], '--invoke "a\\nb": the module exports no function of that name'],
    ]
    for (const [args, message] of cases) {
      const { status, stdout, stderr } = await invoke(...args)
      assert.equal(status, 126, stderr)
      assert.equal(stdout, '')
      assert.ok(stderr.startsWith(`runtime-wasm: ${calc}: ${message}`), stderr)
      assert.equal(stderr.split('\n').length, 2, 'one line')
    }
  })

  test('arguments that do not fit the function are a usage error (2): their number, their type, their range', async () => {
    const i32 = 'is not an i32 (an integer from -2147483648 to 4294967295, decimal or 0x hexadecimal)'
    const i64 = 'is not an i64 (an integer from -9223372036854775808 to 18446744073709551615, decimal or 0x hexadecimal)'
    const float = 'is not an f32 (a decimal number such as -2.5 or 1e-3, inf, -inf or nan)'
    const cases = [
      [['add', '1'], '--invoke add takes 2 arguments (i32 i32), but 1 was given after the file'],
      [['add', '1', '2', '3'], '--invoke add takes 2 arguments (i32 i32), but 3 were given after the file'],
      [['nothing', 'x'], '--invoke nothing takes no arguments, but 1 was given after the file'],
      [['wide'], '--invoke wide takes 1 argument (i64), but 0 were given after the file'],
      [['add', '1', 'two'], `--invoke add: argument 2, "two", ${i32}`],
      [['add', '4294967296', '1'], `--invoke add: argument 1, "4294967296", ${i32}`],
      [['add', '-2147483649', '1'], `--invoke add: argument 1, "-2147483649", ${i32}`],
      [['add', '1.0', '1'], `--invoke add: argument 1, "1.0", ${i32}`],
      [['add', '1e3', '1'], `--invoke add: argument 1, "1e3", ${i32}`],
      [['add', '', '1'], `--invoke add: argument 1, "", ${i32}`],
      [['add', ' 1', '1'], `--invoke add: argument 1, " 1", ${i32}`],
      [['add', '0x', '1'], `--invoke add: argument 1, "0x", ${i32}`],
      [['add', '0x1g', '1'], `--invoke add: argument 1, "0x1g", ${i32}`],
      [['add', '9'.repeat(400), '1'], `--invoke add: argument 1, "${'9'.repeat(400)}", ${i32}`],
      [['wide', '18446744073709551616'], `--invoke wide: argument 1, "18446744073709551616", ${i64}`],
      [['wide', 'nan'], `--invoke wide: argument 1, "nan", ${i64}`],
      [['pair', 'abc', '1'], `--invoke pair: argument 1, "abc", ${float}`],
      [['pair', '0x10', '1'], `--invoke pair: argument 1, "0x10", ${float}`],
      [['pair', '1,5', '1'], `--invoke pair: argument 1, "1,5", ${float}`],
      [['pair', '1', '--'], '--invoke pair: argument 2, "--", is not an f64'],
    ]
    for (const [args, message] of cases) {
      const { status, stdout, stderr } = await invoke(...args)
      assert.equal(status, 2, `${args.join(' ')}: ${stderr}`)
      assert.equal(stdout, '')
      assert.ok(stderr.startsWith(`runtime-wasm: ${message}`), `${args.join(' ')}: ${stderr}`)
      assert.equal(stderr.split('\n').at(-2), 'Run "runtime-wasm help run" for the options.')
    }
  })

  test('without --invoke, a reactor has no _start: 126, pointing at --invoke', async () => {
    const { status, stderr } = await cli(['run', calc])
    assert.equal(status, 126)
    assert.match(stderr, /is not a WASI command: it has no _start export .*; to call one of its functions, give --invoke NAME before the file/)
  })
})

/** A binary module that imports `imports` ([module, name, kind bytes...]) and whose _start runs `body`. */
function importing(imports, body = [0x0b], types = [wasm.funcType([], [])]) {
  return wasm.module(
    wasm.section(1, wasm.vec(types)),
    wasm.section(2, wasm.vec(imports.map(([module, name, ...kind]) => [...wasm.name(module), ...wasm.name(name), ...kind]))),
    wasm.section(3, wasm.vec([[0]])),
    wasm.section(7, wasm.vec([[...wasm.name('_start'), wasm.KIND.function, imports.filter(([, , kind]) => kind === wasm.KIND.function).length]])),
    wasm.section(10, wasm.vec([[...wasm.u(body.length + 1), 0, ...body]])),
  )
}
const binary = (name, bytes) => file(name, bytes)

describe('run: imports nothing provides are refused before compiling, unless --unknown-imports', { concurrency: 4 }, () => {
  // Types: 0 () -> (), 1 () -> i32, 2 (i32) -> ().
  const TYPES = [wasm.funcType([], []), wasm.funcType([], [wasm.TYPE.i32]), wasm.funcType([wasm.TYPE.i32], [])]
  const unused = binary('unused-import.wasm', importing([['env', 'log', wasm.KIND.function, 2]], [0x0b], TYPES))
  // _start: proc_exit(env.get() + 5)
  const used = binary('used-import.wasm', importing(
    [['wasi_snapshot_preview1', 'proc_exit', wasm.KIND.function, 2], ['env', 'get', wasm.KIND.function, 1]],
    [0x10, 1, 0x41, 5, 0x6a, 0x10, 0, 0x0b],
    TYPES,
  ))

  test('a missing import exits 126 at once, naming it and --unknown-imports; nothing is compiled', async () => {
    const { status, stdout, stderr } = await cli(['run', unused], { env: { DEBUG: 'runtime-wasm' } })
    assert.equal(status, 126)
    assert.equal(stdout, '')
    assert.equal(stderr, `runtime-wasm: ${unused} cannot start: it imports what neither WASI nor runtime-wasm provides: env.log (function); to run it anyway, give --unknown-imports trap (a missing function traps when called) or --unknown-imports default (it returns zeros)\n`)
  })

  test('--unknown-imports trap (or -W unknown-imports-trap) runs it; calling the import traps (134)', async () => {
    for (const flags of [['--unknown-imports', 'trap'], ['-W', 'unknown-imports-trap'], ['--wasm', 'unknown-imports-trap=y']]) {
      const ran = await cli(['run', ...flags, unused])
      assert.equal(ran.status, 0, `${flags.join(' ')}: ${ran.stderr}`)
      const called = await cli(['run', ...flags, used])
      assert.equal(called.status, 134, called.stderr)
      assert.match(called.stderr, /the module called env::get, an import nothing provides/)
    }
    const off = await cli(['run', '-W', 'unknown-imports-trap=n', unused])
    assert.equal(off.status, 126, off.stderr)
  })

  test('--unknown-imports default (or -W unknown-imports-default) makes the import return zeros', async () => {
    for (const flags of [['--unknown-imports', 'default'], ['-W', 'unknown-imports-default']]) {
      const { status, stderr } = await cli(['run', ...flags, used])
      assert.equal(status, 5, stderr) // proc_exit(0 + 5)
    }
  })

  test('a few missing imports are named, the rest counted; names are shown safely', async () => {
    const imports = Array.from({ length: 8 }, (_, i) => ['env', `f${i}`, wasm.KIND.function, 0])
    imports.splice(2, 0, ['wasi_snapshot_preview1', 'fd_write', wasm.KIND.function, 0], ['bad\nmodule', 'x\u001b[31m', wasm.KIND.function, 0])
    const many = binary('many-imports.wasm', importing(imports))
    const { status, stderr } = await cli(['run', many])
    assert.equal(status, 126)
    assert.match(stderr, /provides: env\.f0 \(function\), env\.f1 \(function\), "bad\\nmodule"\."x\\u001b\[31m" \(function\), env\.f2 \(function\), env\.f3 \(function\) and 4 more; to run it anyway/)
    assert.equal(stderr.split('\n').length, 2, 'one line')
  })

  test('memories, tables and globals are never made up, not even with --unknown-imports; wasi_unstable is not WASI here', async () => {
    const memory = binary('imports-memory.wasm', importing([['env', 'memory', wasm.KIND.memory, ...wasm.limits(1)], ['env', 'table', wasm.KIND.table, wasm.TYPE.funcref, ...wasm.limits(1)]]))
    const refused = await cli(['run', '--unknown-imports', 'trap', memory])
    assert.equal(refused.status, 126)
    assert.match(refused.stderr, /provides: env\.memory \(memory\), env\.table \(table\); only functions can be made up \(--unknown-imports\), not memories, tables, globals or tags\n$/)
    const unstable = binary('unstable.wasm', importing([['wasi_unstable', 'proc_exit', wasm.KIND.function, 1]], [0x0b], [wasm.funcType([], []), wasm.funcType([wasm.TYPE.i32], [])]))
    const old = await cli(['run', unstable])
    assert.equal(old.status, 126)
    assert.match(old.stderr, /provides: wasi_unstable\.proc_exit \(function\)/)
  })

  test('the check reads only the leading sections: a 100 MB module is checked in milliseconds', async () => {
    const big = join(work, 'big.wasm')
    const leading = importing([['env', 'log', wasm.KIND.function, 0]])
    // A custom section before the imports, as some toolchains write one, is skipped, not read.
    const custom = wasm.section(0, [...wasm.name('producers'), ...new Array(1000).fill(7)])
    writeFileSync(big, Uint8Array.from([...wasm.HEADER, ...custom, ...leading.subarray(8)]))
    truncateSync(big, 100_000_000) // the rest is a hole in the file: zeros, never read
    const { readImports } = require('../lib/cli/missing-imports.js')
    const started = performance.now()
    const imports = await readImports(big)
    const ms = performance.now() - started
    assert.deepEqual(imports.map(({ module, name }) => `${module}.${name}`), ['env.log'])
    assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`)
    const { status, stderr } = await cli(['run', big], { env: { DEBUG: 'runtime-wasm' } })
    assert.equal(status, 126)
    assert.match(stderr, /big\.wasm cannot start: .*env\.log \(function\)/)
    assert.doesNotMatch(stderr, /compileFile/, 'refused before compiling')
  })

  test('what the check cannot read is left to the compile, which says what is wrong', async () => {
    const valid = importing([['env', 'log', wasm.KIND.function, 0]])
    const cases = [
      ['truncated-imports.wasm', valid.subarray(0, 20)],
      ['huge-section.wasm', Uint8Array.from([...wasm.HEADER, 2, 0xff, 0xff, 0xff, 0xff, 0x0f])],
      ['long-leb.wasm', Uint8Array.from([...wasm.HEADER, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])],
      ['bad-import-kind.wasm', Uint8Array.from([...wasm.HEADER, ...wasm.section(2, wasm.vec([[...wasm.name('a'), ...wasm.name('b'), 9, 0]]))])],
      ['component.wasm', Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00])],
      ['empty.wasm', new Uint8Array()],
    ]
    for (const [name, bytes] of cases) {
      const { status, stdout, stderr } = await cli(['run', binary(name, bytes)])
      assert.equal(status, 126, `${name}: ${stderr}`)
      assert.equal(stdout, '')
      assert.match(stderr, new RegExp(`^runtime-wasm: .*${escape(name)}`), name)
      assert.doesNotMatch(stderr, /cannot start: it imports/, name)
    }
    const directory = await cli(['run', work])
    assert.equal(directory.status, 126, directory.stderr)
  })

  test('a FIFO given as the module does not hang the check', { skip: process.platform === 'win32' }, async () => {
    const fifo = join(work, 'module.fifo')
    spawnSync('mkfifo', [fifo])
    const { status, stderr, ms } = await cli(['run', fifo])
    assert.equal(status, 126, stderr)
    assert.match(stderr, /not a regular file/)
    assert.ok(ms < 10_000, `took ${ms} ms`)
  })

  test('with a manifest in force the manifest is asked first, and the core names the missing import', async () => {
    const app = join(work, 'manifest-imports')
    mkdirSync(app, { recursive: true })
    copyFileSync(unused, join(app, 'unused.wasm'))
    writeFileSync(join(app, 'manifest.app.toml'), '[capabilities.wasm]\nload = ["./*.wasm"]\n')
    const allowed = await cli(['run', 'unused.wasm'], { cwd: app })
    assert.equal(allowed.status, 126)
    assert.match(allowed.stderr, /unsatisfied import env::log/)
    const refused = await cli(['run', unused], { cwd: app })
    assert.equal(refused.status, 126)
    assert.doesNotMatch(refused.stderr, /env\.log|env::log/, 'nothing of a refused file is shown')
  })
})

describe('run: the compile progress line', { concurrency: 4 }, () => {
  const { compileProgress, THRESHOLD_BYTES } = require('../lib/cli/progress.js')
  const terminal = (isTTY) => {
    const writes = []
    return { stream: { isTTY, write: (text) => writes.push(text) }, writes }
  }
  const START = { phase: 'start', path: '/some/dir/yosys.wasm', bytes: 31_234_567, elapsedMs: 0 }

  test('on a terminal, a large module\'s compile is shown, updated every 250 ms, and erased when it ends', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] })
    const { stream, writes } = terminal(true)
    const progress = compileProgress(stream)
    progress.onProgress(START)
    assert.deepEqual(writes, ['\r\x1b[Kcompiling yosys.wasm (31.2 MB)... 0 s'])
    t.mock.timers.tick(1000)
    assert.equal(writes.length, 5)
    assert.ok(writes.every((text) => /^\r\x1b\[Kcompiling yosys\.wasm \(31\.2 MB\)\.\.\. \d+ s$/.test(text)))
    progress.onProgress({ ...START, phase: 'compiled', elapsedMs: 1000, moduleId: 'module:1' })
    assert.equal(writes.at(-1), '\r\x1b[K')
    t.mock.timers.tick(1000)
    progress.stop()
    assert.equal(writes.length, 6, 'nothing after the end, and stop() after it writes nothing')
  })

  test('a failed compile, or stop() on any other path, erases it too', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] })
    for (const end of [(p) => p.onProgress({ ...START, phase: 'failed', error: new Error('x') }), (p) => p.stop()]) {
      const { stream, writes } = terminal(true)
      const progress = compileProgress(stream)
      progress.onProgress(START)
      end(progress)
      t.mock.timers.tick(1000)
      assert.deepEqual(writes.slice(1), ['\r\x1b[K'])
    }
  })

  test('silent when stderr is not a terminal, for a small module, or without a size', () => {
    for (const [isTTY, event] of [[false, START], [undefined, START], [true, { ...START, bytes: THRESHOLD_BYTES }], [true, { ...START, bytes: undefined }]]) {
      const { stream, writes } = terminal(isTTY)
      const progress = compileProgress(stream)
      progress.onProgress(event)
      progress.onProgress({ ...event, phase: 'compiled' })
      progress.stop()
      assert.deepEqual(writes, [])
    }
  })

  test('a control character in the file name is not written to the terminal', () => {
    const { stream, writes } = terminal(true)
    const progress = compileProgress(stream)
    progress.onProgress({ ...START, path: '/x/evil\x1b[2J.wasm' })
    progress.stop()
    assert.equal(writes[0], '\r\x1b[Kcompiling "evil\\u001b[2J.wasm" (31.2 MB)... 0 s')
  })

  test('its timer never keeps the process alive', async () => {
    const script = `const p = require(${JSON.stringify(require.resolve('../lib/cli/progress.js'))}).compileProgress({ isTTY: true, write() {} })
      p.onProgress({ phase: 'start', path: 'x.wasm', bytes: 1e9 })`
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 10_000 })
    assert.equal(child.status, 0, String(child.stderr))
  })

  test('end to end: shown on a terminal (a pseudo-terminal from script(1)), absent in a pipe', { skip: spawnSync('script', ['--version']).status !== 0 && 'no script(1)' }, async () => {
    const bytes = wasm.module(
      wasm.section(1, wasm.vec([wasm.funcType([], [])])),
      wasm.section(3, wasm.vec([[0]])),
      wasm.section(7, wasm.vec([[...wasm.name('_start'), wasm.KIND.function, 0]])),
      wasm.section(10, wasm.vec([[2, 0, 0x0b]])),
      wasm.section(0, [...wasm.name('blob'), ...new Uint8Array(5_000_000)]),
    )
    const large = binary('large.wasm', bytes)
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run ${JSON.stringify(large)} 2>&1`
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', cwd: work, timeout: 60_000, env: { ...process.env, DEBUG: '' } })
    assert.equal(tty.status, 0, tty.stdout)
    assert.match(tty.stdout, /^\r\x1b\[Kcompiling large\.wasm \(5\.0 MB\)\.\.\. \d+ s(\r\x1b\[Kcompiling large\.wasm \(5\.0 MB\)\.\.\. \d+ s)*\r\x1b\[K$/)
    const piped = await cli(['run', large])
    assert.equal(piped.status, 0, piped.stderr)
    assert.equal(piped.stderr, '')
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
