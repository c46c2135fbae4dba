// Packaging: what `npm pack` puts in the package, the package.json fields, the napi-rs
// platform package and its publish step, and the packed tarball installed into a fresh project
// and used from CommonJS, ESM, TypeScript, vitest and npx, as a user would.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx'
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const NAPI = join(ROOT, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
const PROBE = join(ROOT, '__test__', 'fixtures', 'cli', 'probe.wasm')

const work = mkdtempSync(join(tmpdir(), 'runtime-wasm-pack-'))
after(() => rmSync(work, { recursive: true, force: true }))

/** Runs a command; resolves { status, stdout, stderr }. */
function sh(command, args, { cwd = ROOT, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, DEBUG: '', NODE_DEBUG: '', NO_COLOR: '1', FORCE_COLOR: '0', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

function filesUnder(folder) {
  return readdirSync(join(ROOT, folder), { recursive: true })
    .map((name) => join(folder, name).split('\\').join('/'))
    .filter((path) => statSync(join(ROOT, path)).isFile())
}

/** The platform binaries built in this clone (none in a fresh clone before `npm install`). */
const LOCAL_BINARIES = readdirSync(ROOT).filter((name) => /^runtime-wasm\.[\w-]+\.node$/.test(name))

const EXPECTED_FILES = [
  'LICENSE',
  'README.md',
  'package.json',
  'index.js',
  'index.mjs',
  'index.d.ts',
  'binding.js',
  'bin/runtime-wasm.js',
  ...filesUnder('lib'),
  ...LOCAL_BINARIES,
].sort()

describe('the package contents', () => {
  test('npm pack holds exactly what users need: the JS API, types, CLI, docs and license', async () => {
    const { status, stdout, stderr } = await sh(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'])
    assert.equal(status, 0, stderr)
    const [packed] = JSON.parse(stdout)
    const files = packed.files.map((file) => file.path).sort()
    assert.deepEqual(files, EXPECTED_FILES)
    for (const path of files) {
      assert.doesNotMatch(path, /^(src|target|__test__|npm|examples|bench|fuzz|\.ci)\/|^Cargo\.|^native\.d\.ts$|\.tgz$/, path)
    }
    const bin = packed.files.find((file) => file.path === 'bin/runtime-wasm.js')
    assert.ok(bin.mode & 0o111, 'the CLI is executable in the tarball')
  })

  test('package.json: entry points, exports, types, bin, engines, license, repository', () => {
    assert.equal(PACKAGE.name, 'runtime-wasm')
    assert.equal(PACKAGE.main, 'index.js')
    assert.equal(PACKAGE.types, 'index.d.ts')
    assert.deepEqual(PACKAGE.exports, {
      '.': { types: './index.d.ts', import: './index.mjs', require: './index.js' },
      './package.json': './package.json',
    })
    assert.equal(Object.keys(PACKAGE.exports['.'])[0], 'types', '"types" comes first, as TypeScript requires')
    assert.deepEqual(PACKAGE.bin, { 'runtime-wasm': 'bin/runtime-wasm.js' })
    assert.match(PACKAGE.engines.node, /^>= ?18\.17/)
    assert.equal(PACKAGE.license, 'Apache-2.0')
    assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^\s*Apache License\s+Version 2\.0, January 2004/)
    assert.equal(PACKAGE.repository.type, 'git')
    assert.match(PACKAGE.repository.url, /^git\+https:\/\/.+\.git$/)
    for (const entry of PACKAGE.files) {
      const path = entry.replace(/\/$/, '')
      if (!path.includes('*')) assert.ok(existsSync(join(ROOT, path)), `files lists ${entry}, which exists`)
    }
  })

  test('platform packages follow napi-rs: one npm/<platform> folder per target; optionalDependencies are added at publish', () => {
    assert.equal(PACKAGE.optionalDependencies, undefined, 'not in the repository: a fresh clone installs without unpublished packages')
    assert.match(PACKAGE.scripts.prepublishOnly, /napi artifacts .*&& napi prepublish -t npm/)
    const binding = readFileSync(join(ROOT, 'binding.js'), 'utf8')
    assert.match(binding, /require\(`runtime-wasm-\$\{triple\}`\)/, 'binding.js falls back to the platform package')
    const platforms = { 'x86_64-unknown-linux-gnu': { dir: 'linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc' } }
    for (const target of PACKAGE.napi.targets) {
      const platform = platforms[target]
      assert.ok(platform, `a known target: ${target}`)
      const manifest = JSON.parse(readFileSync(join(ROOT, 'npm', platform.dir, 'package.json'), 'utf8'))
      const binary = `${PACKAGE.napi.binaryName}.${platform.dir}.node`
      assert.equal(manifest.name, `${PACKAGE.name}-${platform.dir}`)
      assert.equal(manifest.version, PACKAGE.version)
      assert.deepEqual([manifest.os, manifest.cpu, manifest.libc], [[platform.os], [platform.cpu], [platform.libc]])
      assert.equal(manifest.main, binary)
      assert.deepEqual(manifest.files, [binary])
      assert.equal(manifest.license, PACKAGE.license)
      assert.deepEqual(manifest.engines, PACKAGE.engines)
      assert.ok(existsSync(join(ROOT, 'npm', platform.dir, 'LICENSE')))
    }
  })

  test('the publish step (napi artifacts, then napi prepublish) accepts the platform packages', { skip: LOCAL_BINARIES.length === 0 && 'no locally built binary' }, async () => {
    const stage = join(work, 'publish')
    mkdirSync(stage)
    for (const name of ['package.json', 'README.md', 'LICENSE', ...LOCAL_BINARIES]) copyFileSync(join(ROOT, name), join(stage, name))
    cpSync(join(ROOT, 'npm'), join(stage, 'npm'), { recursive: true })
    const artifacts = await sh(process.execPath, [NAPI, 'artifacts', '--output-dir', '.'], { cwd: stage })
    assert.equal(artifacts.status, 0, artifacts.stderr)
    for (const binary of LOCAL_BINARIES) {
      const platform = binary.split('.')[1]
      assert.ok(existsSync(join(stage, 'npm', platform, binary)), `${binary} copied into npm/${platform}`)
    }
    const prepublish = await sh(process.execPath, [NAPI, 'prepublish', '-t', 'npm', '--no-gh-release', '--dry-run'], { cwd: stage })
    assert.equal(prepublish.status, 0, prepublish.stderr)
    assert.doesNotMatch(prepublish.stdout + prepublish.stderr, /Error/)
  })
})

describe('the packed tarball installed into a fresh project', { skip: LOCAL_BINARIES.length === 0 && 'no locally built binary' }, () => {
  const project = join(work, 'consumer')
  let tarball

  before(async () => {
    const packed = await sh(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work])
    assert.equal(packed.status, 0, packed.stderr)
    tarball = join(work, JSON.parse(packed.stdout)[0].filename)
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }))
    const installed = await sh(NPM, ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project })
    assert.equal(installed.status, 0, installed.stderr)
  })

  test('require() and import work from the installed package', async () => {
    const cjs = `
      const { compile, instantiate } = require('runtime-wasm')
      compile('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')
        .then(instantiate).then((instance) => instance.call('add', 40, 2)).then(([sum]) => console.log('cjs', sum))`
    const esm = `
      import { run } from 'runtime-wasm'
      const { exitCode, stdout } = await run(${JSON.stringify(PROBE)}, { args: ['probe', 'args', 'x'] })
      console.log('esm', exitCode, JSON.stringify(new TextDecoder().decode(stdout)))`
    const fromCjs = await sh(process.execPath, ['--input-type=commonjs', '-e', cjs], { cwd: project })
    assert.equal(fromCjs.stdout, 'cjs 42\n', fromCjs.stderr)
    const fromEsm = await sh(process.execPath, ['--input-type=module', '-e', esm], { cwd: project })
    assert.equal(fromEsm.stdout, 'esm 0 "argc=3\\nargv[0]=probe\\nargv[1]=args\\nargv[2]=x\\n"\n', fromEsm.stderr)
    const resolved = await sh(process.execPath, ['-p', 'require.resolve("runtime-wasm")'], { cwd: project })
    assert.equal(relative(project, resolved.stdout.trim()), join('node_modules', 'runtime-wasm', 'index.js'))
  })

  test('npx runtime-wasm runs the installed CLI', async () => {
    const version = await sh(NPX, ['--offline', 'runtime-wasm', '--version'], { cwd: project })
    assert.equal(version.stdout, `${PACKAGE.version}\n`, version.stderr)
    const ran = await sh(NPX, ['--offline', 'runtime-wasm', 'run', PROBE, 'exit', '6'], { cwd: project })
    assert.equal(ran.status, 6, ran.stderr)
    const inspected = await sh(NPX, ['--offline', 'runtime-wasm', 'inspect', PROBE], { cwd: project })
    assert.match(inspected.stdout, /_start +func/, inspected.stderr)
  })

  test('a TypeScript project type-checks against the installed types (nodenext, bundler and node10 resolution)', async () => {
    writeFileSync(join(project, 'main.ts'), `
      import { compile, instantiate, WasmError, type HostImports } from 'runtime-wasm'
      export async function main(): Promise<number> {
        const imports: HostImports = { env: { log(ptr: number, len: number) {} } }
        const instance = await instantiate(await compile('(module)'), { imports })
        const [sum] = await instance.call<[number]>('add', 1, 2)
        // @ts-expect-error a string is not a wasm value
        await instance.call('add', 'one')
        return sum * 2
      }
      export { WasmError }
    `)
    const settings = [
      { module: 'nodenext', moduleResolution: 'nodenext' },
      { module: 'esnext', moduleResolution: 'bundler' },
      { module: 'commonjs', moduleResolution: 'node10' },
    ]
    for (const setting of settings) {
      const config = `tsconfig.${setting.moduleResolution}.json`
      writeFileSync(join(project, config), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'es2022', types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')], ...setting },
        files: ['main.ts'],
      }))
      const checked = await sh(process.execPath, [TSC, '-p', config, '--pretty', 'false'], { cwd: project })
      assert.equal(checked.status, 0, `${config}: ${checked.stdout}${checked.stderr}`)
    }
  })

  test('a vitest project uses the installed package in both pools', async () => {
    symlinkSync(join(ROOT, 'node_modules', 'vitest'), join(project, 'node_modules', 'vitest'), 'dir')
    mkdirSync(join(project, 'test'))
    for (const name of ['a', 'b']) {
      writeFileSync(join(project, 'test', `${name}.test.js`), `
        import { expect, test } from 'vitest'
        import { compile, instantiate, WasmError } from 'runtime-wasm'
        test('${name}: calls and traps', async () => {
          const instance = await instantiate(await compile('(module (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))'))
          expect(await instance.call('div', 9, 3)).toEqual([3])
          await expect(instance.call('div', 1, 0)).rejects.toBeInstanceOf(WasmError)
          await instance.drop()
        })
      `)
    }
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
    for (const pool of ['threads', 'forks']) {
      const result = await sh(process.execPath, [vitest, 'run', `--pool=${pool}`], { cwd: project, env: { CI: 'true' } })
      assert.equal(result.status, 0, result.stdout + result.stderr)
      assert.match(result.stdout, /Tests {2}2 passed \(2\)/, result.stdout)
    }
  })
})
