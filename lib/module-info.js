'use strict'
// Reads what a WebAssembly binary module imports and exports, with their types, from its type,
// import, function, table, memory, global, export and tag sections. It reads the binary format
// only: it does not validate or compile the module (compile() does that), and it reports the
// first structural problem it meets as a ModuleFormatError with the byte offset.
//
// The bytes may be hostile, so nothing read from them is trusted to size work: every count
// (of types, imports, functions, exports, parameters, ...) is checked against the bytes left in
// its section before anything is read for it. Every entry takes at least one byte, so a count
// larger than that is malformed and refused at once, and the memory and time used stay in
// proportion to the module's size. Sections not needed here (code, data, custom sections such
// as "name") are skipped without being read.

const MAGIC = [0x00, 0x61, 0x73, 0x6d]
const CORE_VERSION = 1

const SECTION = Object.freeze({ type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, tag: 13 })

const EXTERNAL_KINDS = ['function', 'table', 'memory', 'global', 'tag']

// Abstract heap types, by their one-byte (negative s33) encoding.
const HEAP_TYPES = new Map([
  [0x70, 'func'],
  [0x6f, 'extern'],
  [0x6e, 'any'],
  [0x6d, 'eq'],
  [0x6c, 'i31'],
  [0x6b, 'struct'],
  [0x6a, 'array'],
  [0x69, 'exn'],
  [0x68, 'cont'],
  [0x71, 'none'],
  [0x72, 'noextern'],
  [0x73, 'nofunc'],
  [0x74, 'noexn'],
  [0x75, 'nocont'],
])

const NUMERIC_TYPES = new Map([
  [0x7f, 'i32'],
  [0x7e, 'i64'],
  [0x7d, 'f32'],
  [0x7c, 'f64'],
  [0x7b, 'v128'],
])

// The nullable references written as one word, as getExports() names them.
const SHORTHANDS = new Set(['func', 'extern', 'any'])

class ModuleFormatError extends Error {
  constructor(message, offset) {
    super(offset === undefined ? message : `${message} (at byte offset ${offset})`)
    this.name = 'ModuleFormatError'
    this.offset = offset
  }
}

// One decoder for every name (a fatal decoder keeps no state between calls).
const UTF8 = new TextDecoder('utf-8', { fatal: true })

// The empty vector, shared: a module of many empty signatures allocates one array, not many.
const EMPTY = Object.freeze([])

class Reader {
  constructor(bytes, start = 0, end = bytes.length) {
    this.bytes = bytes
    this.offset = start
    this.end = end
  }
  get done() {
    return this.offset >= this.end
  }
  fail(message, offset = this.offset) {
    throw new ModuleFormatError(message, offset)
  }
  byte() {
    if (this.offset >= this.end) this.fail('unexpected end of the module')
    return this.bytes[this.offset++]
  }
  // An unsigned LEB128 number of at most `bits` bits, as a Number (bits <= 32) or, for larger
  // widths, a Number when it is a safe integer and a BigInt otherwise.
  unsigned(bits = 32) {
    const start = this.offset
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = this.byte()
      result |= BigInt(byte & 0x7f) << shift
      shift += 7n
      if ((byte & 0x80) === 0) break
      if (shift >= BigInt(bits)) this.fail(`integer too long for u${bits}`, start)
    }
    if (result >= 1n << BigInt(bits)) this.fail(`integer too large for u${bits}`, start)
    return result <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(result) : result
  }
  // A signed LEB128 number of at most `bits` bits (used for heap type indices, s33).
  signed(bits) {
    const start = this.offset
    let result = 0n
    let shift = 0n
    let byte
    do {
      byte = this.byte()
      result |= BigInt(byte & 0x7f) << shift
      shift += 7n
      if (shift > BigInt(bits) + 7n) this.fail(`integer too long for s${bits}`, start)
    } while (byte & 0x80)
    if (byte & 0x40) result -= 1n << shift
    return Number(result)
  }
  u32() {
    // The common case without BigInts: at most 5 bytes, exact in a Number.
    const start = this.offset
    let result = 0
    for (let shift = 0; ; shift += 7) {
      const byte = this.byte()
      result += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) break
      if (shift >= 28) this.fail('integer too long for u32', start)
    }
    if (result > 0xffffffff) this.fail('integer too large for u32', start)
    return result
  }
  // A vector's length, refused when the section cannot hold that many entries: each entry
  // takes at least one byte, so a count above the bytes left is malformed.
  count(what) {
    const start = this.offset
    const count = this.u32()
    const left = this.end - this.offset
    if (count > left) {
      this.fail(`${what}: ${count} entries declared but only ${left} bytes left in the section`, start)
    }
    return count
  }
  name() {
    const length = this.u32()
    if (length > this.end - this.offset) this.fail('a name runs past the end of its section')
    const bytes = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    try {
      return UTF8.decode(bytes)
    } catch {
      return this.fail('a name is not valid UTF-8', this.offset - length)
    }
  }
  vector(what, readItem) {
    const count = this.count(what)
    if (count === 0) return EMPTY
    const items = []
    for (let i = 0; i < count; i++) items.push(readItem(i))
    return items
  }
}

