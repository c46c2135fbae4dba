export const log = (msg) => { globalThis.__hostLog?.push(msg) }
export function fetchValue(key) {
  if (key === 'missing') { const e = new Error('not found'); e.payload = `no ${key}`; throw e }
  return `value of ${key}`
}
export const addOne = (x) => x + 1n
export const tick = (n) => n * 2
