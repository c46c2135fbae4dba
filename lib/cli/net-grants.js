'use strict'
// `runtime-wasm run --allow-net GRANT` / `--allow-bind GRANT` -> instantiate's `network.allow`.
//
//   GRANT = HOST[:PORTS][/PROTOCOLS]
//   HOST       api.example.com, *.example.com, 10.0.0.5, [::1], 10.0.0.0/8 (no ports then
//              unless bracketed: [10.0.0.0/8]:443), or *
//   PORTS      443, 8000-8100, 80,443 or * (every port, the default)
//   PROTOCOLS  tcp, udp, http, https, joined by + or , (default: all)
//
// wasmtime's -S inherit-network grants everything (every address, loopback and private ones
// included, every name, both directions), as it does there. The core checks each grant.

const { UsageError } = require('./args.js')

const EVERYTHING = Object.freeze(['*', '0.0.0.0/0', '::/0'])

function networkGrants(allowNet, allowBind, inheritNetwork) {
  const allow = [
    ...allowNet.map((text) => grantOf(text, '--allow-net', ['connect'])),
    ...allowBind.map((text) => grantOf(text, '--allow-bind', ['bind'])),
  ]
  if (inheritNetwork) allow.push(...EVERYTHING.map((host) => ({ host, directions: ['connect', 'bind'] })))
  return allow
}

function grantOf(text, flag, directions) {
  const slash = text.lastIndexOf('/')
  let rest = text
  let protocols
  // A trailing /tcp+http names protocols; a /8 after an address is a range's prefix.
  if (slash !== -1 && /^[a-z+,]+$/.test(text.slice(slash + 1))) {
    protocols = text.slice(slash + 1).split(/[+,]/)
    rest = text.slice(0, slash)
  }
  const { host, ports } = hostAndPorts(rest, `${flag} ${text}`)
  const grant = { host, directions }
  if (ports !== undefined) grant.ports = ports
  if (protocols !== undefined) grant.protocols = protocols
  return grant
}

function hostAndPorts(text, where) {
  if (text === '') throw new UsageError(`${where}: the host is empty`)
  let host = text
  let portText
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close === -1) throw new UsageError(`${where}: a "[" without its "]"`)
    host = text.slice(1, close)
    const after = text.slice(close + 1)
    if (after !== '' && !after.startsWith(':')) throw new UsageError(`${where}: expected ":PORTS" after "]"`)
    portText = after === '' ? undefined : after.slice(1)
  } else if (text.split(':').length === 2) {
    ;[host, portText] = text.split(':')
  }
  if (portText === undefined || portText === '*') return { host }
  if (portText === '') throw new UsageError(`${where}: the ports after ":" are empty`)
  const ports = portText.split(',').map((part) => (/^\d+$/.test(part) ? Number(part) : part))
  return { host, ports }
}

module.exports = { networkGrants }
