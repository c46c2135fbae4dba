// Runs the WASI command tool.wasm with ./sandbox mounted as its root directory.
import { fileURLToPath } from "node:url";
import { compileFile, instantiate, dropModule } from "../../index.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

const moduleId = await compileFile(here("./tool.wasm"));

const instance = await instantiate(moduleId, {
  preopens: { "/": here("./sandbox") }, // mount the sandbox directory as root
  env: { HOME: "/home/user", PATH: "/bin", APP_MODE: "demo" },
  args: ["tool", "--verbose", "input.txt"],
  inheritStdout: true,
  inheritStderr: true,
});
await instance.call("_start");
await instance.drop();

// A non-zero exit status rejects the call with a WasmError carrying exitCode.
const failing = await instantiate(moduleId, {
  preopens: { "/": here("./sandbox") },
  args: ["tool", "missing.txt"],
});
try {
  await failing.call("_start");
  throw new Error("expected tool to fail on a missing file");
} catch (err) {
  if (err.exitCode !== 3) throw err;
  console.log(`missing.txt: tool exited with code ${err.exitCode} (${err.name} ${err.code})`);
} finally {
  await failing.drop();
}

await dropModule(moduleId);