function heapType(reader) {
  const start = reader.offset
  const first = reader.bytes[reader.offset]
  if (first === undefined) reader.fail('unexpected end of the module')
  // A one-byte abstract heap type (a negative s33), or a type index (a non-negative s33).
  if (HEAP_TYPES.has(first)) {
    reader.offset++
    return HEAP_TYPES.get(first)
  }
  const index = reader.signed(33)
  if (index < 0) reader.fail(`unknown heap type 0x${first.toString(16)}`, start)
  return String(index)
}

// A value type as text: "i32", "funcref", "(ref null eq)", "(ref func)", "(ref null 3)", ...
function valueType(reader) {
  const start = reader.offset
  const code = reader.byte()
  if (NUMERIC_TYPES.has(code)) return NUMERIC_TYPES.get(code)
  if (HEAP_TYPES.has(code)) return refType(HEAP_TYPES.get(code), true) // e.g. 0x70 is funcref
  if (code === 0x63) return refType(heapType(reader), true)
  if (code === 0x64) return refType(heapType(reader), false)
  return reader.fail(`unknown value type 0x${code.toString(16)}`, start)
}

function refType(heap, nullable) {
  if (nullable && SHORTHANDS.has(heap)) return `${heap}ref`
  return `(ref ${nullable ? 'null ' : ''}${heap})`
}

// The type section: each entry is a function, struct or array type, possibly in a recursion
// group or with a supertype declaration. Only function types matter here; the others are
// kept as placeholders so type indices stay right.
function typeSection(reader) {
  const types = []
  const count = reader.count('type section')
  for (let i = 0; i < count; i++) {
    const form = reader.bytes[reader.offset]
    if (form === 0x4e) {
      reader.offset++
      const members = reader.count('recursion group')
      for (let j = 0; j < members; j++) types.push(subType(reader))
    } else {
      types.push(subType(reader))
    }
  }
  return types
}

function subType(reader) {
  const form = reader.bytes[reader.offset]
  if (form === 0x50 || form === 0x4f) {
    reader.offset++
    reader.vector('supertypes', () => reader.u32())
  }
  return compositeType(reader)
}

function compositeType(reader) {
  const start = reader.offset
  const form = reader.byte()
  if (form === 0x60) {
    const params = reader.vector('parameter types', () => valueType(reader))
    const results = reader.vector('result types', () => valueType(reader))
    return { kind: 'function', params, results }
  }
  if (form === 0x5f) {
    reader.vector('struct fields', () => fieldType(reader))
    return { kind: 'struct' }
  }
  if (form === 0x5e) {
    fieldType(reader)
    return { kind: 'array' }
  }
  return reader.fail(`unknown type form 0x${form.toString(16)}`, start)
}

function fieldType(reader) {
  const code = reader.bytes[reader.offset]
  if (code === 0x78 || code === 0x77) reader.offset++ // packed i8 / i16
  else valueType(reader)
  reader.byte() // mutability
}

