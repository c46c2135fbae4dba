'use strict'
// Loads the native addon for this platform, the napi-rs way: a binary built in this folder
// first, then the matching platform package (runtime-wasm-<platform>).

const { existsSync } = require('node:fs')
const { join } = require('node:path')

function isMusl() {
  if (process.platform !== 'linux') return false
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
  return !report?.header?.glibcVersionRuntime
}

function platformTriple() {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function load() {
  const triple = platformTriple()
  const local = join(__dirname, `runtime-wasm.${triple}.node`)
  if (existsSync(local)) return require(local)
  try {
    return require(`runtime-wasm-${triple}`)
  } catch (cause) {
    throw new Error(
      `runtime-wasm: no native binary for ${triple}. ` +
        `Build it from source in ${__dirname} with \`npm install\` (or \`npm run build\`), ` +
        `which needs a Rust toolchain (cargo), or install the package runtime-wasm-${triple}.`,
      { cause },
    )
  }
}

module.exports = load()
