// Runs a wasi:cli/command component through runtime-wasm's run() and through the wasmtime
// CLI with the same arguments, environment, directory and stdin, and prints where the exit
// status, stdout or stderr differ.
//
//   node compare-command.mjs COMMAND.wasm WASMTIME_BINARY
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileFile, configure, run } from '../../index.mjs'

const [file, wasmtime] = process.argv.slice(2)
if (process.env.CHECK_CACHE_DIR) configure({ cacheDir: process.env.CHECK_CACHE_DIR })
let started = performance.now()
const id = await compileFile(file)
console.log(`# compileFile: ${Math.round(performance.now() - started)} ms`)

const cases = [
  { args: ['echo-args', 'a b', 'c', '--flag', 'ü'] },
  { args: ['env', 'GREETING'], env: { GREETING: 'hi there' } },
  { args: ['env', 'HOME'] },
  { args: ['cat', '/data/in.txt'], dir: true },
  { args: ['cat', '/data/missing.txt'], dir: true },
  { args: ['cat', '/etc/passwd'] },
  { args: ['cat', '/data/../etc/passwd'], dir: true },
  { args: ['write', '/data/out.txt', 'written'], dir: true, check: 'out.txt' },
  { args: ['write', '/data/out.txt', 'x'], dir: 'ro' },
  { args: ['ls', '/data'], dir: true },
  { args: ['stdin'], stdin: 'shout ü\n' },
  { args: ['stdin'] },
  { args: ['exit', '0'] },
  { args: ['exit', '3'] },
  { args: ['exit', '125'] },
  { args: ['raise'] },
  { args: ['sleep', '50'] },
  { args: ['stderr', 'oops'] },
  { args: ['time'] },
  { args: ['random'] },
  { args: ['big', '3000000'] },
  { args: [] },
]

const text = (b) => Buffer.from(b ?? []).toString()
const short = (s) => JSON.stringify(s.length > 160 ? s.slice(0, 160) + `...(${s.length} chars)` : s)
let diffs = 0
for (const c of cases) {
  const dir = mkdtempSync(join(tmpdir(), 'rw-cmd-'))
  const setup = () => {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir)
    writeFileSync(join(dir, 'in.txt'), 'file contents\n')
    mkdirSync(join(dir, 'sub'))
  }
  try {
    const argv = ['prog', ...c.args]
    // runtime-wasm
    setup()
    let ours
    started = performance.now()
    try {
      const preopens = c.dir ? { '/data': c.dir === 'ro' ? { path: dir, readonly: true } : dir } : undefined
      const r = await run(id, { args: argv, env: c.env, preopens, stdin: c.stdin, limits: { timeoutMs: 20_000 } })
      ours = { status: r.exitCode, stdout: text(r.stdout), stderr: text(r.stderr) }
    } catch (error) {
      ours = { status: `rejected ${error.code}`, stdout: '', stderr: String(error.message).split('\n')[0] }
    }
    const ourMs = Math.round(performance.now() - started)
    const ourFile = c.check && existsSync(join(dir, c.check)) ? readFileSync(join(dir, c.check), 'utf8') : undefined
    // wasmtime
    setup()
    const wargs = ['run', '--argv0', 'prog']
    for (const [k, v] of Object.entries(c.env ?? {})) wargs.push('--env', `${k}=${v}`)
    // (wasmtime's CLI has no read-only --dir: for that case only ours is checked, by status.)
    if (c.dir) wargs.push('--dir', `${dir}::/data`)
    started = performance.now()
    const target = process.env.WASMTIME_PRECOMPILED ? ['--allow-precompiled', process.env.WASMTIME_PRECOMPILED] : [file]
    const w = spawnSync(wasmtime, [...wargs, ...target, ...c.args], { input: c.stdin ?? '', maxBuffer: 64 << 20 })
    const theirs = { status: w.status, stdout: text(w.stdout), stderr: text(w.stderr) }
    const theirMs = Math.round(performance.now() - started)
    const theirFile = c.check && existsSync(join(dir, c.check)) ? readFileSync(join(dir, c.check), 'utf8') : undefined
    const problems = []
    if (c.dir === 'ro' && ours.status === 0) problems.push('a write into a read-only preopen succeeded')
    if (c.dir !== 'ro' && ours.status !== theirs.status) problems.push(`status ours ${ours.status} wasmtime ${theirs.status}`)
    if (c.dir === 'ro') theirs.stdout = ours.stdout
    if (ours.stdout !== theirs.stdout) problems.push(`stdout ours ${short(ours.stdout)} wasmtime ${short(theirs.stdout)}`)
    if (c.dir !== 'ro' && ours.stderr !== theirs.stderr) problems.push(`stderr ours ${short(ours.stderr)} wasmtime ${short(theirs.stderr)}`)
    if (c.dir !== 'ro' && ourFile !== theirFile) problems.push(`file ours ${short(String(ourFile))} wasmtime ${short(String(theirFile))}`)
    const label = `${c.args.join(' ') || '(no args)'}${c.dir === 'ro' ? ' [read-only dir]' : ''}`
    if (problems.length) diffs++
    console.log(`${problems.length ? 'DIFF' : 'same'} ${label} (ours ${ourMs} ms, wasmtime ${theirMs} ms): status ${ours.status}${problems.length ? '\n    ' + problems.join('\n    ') : ''}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
console.log(`${diffs} differences`)
