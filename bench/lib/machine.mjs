// Describes the machine a run came from: core count, CPU model, Node version, date, and how
// busy the machine was when the run began (the 1-minute load average), since other processes
// on a small machine move every figure.

import { readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'))
    if (line) return line.split(':')[1].trim()
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown'
}

export function machine() {
  return {
    cores: typeof availableParallelism === 'function' ? availableParallelism() : cpus().length,
    cpu: cpuModel(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAverage: Number(loadavg()[0].toFixed(2)),
  }
}

export function describeMachine(m) {
  return `${m.cores} cores, ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node} (V8 ${m.v8}), ${m.platform}, ${m.date}, load average ${m.loadAverage}`
}
