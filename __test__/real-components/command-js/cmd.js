// A wasi:cli/command in JavaScript (componentize-js): the same subcommands as main.py,
// through the WASI 0.2 interfaces themselves.
import { getArguments, getEnvironment } from 'wasi:cli/environment@0.2.12'
import { exit } from 'wasi:cli/exit@0.2.12'
import { getStdin } from 'wasi:cli/stdin@0.2.12'
import { getStdout } from 'wasi:cli/stdout@0.2.12'
import { getStderr } from 'wasi:cli/stderr@0.2.12'
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12'
import { now } from 'wasi:clocks/wall-clock@0.2.12'
import { getRandomBytes } from 'wasi:random/random@0.2.12'

const enc = new TextEncoder()
const dec = new TextDecoder()
function writeAll(stream, bytes) {
  for (let i = 0; i < bytes.length; i += 4096) stream.blockingWriteAndFlush(bytes.subarray(i, i + 4096))
}
const out = (s) => writeAll(getStdout(), enc.encode(s))
const err = (s) => writeAll(getStderr(), enc.encode(s))

function resolve(path) {
  for (const [desc, guest] of getDirectories()) {
    if (path.startsWith(guest + '/')) return [desc, path.slice(guest.length + 1)]
  }
  throw { code: 'no-entry' }
}

function main(argv) {
  const cmd = argv[1] ?? ''
  switch (cmd) {
    case 'echo-args': for (const a of argv) out(a + '\n'); return 0
    case 'env': { const e = getEnvironment().find(([k]) => k === argv[2]); out((e ? e[1] : '(unset)') + '\n'); return 0 }
    case 'cat': try {
      const [dir, rel] = resolve(argv[2])
      const f = dir.openAt({}, rel, {}, { read: true })
      const size = f.stat().size
      const [data] = f.read(size, 0n)
      writeAll(getStdout(), data)
      return 0
    } catch (e) { err(String(e?.payload ?? e?.code ?? e) + '\n'); return 3 }
    case 'write': try {
      const [dir, rel] = resolve(argv[2])
      const f = dir.openAt({}, rel, { create: true, truncate: true }, { write: true })
      f.write(enc.encode(argv[3]), 0n)
      return 0
    } catch (e) { err(String(e?.payload ?? e?.code ?? e) + '\n'); return 4 }
    case 'ls': {
      const [dir] = resolve(argv[2] + '/x')
      const names = []
      const s = dir.readDirectory()
      for (let e = s.readDirectoryEntry(); e; e = s.readDirectoryEntry()) names.push(e.name)
      out(names.sort().map((n) => n + '\n').join(''))
      return 0
    }
    case 'stdin': {
      const input = getStdin()
      const chunks = []
      for (;;) {
        try { chunks.push(input.blockingRead(65536n)) } catch (e) { break }
      }
      out(chunks.map((c) => dec.decode(c, { stream: true })).join('').toUpperCase())
      return 0
    }
    case 'exit': return Number(argv[2])
    case 'raise': throw new Error('boom')
    case 'stderr': err(argv[2] + '\n'); return 0
    case 'time': out((now().seconds > 1600000000n ? 'sane' : 'insane') + '\n'); return 0
    case 'random': out(getRandomBytes(16n).length + '\n'); return 0
    case 'big': out('x'.repeat(Number(argv[2]))); return 0
    default: err('usage\n'); return 2
  }
}

export const run = {
  run() {
    const status = main(getArguments())
    if (status) exit({ tag: 'err' })
  },
}
