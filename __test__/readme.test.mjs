// The README as a new user reads it: its quick start runs and prints what its comments say,
// its command lines work, it documents every exported name, and its links lead somewhere.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The fenced code blocks of one section (from its heading to the next heading of that level). */
function blocks(heading, language) {
  const start = README.indexOf(`\n${heading}\n`)
  assert.ok(start >= 0, `README has a "${heading}" section`)
  const level = heading.match(/^#+/)[0]
  const rest = README.slice(start + heading.length + 2)
  const end = rest.search(new RegExp(`\\n${level} `))
  const section = end === -1 ? rest : rest.slice(0, end)
  return [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].filter(([, lang]) => lang === language).map(([, , code]) => code)
}

function node(args) {
  return spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DEBUG: '', NODE_DEBUG: '' } })
}

test('the quick start runs as written and prints what its comments say', () => {
  const [esm, cjs] = blocks('## Quick start', 'js')
  const fromEsm = node(['--input-type=module', '-e', esm])
  assert.equal(fromEsm.status, 0, fromEsm.stderr)
  assert.equal(fromEsm.stdout, '8\n9000000000000000000n\n')
  const fromCjs = node(['--input-type=commonjs', '-e', cjs])
  assert.equal(fromCjs.status, 0, fromCjs.stderr)
  assert.equal(fromCjs.stdout, '[ 3 ]\nCallError integer divide by zero\n')
})

test('the command lines shown for a clone work', () => {
  const lines = blocks('## Examples', 'sh').flatMap((code) => code.split('\n')).filter((line) => line.startsWith('./bin/runtime-wasm.js '))
  assert.ok(lines.length >= 2)
  for (const line of lines) {
    const result = spawnSync('sh', ['-c', line], { cwd: ROOT, encoding: 'utf8' })
    assert.equal(result.status, 0, `${line}\n${result.stderr}`)
    assert.notEqual(result.stdout, '')
  }
})

test('every exported name is documented', () => {
  for (const name of Object.keys(require('../index.js'))) {
    assert.match(README, new RegExp(`\\b${name}\\b`), `README mentions ${name}`)
  }
})

test('links to sections and files lead somewhere', () => {
  const slug = (heading) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')
  const anchors = new Set([...README.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => slug(heading)))
  for (const [, target] of README.matchAll(/\]\(([^)]+)\)/g)) {
    if (/^https?:/.test(target)) continue
    if (target.startsWith('#')) assert.ok(anchors.has(target.slice(1)), `a heading for ${target}`)
    else assert.ok(existsSync(fileURLToPath(new URL(`../${target}`, import.meta.url))), `the file ${target}`)
  }
})
