// `runtime-wasm inspect` and `runtime-wasm types` on components, run as a user runs them: a
// child process of bin/runtime-wasm.js, on the committed fixtures (fixtures/components/). The
// declarations `types` writes are type-checked with the TypeScript compiler of the dev
// dependencies, together with a file that uses them as an app would.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import * as api from '../index.mjs'

const require = createRequire(import.meta.url)
const { componentDts } = require('../lib/component-dts.js')

const BIN = fileURLToPath(new URL('../bin/runtime-wasm.js', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const FIXTURES = join(ROOT, '__test__', 'fixtures', 'components')
const TYPES = join(FIXTURES, 'types.wasm')
const COMMAND = join(FIXTURES, 'command.wasm')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

// The children run in an empty directory (no manifest.app.toml of the repository applies) and
// compile into a cache of their own.
const work = mkdtempSync(join(tmpdir(), 'runtime-wasm-cli-components-'))
after(() => rmSync(work, { recursive: true, force: true }))
const ENV = { DEBUG: '', NODE_DEBUG: '', RUNTIME_WASM_CACHE_DIR: join(work, 'cache') }

/** Runs a command; resolves { status, stdout, stderr }. */
function run(command, args, { cwd = work } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

const cli = (args) => run(process.execPath, [BIN, ...args])

function file(name, content) {
  const path = join(work, name)
  writeFileSync(path, content)
  return path
}

describe('inspect on a component', { concurrency: 2 }, () => {
  test('prints the world of types.wasm in WIT, an interface\'s resources first', async () => {
    const { status, stdout, stderr } = await cli(['inspect', TYPES])
    assert.equal(status, 0, stderr)
    assert.equal(stderr, '')
    const lines = stdout.split('\n')
    assert.deepEqual(lines.slice(0, 7), [
      `component ${TYPES}`,
      'world {',
      '  import test:types/host: interface {',
      '    log: func(msg: string);',
      '    fetch-value: func(key: string) -> result<string, string>;',
      '    add-one: func(x: u64) -> u64;',
      '    tick: func(n: u32) -> u32;',
    ])
    // The host interface goes on (host-echo-*, host-check) until its closing line.
    const hostEnd = lines.indexOf('  }')
    assert.ok(lines.slice(7, hostEnd).every((line) => /^    host-(echo-[a-z]+|check): func\(/.test(line)), lines.slice(7, hostEnd).join('\n'))
    lines.splice(7, hostEnd - 7)
    assert.deepEqual(lines.slice(8, 18), [
      '  export greet: func(name: string) -> string;',
      '  export add: func(a: s32, b: s32) -> s32;',
      '  export test:types/api: interface {',
      '    resource counter {',
      '      constructor(start: u32);',
      '      increment: func(by: u32) -> u32;',
      '      value: func() -> u32;',
      '      merge: static func(a: borrow<counter>, b: borrow<counter>) -> counter;',
      '    }',
      '    echo-bool: func(v: bool) -> bool;',
    ])
    for (const line of [
      '    echo-bytes: func(v: list<u8>) -> list<u8>;',
      '    echo-point: func(v: record { x: s32, y: s32, label-text: string }) -> record { x: s32, y: s32, label-text: string };',
      '    echo-nested: func(v: option<option<string>>) -> option<option<string>>;',
      '    try-unit: func(fail: bool) -> result<_, enum { red, green, blue-ish }>;',
      '    sum-counter: func(c: borrow<counter>) -> u32;',
      '    make-counters: func(n: u32) -> list<counter>;',
    ]) {
      assert.ok(lines.includes(line), `has ${line}`)
    }
    assert.ok(!stdout.includes('[method]'), 'resource functions are shown inside their resource')
    assert.ok(stdout.endsWith('    via-host-check: func(v: result<u32, string>) -> result<u32, string>;\n  }\n}\n'))
  })

  test('--json gives { file, kind, imports, exports } as componentWorld() describes them', async () => {
    const { status, stdout, stderr } = await cli(['inspect', '--json', TYPES])
    assert.equal(status, 0, stderr)
    const info = JSON.parse(stdout)
    assert.equal(info.kind, 'component')
    assert.equal(info.file, TYPES)
    const id = await api.compileFile(TYPES)
    assert.deepEqual({ imports: info.imports, exports: info.exports }, api.componentWorld(id))
    await api.dropModule(id)
    const host = info.imports.find((item) => item.name === 'test:types/host')
    assert.deepEqual(host.functions[1], {
      name: 'fetch-value',
      params: [{ name: 'key', type: { kind: 'string' } }],
      result: { kind: 'result', ok: { kind: 'string' }, err: { kind: 'string' } },
      wit: 'func(key: string) -> result<string, string>',
    })
    assert.deepEqual(info.exports.find((item) => item.name === 'test:types/api').resources, ['counter'])
  })

  test('a command component shows its WASI imports and its wasi:cli/run export', async () => {
    const { status, stdout, stderr } = await cli(['inspect', COMMAND])
    assert.equal(status, 0, stderr)
    assert.match(stdout, /^component .*command\.wasm\nworld \{\n {2}import wasi:cli\/environment@0\.2\.\d+: interface \{\n {4}get-environment: func\(\) -> list<tuple<string, string>>;\n/)
    assert.match(stdout, /\n {2}import wasi:io\/streams@0\.2\.\d+: interface \{\n(?: {4}resource [a-z-]+;\n)* {4}resource output-stream \{\n {6}check-write: func\(\) -> result<u64, variant \{ last-operation-failed\(error\), closed \}>;\n/)
    assert.match(stdout, /\n {2}export wasi:cli\/run@0\.2\.\d+: interface \{\n {4}run: func\(\) -> result;\n {2}\}\n\}\n$/)
    const json = await cli(['inspect', COMMAND, '--json'])
    assert.equal(json.status, 0, json.stderr)
    const info = JSON.parse(json.stdout)
    assert.equal(info.kind, 'component')
    assert.equal(info.exports.length, 1)
    assert.match(info.exports[0].name, /^wasi:cli\/run@0\.2\.\d+$/)
    assert.deepEqual(info.exports[0].functions, [{ name: 'run', params: [], result: { kind: 'result', ok: null, err: null }, wit: 'func() -> result' }])
    assert.ok(info.imports.every((item) => item.kind === 'interface' && item.name.startsWith('wasi:')))
  })
})

describe('types', { concurrency: 2 }, () => {
  test('declares call() for each export with jco\'s representations, resources and the imports', async () => {
    const { status, stdout, stderr } = await cli(['types', TYPES])
    assert.equal(status, 0, stderr)
    assert.equal(stderr, '')
    const point = '{ x: number; y: number; labelText: string }'
    for (const line of [
      "import type { CallOptions, Instance } from 'runtime-wasm'",
      "export interface TypesComponent extends Omit<Instance, 'call' | 'invoke' | 'callSync' | 'memory'> {",
      "  call(fn: 'greet', name: string): Promise<string>",
      "  call(fn: 'add', a: number, b: number): Promise<number>",
      "  call(fn: 'test:types/api#echo-string', v: string): Promise<string>",
      "  call(fn: 'test:types/api#echo-u64', v: bigint): Promise<bigint>",
      "  call(fn: 'test:types/api#echo-bytes', v: Uint8Array): Promise<Uint8Array>",
      "  call(fn: 'test:types/api#echo-nums', v: Uint32Array): Promise<Uint32Array>",
      "  call(fn: 'test:types/api#echo-strings', v: Array<string>): Promise<Array<string>>",
      `  call(fn: 'test:types/api#echo-point', v: ${point}): Promise<${point}>`,
      `  call(fn: 'test:types/api#echo-shape', v: { tag: 'circle'; val: number } | { tag: 'rect'; val: ${point} } | { tag: 'empty' }): Promise<{ tag: 'circle'; val: number } | { tag: 'rect'; val: ${point} } | { tag: 'empty' }>`,
      "  call(fn: 'test:types/api#echo-color', v: 'red' | 'green' | 'blue-ish'): Promise<'red' | 'green' | 'blue-ish'>",
      "  call(fn: 'test:types/api#echo-perms', v: { read?: boolean; write?: boolean; execAll?: boolean }): Promise<{ read?: boolean; write?: boolean; execAll?: boolean }>",
      "  call(fn: 'test:types/api#echo-option', v: number | undefined): Promise<number | undefined>",
      "  call(fn: 'test:types/api#echo-nested', v: { tag: 'some'; val: string | undefined } | { tag: 'none' }): Promise<{ tag: 'some'; val: string | undefined } | { tag: 'none' }>",
      "  call(fn: 'test:types/api#echo-tuple', v: [number, string, boolean]): Promise<[number, string, boolean]>",
      "  call(fn: 'test:types/api#checked-div', a: number, b: number): Promise<number>",
      "  call(fn: 'test:types/api#try-unit', fail: boolean): Promise<void>",
      "  call(fn: 'test:types/api#spin'): Promise<void>",
      "  call(fn: 'test:types/api#[constructor]counter', start: number): Promise<Counter>",
      "  call(fn: 'test:types/api#[static]counter.merge', a: Counter, b: Counter): Promise<Counter>",
      "  call(fn: 'test:types/api#sum-counter', c: Counter): Promise<number>",
      "  call(fn: 'test:types/api#make-counters', n: number): Promise<Array<Counter>>",
      "  invoke(fn: 'test:types/api#checked-div', args: [a: number, b: number], options?: CallOptions | null): Promise<number>",
      'export interface Counter {',
      "  readonly resource: 'counter'",
      '  increment(by: number): Promise<number>',
      '  value(): Promise<number>',
      '  drop(): Promise<void>',
      '  [Symbol.asyncDispose](): Promise<void>',
      'export interface TestTypesHostImports {',
      '  log(msg: string): void | Promise<void>',
      '  fetchValue(key: string): string | Promise<string>',
      '  addOne(x: bigint): bigint | Promise<bigint>',
      'export interface Imports {',
      "  'test:types/host': TestTypesHostImports",
    ]) {
      assert.ok(stdout.split('\n').includes(line), `has the line ${line}`)
    }
    assert.match(stdout, /big: BigInt64Array; maybe: string \| undefined; pair: \[number, string\]/)
    assert.match(stdout, /\/\*\* func\(a: s32, b: s32\) -> result<s32, string> \(an err rejects/)
  })

  test('-o writes the same declarations to a file, and nothing to stdout', async () => {
    const out = join(work, 'out-types.d.ts')
    const written = await cli(['types', TYPES, '-o', out])
    assert.equal(written.status, 0, written.stderr)
    assert.equal(written.stdout, '')
    assert.equal(readFileSync(out, 'utf8'), (await cli(['types', TYPES])).stdout)
    const command = await cli(['types', '--output', join(work, 'out-command.d.ts'), COMMAND])
    assert.equal(command.status, 0, command.stderr)
    const text = readFileSync(join(work, 'out-command.d.ts'), 'utf8')
    assert.match(text, /\n {2}call\(fn: 'wasi:cli\/run@0\.2\.\d+#run'\): Promise<void>\n/)
    assert.match(text, /\nexport interface Imports \{\n\}\n$/, 'WASI imports are not the host\'s to give')
  })

  test('the declarations pass tsc --strict, with a program that uses them', { skip: !existsSync(TSC) && 'typescript is not installed' }, async () => {
    const dir = mkdtempSync(join(work, 'tsc-'))
    for (const [name, wasm] of [['types', TYPES], ['command', COMMAND]]) {
      const { status, stderr } = await cli(['types', wasm, '-o', join(dir, `${name}.d.ts`)])
      assert.equal(status, 0, stderr)
    }
    writeFileSync(join(dir, 'edge.d.ts'), componentDts(EDGE_WORLD, { name: 'edge-cases' }))
    writeFileSync(join(dir, 'use.ts'), USE)
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: [],
        skipLibCheck: false,
        exactOptionalPropertyTypes: true,
        paths: { 'runtime-wasm': [join(ROOT, 'index.d.ts')] },
      },
      files: ['types.d.ts', 'command.d.ts', 'edge.d.ts', 'use.ts'],
    }))
    const { status, stdout, stderr } = await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')])
    assert.equal(status, 0, `${stdout}${stderr}\n${readFileSync(join(dir, 'edge.d.ts'), 'utf8')}`)
  })

  test('WIT beyond the fixture: maps, fixed lists, deep options, nested results, odd names', () => {
    const text = componentDts(EDGE_WORLD, { name: 'edge-cases' })
    const lines = text.split('\n')
    for (const line of [
      "  call(fn: 'pairs', m: Array<[string, bigint]>, f: Float32Array): Promise<Array<[number, string]>>",
      "  call(fn: 'deep', v: { tag: 'some'; val: { tag: 'some'; val: number | undefined } | { tag: 'none' } } | { tag: 'none' }): Promise<void>",
      "  call(fn: 'nested-result', class_: { tag: 'ok' } | { tag: 'err'; val: string }, fn_: string): Promise<{ tag: 'ok'; val: Thing } | { tag: 'err' }>",
      'export interface EdgeCasesComponent extends Omit<Instance, \'call\' | \'invoke\' | \'callSync\' | \'memory\'> {',
      'export interface Thing {',
      '  doIt(default_: number): Promise<void>',
      'export type Handle = object',
      'export interface MyPkgHostImports {',
      '  fetchHandle(): Handle | Promise<Handle>',
      '  topLevel(new_: string): void | Promise<void>',
      "  'my:pkg/host@1.0.0': MyPkgHostImports",
    ]) {
      assert.ok(lines.includes(line), `has the line ${line}\n${text}`)
    }
    assert.ok(!text.includes('wasi:cli'), 'no WASI interface among the imports')
    assert.ok(lines.every((line) => !line.includes('*/') || (line.endsWith(' */') && line.indexOf('*/') === line.length - 2)), 'a */ in a name does not end a comment early')
    assert.ok(!lines.includes('export interface Array {'), 'no declaration shadows a global it uses')
    assert.ok(lines.includes('export interface Array2 {'))
  })
})

describe('help and bad input', { concurrency: 2 }, () => {
  test('--help texts describe types and components', async () => {
    const main = await cli(['--help'])
    assert.equal(main.status, 0)
    assert.match(main.stdout, /\n {2}types FILE \[-o OUT\.d\.ts\] +Write TypeScript types for calling a component\n/)
    assert.match(main.stdout, /or a component's world in WIT/)
    const types = await cli(['help', 'types'])
    assert.equal(types.status, 0)
    assert.match(types.stdout, /^Usage: runtime-wasm types FILE \[-o OUT\.d\.ts\]\n/)
    for (const text of ['-o, --output OUT.d.ts', 'TypesComponent', 'Imports', 'Uint8Array', 'Exit status']) assert.ok(types.stdout.includes(text), text)
    assert.deepEqual(await cli(['types', '-h']).then((r) => [r.status, r.stdout]), [0, types.stdout])
    const inspect = await cli(['inspect', '--help'])
    assert.match(inspect.stdout, /When FILE is a component/)
    assert.match(inspect.stdout, /\{ file, kind: "component", imports, exports \}/)
  })

  test('usage errors exit 2 with the hint', async () => {
    for (const [args, message] of [
      [['types'], /types needs a component \.wasm file/],
      [['types', 'a.wasm', 'b.wasm'], /types takes one file/],
      [['types', 'a.wasm', '-o'], /--output needs a value/],
      [['types', 'a.wasm', '--json'], /unknown option --json/],
    ]) {
      const { status, stdout, stderr } = await cli(args)
      assert.equal(status, 2, args.join(' '))
      assert.equal(stdout, '')
      assert.match(stderr, message)
      assert.match(stderr, /\nRun "runtime-wasm help types" for the options\.\n$/)
    }
  })

  test('a broken component, a module given to types, a missing file: one line, status 1', async () => {
    const truncated = file('truncated-component.wasm', readFileSync(TYPES).subarray(0, 300))
    const module = file('core.wasm', Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]))
    const textModule = file('core.wat', '(module)\n')
    const garbage = file('garbage.txt', 'not wasm at all\nsecond line\n')
    const badVersion = file('version.wasm', Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00]))
    const cases = [
      [['inspect', truncated], /^runtime-wasm: .*truncated-component\.wasm: invalid WebAssembly component: .*(out of bounds|unexpected end-of-file)/],
      [['inspect', '--json', truncated], /^runtime-wasm: .*truncated-component\.wasm: invalid WebAssembly component: /],
      [['inspect', badVersion], /^runtime-wasm: .*version\.wasm: .*unknown binary version/],
      [['types', truncated], /^runtime-wasm: .*truncated-component\.wasm: invalid WebAssembly component: /],
      [['types', module], /^runtime-wasm: .*core\.wasm is a core WebAssembly module, not a component/],
      [['types', textModule], /^runtime-wasm: .*core\.wat is a core WebAssembly module, not a component/],
      [['types', garbage], /^runtime-wasm: .*garbage\.txt: /],
      [['types', join(work, 'nope.wasm')], /^runtime-wasm: .*nope\.wasm: cannot read the file/],
      [['types', TYPES, '-o', join(work, 'no-such-dir', 'x.d.ts')], /^runtime-wasm: .*x\.d\.ts: cannot write the declarations/],
    ]
    for (const [args, message] of cases) {
      const { status, stdout, stderr } = await cli(args)
      assert.equal(status, 1, `${args.join(' ')}: ${stderr}`)
      assert.equal(stdout, '', args.join(' '))
      assert.match(stderr, message, args.join(' '))
      assert.equal(stderr.split('\n').length, 2, `one line: ${JSON.stringify(stderr)}`)
    }
  })
})

// A world with what types.wasm lacks: maps, fixed lists, an option three deep, a result inside
// a result, parameters named like keywords (and like call's own `fn`), a world-level resource,
// a resource only the imports hand over, and a resource whose name is a global's.
const ty = (kind, rest = {}) => ({ kind, ...rest })
const fn = (name, params, result, wit = 'func()') => ({ name, params: params.map(([n, t]) => ({ name: n, type: t })), result, wit })
const EDGE_WORLD = {
  imports: [
    {
      kind: 'interface',
      name: 'my:pkg/host@1.0.0',
      functions: [fn('fetch-handle', [], ty('own', { resource: 'handle' }), 'func() -> handle')],
      resources: ['handle'],
    },
    { kind: 'interface', name: 'wasi:cli/environment@0.2.12', functions: [fn('get-arguments', [], ty('list', { element: ty('string') }))], resources: [] },
    { kind: 'function', ...fn('top-level', [['new', ty('string')]], null) },
    { kind: 'other', name: 'core', what: 'core module' },
  ],
  exports: [
    { kind: 'function', ...fn('pairs', [['m', ty('map', { key: ty('string'), value: ty('u64') })], ['f', ty('fixed-list', { element: ty('f32'), length: 4 })]], ty('list', { element: ty('tuple', { types: [ty('u8'), ty('char')] }) })) },
    { kind: 'function', ...fn('deep', [['v', ty('option', { some: ty('option', { some: ty('option', { some: ty('u8') }) }) })]], null) },
    {
      kind: 'function',
      ...fn('nested-result', [['class', ty('result', { ok: null, err: ty('string') })], ['fn', ty('string')]], ty('result', { ok: ty('result', { ok: ty('own', { resource: 'thing' }), err: null }), err: ty('string') }), 'func(class: result<_, string>, fn: string) -> result<result<thing>, string> */'),
    },
    { kind: 'function', ...fn('[constructor]thing', [], ty('own', { resource: 'thing' })) },
    { kind: 'function', ...fn('[method]thing.do-it', [['self', ty('borrow', { resource: 'thing' })], ['default', ty('s16')]], null) },
    { kind: 'function', ...fn('stream-of', [], ty('stream')) },
    { kind: 'interface', name: 'my:pkg/arrays', functions: [fn('[constructor]array', [], ty('own', { resource: 'array' }))], resources: ['array'] },
  ],
}

// An app using the generated declarations: the right calls compile, wrong ones must not.
const USE = `
import type { Counter, Imports, TypesComponent } from './types.js'
import type { CommandComponent } from './command.js'
import type { EdgeCasesComponent } from './edge.js'

export async function use(plugin: TypesComponent, command: CommandComponent, edge: EdgeCasesComponent): Promise<void> {
  const greeting: string = await plugin.call('greet', 'Ada')
  const bytes: Uint8Array = await plugin.call('test:types/api#echo-bytes', new Uint8Array([1, 2]))
  const point = await plugin.call('test:types/api#echo-point', { x: 1, y: 2, labelText: 'p' })
  const label: string = point.labelText
  const shape = await plugin.call('test:types/api#echo-shape', { tag: 'rect', val: point })
  const radius: number | undefined = shape.tag === 'circle' ? shape.val : undefined
  const color: 'red' | 'green' | 'blue-ish' = await plugin.call('test:types/api#echo-color', 'blue-ish')
  const perms = await plugin.call('test:types/api#echo-perms', { execAll: true })
  const nested = await plugin.call('test:types/api#echo-nested', { tag: 'none' })
  const inner: string | undefined = nested?.tag === 'some' ? nested.val : undefined
  const quotient: number = await plugin.invoke('test:types/api#checked-div', [6, 3], { timeoutMs: 100 })
  const counter: Counter = await plugin.call('test:types/api#[constructor]counter', 5)
  const value: number = await counter.increment(2)
  const counters: Counter[] = await plugin.call('test:types/api#make-counters', 3)
  await counter.drop()
  await plugin.drop()
  await command.call('wasi:cli/run@0.2.12#run')
  const things = await edge.call('nested-result', { tag: 'err', val: 'e' }, 'x')
  if (things.tag === 'ok') await things.val.doIt(1)
  const imports: Imports = {
    'test:types/host': {
      hostEchoPoint: (v) => v,
      hostEchoShape: (v) => v,
      hostEchoColor: (v) => v,
      hostEchoPerms: (v) => v,
      hostEchoBag: (v) => v,
      hostEchoNested: (v) => v,
      hostEchoTuple: (v) => v,
      hostEchoNumbers: (a, b, c, d, e, f) => [a, b, c, d, e, f],
      hostEchoLists: (a, b, c, d) => [a, b, c, d],
      hostCheck: (v) => (v.tag === 'ok' ? v.val : 0),
      log(msg) { void msg },
      async fetchValue(key) { return key },
      addOne: (x) => x + 1n,
      tick: (n) => n * 2,
    },
  }
  void [greeting, bytes, label, radius, color, perms.read, inner, quotient, value, counters, imports]

  // @ts-expect-error a number is not a string
  await plugin.call('greet', 5)
  // @ts-expect-error no such export
  await plugin.call('greeting', 'Ada')
  // @ts-expect-error a u64 is a bigint
  await plugin.call('test:types/api#echo-u64', 5)
  // @ts-expect-error record keys are camelCase
  await plugin.call('test:types/api#echo-point', { x: 1, y: 2, 'label-text': 'p' })
  // @ts-expect-error not a case of the enum
  await plugin.call('test:types/api#echo-color', 'blue')
  // @ts-expect-error callSync is for modules
  plugin.callSync('greet', 'Ada')
  // @ts-expect-error a host function of the wrong type
  const wrong: Imports = { 'test:types/host': { log() {}, fetchValue: (key: number) => key, addOne: (x) => x, tick: (n) => n } }
  void wrong
}
`

test('types: a resource the component imports is declared as the class the host gives', async () => {
  const id = await api.compile(`(component
    (import "my:pkg/store" (instance
      (export "kv" (type $kv (sub resource)))
      (export "[constructor]kv" (func (param "seed" u32) (result (own $kv))))
      (export "[method]kv.get" (func (param "self" (borrow $kv)) (param "key" u32) (result u32)))
      (export "[static]kv.total" (func (result u32)))
      (export "echo" (func (param "k" (own $kv)) (result (own $kv)))))))`)
  const text = componentDts(api.componentWorld(id), { name: 'store' })
  assert.match(text, /Kv: \{ new \(seed: number\): \{ get\(key: number\): number \| Promise<number> \}; total\(\): number \| Promise<number> \}/)
  assert.match(text, /echo\(k: Kv\): Kv \| Promise<Kv>/)
  await api.dropModule(id)
})
