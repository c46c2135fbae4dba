// Stopping runaway plugins: a deadline, a fuel budget and an AbortSignal, while the event loop
// keeps running. Run it with: node examples/limits.mjs
import { compile, instantiate } from "runtime-wasm";

const moduleId = await compile(`
  (module
    (func (export "spin") (loop br 0))
    (func (export "sum") (param $n i32) (result i32)
      (local $total i32)
      (block $done
        (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $total (i32.add (local.get $total) (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
      (local.get $total)))
`);

let ticks = 0;
const timer = setInterval(() => ticks++, 10);

// A deadline: the call stops after 200 ms (5011, reason "timeout"); the instance stays usable.
const plain = await instantiate(moduleId);
try {
  await plain.invoke("spin", [], { timeoutMs: 200 });
} catch (err) {
  console.log(`deadline: ${err.name} ${err.code} reason=${err.reason}`);
}
console.log(`the event loop ran ${ticks > 5 ? "on" : "NOT"} meanwhile`);

// An AbortSignal stops a call too: it rejects with an AbortError.
try {
  await plain.invoke("spin", [], { signal: AbortSignal.timeout(50) });
} catch (err) {
  console.log(`abort: ${err.name}`);
}
console.log(`still usable: sum(10) = ${(await plain.call("sum", 10))[0]}`);

// Fuel: an instance with a fuel tank burns about one unit per instruction.
const metered = await instantiate(moduleId, { limits: { fuel: 1_000_000 } });
const [total] = await metered.call("sum", 1000);
console.log(`sum(1000) = ${total}, fuel left: ${await metered.fuel()}`);
try {
  await metered.call("spin");
} catch (err) {
  console.log(`fuel: ${err.name} ${err.code} reason=${err.reason}`);
}
await metered.setFuel(500);
console.log(`refilled: ${await metered.fuel()}`);

clearInterval(timer);
await plain.drop();
await metered.drop();
