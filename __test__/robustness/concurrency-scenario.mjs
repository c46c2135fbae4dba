// Concurrency scenarios, run in a child process by concurrency.test.mjs. Prints one JSON line
// per scenario: { scenario, ok, details }. With --exit-with-pending it instead starts calls
// that never end by themselves and exits the process while they run.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const api = require('../../index.js')
const native = require('../../binding.js')

const WAT = `(module
  (import "host" "wait" (func $wait (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "mix") (param i32 i64) (result i64)
    (i64.add (i64.mul (i64.extend_i32_s (local.get 0)) (i64.const 1000003)) (local.get 1)))
  (func (export "work") (param i32) (result i32) (local i32)
    (loop (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "spin") (loop (br 0)))
  (func (export "wait") (param i32) (result i32) (call $wait (local.get 0))))`

// The host function answers after a timer: calls waiting on it are pending on the JS side.
const imports = { host: { wait: (ms) => new Promise((resolve) => setTimeout(() => resolve(ms), ms)) } }

function report(scenario, ok, details) {
  console.log(JSON.stringify({ scenario, ok, details }))
}

function withTimeout(promise, ms) {
  let timer
  const hang = new Promise((resolve) => {
    timer = setTimeout(() => resolve('HANG'), ms)
  })
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer))
}

if (process.argv.includes('--exit-with-pending')) {
  const moduleId = await api.compile(WAT)
  const instances = await Promise.all(Array.from({ length: 8 }, () => api.instantiate(moduleId, { imports })))
  for (const instance of instances) {
    instance.call('spin').catch(() => {})
    instance.call('wait', 60_000).catch(() => {})
    instance.call('work', 1_000_000_000).catch(() => {})
  }
  setTimeout(() => {
    console.log(JSON.stringify({ exiting: true, handles: native.liveHandles() }))
    process.exit(Number(process.argv[process.argv.indexOf('--exit-with-pending') + 1]) || 0)
  }, 100)
} else {
  const baseline = native.liveHandles()
  const moduleId = await api.compile(WAT)

  // 1. 2,000 concurrent calls across 50 instances, every result checked.
  {
    const instances = await Promise.all(Array.from({ length: 50 }, () => api.instantiate(moduleId, { imports })))
    const calls = []
    for (let i = 0; i < 2000; i++) {
      const instance = instances[i % 50]
      const big = BigInt(i) * 1_000_000_007n
      const expected = BigInt.asIntN(64, BigInt(i % 50) * 1000003n + big)
      const kind = i % 4
      if (kind === 0) calls.push(instance.call('mix', i % 50, big).then(([v]) => v === expected || `mix ${i}: ${v} != ${expected}`))
      else if (kind === 1) calls.push(instance.call('work', 1 + (i % 5000)).then(([v]) => v === 1 + (i % 5000) || `work ${i}: ${v}`))
      else if (kind === 2) calls.push(instance.call('wait', i % 7).then(([v]) => v === i % 7 || `wait ${i}: ${v}`))
      else calls.push(instance.memory.write(i % 60000, [i & 0xff]).then(() => true))
    }
    const outcomes = await withTimeout(Promise.allSettled(calls), 60_000)
    const problems = outcomes === 'HANG' ? ['calls hung'] : outcomes.filter((o) => o.status !== 'fulfilled' || o.value !== true).map((o) => String(o.reason ?? o.value))
    await Promise.all(instances.map((instance) => instance.drop()))
    report('2,000 concurrent calls across 50 instances', problems.length === 0, problems.slice(0, 10))
  }

  // 2. An instance dropped while calls on it are queued and running: each settles, with a result
  // or 5005, none hangs; the other instances are untouched.
  {
    const problems = []
    for (let round = 0; round < 20; round++) {
      const victim = await api.instantiate(moduleId, { imports })
      const bystander = await api.instantiate(moduleId, { imports })
      const pending = [
        victim.call('work', 50_000_000), // running
        victim.call('wait', 5), // queued: waits on a host timer
        victim.call('spin'), // queued: never ends by itself
        victim.call('mix', 1, 2n),
        victim.memory.read(0, 16),
        victim.getExports(),
      ]
      const bystanderCall = bystander.call('work', 100_000)
      await new Promise((resolve) => setTimeout(resolve, round % 5))
      await victim.drop()
      const outcomes = await withTimeout(Promise.allSettled(pending), 10_000)
      if (outcomes === 'HANG') {
        problems.push(`round ${round}: a call on the dropped instance hung`)
        continue
      }
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected' && outcome.reason?.code !== 5005) problems.push(`round ${round}: ${outcome.reason?.code} ${outcome.reason?.message}`)
      }
      const [done] = await bystanderCall
      if (done !== 100_000) problems.push(`round ${round}: the bystander returned ${done}`)
      await bystander.drop()
    }
    report('dropping an instance with calls queued and running', problems.length === 0, problems.slice(0, 10))
  }

  // 3. The module dropped while its instances have calls queued and running: they go on.
  {
    const problems = []
    const ownModule = await api.compile(WAT)
    const instances = await Promise.all(Array.from({ length: 5 }, () => api.instantiate(ownModule, { imports })))
    const pending = instances.flatMap((instance, i) => [instance.call('work', 1_000_000 + i), instance.call('wait', 20), instance.call('mix', i, 5n)])
    await api.dropModule(ownModule)
    const outcomes = await withTimeout(Promise.allSettled(pending), 20_000)
    if (outcomes === 'HANG') problems.push('calls hung after dropModule')
    else outcomes.forEach((o, i) => o.status === 'rejected' && problems.push(`call ${i}: ${o.reason?.code} ${o.reason?.message}`))
    const late = await api.instantiate(ownModule).then(
      () => 'instantiated',
      (error) => error.code,
    )
    if (late !== 5004) problems.push(`instantiating a dropped module: ${late}`)
    await Promise.all(instances.map((instance) => instance.drop()))
    report('dropping a module while its instances are busy', problems.length === 0, problems)
  }

  // 4. Drop races: drop twice at once, drop during instantiate, drop from a host function.
  {
    const problems = []
    const instance = await api.instantiate(moduleId, { imports })
    const both = await Promise.allSettled([instance.drop(), api.dropInstance(instance.id)])
    const codes = both.map((o) => (o.status === 'fulfilled' ? 'ok' : o.reason?.code)).sort()
    if (JSON.stringify(codes) !== JSON.stringify([5005, 'ok'])) problems.push(`double drop: ${codes}`)
    const self = {}
    const reentrant = await api.instantiate(moduleId, {
      imports: { host: { wait: () => self.instance.drop().then(() => 1) } },
    })
    self.instance = reentrant
    const outcome = await withTimeout(
      reentrant.call('wait', 0).then(
        () => 'resolved',
        (error) => error.code,
      ),
      10_000,
    )
    if (outcome !== 5005 && outcome !== 'resolved') problems.push(`drop from its own host function: ${outcome}`)
    report('drop races', problems.length === 0, problems)
  }

  await api.dropModule(moduleId)
  const now = native.liveHandles()
  report('nothing left behind', now.modules === baseline.modules && now.instances === baseline.instances, [JSON.stringify(now)])
}
