'use strict'
// The program's environment variables, from `--inherit-env` and `--env`. Nothing of this
// process's environment reaches the program unless one of them passes it.

const { UsageError } = require('./args.js')

/**
 * @param {string[]} settings the values of --env, in order: NAME=VALUE, or NAME for this
 *   process's value of NAME
 * @param {boolean} inherit --inherit-env: start from this process's whole environment
 * @param {Record<string, string | undefined>} environment this process's environment
 * @returns {Record<string, string>} the program's environment; a later --env wins
 * @throws {UsageError} for an empty name, or NAME alone when NAME is not set here
 */
function programEnv(settings, inherit, environment) {
  // A Map, so that a variable named __proto__ is a variable like any other.
  const env = new Map(inherit ? inherited(environment) : [])
  for (const text of settings) {
    const equals = text.indexOf('=')
    const name = equals === -1 ? text : text.slice(0, equals)
    if (name === '') throw new UsageError(`--env ${text}: the variable name is empty`)
    if (equals !== -1) {
      env.set(name, text.slice(equals + 1))
    } else if (typeof environment[name] === 'string') {
      env.set(name, environment[name])
    } else {
      throw new UsageError(`--env ${name}: ${name} is not set in this environment`)
    }
  }
  return Object.fromEntries(env)
}

// The variables that are set (process.env holds strings only; an object in its place may not).
function inherited(environment) {
  return Object.entries(environment).filter(([, value]) => typeof value === 'string')
}

module.exports = { programEnv }
