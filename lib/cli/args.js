'use strict'
// A small command-line parser: `--name value`, `--name=value`, flags, repeatable options,
// short aliases, and `--` after which everything is a positional argument. Anything it does
// not understand is a UsageError, which the command turns into a one-line error and status 2.

class UsageError extends Error {
  constructor(message) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * @param {string[]} argv the arguments after the command's name
 * @param {Record<string, { value?: boolean, repeatable?: boolean, alias?: string }>} spec the
 *   options by long name: `value` when it takes a value, `repeatable` when it may be given more
 *   than once (its values are collected in an array), `alias` a one-letter short form
 * @param {{ stopAtPositional?: boolean }} [mode] with `stopAtPositional`, options are read only
 *   up to the first positional argument: it and everything after it are positionals, untouched
 *   (`run FILE ARGS...`, where ARGS belong to the program)
 * @returns {{ options: Record<string, string | string[] | true>, positionals: string[],
 *   afterDashDash: string[] | null }} the options given, the positional arguments before `--`,
 *   and the arguments after `--` (null when there is no `--`)
 */
function parseArgs(argv, spec, { stopAtPositional = false } = {}) {
  const aliases = new Map()
  for (const [name, definition] of Object.entries(spec)) {
    if (definition.alias) aliases.set(definition.alias, name)
  }
  const options = {}
  const positionals = []
  let afterDashDash = null
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    if (afterDashDash !== null) {
      afterDashDash.push(token)
      continue
    }
    if (token === '--') {
      afterDashDash = []
      continue
    }
    if (!token.startsWith('-') || token === '-') {
      if (stopAtPositional) {
        positionals.push(...argv.slice(i))
        break
      }
      positionals.push(token)
      continue
    }
    let name
    let value
    if (token.startsWith('--')) {
      const equals = token.indexOf('=')
      name = equals === -1 ? token.slice(2) : token.slice(2, equals)
      value = equals === -1 ? undefined : token.slice(equals + 1)
    } else {
      name = aliases.get(token.slice(1))
    }
    const definition = Object.hasOwn(spec, name ?? '') ? spec[name] : undefined
    if (definition === undefined) throw new UsageError(`unknown option ${token}`)
    const flag = `--${name}`
    if (definition.value) {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`)
        value = argv[++i]
      }
    } else if (value !== undefined) {
      throw new UsageError(`${flag} takes no value`)
    } else {
      value = true
    }
    if (definition.repeatable) {
      ;(options[name] ??= []).push(value)
    } else if (Object.hasOwn(options, name)) {
      throw new UsageError(`${flag} is given more than once`)
    } else {
      options[name] = value
    }
  }
  return { options, positionals, afterDashDash }
}

module.exports = { parseArgs, UsageError }
