'use strict'
// The runtime-wasm command: picks the command, prints help and usage errors, and returns the
// exit status. Each command lives in its own file.

const { parseArgs, UsageError } = require('./args.js')
const { parseRunOptions } = require('./run-options.js')
const { size } = require('./option-values.js')
const EXIT = require('./exit-codes.js')
const USAGE = require('./usage.js')
const { oneLine } = require('./printable.js')

const HELP_TOPICS = Object.freeze({ run: USAGE.RUN, serve: USAGE.SERVE, inspect: USAGE.INSPECT, types: USAGE.TYPES, compile: USAGE.COMPILE, cache: USAGE.CACHE })

/** The line after a usage error: where the whole story is (the help text is not repeated). */
function usageHint(command) {
  return Object.hasOwn(HELP_TOPICS, command ?? '')
    ? `Run "runtime-wasm help ${command}" for the options.`
    : 'Run "runtime-wasm --help" for the commands.'
}

/**
 * @param {string[]} argv the arguments after `runtime-wasm`
 * @param {{ stdout: { write(text: string): unknown }, stderr: { write(text: string): unknown } }} io
 * @returns {Promise<number>} the exit status
 */
async function main(argv, io = process) {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case undefined:
        io.stderr.write(USAGE.MAIN)
        return EXIT.USAGE
      case '-h':
      case '--help':
        io.stdout.write(USAGE.MAIN)
        return EXIT.OK
      case '-V':
      case '--version':
        io.stdout.write(`${require('../../package.json').version}\n`)
        return EXIT.OK
      case 'help':
        return help(rest, io)
      case 'run':
        return await run(rest, io)
      case 'serve':
        return await serve(rest, io)
      case 'inspect':
        return await inspect(rest, io)
      case 'types':
        return await types(rest, io)
      case 'compile':
        return await compile(rest, io)
      case 'cache':
        return await cache(rest, io)
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`)
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr.write(`runtime-wasm: ${oneLine(error.message)}\n${usageHint(command)}\n`)
    return EXIT.USAGE
  }
}

function help([topic, ...extra], io) {
  if (extra.length > 0) throw new UsageError('help takes at most one command name')
  if (topic === undefined) {
    io.stdout.write(USAGE.MAIN)
    return EXIT.OK
  }
  if (!Object.hasOwn(HELP_TOPICS, topic)) throw new UsageError(`no help for ${JSON.stringify(topic)}: the commands are ${Object.keys(HELP_TOPICS).join(', ')}`)
  io.stdout.write(HELP_TOPICS[topic])
  return EXIT.OK
}

async function run(argv, io) {
  const options = parseRunOptions(argv)
  if (options.help) {
    io.stdout.write(USAGE.RUN)
    return EXIT.OK
  }
  // Loaded only now: help and usage errors work even where the native addon cannot load.
  const { runProgram } = require('./run.js')
  const { status, message } = await runProgram(options, { write: writer(io.stdout), stderr: io.stderr })
  if (message !== null) io.stderr.write(`runtime-wasm: ${message}\n`)
  return status
}

async function serve(argv, io) {
  const options = parseRunOptions(argv, process.env, { addr: { value: true }, 'reuse-instance': {} })
  if (options.help) {
    io.stdout.write(USAGE.SERVE)
    return EXIT.OK
  }
  if (options.programArgs.length > 0) throw new UsageError(`serve takes no arguments after FILE, got ${JSON.stringify(options.programArgs[0])}`)
  if (options.invoke !== undefined) throw new UsageError('serve takes no --invoke: requests go to the component\'s wasi:http/incoming-handler')
  const { parseAddress, serveComponent } = require('./serve.js')
  const address = parseAddress(options.options.addr ?? '0.0.0.0:8080')
  const { status, message } = await serveComponent({ ...options, address, reuseInstance: options.options['reuse-instance'] === true }, io)
  if (message !== null) io.stderr.write(`runtime-wasm: ${message}\n`)
  return status
}

async function inspect(argv, io) {
  const { options, positionals, afterDashDash } = parseArgs(argv, { json: {}, help: { alias: 'h' } })
  if (options.help) {
    io.stdout.write(USAGE.INSPECT)
    return EXIT.OK
  }
  const files = [...positionals, ...(afterDashDash ?? [])]
  if (files.length !== 1) throw new UsageError(files.length === 0 ? 'inspect needs a .wasm file' : 'inspect takes one file')
  const { inspectModule } = require('./inspect.js')
  const { status, message } = await inspectModule(files[0], { json: options.json === true, write: writer(io.stdout) })
  if (message !== null) io.stderr.write(`runtime-wasm: ${message}\n`)
  return status
}

async function types(argv, io) {
  const { options, positionals, afterDashDash } = parseArgs(argv, { output: { value: true, alias: 'o' }, help: { alias: 'h' } })
  if (options.help) {
    io.stdout.write(USAGE.TYPES)
    return EXIT.OK
  }
  const files = [...positionals, ...(afterDashDash ?? [])]
  if (files.length !== 1) throw new UsageError(files.length === 0 ? 'types needs a component .wasm file' : 'types takes one file')
  if (options.output === '') throw new UsageError('--output needs a file name')
  const { typesCommand } = require('./types.js')
  return report(await typesCommand(files[0], { output: options.output, write: writer(io.stdout) }), io)
}

async function compile(argv, io) {
  const { options, positionals, afterDashDash } = parseArgs(argv, { help: { alias: 'h' } })
  if (options.help) {
    io.stdout.write(USAGE.COMPILE)
    return EXIT.OK
  }
  const files = [...positionals, ...(afterDashDash ?? [])]
  if (files.length === 0) throw new UsageError('compile needs at least one .wasm file')
  const { compileCommand } = require('./compile.js')
  return report(await compileCommand(files, writer(io.stdout), io.stderr), io)
}

const CACHE_ACTIONS = Object.freeze(['list', 'prune', 'clear'])

async function cache(argv, io) {
  const { options, positionals } = parseArgs(argv, { json: {}, 'max-size': { value: true }, help: { alias: 'h' } })
  if (options.help) {
    io.stdout.write(USAGE.CACHE)
    return EXIT.OK
  }
  const [action = 'list', ...extra] = positionals
  if (!CACHE_ACTIONS.includes(action)) throw new UsageError(`unknown cache action ${JSON.stringify(action)}: the actions are ${CACHE_ACTIONS.join(', ')}`)
  if (extra.length > 0) throw new UsageError(`cache ${action} takes no further arguments, got ${JSON.stringify(extra[0])}`)
  if (options['max-size'] !== undefined && action !== 'prune') throw new UsageError('--max-size goes with cache prune')
  const maxBytes = options['max-size'] === undefined ? undefined : Number(size(options['max-size'], '--max-size'))
  const { cacheCommand } = require('./cache.js')
  return report(await cacheCommand({ action, json: options.json === true, maxBytes }, writer(io.stdout)), io)
}

function report({ status, message }, io) {
  if (message !== null) io.stderr.write(`runtime-wasm: ${message}\n`)
  return status
}

/**
 * Writes to a stream and resolves once the text is handed to the system, so that a large
 * output is neither held whole in memory nor cut short when the process exits. Once a write
 * fails (say the reader of a pipe went away, EPIPE), the rest is dropped.
 */
function writer(stream) {
  let failed = false
  if (typeof stream.on === 'function') stream.on('error', () => (failed = true))
  return (text) => new Promise((resolve) => {
    if (failed) return resolve()
    stream.write(text, (error) => {
      if (error) failed = true
      resolve()
    })
  })
}

module.exports = { main }
