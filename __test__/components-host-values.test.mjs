// Components: every WIT type in the host direction. types.wasm's via-host-X passes its
// arguments to the JS host function host-echo-X (via-host-check to host-check) and returns
// what that returned, so each value is lowered by the component, lifted into JS for the host
// function, converted back from the host function's result, and lifted again for the caller.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { ErrorCode, WasmError, compileFile, instantiate } from '../index.mjs'

const TYPES = fileURLToPath(new URL('./fixtures/components/types.wasm', import.meta.url))
const API = 'test:types/api'
const HOST = 'test:types/host'

let compiled
function typesId() {
  compiled ??= compileFile(TYPES)
  return compiled
}

// The fixture's host functions: the old ones, and echoes that remember what they were given.
function hostFunctions(seen, overrides = {}) {
  const remember = (name, fn) => (...args) => {
    seen.push([name, args])
    return fn(...args)
  }
  return {
    log() {},
    fetchValue: (key) => key,
    addOne: (x) => x + 1n,
    tick: (n) => n,
    hostEchoPoint: remember('host-echo-point', (v) => v),
    hostEchoShape: remember('host-echo-shape', (v) => v),
    hostEchoColor: remember('host-echo-color', (v) => v),
    hostEchoPerms: remember('host-echo-perms', (v) => v),
    hostEchoBag: remember('host-echo-bag', (v) => v),
    hostEchoNested: remember('host-echo-nested', (v) => v),
    hostEchoTuple: remember('host-echo-tuple', (v) => v),
    hostEchoNumbers: remember('host-echo-numbers', (...values) => values),
    hostEchoLists: remember('host-echo-lists', (...values) => values),
    hostCheck: remember('host-check', (v) => {
      if (v.tag === 'err') throw v.val
      return v.val
    }),
    ...overrides,
  }
}

async function withInstance(overrides, body) {
  const seen = []
  const instance = await instantiate(await typesId(), { imports: { [HOST]: hostFunctions(seen, overrides) } })
  try {
    await body((name, ...args) => instance.call(`${API}#${name}`, ...args), seen)
  } finally {
    await instance.drop()
  }
}

// Calls via-host-<name> with `args`: the host function must have received `args` and the
// call must give back `expected` (by default the single argument, or the arguments as a tuple).
async function roundTrip(call, seen, name, args, expected = args.length === 1 ? args[0] : args) {
  seen.length = 0
  const result = await call(`via-host-${name}`, ...args)
  assert.equal(seen.length, 1, `via-host-${name} called its host function once`)
  const [hostName, hostArgs] = seen[0]
  assert.equal(hostName, name === 'check' ? 'host-check' : `host-echo-${name}`)
  assert.deepEqual(hostArgs, args.length === 1 ? [expected] : expected, `host-echo-${name} got the value`)
  assert.deepEqual(result, expected, `via-host-${name} gave the value back`)
}

const point = (x, y, labelText) => ({ x, y, labelText })
const S32_MIN = -(2 ** 31)
const S32_MAX = 2 ** 31 - 1
const S64_MIN = -(2n ** 63n)
const S64_MAX = 2n ** 63n - 1n
const UNICODE = 'héllo wörld 🌍 ∑ \u{10FFFF} \0 end'

test('records: every field with edge values, empty and unicode strings', async () => {
  await withInstance({}, async (call, seen) => {
    for (const value of [
      point(0, 0, ''),
      point(1, -2, 'lbl'),
      point(S32_MIN, S32_MAX, UNICODE),
      point(S32_MAX, S32_MIN, 'x'.repeat(100_000)),
      point(-0, 7, ' '),
    ]) {
      await roundTrip(call, seen, 'point', [value], { ...value, x: value.x === 0 ? 0 : value.x })
    }
  })
})

