'use strict'
// While a large module compiles (a minute or more for the largest), a line on the terminal
// says so and counts the seconds: "compiling yosys.wasm (31.2 MB)... 12 s", rewritten in place
// every quarter second and erased when the compile ends. It is shown only when stderr is a
// terminal, never in a pipe or a log, and only for files larger than THRESHOLD_BYTES (a
// small module compiles, or loads from the cache, before anyone would read it).
//
// It is driven by compileFile's onProgress events: "start" (with the file's size) shows it,
// "compiled" and "failed" erase it. Its timer is unref'd, so it never keeps the process alive,
// and stop() erases it on every other path (the caller calls it in a finally).

const { basename } = require('node:path')
const { printable } = require('./printable.js')

const THRESHOLD_BYTES = 4 * 1024 * 1024
const INTERVAL_MS = 250
/** Return to the start of the line and erase it. */
const ERASE_LINE = '\r\x1b[K'

/**
 * @param {{ isTTY?: boolean, write(text: string): unknown }} stream where to show it (stderr)
 * @returns {{ onProgress: (event: { phase: string, path: string, bytes?: number }) => void,
 *   stop: () => void }}
 */
function compileProgress(stream) {
  let timer = null
  const stop = () => {
    if (timer === null) return
    clearInterval(timer)
    timer = null
    stream.write(ERASE_LINE)
  }
  const onProgress = (event) => {
    if (event.phase !== 'start') return stop()
    if (stream.isTTY !== true || !(event.bytes > THRESHOLD_BYTES) || timer !== null) return
    const started = performance.now()
    const label = `compiling ${printable(basename(event.path))} (${megabytes(event.bytes)})...`
    const show = () => stream.write(`${ERASE_LINE}${label} ${Math.floor((performance.now() - started) / 1000)} s`)
    show()
    timer = setInterval(show, INTERVAL_MS)
    timer.unref()
  }
  return { onProgress, stop }
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`
}

module.exports = { compileProgress, THRESHOLD_BYTES }
