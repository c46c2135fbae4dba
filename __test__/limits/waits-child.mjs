// Child process of waits.test.mjs, for the waits only a process of their own can show or
// contain:
//   stdin    calls that read (fd_read) or poll (poll_oneoff) this process's stdin, inherited with
//            inheritStdin: the parent gives it a pipe that nobody ever writes to or closes;
//   forever  a poll_oneoff sleep of 10^12 ms;
//   reentry  a host function that re-enters the instance through this.call without end (what
//            a stop leaves behind dies with this process, not in the test runner's).
// Each is stopped with each kind of limit in `limits` (waits-common.mjs); the stdin and forever
// waits are then tried under callSync. One line per result goes to stdout as "@@" + JSON (pipes
// are synchronous on Linux, so a line printed is a line the parent gets even if this process is
// killed later); the last line is { done: true }, after which the process must end by itself.
//
// Usage: node waits-child.mjs '{"scenario":"stdin","limitMs":300,"guardMs":1800,"usableMs":1500}'
//   optional: "limits": [...] (default: all four), "delayMs" (reentry: the pause per level)

import { WasmError, compileFile, instantiate } from '../../index.mjs'
import { LIMIT_KINDS, fixturePath, hostState, now, reentriesAfterStop, stopWhileWaiting, summarize } from './waits-common.mjs'

const { scenario, limitMs, guardMs, usableMs, limits = LIMIT_KINDS, delayMs = 0 } = JSON.parse(process.argv[2])
const print = (record) => process.stdout.write(`@@${JSON.stringify(record)}\n`)

const unhandled = []
process.on('unhandledRejection', (reason) => unhandled.push(String(reason?.stack ?? reason)))

const SCENARIOS = {
  stdin: {
    fixture: 'waits.wat',
    options: () => ({ inheritStdin: true }),
    probe: 'started',
    waits: [
      { wait: 'fd_read on an inherited stdin that never gets data', name: 'read_stdin', args: [] },
      { wait: 'poll_oneoff on an inherited stdin that never gets data', name: 'poll_stdin', args: [] },
    ],
  },
  forever: {
    fixture: 'waits.wat',
    options: () => ({}),
    probe: 'started',
    waits: [{ wait: 'a poll_oneoff sleep of 10^12 ms', name: 'sleep_ms', args: [10n ** 12n] }],
  },
  reentry: {
    fixture: 'waits_host.wat',
    probe: 'entered',
    waits: [{ wait: `re-entry through this.call (${delayMs ? `${delayMs} ms per level` : 'no pause between levels'})`, name: 'recurse', args: [0] }],
    noCallSync: true,
  },
}

const { fixture, probe, waits, noCallSync } = SCENARIOS[scenario]
const moduleId = await compileFile(fixturePath(fixture))

for (const { wait, name, args } of waits) {
  for (const limit of limits) {
    const state = scenario === 'reentry' ? hostState({ delayMs }) : undefined
    const options = state ? { imports: state.imports } : SCENARIOS[scenario].options()
    // The most RSS seen from the call until the instance was dropped.
    const rssBefore = process.memoryUsage.rss()
    let rssMost = rssBefore
    const sampler = setInterval(() => (rssMost = Math.max(rssMost, process.memoryUsage.rss())), 20)
    try {
      const result = await stopWhileWaiting({
        moduleId,
        options,
        name,
        args,
        limit,
        limitMs,
        guardMs,
        usableMs,
        probe,
        inspect: state ? () => reentriesAfterStop(state) : undefined,
      })
      if (state && limit === 'drop()') result.inspected = await reentriesAfterStop(state)
      clearInterval(sampler)
      rssMost = Math.max(rssMost, process.memoryUsage.rss())
      print({ kind: 'stop', wait, ...result, rssGrowth: rssMost - rssBefore, unhandled: unhandled.splice(0) })
    } catch (error) {
      print({ kind: 'stop', wait, limit, crashed: String(error?.stack ?? error) })
    } finally {
      clearInterval(sampler)
      state?.release()
    }
  }
}

// callSync holds the JS thread: a wait must make it throw (5002) at once, never block.
for (const { wait, name, args } of noCallSync ? [] : waits) {
  print({ kind: 'callSync-begin', wait })
  const instance = await instantiate(moduleId, SCENARIOS[scenario].options())
  const started = now()
  let value
  let error
  try {
    value = instance.callSync(name, ...args)
  } catch (thrown) {
    error = thrown
  }
  const ms = now() - started
  let usable
  try {
    usable = { ok: true, value: instance.callSync('add', 2, 3) }
  } catch (thrown) {
    usable = { ok: false, error: summarize(thrown) }
  }
  print({ kind: 'callSync', wait, ms, threw: error !== undefined, value, error: summarize(error), isWasmError: error instanceof WasmError, usable })
  await instance.drop()
}

print({ kind: 'done', done: true, unhandled: unhandled.splice(0) })
