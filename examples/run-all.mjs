// Runs every example in its own Node.js process; exits non-zero if any of them fails.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const examples = [
  "./calculator.mjs",
  "./wasi-tool/run.mjs",
  "./wasi-tool/capture.mjs",
  "./host-plugin/run.mjs",
  "./limits.mjs",
];

for (const example of examples) {
  const file = fileURLToPath(new URL(example, import.meta.url));
  console.log(`=== ${example} ===`);
  const { status, signal, error } = spawnSync(process.execPath, [file], { stdio: "inherit" });
  if (error || status !== 0) {
    console.error(`${example} failed: ${error ? error.message : signal ? `signal ${signal}` : `exit code ${status}`}`);
    process.exit(1);
  }
  console.log();
}
console.log("All examples passed.");