// Limits of a memory or table: flags, minimum, optional maximum, and for memories the
// shared / 64-bit / custom-page-size flags.
function limits(reader, what) {
  const start = reader.offset
  const flags = reader.byte()
  if (flags > 0x0f) reader.fail(`unknown ${what} limits flags 0x${flags.toString(16)}`, start)
  const is64 = (flags & 0x04) !== 0
  const minimum = reader.unsigned(is64 ? 64 : 32)
  const maximum = flags & 0x01 ? reader.unsigned(is64 ? 64 : 32) : null
  const result = { minimum, maximum }
  if (what === 'memory') {
    result.shared = (flags & 0x02) !== 0
    result.memory64 = is64
    if (flags & 0x08) result.pageSize = 2 ** reader.u32()
  } else {
    result.table64 = is64
  }
  return result
}

function tableType(reader) {
  return { element: valueType(reader), ...limits(reader, 'table') }
}

function globalType(reader) {
  const type = valueType(reader)
  const start = reader.offset
  const mutability = reader.byte()
  if (mutability > 1) reader.fail(`unknown global mutability 0x${mutability.toString(16)}`, start)
  return { type, mutable: mutability === 1 }
}

function tagType(reader) {
  reader.byte() // attribute: 0 = exception
  return reader.u32()
}

function functionSignature(types, index, reader, start) {
  const type = types[index]
  if (type === undefined) reader.fail(`type index ${index} is out of range`, start)
  if (type.kind !== 'function') reader.fail(`type index ${index} is a ${type.kind} type, not a function type`, start)
  return { params: type.params, results: type.results }
}

/**
 * Reads a binary module's imports and exports.
 *
 * @param {Uint8Array} bytes the module's bytes
 * @returns {{ imports: object[], exports: object[] }} imports as { module, name, kind, ...type }
 *   and exports as { name, kind, ...type }, each in declaration order; kind is one of
 *   "function", "table", "memory", "global", "tag", and the type fields match getExports()
 *   (params/results, element, type/mutable, minimum/maximum).
 * @throws {ModuleFormatError} when the bytes are not a binary core module, or a section
 *   cannot be read.
 */
function readModuleInfo(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('readModuleInfo expects a Uint8Array')
  const header = new Reader(bytes)
  if (bytes.length < 8 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new ModuleFormatError('not a WebAssembly binary (no \\0asm magic number)', 0)
  }
  const version = bytes[4] | (bytes[5] << 8)
  const layer = bytes[6] | (bytes[7] << 8)
  if (layer === 1) throw new ModuleFormatError('this is a WebAssembly component, not a core module', 4)
  if (version !== CORE_VERSION || layer !== 0) {
    throw new ModuleFormatError(`unsupported binary format version ${version}`, 4)
  }
  header.offset = 8

  let types = []
  const imports = []
  const functionTypes = [] // the type index of every function, imported ones first
  const tables = []
  const memories = []
  const globals = []
  const tags = []
  let exportEntries = []

  while (!header.done) {
    const sectionStart = header.offset
    const id = header.byte()
    const size = header.u32()
    const end = header.offset + size
    if (end > bytes.length) header.fail(`section ${id} runs past the end of the module`, sectionStart)
    const reader = new Reader(bytes, header.offset, end)
    switch (id) {
      case SECTION.type:
        types = typeSection(reader)
        break
      case SECTION.import:
        reader.vector('import section', () => {
          const module = reader.name()
          const name = reader.name()
          const start = reader.offset
          const kind = EXTERNAL_KINDS[reader.byte()]
          if (kind === undefined) reader.fail('unknown import kind', start)
          const entry = { module, name, kind }
          if (kind === 'function') {
            const typeIndex = reader.u32()
            functionTypes.push(typeIndex)
            Object.assign(entry, functionSignature(types, typeIndex, reader, start))
          } else if (kind === 'table') {
            const table = tableType(reader)
            tables.push(table)
            Object.assign(entry, table)
          } else if (kind === 'memory') {
            const memory = limits(reader, 'memory')
            memories.push(memory)
            Object.assign(entry, memory)
          } else if (kind === 'global') {
            const global = globalType(reader)
            globals.push(global)
            Object.assign(entry, global)
          } else {
            const typeIndex = tagType(reader)
            tags.push(typeIndex)
            Object.assign(entry, tagSignature(types, typeIndex, reader, start))
          }
          imports.push(entry)
        })
        break
      case SECTION.function:
        reader.vector('function section', () => functionTypes.push(reader.u32()))
        break
      case SECTION.table:
        reader.vector('table section', () => {
          // A table with an initializer expression starts with 0x40 0x00 (GC proposal).
          if (reader.bytes[reader.offset] === 0x40) {
            reader.offset += 2
            tables.push(tableType(reader))
            skipConstantExpression(reader)
          } else {
            tables.push(tableType(reader))
          }
        })
        break
      case SECTION.memory:
        reader.vector('memory section', () => memories.push(limits(reader, 'memory')))
        break
      case SECTION.global:
        reader.vector('global section', () => {
          globals.push(globalType(reader))
          skipConstantExpression(reader)
        })
        break
      case SECTION.export:
        exportEntries = reader.vector('export section', () => {
          const name = reader.name()
          const start = reader.offset
          const kind = EXTERNAL_KINDS[reader.byte()]
          if (kind === undefined) reader.fail('unknown export kind', start)
          return { name, kind, index: reader.u32(), start }
        })
        break
      case SECTION.tag:
        reader.vector('tag section', () => tags.push(tagType(reader)))
        break
      default:
        reader.offset = end // custom and code sections, and anything else: not needed here
    }
    if (reader.offset !== end) {
      reader.fail(`section ${id} has ${end - reader.offset} unexpected trailing bytes`)
    }
    header.offset = end
  }

  const byKind = { function: functionTypes, table: tables, memory: memories, global: globals, tag: tags }
  const exports = exportEntries.map(({ name, kind, index, start }) => {
    const entry = byKind[kind][index]
    if (entry === undefined) header.fail(`export "${name}" refers to ${kind} ${index}, which does not exist`, start)
    if (kind === 'function') return { name, kind, ...functionSignature(types, entry, header, start) }
    if (kind === 'tag') return { name, kind, ...tagSignature(types, entry, header, start) }
    return { name, kind, ...entry }
  })
  return { imports, exports }
}

