#!/usr/bin/env node
// Runs the benchmarks side by side with V8 (Node's own WebAssembly and node:wasi) and prints a
// table of medians and ratios.
//
//   node bench/run.mjs                  every group
//   node bench/run.mjs call compute     only these groups
//   options: --rounds N (measured rounds per figure), --quick (fewer rounds and smaller
//            batches, for a smoke run), --json FILE (also write the rows and machine as JSON)

import { writeFileSync } from 'node:fs'
import { describeMachine, machine } from './lib/machine.mjs'
import { advantage, formatNotes, formatTable } from './lib/table.mjs'

const GROUPS = ['call', 'compute', 'compile', 'instantiate', 'memory', 'eventloop', 'first-run']
// first-run takes minutes (real programs of 28 to 100 MB, compiled cold in new processes): it
// runs only when named.
const DEFAULT_GROUPS = GROUPS.filter((g) => g !== 'first-run')

function parseArgs(argv) {
  const options = { groups: [], rounds: 5, quick: false, json: null }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--rounds') options.rounds = Number(argv[++i])
    else if (arg === '--quick') options.quick = true
    else if (arg === '--json') options.json = argv[++i]
    else if (arg === '--help' || arg === '-h') options.help = true
    else if (GROUPS.includes(arg)) options.groups.push(arg)
    else throw new Error(`unknown argument ${JSON.stringify(arg)}; groups are: ${GROUPS.join(', ')}`)
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error('--rounds takes a positive integer')
  if (options.quick) options.rounds = 1
  if (options.groups.length === 0) options.groups = DEFAULT_GROUPS
  return options
}

// node:wasi announces itself as experimental on every process that loads it; the benchmark
// knows, so the warning is kept out of the table's way.
function quietExperimentalWarnings() {
  const emitWarning = process.emitWarning
  process.emitWarning = function (warning, ...rest) {
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type
    if (type === 'ExperimentalWarning' && String(warning).includes('WASI')) return
    return emitWarning.call(process, warning, ...rest)
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  if (options.help) {
    console.log(`usage: node bench/run.mjs [${GROUPS.join('|')} ...] [--rounds N] [--quick] [--json FILE]`)
    return
  }
  quietExperimentalWarnings()
  const m = machine()
  console.log(`runtime-wasm vs V8 (Node's WebAssembly / node:wasi); ${describeMachine(m)}`)
  console.log(`medians of ${options.rounds} interleaved rounds after a warm-up round\n`)
  const rows = []
  const started = process.hrtime.bigint()
  for (const group of options.groups) {
    const t = process.hrtime.bigint()
    process.stderr.write(`running ${group} ...`)
    const { run } = await import(`./groups/${group}.mjs`)
    const groupRows = await run({ rounds: options.rounds, quick: options.quick })
    for (const row of groupRows) rows.push({ group, ...row })
    process.stderr.write(` ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s\n`)
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  console.log(formatTable(rows))
  console.log(`\n"better by": how many times faster (or higher throughput) the better side is; "spread": half the range of the samples around their median, the larger of the two sides.`)
  const notes = formatNotes(rows)
  if (notes) console.log(`\nNotes:\n${notes}`)
  const targets = rows.filter((r) => r.target)
  const count = (met) => targets.filter((r) => r.target.met === met).length
  console.log(`\nTargets: ${count(true)} met, ${count(false)} missed, ${count(null)} not measurable here; total ${seconds.toFixed(0)} s`)
  if (options.json) {
    const withRatios = rows.map((r) => ({ ...r, advantage: advantage(r) }))
    writeFileSync(options.json, `${JSON.stringify({ machine: m, rounds: options.rounds, seconds, rows: withRatios }, null, 2)}\n`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
