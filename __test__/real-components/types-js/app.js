// JavaScript implementation of test:types/types for componentize-js (jco componentize).
import { log, fetchValue, addOne, tick } from 'test:types/host'

export function greet(name) {
  return `Hello, ${name}!`
}

export function add(a, b) {
  return (a + b) | 0
}

class Counter {
  #n
  constructor(start) {
    this.#n = start >>> 0
  }
  increment(by) {
    this.#n = (this.#n + by) >>> 0
    return this.#n
  }
  value() {
    return this.#n
  }
  static merge(a, b) {
    return new Counter((a.value() + b.value()) >>> 0)
  }
}

const keep = []
const id = (v) => v

export const api = {
  Counter,
  echoBool: id, echoS8: id, echoU8: id, echoS16: id, echoU16: id, echoS32: id, echoU32: id,
  echoS64: id, echoU64: id, echoF32: id, echoF64: id, echoChar: id, echoString: id,
  echoBytes: (v) => new Uint8Array(v),
  echoNums: (v) => new Uint32Array(v),
  echoStrings: (v) => [...v],
  echoPoint: (v) => ({ x: v.x, y: v.y, labelText: v.labelText }),
  echoShape: id, echoColor: id, echoPerms: id, echoBag: id, echoOption: id, echoNested: id, echoTuple: id,
  describe(p, c, scale) {
    return `${p.labelText}@(${p.x},${p.y}) ${c} x${scale}`
  },
  checkedDiv(a, b) {
    if (b === 0) throw 'division by zero'
    if (a === -2147483648 && b === -1) throw 'overflow'
    return Math.trunc(a / b)
  },
  tryUnit(fail) {
    if (fail) throw 'blue-ish'
  },
  callHost(key) {
    log(`looking up ${key}`)
    try {
      return `ok:${fetchValue(key)}`
    } catch (e) {
      return `err:${e.payload ?? e}`
    }
  },
  hostAdd(x) {
    return BigInt.asUintN(64, addOne(x) + 1n)
  },
  hostTicks(n) {
    let s = 0
    for (let i = 0; i < n; i++) s = (s + tick(i)) >>> 0
    return s
  },
  sumCounter(c) {
    return c.value()
  },
  makeCounters(n) {
    return Array.from({ length: n }, (_, i) => new Counter(i))
  },
  spin() {
    for (;;) {}
  },
  trap() {
    throw new Error('trap requested')
  },
  allocate(mb) {
    if (mb >= 4096) return 0
    try {
      const b = new Uint8Array(mb * 1024 * 1024)
      b.fill(1)
      keep.push(b)
      return 1
    } catch {
      return 0
    }
  },
}
