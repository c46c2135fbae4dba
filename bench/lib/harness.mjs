// Timing primitives: a monotonic nanosecond clock, medians and percentiles, and the interleaved
// rounds that every side-by-side figure comes from.

export function now() {
  return process.hrtime.bigint()
}

export function elapsedNs(start) {
  return Number(process.hrtime.bigint() - start)
}

export function median(values) {
  return percentile(values, 50)
}

// Nearest-rank percentile of a list of numbers.
export function percentile(values, p) {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

// Runs `fn` `count` times in sequence (awaiting each result) and returns nanoseconds per run.
export async function nsPerOp(fn, count) {
  const start = now()
  for (let i = 0; i < count; i++) await fn(i)
  return elapsedNs(start) / count
}

// The same for a function whose result is not awaited.
export function nsPerOpSync(fn, count) {
  const start = now()
  for (let i = 0; i < count; i++) fn(i)
  return elapsedNs(start) / count
}

// Measures both sides of a comparison in alternating order, round by round, so that drift in
// the machine's speed (other processes, thermal state, GC) falls on both alike. Each side is an
// async function returning one sample; the first `warmup` rounds are discarded. Resolves the
// median sample of each side and all samples.
export async function interleaved({ ours, v8, rounds, warmup = 1 }) {
  const samples = { ours: [], v8: [] }
  for (let round = 0; round < warmup + rounds; round++) {
    const order = round % 2 === 0 ? ['ours', 'v8'] : ['v8', 'ours']
    for (const side of order) {
      const fn = side === 'ours' ? ours : v8
      if (fn === undefined) continue
      const sample = await fn()
      if (round >= warmup) samples[side].push(sample)
    }
  }
  return { ours: median(samples.ours), v8: median(samples.v8), samples }
}

// How far a side's samples strayed from its median: half their range, relative to the median
// (0.05 is ±5%). The larger of the two sides is reported, as a hint of how noisy a figure is.
export function spread({ samples }) {
  const relative = (values) => {
    if (values.length < 2) return 0
    const m = median(values)
    return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / 2 / Math.abs(m)
  }
  return Math.max(relative(samples.ours), relative(samples.v8))
}
