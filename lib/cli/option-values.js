'use strict'
// The values of command-line options: counts, milliseconds and byte sizes. Each parser takes
// the text and the option's name (for the error) and throws a UsageError saying what was
// expected.

const { UsageError } = require('./args.js')

// The units of a byte size: the same set, spelled the same way (case matters), as the
// capability manifest's sizes (parse_byte_size in src/sandbox/manifest.rs), so that a size
// copied from manifest.app.toml works here too.
const SIZE_UNITS = Object.freeze({
  '': 1n,
  B: 1n,
  KiB: 1n << 10n,
  MiB: 1n << 20n,
  GiB: 1n << 30n,
  TiB: 1n << 40n,
  kB: 1000n,
  KB: 1000n,
  MB: 1000n ** 2n,
  GB: 1000n ** 3n,
  TB: 1000n ** 4n,
})

const SIZE_EXPECTED = 'expected a whole number of bytes, optionally followed by a unit: B, KiB, MiB, GiB, TiB (powers of 1024) or kB, MB, GB, TB (powers of 1000), e.g. 64MiB'

/** A non-negative integer below 2^64, as a Number when it is safe and a BigInt beyond. */
function count(text, flag) {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} ${text}: expected a non-negative integer`)
  const value = BigInt(text)
  if (value >= 2n ** 64n) throw new UsageError(`${flag} ${text}: must be less than 2^64`)
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}

/** A number of milliseconds greater than 0, fractions allowed. */
function milliseconds(text, flag) {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new UsageError(`${flag} ${text}: expected a number of milliseconds greater than 0`)
  }
  return value
}

/** A whole number of milliseconds greater than 0. */
function wholeMilliseconds(text, flag) {
  if (!/^\d+$/.test(text) || !(Number(text) > 0) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} ${text}: expected a whole number of milliseconds greater than 0`)
  }
  return Number(text)
}

/** A byte size such as "1000000", "512KiB", "256 MiB" or "1GB", as count() returns it. */
function size(text, flag) {
  const match = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(text)
  const unit = match && Object.hasOwn(SIZE_UNITS, match[2]) ? SIZE_UNITS[match[2]] : undefined
  if (unit === undefined) {
    throw new UsageError(`${flag} ${text}: ${SIZE_EXPECTED}${match ? unitHint(match[1], match[2]) : ''}`)
  }
  const bytes = BigInt(match[1]) * unit
  if (bytes >= 2n ** 64n) throw new UsageError(`${flag} ${text}: must be less than 2^64 bytes`)
  return count(String(bytes), flag)
}

// For a unit written in the wrong case or cut short ("64mb", "1g", "512kib"), the two sizes
// that the user may have meant.
function unitHint(number, unit) {
  const prefix = { k: 'K', m: 'M', g: 'G', t: 'T' }[unit[0]?.toLowerCase()]
  if (prefix === undefined || !/^[kmgt](i?b)?$/i.test(unit)) return ''
  const decimal = prefix === 'K' ? 'kB' : `${prefix}B`
  return `; did you mean ${number}${prefix}iB or ${number}${decimal}?`
}

module.exports = { count, milliseconds, wholeMilliseconds, size }