test('variants: every case, payloads at their edges', async () => {
  await withInstance({}, async (call, seen) => {
    for (const value of [
      { tag: 'circle', val: 2.5 },
      { tag: 'circle', val: 0 },
      { tag: 'circle', val: -0 },
      { tag: 'circle', val: NaN },
      { tag: 'circle', val: Infinity },
      { tag: 'circle', val: -Infinity },
      { tag: 'circle', val: Number.MAX_VALUE },
      { tag: 'circle', val: Number.MIN_VALUE },
      { tag: 'rect', val: point(S32_MIN, S32_MAX, UNICODE) },
      { tag: 'rect', val: point(0, 0, '') },
      { tag: 'empty' },
    ]) {
      await roundTrip(call, seen, 'shape', [value])
    }
  })
})

test('enums: every case', async () => {
  await withInstance({}, async (call, seen) => {
    for (const value of ['red', 'green', 'blue-ish']) await roundTrip(call, seen, 'color', [value])
  })
})

test('flags: all eight combinations, given in full or with the false ones left out', async () => {
  await withInstance({}, async (call, seen) => {
    for (let bits = 0; bits < 8; bits++) {
      const full = { read: Boolean(bits & 1), write: Boolean(bits & 2), execAll: Boolean(bits & 4) }
      await roundTrip(call, seen, 'perms', [full])
      const sparse = Object.fromEntries(Object.entries(full).filter(([, on]) => on))
      seen.length = 0
      assert.deepEqual(await call('via-host-perms', sparse), full)
      assert.deepEqual(seen, [['host-echo-perms', [full]]])
    }
  })
})

test('a record of lists, options and tuples: empty, full, extreme', async () => {
  await withInstance({}, async (call, seen) => {
    const empty = {
      items: [],
      tags: [],
      bytes: new Uint8Array(),
      nums: new Uint32Array(),
      floats: new Float64Array(),
      big: new BigInt64Array(),
      maybe: undefined,
      pair: [0, ''],
    }
    await roundTrip(call, seen, 'bag', [empty])
    await roundTrip(call, seen, 'bag', [{ ...empty, maybe: '' }])
    const full = {
      items: [point(1, -2, 'lbl'), point(0, 0, ''), point(S32_MIN, S32_MAX, UNICODE)],
      tags: ['', 'tag', UNICODE, 'ç'],
      bytes: new Uint8Array([0, 1, 127, 128, 255]),
      nums: new Uint32Array([0, 1, 2 ** 31, 2 ** 32 - 1]),
      floats: new Float64Array([0, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 0.1]),
      big: new BigInt64Array([S64_MIN, -1n, 0n, 1n, S64_MAX]),
      maybe: UNICODE,
      pair: [255, UNICODE],
    }
    await roundTrip(call, seen, 'bag', [full])
    const large = {
      ...full,
      items: Array.from({ length: 1000 }, (_, i) => point(i, 0 - i || 0, `p${i}`)),
      tags: Array.from({ length: 1000 }, (_, i) => `t${i}`),
      bytes: new Uint8Array(100_000).map((_, i) => i & 0xff),
      nums: new Uint32Array(10_000).map((_, i) => i * 7919),
    }
    await roundTrip(call, seen, 'bag', [large])
  })
})

test('option<option<string>>: its three states, and empty and unicode strings', async () => {
  await withInstance({}, async (call, seen) => {
    for (const value of [{ tag: 'none' }, { tag: 'some', val: undefined }, { tag: 'some', val: '' }, { tag: 'some', val: 'x' }, { tag: 'some', val: UNICODE }]) {
      await roundTrip(call, seen, 'nested', [value])
    }
  })
})

test('tuples: edge values of each element', async () => {
  await withInstance({}, async (call, seen) => {
    for (const value of [[0, '', false], [2 ** 32 - 1, UNICODE, true], [7, 'seven', false]]) {
      await roundTrip(call, seen, 'tuple', [value])
    }
  })
})