function tagSignature(types, typeIndex, reader, start) {
  return { params: functionSignature(types, typeIndex, reader, start).params }
}

// Skips a constant expression (a global's or table's initializer) up to its `end` opcode.
// Constant expressions hold only a few instructions, whose immediates are skipped here.
function skipConstantExpression(reader) {
  for (;;) {
    const start = reader.offset
    const opcode = reader.byte()
    switch (opcode) {
      case 0x0b: // end
        return
      case 0x41: // i32.const
        reader.signed(32)
        break
      case 0x42: // i64.const
        reader.signed(64)
        break
      case 0x43: // f32.const
        reader.offset += 4
        break
      case 0x44: // f64.const
        reader.offset += 8
        break
      case 0x23: // global.get
      case 0xd2: // ref.func
        reader.u32()
        break
      case 0xd0: // ref.null
        heapType(reader)
        break
      case 0x6a: // i32.add
      case 0x6b: // i32.sub
      case 0x6c: // i32.mul
      case 0x7c: // i64.add
      case 0x7d: // i64.sub
      case 0x7e: // i64.mul
        break
      case 0xfb: // GC prefix: struct.new, array.new_fixed, ref.i31, ...
        skipGcConstant(reader)
        break
      case 0xfd: // SIMD prefix: v128.const
        if (reader.u32() !== 12) reader.fail('unsupported instruction in a constant expression', start)
        reader.offset += 16
        break
      default:
        reader.fail(`unsupported instruction 0x${opcode.toString(16)} in a constant expression`, start)
    }
  }
}

function skipGcConstant(reader) {
  const start = reader.offset
  const sub = reader.u32()
  switch (sub) {
    case 0: // struct.new t
    case 1: // struct.new_default t
    case 7: // array.new_default t
    case 6: // array.new t
      reader.u32()
      return
    case 8: // array.new_fixed t n
      reader.u32()
      reader.u32()
      return
    case 26: // any.convert_extern
    case 27: // extern.convert_any
    case 28: // ref.i31
      return
    default:
      reader.fail('unsupported GC instruction in a constant expression', start)
  }
}

module.exports = { readModuleInfo, ModuleFormatError }
