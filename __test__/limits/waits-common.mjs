// Shared by waits.test.mjs and its child process waits-child.mjs: stops a call while the guest
// waits in the host (sleeping in poll_oneoff, reading stdin, awaiting a host function, ...) with
// one kind of limit, and reports what happened as plain JSON-able data, so that the same
// measurement runs in this process or in a child and is checked by the same assertions.

import { fileURLToPath } from 'node:url'

import { AbortError, WasmError, instantiate } from '../../index.mjs'

/** The WAT fixtures of these tests, by name (in __test__/fixtures/). */
export const fixturePath = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

/** The four kinds of limit, each tried against each kind of wait. */
export const LIMIT_KINDS = Object.freeze(['limits.timeoutMs', 'invoke timeoutMs', 'AbortSignal', 'drop()'])

export const now = () => performance.now()
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Waits for `promise` at most `ms` ms: { settled: true, ok, value | error, at } or
 * { settled: false, at }, `at` being performance.now() when it settled (or gave up).
 */
export function settleBy(promise, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ settled: false, at: now() }), ms)
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer)
        resolve({ settled: true, ok: true, value, at: now() })
      },
      (error) => {
        clearTimeout(timer)
        resolve({ settled: true, ok: false, error, at: now() })
      },
    )
  })
}

/** Starts `operation` (a function), turning a synchronous throw into a rejection. */
export function start(operation) {
  try {
    return Promise.resolve(operation())
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * Host functions for waits_host.wat with their own state: wait() returns a Promise that is never
 * settled while the test runs (release() settles it afterwards); reenter(n) calls recurse(n + 1)
 * back through this.call, after `delayMs` (0: at once), until release().
 */
export function hostState({ delayMs = 0 } = {}) {
  const state = { waits: 0, reentries: 0, depth: 0, stop: false, pending: [] }
  state.imports = {
    host: {
      wait() {
        state.waits++
        return new Promise((resolve) => state.pending.push(resolve))
      },
      async reenter(n) {
        state.reentries++
        state.depth = Math.max(state.depth, n)
        if (delayMs > 0) await sleep(delayMs)
        if (state.stop) throw new Error('the test is over')
        const [result] = await this.call('recurse', n + 1)
        return result
      },
    },
  }
  state.release = () => {
    state.stop = true
    for (const resolve of state.pending.splice(0)) resolve(0)
  }
  return state
}

/** The host's re-entry count 300 ms and 600 ms from now: equal once the guest was stopped. */
export async function reentriesAfterStop(state) {
  await sleep(300)
  const first = state.reentries
  await sleep(300)
  return { first, second: state.reentries, depth: state.depth }
}

/** A JSON-able description of a thrown value; `reason` is an abort reason to compare causes with. */
export function summarize(error, reason) {
  if (error === undefined) return undefined
  if (!(error instanceof Error)) return { notAnError: String(error) }
  return {
    isWasmError: error instanceof WasmError,
    isAbortError: error instanceof AbortError,
    name: error.name,
    code: error.code,
    reason: error.reason,
    elapsedMs: error.elapsedMs,
    trap: error.trap,
    message: String(error.message).split('\n')[0],
    causeIsReason: reason !== undefined && error.cause === reason,
  }
}

const json = (value) => JSON.parse(JSON.stringify(value ?? null, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)))

/** A settleBy() outcome as JSON-able data, with its time measured from `from`. */
function outcomeData(outcome, from, reason) {
  return {
    settled: outcome.settled,
    ok: outcome.ok,
    value: json(outcome.value),
    error: summarize(outcome.error, reason),
    ms: outcome.at - from,
  }
}

/**
 * Instantiates `moduleId` with `options`, calls `name(...args)` and stops it with `limit` (one of
 * LIMIT_KINDS) after `limitMs`: a deadline on the instance or on the call, an abort, or drop().
 * Then, unless the instance was dropped, checks that it still answers `add(2, 3)`, calls the
 * export `probe` (a counter, reported as `probe`), runs `inspect(instance)` (its result is
 * reported as `inspected`; it must bound its own waits) and drops it. Resolves to:
 *   { limit, limitMs, settled, ok, value, error, ms, lateMs, drop?, afterDrop?, usable?, probe?, inspected? }
 * where ms counts from the call and lateMs from the moment the limit applied (the deadline, or
 * the abort() / drop()). Every wait is bounded by guardMs / usableMs: nothing hangs.
 */
export async function stopWhileWaiting({ moduleId, options = {}, name, args = [], limit, limitMs, guardMs, usableMs, probe, inspect }) {
  if (!LIMIT_KINDS.includes(limit)) throw new Error(`unknown limit ${limit}`)
  const config = { ...options }
  if (limit === 'limits.timeoutMs') config.limits = { ...config.limits, timeoutMs: limitMs }
  const instance = await instantiate(moduleId, config)
  const controller = new AbortController()
  const reason = new Error(`aborted after ${limitMs} ms`)
  const started = now()
  const call = start(() => {
    if (limit === 'invoke timeoutMs') return instance.invoke(name, args, { timeoutMs: limitMs })
    if (limit === 'AbortSignal') return instance.invoke(name, args, { signal: controller.signal })
    return instance.invoke(name, args)
  })
  const settling = settleBy(call, guardMs)
  let limitAt = started + limitMs
  let dropping
  if (limit === 'AbortSignal' || limit === 'drop()') {
    // The guest has long reached its wait by then (a call that settled already is reported).
    await Promise.race([sleep(limitMs), settling])
    limitAt = now()
    if (limit === 'AbortSignal') controller.abort(reason)
    else dropping = settleBy(start(() => instance.drop()), guardMs)
  }
  const outcome = await settling
  const result = { limit, limitMs, ...outcomeData(outcome, started, reason), lateMs: outcome.at - limitAt }
  if (dropping) {
    const dropped = await dropping
    result.drop = { ...outcomeData(dropped, limitAt), lateMs: dropped.at - limitAt }
    const after = now()
    result.afterDrop = outcomeData(await settleBy(start(() => instance.call('add', 2, 3)), usableMs), after)
    return result
  }
  const after = now()
  result.usable = outcomeData(await settleBy(start(() => instance.call('add', 2, 3)), usableMs), after)
  if (probe) result.probe = outcomeData(await settleBy(start(() => instance.call(probe)), usableMs), now())
  if (inspect) result.inspected = json(await inspect(instance))
  await settleBy(start(() => instance.drop()), usableMs)
  return result
}