test('numbers: min and max integers, NaN, infinities and -0 for floats, chars of every width', async () => {
  await withInstance({}, async (call, seen) => {
    for (const args of [
      [-128, 0, S64_MIN, NaN, NaN, '\0'],
      [127, 65535, S64_MAX, Infinity, -Infinity, '\u{10FFFF}'],
      [0, 1, 0n, -0, -0, 'é'],
      [-1, 32768, -1n, 3.4028234663852886e38, Number.MAX_VALUE, '🌍'],
      [1, 2, 3n, 1.401298464324817e-45, Number.MIN_VALUE, '\uD7FF'],
      [1, 2, 3n, -Infinity, Infinity, '\uE000'],
    ]) {
      await roundTrip(call, seen, 'numbers', args)
    }
    // An f32 is rounded like Math.fround on the way in; a safe-integer Number is taken for an s64.
    seen.length = 0
    assert.deepEqual(await call('via-host-numbers', 1, 2, 3, 0.1, 0.1, 'a'), [1, 2, 3n, Math.fround(0.1), 0.1, 'a'])
    assert.deepEqual(seen, [['host-echo-numbers', [1, 2, 3n, Math.fround(0.1), 0.1, 'a']]])
  })
})

test('numeric lists as typed arrays and lists of strings: empty, extreme, large', async () => {
  await withInstance({}, async (call, seen) => {
    await roundTrip(call, seen, 'lists', [new Uint8Array(), new BigInt64Array(), new Float32Array(), []])
    await roundTrip(call, seen, 'lists', [
      new Uint8Array([0, 255, 1, 128]),
      new BigInt64Array([S64_MIN, S64_MAX, 0n, -1n]),
      new Float32Array([NaN, -0, 0, Infinity, -Infinity, 3.4028234663852886e38, 1.401298464324817e-45, 1.5]),
      ['', UNICODE, 'a', ''],
    ])
    await roundTrip(call, seen, 'lists', [
      new Uint8Array(1_000_000).map((_, i) => (i * 31) & 0xff),
      new BigInt64Array(10_000).map((_, i) => BigInt(i) * -1000003n),
      new Float32Array(10_000).map((_, i) => i / 3),
      Array.from({ length: 10_000 }, (_, i) => (i % 2 ? `s${i}` : '')),
    ])
    // Plain arrays and typed-array views are taken; the host sees typed arrays.
    seen.length = 0
    const result = await call('via-host-lists', [1, 2], [3n, -4n], [0.5], ['x'])
    const expected = [new Uint8Array([1, 2]), new BigInt64Array([3n, -4n]), new Float32Array([0.5]), ['x']]
    assert.deepEqual(result, expected)
    assert.deepEqual(seen, [['host-echo-lists', expected]])
    const views = [new Uint8Array([9, 1, 2, 9]).subarray(1, 3), new BigInt64Array([9n, S64_MIN, 9n]).subarray(1, 2), new Float32Array([9, -0, 9]).subarray(1, 2), []]
    assert.deepEqual(await call('via-host-lists', ...views), [new Uint8Array([1, 2]), new BigInt64Array([S64_MIN]), new Float32Array([-0]), []])
  })
})

test('host functions may answer with plain arrays, typed-array views and Promises', async () => {
  const overrides = {
    hostEchoLists: async (a, b, c, d) => [Array.from(a), new BigInt64Array([0n, ...b, 0n]).subarray(1, b.length + 1), Array.from(c), d],
    hostEchoBag: async (v) => ({ ...v, bytes: Array.from(v.bytes), nums: Array.from(v.nums) }),
    hostEchoColor: async (v) => v,
    hostCheck: async (v) => {
      if (v.tag === 'err') throw v.val
      return v.val
    },
  }
  await withInstance(overrides, async (call) => {
    const lists = [new Uint8Array([5, 6]), new BigInt64Array([S64_MAX, S64_MIN]), new Float32Array([1.5, NaN]), ['a']]
    assert.deepEqual(await call('via-host-lists', ...lists), lists)
    const bag = {
      items: [point(1, 2, 'p')],
      tags: ['t'],
      bytes: new Uint8Array([0, 255]),
      nums: new Uint32Array([2 ** 32 - 1]),
      floats: new Float64Array([0.25]),
      big: new BigInt64Array([-5n]),
      maybe: undefined,
      pair: [1, 'one'],
    }
    assert.deepEqual(await call('via-host-bag', bag), bag)
    assert.equal(await call('via-host-color', 'green'), 'green')
    assert.equal(await call('via-host-check', { tag: 'ok', val: 3 }), 3)
    await assert.rejects(call('via-host-check', { tag: 'err', val: 'async' }), (error) => error.payload === 'async')
  })
})

