// run(): a WASI command run to its end, with its output captured, like child_process.execFile.
// Run it with: node examples/wasi-tool/capture.mjs
import { fileURLToPath } from "node:url";
import { run } from "runtime-wasm";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const decoder = new TextDecoder();

const ok = await run(here("./tool.wasm"), {
  args: ["tool", "input.txt"],
  preopens: { "/": here("./sandbox") },
});
const lines = decoder.decode(ok.stdout).trimEnd().split("\n");
console.log(`exit code ${ok.exitCode}, ${lines.length} lines of output; the last: "${lines.at(-1)}"`);

// A non-zero exit status is data here, not an error.
const failed = await run(here("./tool.wasm"), { args: ["tool", "missing.txt"], preopens: { "/": here("./sandbox") } });
console.log(`exit code ${failed.exitCode}, stderr: ${decoder.decode(failed.stderr).trim()}`);
