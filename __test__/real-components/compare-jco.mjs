// Calls the same functions through jco's transpiled output of a component and through
// runtime-wasm, and prints where the results differ (Node 20 needs
// --experimental-wasm-extended-const for the componentize-py and componentize-js outputs).
//
//   node --experimental-wasm-extended-const compare-jco.mjs build/py-types.wasm build/jco/py-types/py-types.js
import { isDeepStrictEqual, inspect } from 'node:util'
import { pathToFileURL } from 'node:url'
import { compileFile, instantiate, WasmError, ErrorCode } from '../../index.mjs'
const [file, jcoJs] = process.argv.slice(2)
let gen = 0
let jco = await import(pathToFileURL(jcoJs).href)
const id = await compileFile(file)
const mk = () => instantiate(id, { imports: { 'test:types/host': {
  log(m) {}, fetchValue(k) { if (k === 'missing') throw new WasmError(ErrorCode.CallError, 'nf', { payload: `no ${k}` }); return `value of ${k}` }, addOne: (x) => x + 1n, tick: (n) => n * 2 } }, stdout: 'pipe', stderr: 'pipe' })
let inst = await mk()
const camel = (s) => s.replace(/-([a-z])/g, (_, c) => c.toUpperCase())
const point = { x: 1, y: -2, labelText: 'lbl' }
const cases = [
  ['greet', ['Ada']], ['add', [2147483647, 1]],
  ['echo-bool', [true]], ['echo-s8', [-128]], ['echo-u8', [255]], ['echo-s16', [-1]], ['echo-u16', [65535]], ['echo-s32', [-5]], ['echo-u32', [4294967295]],
  ['echo-s64', [-(2n ** 63n)]], ['echo-u64', [2n ** 64n - 1n]], ['echo-u64', [7n]],
  ['echo-f32', [0.1]], ['echo-f32', [-0]], ['echo-f32', [NaN]], ['echo-f32', [1e40]], ['echo-f64', [-0]], ['echo-f64', [NaN]], ['echo-f64', [5e-324]],
  ['echo-char', ['🌍']], ['echo-char', ['a']], ['echo-string', ['héllo 🌍']], ['echo-string', ['a\ud800b']], ['echo-string', ['']],
  ['echo-bytes', [new Uint8Array([1, 2, 255])]], ['echo-bytes', [new Uint8Array()]], ['echo-nums', [new Uint32Array([0, 4294967295])]], ['echo-strings', [['a', '', 'ç']]],
  ['echo-point', [point]], ['echo-shape', [{ tag: 'circle', val: 2.5 }]], ['echo-shape', [{ tag: 'rect', val: point }]], ['echo-shape', [{ tag: 'empty' }]],
  ['echo-color', ['blue-ish']], ['echo-perms', [{ read: true, execAll: true }]], ['echo-perms', [{}]],
  ['echo-option', [5]], ['echo-option', [undefined]], ['echo-option', [0]],
  ['echo-nested', [{ tag: 'some', val: 'x' }]], ['echo-nested', [{ tag: 'some', val: undefined }]], ['echo-nested', [{ tag: 'none' }]], ['echo-nested', [undefined]],
  ['echo-tuple', [[7, 'seven', false]]],
  ['echo-bag', [{ items: [point], tags: ['t'], bytes: new Uint8Array([9]), nums: new Uint32Array([1]), floats: new Float64Array([0.5]), big: new BigInt64Array([-1n]), maybe: 'here', pair: [8, 'eight'] }]],
  ['echo-bag', [{ items: [], tags: [], bytes: new Uint8Array(), nums: new Uint32Array(), floats: new Float64Array(), big: new BigInt64Array(), maybe: undefined, pair: [0, ''] }]],
  ['describe', [point, 'blue-ish', 1.5]], ['checked-div', [7, 2]], ['checked-div', [1, 0]], ['try-unit', [false]], ['try-unit', [true]],
  ['call-host', ['k']], ['call-host', ['missing']], ['host-add', [40n]], ['host-ticks', [10]],
]
const settle = async (fn) => { try { return { ok: await fn() } } catch (e) { if (e?.payload !== undefined) return { err: e.payload }; const m = String(e?.message ?? e); return /trap|unreachable|cannot enter/i.test(m) ? { trap: m.split('\n')[0].slice(0, 80) } : { threw: m.split('\n')[0].slice(0, 100) } } }
let diffs = 0
for (const [name, args] of cases) {
  const top = name === 'greet' || name === 'add'
  const ours = await settle(() => inst.call(top ? name : `test:types/api#${name}`, ...args))
  const theirs = await settle(() => (top ? jco[camel(name)] : jco.api[camel(name)])(...args))
  const same = isDeepStrictEqual(ours, theirs) || (ours.trap && theirs.trap)
  if (ours.trap || theirs.trap) { await inst.drop(); inst = await mk(); jco = await import(pathToFileURL(jcoJs).href + '?' + ++gen) }
  if (!same) diffs++
  console.log(`${same ? 'same' : 'DIFF'} ${name}(${inspect(args, { breakLength: Infinity })}) ours=${inspect(ours, { breakLength: Infinity })}${same ? '' : ' jco=' + inspect(theirs, { breakLength: Infinity })}`)
}
console.log(`${diffs} differences`)
await inst.drop()
process.exit(0)