test('host-check: ok returns the value, err throws the payload; the caller gets the result back', async () => {
  await withInstance({}, async (call, seen) => {
    for (const val of [0, 1, 2 ** 32 - 1]) {
      seen.length = 0
      assert.equal(await call('via-host-check', { tag: 'ok', val }), val)
      assert.deepEqual(seen, [['host-check', [{ tag: 'ok', val }]]])
    }
    for (const val of ['', 'bad', UNICODE]) {
      seen.length = 0
      await assert.rejects(call('via-host-check', { tag: 'err', val }), (error) => {
        assert.ok(error instanceof WasmError)
        assert.equal(error.code, ErrorCode.CallError)
        assert.equal(error.payload, val)
        return true
      })
      assert.deepEqual(seen, [['host-check', [{ tag: 'err', val }]]])
    }
  })
  // A WasmError's payload is the err; a thrown Error fails the call instead.
  const thrown = new Error('broken')
  let next
  await withInstance({ hostCheck: () => { throw next } }, async (call) => {
    next = new WasmError(ErrorCode.CallError, 'refused', { payload: 'from payload' })
    await assert.rejects(call('via-host-check', { tag: 'ok', val: 1 }), (error) => error.payload === 'from payload')
    next = thrown
    await assert.rejects(call('via-host-check', { tag: 'ok', val: 1 }), (error) => {
      assert.equal(error.code, ErrorCode.CallError)
      assert.equal(error.cause, thrown)
      assert.match(error.message, /host-check/)
      return true
    })
  })
})

