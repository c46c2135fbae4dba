// The TypeScript declarations: index.d.ts declares exactly what index.js exports, the usage
// files under __test__/types/ use every declared name, and `tsc --noEmit --strict` accepts them
// (including every `@ts-expect-error`, each of which must be a real error).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import * as esm from '../index.mjs'

const require = createRequire(import.meta.url)
const ts = require('typescript')
const cjs = require('../index.js')

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DECLARATIONS = fileURLToPath(new URL('../index.d.ts', import.meta.url))
const USAGE_FILES = ['usage.ts', 'usage-esm.mts'].map((name) => fileURLToPath(new URL(`./types/${name}`, import.meta.url)))

function declaredExports() {
  const program = ts.createProgram([DECLARATIONS], { strict: true, noEmit: true, types: [] })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(DECLARATIONS)
  const values = new Set()
  const all = new Set()
  for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(source))) {
    all.add(symbol.name)
    if (symbol.flags & ts.SymbolFlags.Value) values.add(symbol.name)
  }
  return { values, all }
}

function importedNames(file) {
  const source = ts.createSourceFile(file, ts.sys.readFile(file), ts.ScriptTarget.Latest, true)
  const names = new Set()
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || statement.moduleSpecifier.text !== 'runtime-wasm') continue
    const bindings = statement.importClause?.namedBindings
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) names.add((element.propertyName ?? element.name).text)
    }
  }
  return names
}

test('index.d.ts declares every value index.js exports, and nothing else', () => {
  const { values } = declaredExports()
  const runtime = Object.keys(cjs).sort()
  assert.deepEqual([...values].sort(), runtime)
})

test('index.mjs exports the same names as index.js, plus the default export', () => {
  assert.deepEqual(Object.keys(esm).filter((name) => name !== 'default').sort(), Object.keys(cjs).sort())
  assert.equal(esm.default, cjs)
})

test('the usage files import every name index.d.ts exports', () => {
  const { all } = declaredExports()
  const used = new Set(USAGE_FILES.flatMap((file) => [...importedNames(file)]))
  const missing = [...all].filter((name) => !used.has(name))
  assert.deepEqual(missing, [], `not exercised in __test__/types: ${missing.join(', ')}`)
})

test('tsc --noEmit --strict accepts the usage files, and every @ts-expect-error is an error', () => {
  const tsc = require.resolve('typescript/bin/tsc')
  const result = spawnSync(process.execPath, [tsc, '-p', '__test__/types/tsconfig.json', '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8' })
  assert.equal(result.status, 0, `tsc failed:\n${result.stdout}${result.stderr}`)
  assert.equal(result.stdout, '')
})
