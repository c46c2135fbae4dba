// Builds a component from JavaScript with componentize-js's API (StarlingMonkey). `jco
// componentize` 1.35.0 cannot be used here: its CLI fails to read the WIT file ("failed to get
// path metadata") because jco's own preview2-shim 0.26 gives its wasm tools no preopens.
//
//   node componentize-js.mjs SOURCE.js WIT_PATH WORLD OUT.wasm [DISABLED_FEATURES]
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

// COMPONENTIZE_JS: the package's entry file, when it is not installed beside this script.
const where = process.env.COMPONENTIZE_JS ? pathToFileURL(process.env.COMPONENTIZE_JS).href : '@bytecodealliance/componentize-js'
const { componentize } = await import(where)

const [sourcePath, witPath, worldName, out, disable = ''] = process.argv.slice(2)
const started = Date.now()
const { component } = await componentize({ sourcePath, witPath, worldName, disableFeatures: disable.split(',').filter(Boolean) })
writeFileSync(out, component)
console.log(`${out}: ${component.length} bytes in ${Date.now() - started} ms`)
