import { Kv, peek } from 'test:res/store'
export function useKv(key) {
  const kv = new Kv('p-')
  kv.set(key, 'value')
  const got = kv.get(key)
  const n = peek(kv)
  return `${got}|${n}`
}
export function useStatic(name) {
  const kv = Kv.open(name)
  return String(kv.get('x'))
}
export function echoKv(k) {
  k.set('touched', 'yes')
  return k
}
