// Every wrong kind of JS value the bad-input matrix throws at the API. Each entry makes a fresh
// value (a detached buffer, a Proxy with throwing traps, an object whose getters throw, ...).

/** A value of the matrix: `make()` builds it; `kind` groups values for the expectations. */
function value(label, kind, make) {
  return { label, kind, make }
}

export class GetterError extends Error {
  constructor(what) {
    super(`getter ${what} threw`)
    this.name = 'GetterError'
  }
}

function detachedBuffer() {
  const buffer = new ArrayBuffer(16)
  structuredClone(buffer, { transfer: [buffer] })
  return buffer
}

function throwingProxy() {
  const boom = (what) => () => {
    throw new GetterError(`proxy ${what}`)
  }
  return new Proxy(
    {},
    {
      get: boom('get'),
      has: boom('has'),
      ownKeys: boom('ownKeys'),
      getOwnPropertyDescriptor: boom('getOwnPropertyDescriptor'),
      getPrototypeOf: boom('getPrototypeOf'),
    },
  )
}

/** An object whose every listed property is a getter that throws. */
export function throwingGetters(...names) {
  const object = {}
  for (const name of names) {
    Object.defineProperty(object, name, {
      enumerable: true,
      get() {
        throw new GetterError(name)
      },
    })
  }
  return object
}

// kinds: "missing" (argument left out), "nullish", "string", "number" (a number that is not a
// valid index/count), "bigint", "symbol", "boolean", "function", "object", "binary" (binary data)
export const BAD_VALUES = [
  value('(missing)', 'missing', () => undefined),
  value('undefined', 'nullish', () => undefined),
  value('null', 'nullish', () => null),
  value('""', 'string', () => ''),
  value('"abc"', 'string', () => 'abc'),
  value('"1"', 'string', () => '1'),
  value('"module:999999" (stale-looking id)', 'string', () => 'module:999999'),
  value('"instance:999999" (stale-looking id)', 'string', () => 'instance:999999'),
  value('"a\\0b" (NUL)', 'string', () => 'a\0b'),
  value('Symbol()', 'symbol', () => Symbol('bad')),
  value('true', 'boolean', () => true),
  value('NaN', 'number', () => NaN),
  value('Infinity', 'number', () => Infinity),
  value('-Infinity', 'number', () => -Infinity),
  value('-0', 'number', () => -0),
  value('-1', 'number', () => -1),
  value('1.5', 'number', () => 1.5),
  value('2**53', 'number', () => 2 ** 53),
  value('1e308', 'number', () => 1e308),
  value('1n', 'bigint', () => 1n),
  value('-1n', 'bigint', () => -1n),
  value('2n**64n', 'bigint', () => 2n ** 64n),
  value('2n**200n', 'bigint', () => 2n ** 200n),
  value('{}', 'object', () => ({})),
  value('[]', 'object', () => []),
  value('[1, "x"]', 'object', () => [1, 'x']),
  value('() => {}', 'function', () => () => {}),
  value('Proxy (throwing traps)', 'object', throwingProxy),
  value('object with throwing getters', 'object', () => throwingGetters('type', 'value', 'length', 'then')),
  value('new Date()', 'object', () => new Date()),
  value('detached ArrayBuffer', 'binary', detachedBuffer),
  value('SharedArrayBuffer(8)', 'binary', () => new SharedArrayBuffer(8)),
  value('Float64Array [1.5]', 'binary', () => new Float64Array([1.5])),
  value('Int8Array [-1]', 'binary', () => new Int8Array([-1])),
  value('DataView(8)', 'binary', () => new DataView(new ArrayBuffer(8))),
  value('Uint8Array []', 'binary', () => new Uint8Array(0)),
]
