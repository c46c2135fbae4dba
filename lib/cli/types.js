'use strict'
// `runtime-wasm types FILE [-o OUT]`: a TypeScript declaration file for calling the component
// FILE through runtime-wasm (see lib/component-dts.js), on stdout or into OUT.

const { writeFile } = require('node:fs/promises')
const { basename, extname } = require('node:path')
const EXIT = require('./exit-codes.js')
const { oneLine } = require('./printable.js')
const { isModuleBinary, readHeader, loadComponentWorld, notAComponent } = require('./component-world.js')
const { componentDts } = require('../component-dts.js')

const failed = (message) => ({ status: EXIT.FAILED, message: oneLine(message) })

/**
 * @param {string} file
 * @param {{ output?: string, write: (text: string) => Promise<void> | void }} options
 * @returns {Promise<{ status: number, message: string | null }>}
 */
async function typesCommand(file, { output, write }) {
  try {
    if (isModuleBinary(await readHeader(file))) return failed(notAComponent(file))
  } catch (error) {
    return failed(`${file}: cannot read the file: ${error.message}`)
  }
  const { world, message } = await loadComponentWorld(file)
  if (message !== undefined) return failed(message)
  const text = componentDts(world, { name: basename(file, extname(file)) })
  if (output === undefined) {
    await write(text)
    return { status: EXIT.OK, message: null }
  }
  try {
    await writeFile(output, text)
  } catch (error) {
    return failed(`${output}: cannot write the declarations: ${error.message}`)
  }
  return { status: EXIT.OK, message: null }
}

module.exports = { typesCommand }
