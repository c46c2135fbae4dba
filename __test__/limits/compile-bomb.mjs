// Binary modules of a chosen shape, for the compile budget's tests: `functions` functions of
// type () -> (), each body `instructions` times (i32.const 1, i32.const 2, i32.add, drop).
// Written as bytes (not WAT) so that even 100,000 functions take milliseconds to make.

function leb128(value) {
  const bytes = []
  do {
    let byte = value & 0x7f
    value >>>= 7
    if (value !== 0) byte |= 0x80
    bytes.push(byte)
  } while (value !== 0)
  return bytes
}

function section(id, contents) {
  return [id, ...leb128(contents.length), ...contents]
}

export function manyFunctions(functions, instructions = 1) {
  const body = [0x00] // no locals
  for (let i = 0; i < instructions; i++) body.push(0x41, 0x01, 0x41, 0x02, 0x6a, 0x1a)
  body.push(0x0b)
  const entry = [...leb128(body.length), ...body]
  const code = new Uint8Array(leb128(functions).length + entry.length * functions)
  code.set(leb128(functions), 0)
  for (let i = 0, at = leb128(functions).length; i < functions; i++, at += entry.length) code.set(entry, at)
  const parts = [
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, [0x01, 0x60, 0x00, 0x00]),
    section(3, [...leb128(functions), ...new Array(functions).fill(0x00)]),
    [10, ...leb128(code.length)],
  ]
  const head = parts.flat()
  const binary = new Uint8Array(head.length + code.length)
  binary.set(head, 0)
  binary.set(code, head.length)
  return binary
}
