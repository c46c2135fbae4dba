// Formats result rows as a plain-text (also valid Markdown) table.
//
// A row: { group, name, unit, better: 'lower' | 'higher', ours, v8, spread?, target?, note? }, where
// `ours` and `v8` are numbers in `unit` (or null when a side has no such operation) and
// `target` is { text, met } (met: true, false, or null when it cannot be judged). `spread` is
// how far the samples strayed from their median (see harness.mjs).

const UNITS = {
  us: (v) => `${significant(v)} µs`,
  ms: (v) => `${significant(v)} ms`,
  'GB/s': (v) => `${significant(v)} GB/s`,
  'MB/s': (v) => `${significant(v)} MB/s`,
  'ops/s': (v) => (v >= 1e6 ? `${significant(v / 1e6)} M/s` : v >= 1e3 ? `${significant(v / 1e3)} k/s` : `${significant(v)} /s`),
}

function significant(v) {
  if (!Number.isFinite(v)) return String(v)
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3
  return v.toFixed(digits)
}

export function formatValue(value, unit) {
  if (value === null || value === undefined) return '—'
  return (UNITS[unit] ?? ((v) => `${significant(v)} ${unit}`))(value)
}

// How many times better ours is than V8's (above 1: ours is better), or null.
export function advantage(row) {
  if (row.ours == null || row.v8 == null || row.ours <= 0 || row.v8 <= 0) return null
  return row.better === 'lower' ? row.v8 / row.ours : row.ours / row.v8
}

function ratioCell(row) {
  const a = advantage(row)
  if (a === null) return '—'
  return a >= 1 ? `${significant(a)}x (ours)` : `${significant(1 / a)}x (V8)`
}

function targetCell(row) {
  if (!row.target) return ''
  const verdict = row.target.met === true ? 'met' : row.target.met === false ? 'MISSED' : 'n/a'
  return `${row.target.text}: ${verdict}`
}

export function formatTable(rows) {
  const header = ['benchmark', 'ours', 'V8', 'better by', 'spread', 'target']
  const lines = rows.map((row) => [
    `${row.group}: ${row.name}`,
    formatValue(row.ours, row.unit),
    formatValue(row.v8, row.unit),
    ratioCell(row),
    row.spread === undefined ? '' : `±${Math.round(row.spread * 100)}%`,
    targetCell(row),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const render = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [render(header), rule, ...lines.map(render)].join('\n')
}

export function formatNotes(rows) {
  return rows
    .filter((row) => row.note)
    .map((row) => `- ${row.group}: ${row.name}: ${row.note}`)
    .join('\n')
}
