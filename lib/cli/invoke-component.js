'use strict'
// `run --invoke NAME FILE [ARGS...]` for a component: NAME is a function the world exports
// (`greet`) or one of an exported interface (`my:pkg/api#transform`); each argument is read by
// its WIT type: a string or char as it is, bool as true or false, integers and floats as
// numbers (64-bit integers exactly), an enum as its case name, anything else as JSON in the
// API's representation (records as objects with camelCase keys, lists as arrays, variants as
// { "tag": ..., "val": ... }). The result is printed on one line: a string as it is, numbers
// and booleans as text, anything else as JSON (64-bit integers as numbers when exact).

const { UsageError } = require('./args.js')
const { printable } = require('./printable.js')

const INTEGERS = Object.freeze({ s8: [-128, 127], u8: [0, 255], s16: [-32768, 32767], u16: [0, 65535], s32: [-2147483648, 2147483647], u32: [0, 4294967295] })
const WIDE = Object.freeze({ s64: [-(2n ** 63n), 2n ** 63n - 1n], u64: [0n, 2n ** 64n - 1n] })

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
      return text.trim() === '' || Number.isNaN(Number(text)) ? (/^nan$/i.test(text) ? NaN : undefined) : Number(text)
    default:
      if (Object.hasOwn(INTEGERS, type.kind)) {
        const n = Number(text)
        const [min, max] = INTEGERS[type.kind]
        return /^[+-]?\d+$/.test(text) && n >= min && n <= max ? n : undefined
      }
      if (Object.hasOwn(WIDE, type.kind)) {
        if (!/^[+-]?\d+$/.test(text)) return undefined
        const n = BigInt(text)
        const [min, max] = WIDE[type.kind]
        return n >= min && n <= max ? n : undefined
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
  if (typeof value !== 'object' || value === null) return `${String(value)}\n`
  return `${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : ArrayBuffer.isView(v) ? Array.from(v, (x) => (typeof x === 'bigint' ? String(x) : x)) : v))}\n`
}

module.exports = { componentSignatureOf, componentArguments, formatComponentResult }