test('a host function returning the wrong shape fails the call with a 5007 naming it and the path', async () => {
  const cases = [
    ['point', { hostEchoPoint: () => ({ x: 'a' }) }, [point(1, 2, 'l')], /host-echo-point/, /\.x: expected an integer from -2147483648 to 2147483647/],
    ['point', { hostEchoPoint: () => ({ x: 1, y: 2 }) }, [point(1, 2, 'l')], /host-echo-point/, /\.labelText: expected string, got undefined/],
    ['point', { hostEchoPoint: () => undefined }, [point(1, 2, 'l')], /host-echo-point/, /expected an object/],
    ['shape', { hostEchoShape: () => ({ tag: 'square' }) }, [{ tag: 'empty' }], /host-echo-shape/, /\.tag: expected one of "circle", "rect", "empty", got "square"/],
    ['shape', { hostEchoShape: () => ({ tag: 'rect', val: point(1, 2.5, '') }) }, [{ tag: 'empty' }], /host-echo-shape/, /\.val\.y: expected an integer/],
    ['color', { hostEchoColor: () => 'purple' }, ['red'], /host-echo-color/, /expected one of "red", "green", "blue-ish", got "purple"/],
    ['perms', { hostEchoPerms: () => ({ write: 1 }) }, [{}], /host-echo-perms/, /\.write: expected boolean/],
    ['bag', { hostEchoBag: (v) => ({ ...v, items: [point(1, 2, 3)] }) }, [{ items: [], tags: [], bytes: [], nums: [], floats: [], big: [], maybe: undefined, pair: [0, ''] }], /host-echo-bag/, /\.items\[0\]\.labelText: expected string, got the number 3/],
    ['bag', { hostEchoBag: (v) => ({ ...v, pair: [256, ''] }) }, [{ items: [], tags: [], bytes: [], nums: [], floats: [], big: [], maybe: undefined, pair: [0, ''] }], /host-echo-bag/, /\.pair\[0\]: expected an integer from 0 to 255/],
    ['nested', { hostEchoNested: () => ({ tag: 'some', val: 5 }) }, [{ tag: 'none' }], /host-echo-nested/, /\.val: expected string/],
    ['tuple', { hostEchoTuple: () => [1, 'x'] }, [[1, 'x', true]], /host-echo-tuple/, /an array of 3 items/],
    ['tuple', { hostEchoTuple: () => [1, 'x', 1] }, [[1, 'x', true]], /host-echo-tuple/, /\[2\]: expected boolean/],
    ['numbers', { hostEchoNumbers: (...v) => [128, ...v.slice(1)] }, [1, 2, 3n, 4, 5, 'c'], /host-echo-numbers/, /\[0\]: expected an integer from -128 to 127/],
    ['numbers', { hostEchoNumbers: (...v) => [...v.slice(0, 2), 2n ** 63n, ...v.slice(3)] }, [1, 2, 3n, 4, 5, 'c'], /host-echo-numbers/, /\[2\]: expected a BigInt/],
    ['numbers', { hostEchoNumbers: (...v) => [...v.slice(0, 5), 'ab'] }, [1, 2, 3n, 4, 5, 'c'], /host-echo-numbers/, /\[5\]: expected a string of one character/],
    ['lists', { hostEchoLists: (a, b, c, d) => [new Uint16Array(1), b, c, d] }, [[], [], [], []], /host-echo-lists/, /\[0\]: expected an array or a typed array of u8, got a typed array of another kind/],
    ['lists', { hostEchoLists: (a, b, c, d) => [a, b, c, ['a', 1]] }, [[], [], [], []], /host-echo-lists/, /\[3\]\[1\]: expected string, got the number 1/],
    ['check', { hostCheck: () => -1 }, [{ tag: 'ok', val: 1 }], /host-check/, /\.val: expected an integer from 0 to 4294967295/],
    ['check', { hostCheck: () => { throw 5 } }, [{ tag: 'ok', val: 1 }], /host-check/, /\.val: expected string, got the number 5/],
  ]
  for (const [name, overrides, args, names, path] of cases) {
    await withInstance(overrides, async (call) => {
      await assert.rejects(call(`via-host-${name}`, ...args), (error) => {
        assert.ok(error instanceof WasmError, `${name}: ${error}`)
        assert.equal(error.code, ErrorCode.TypeError, `${name}: ${error.message}`)
        assert.match(error.message, names)
        assert.match(error.message, path)
        return true
      })
      // The host's failure unwinds the component like a trap: the instance cannot be entered
      // again (see "Traps end a component instance" in README.md), hence one instance a case.
      await assert.rejects(call('echo-string', 'x'), /cannot be entered/)
    })
  }
})

test('a host function returning an async wrong shape is a 5007 too', async () => {
  await withInstance({ hostEchoPoint: async () => ({ x: 'a' }) }, async (call) => {
    await assert.rejects(call('via-host-point', point(1, 2, 'l')), (error) => error.code === ErrorCode.TypeError && /host-echo-point/.test(error.message) && /\.x: /.test(error.message))
  })
})

test('a host function result whose getter or proxy throws fails the call naming the function, with the thrown value as its cause', async () => {
  const boom = new Error('boom')
  const throwing = [() => ({ get x() { throw boom }, y: 1, labelText: '' }), () => new Proxy({}, { get() { throw boom } })]
  for (const hostEchoPoint of throwing) {
    await withInstance({ hostEchoPoint }, async (call) => {
      await assert.rejects(call('via-host-point', point(1, 2, 'l')), (error) => {
        assert.equal(error.code, ErrorCode.CallError)
        assert.match(error.message, /host-echo-point/)
        assert.equal(error.cause, boom)
        return true
      })
    })
  }
})
