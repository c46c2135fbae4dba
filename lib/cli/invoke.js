'use strict'
// `run --invoke NAME FILE [ARGS...]`: calls the exported function NAME instead of _start (for
// reactors, whose _initialize instantiate() has already run), with ARGS read by the function's
// parameter types, and prints its results one per line, as `wasmtime run --invoke` does:
//
//   i32, i64, v128   a decimal integer, or hexadecimal with 0x (a leading - or + allowed), from
//                    the signed minimum to the unsigned maximum of the type (0xffffffff is -1)
//   f32, f64         a decimal number (1, -2.5, 1e-3, .5), inf, -inf or nan
//
// Results are printed as wasmtime prints them: integers in decimal (signed, v128 unsigned),
// floats in their shortest form without an exponent (0.1, 100000000000000000000, NaN, inf),
// references as <funcref> or <null funcref>.

const { UsageError } = require('./args.js')
const { printable } = require('./printable.js')

const INTEGER_BITS = Object.freeze({ i32: 32, i64: 64, v128: 128 })
const FLOATS = new Set(['f32', 'f64'])
/** How many of a module's functions a "no such export" message names. */
const NAMED = 10

/**
 * The signature of the function export `name`, or why it cannot be invoked from the command
 * line (no such export, not a function, a parameter that is a reference).
 *
 * @param {Array<{ name: string, kind: string, params?: string[], results?: string[] }>} exports
 *   from instance.getExports()
 * @returns {{ params: string[], results: string[] } | { problem: string }}
 */
function signatureOf(exports, name) {
  const entry = exports.find((candidate) => candidate.name === name)
  if (entry === undefined) return { problem: `--invoke ${printable(name)}: the module exports no function of that name; ${functionList(exports)}` }
  if (entry.kind !== 'function') return { problem: `--invoke ${printable(name)}: the export is a ${entry.kind}, not a function; ${functionList(exports)}` }
  const reference = entry.params.findIndex((type) => !Object.hasOwn(INTEGER_BITS, type) && !FLOATS.has(type))
  if (reference !== -1) {
    return { problem: `--invoke ${printable(name)}: parameter ${reference + 1} is a ${entry.params[reference]}; only numbers (i32, i64, f32, f64, v128) can be given on the command line` }
  }
  return { params: entry.params, results: entry.results }
}

function functionList(exports) {
  const names = exports.filter((entry) => entry.kind === 'function').map((entry) => printable(entry.name))
  if (names.length === 0) return 'it exports no functions'
  const more = names.length > NAMED ? ` and ${names.length - NAMED} more` : ''
  return `its functions are ${names.slice(0, NAMED).join(', ')}${more}`
}

/**
 * ARGS as the values of the parameters `params` (a Number for i32, f32 and f64, a BigInt for
 * i64 and v128), in the form instance.call() takes them.
 *
 * @throws {UsageError} for the wrong number of arguments or one that is not of its type
 */
function invokeArguments(name, params, texts) {
  if (texts.length !== params.length) {
    const signature = params.length === 0 ? 'no arguments' : `${params.length} argument${params.length === 1 ? '' : 's'} (${params.join(' ')})`
    throw new UsageError(`--invoke ${printable(name)} takes ${signature}, but ${texts.length} ${texts.length === 1 ? 'was' : 'were'} given after the file`)
  }
  return params.map((type, i) => {
    const value = FLOATS.has(type) ? float(texts[i]) : integer(texts[i], INTEGER_BITS[type])
    if (value === undefined) {
      throw new UsageError(`--invoke ${printable(name)}: argument ${i + 1}, ${JSON.stringify(texts[i])}, is not ${describeType(type)}`)
    }
    return type === 'i32' ? Number(value) : value
  })
}

function describeType(type) {
  if (FLOATS.has(type)) return `an ${type} (a decimal number such as -2.5 or 1e-3, inf, -inf or nan)`
  const bits = BigInt(INTEGER_BITS[type])
  return `${type === 'v128' ? 'a' : 'an'} ${type} (an integer from ${-(2n ** (bits - 1n))} to ${2n ** bits - 1n}, decimal or 0x hexadecimal)`
}

/** An integer of `bits` bits, signed or unsigned, as a BigInt; undefined if it is not one. */
function integer(text, bits) {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|\d+)$/.exec(text)
  if (match === null) return undefined
  const magnitude = BigInt(match[2])
  const value = match[1] === '-' ? -magnitude : magnitude
  const limit = 2n ** BigInt(bits)
  return value >= -(limit / 2n) && value < limit ? value : undefined
}

/** A float as Rust (and so wasmtime) reads one; undefined if it is not one. */
function float(text) {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text)
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text)
  if (special === null) return undefined
  if (special[2].toLowerCase() === 'nan') return NaN
  return special[1] === '-' ? -Infinity : Infinity
}

/** The results, one line each, as wasmtime prints them. */
function formatResults(values, types) {
  return values.map((value, i) => `${formatValue(value, types[i])}\n`).join('')
}

function formatValue(value, type) {
  if (type === 'f32' || type === 'f64') return formatFloat(value, type === 'f32')
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (value === null) return `<null ${type}>`
  return `<${value?.type ?? type}>`
}

// Rust's Display for floats: the shortest digits that read back as the same value, never in
// exponent notation.
function formatFloat(value, isF32) {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return 'inf'
  if (value === -Infinity) return '-inf'
  if (Object.is(value, -0)) return '-0'
  return withoutExponent(isF32 ? shortestF32(value) : String(value))
}

// The shortest decimal that rounds to the same f32 (String() gives the shortest for an f64).
function shortestF32(value) {
  for (let digits = 1; digits < 9; digits++) {
    const text = value.toPrecision(digits)
    if (Math.fround(Number(text)) === value) return String(Number(text))
  }
  return String(Number(value.toPrecision(9)))
}

// "1e+21" -> "1000000000000000000000", "1.5e-7" -> "0.00000015"; other text as it is.
function withoutExponent(text) {
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text)
  if (match === null) return text
  const [, sign, first, rest = '', exponent] = match
  const digits = first + rest
  const point = 1 + Number(exponent) // where the decimal point goes in `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

module.exports = { signatureOf, invokeArguments, formatResults, formatValue, integer, float }
