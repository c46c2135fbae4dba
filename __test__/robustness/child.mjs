// Runs a script in a child Node process, so that a crash (a signal, an abort) or a hang is seen
// as what it is instead of taking the test runner down with it.
import { spawn } from 'node:child_process'

/**
 * Resolves { code, signal, stdout, stderr, timedOut, ms }. `timeoutMs` kills the child (SIGKILL)
 * and reports timedOut: a hang.
 */
export function runNode(args, { timeoutMs = 60_000, env = {}, input } = {}) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    if (input !== undefined) child.stdin.end(input)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started })
    })
  })
}

/** A readable account of how a child ended, for assertion messages. */
export function describeExit(result) {
  const how = result.timedOut ? 'HUNG (killed)' : result.signal ? `died of ${result.signal}` : `exited ${result.code}`
  return `${how} after ${result.ms} ms\n--- stderr ---\n${result.stderr.slice(-4000)}\n--- stdout (end) ---\n${result.stdout.slice(-2000)}`
}

/** Parses the JSON lines a child printed (other lines are ignored). */
export function jsonLines(text) {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
}
