'use strict'
// `run --invoke NAME FILE [ARGS...]` for a component: NAME is a function the world exports
// (`greet`) or one of an exported interface (`my:pkg/api#transform`); each argument is read by
// its WIT type: a string or char as it is, bool as true or false, integers and floats as
// `--invoke` reads them for modules (decimal or 0x hexadecimal; inf, nan), in the type's exact
// range (64-bit integers as BigInts), an enum as its case name, anything else as JSON in the
// API's representation (records as objects with camelCase keys, lists as arrays, variants as
// { "tag": ..., "val": ... }). The result is printed on one line: a string as it is, numbers
// and booleans as text, anything else as JSON (64-bit integers as numbers when exact).

const { UsageError } = require('./args.js')
const { printable } = require('./printable.js')
const { formatValue, integer, float } = require('./invoke.js')

/** The integer types by bits and signedness: WIT's ranges are exact (no bit patterns). */
const INTEGERS = Object.freeze({ s8: [8, true], u8: [8, false], s16: [16, true], u16: [16, false], s32: [32, true], u32: [32, false], s64: [64, true], u64: [64, false] })

/** The function `name` among a component instance's exports, or why it cannot be invoked. */
function componentSignatureOf(exports, name) {
  const functions = exports.flatMap((item) => (item.kind === 'function' ? [item] : item.kind === 'interface' ? item.functions.map((f) => ({ ...f, name: `${item.name}#${f.name}` })) : []))
  const found = functions.find((f) => f.name === name)
  if (found !== undefined) return found
  const names = functions.slice(0, 10).map((f) => printable(f.name))
  const more = functions.length > 10 ? ` and ${functions.length - 10} more` : ''
  return { problem: `--invoke ${printable(name)}: the component exports no function of that name; its functions are ${names.join(', ')}${more}` }
}

/** ARGS as the values of the function's parameters, as instance.call() takes them. */
function componentArguments(name, signature, texts) {
  if (texts.length !== signature.params.length) {
    throw new UsageError(`--invoke ${printable(name)} takes ${signature.params.length} argument(s) (${signature.wit}), but ${texts.length} ${texts.length === 1 ? 'was' : 'were'} given after the file`)
  }
  return signature.params.map((param, i) => {
    const value = argument(texts[i], param.type)
    if (value === undefined) throw new UsageError(`--invoke ${printable(name)}: argument ${i + 1} (${param.name}), ${JSON.stringify(texts[i])}, is not a value of its type`)
    return value
  })
}

function argument(text, type) {
  switch (type.kind) {
    case 'string':
    case 'char':
    case 'enum':
      return text
    case 'bool':
      return text === 'true' ? true : text === 'false' ? false : undefined
    case 'f32':
    case 'f64':
      return float(text)
    default:
      if (Object.hasOwn(INTEGERS, type.kind)) {
        const [bits, signed] = INTEGERS[type.kind]
        const value = integer(text, 128)
        const min = signed ? -(2n ** BigInt(bits - 1)) : 0n
        const max = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n
        if (value === undefined || value < min || value > max) return undefined
        return bits === 64 ? value : Number(value)
      }
      try {
        return JSON.parse(text)
      } catch {
        return undefined
      }
  }
}

/** The result on one line (nothing for a function without one). */
function formatComponentResult(value, signature) {
  if (signature.result === null || value === undefined) return ''
  if (typeof value === 'string') return `${value}\n`
  // Floats as wasmtime prints them (inf, NaN, no exponent), as for modules.
  if (signature.result.kind === 'f32' || signature.result.kind === 'f64') return `${formatValue(value, signature.result.kind)}\n`
  if (typeof value !== 'object' || value === null) return `${String(value)}\n`
  return `${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : ArrayBuffer.isView(v) ? Array.from(v, (x) => (typeof x === 'bigint' ? String(x) : x)) : v))}\n`
}

module.exports = { componentSignatureOf, componentArguments, formatComponentResult }
