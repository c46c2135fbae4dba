// Compiles calculator.wat (WAT text is accepted as well as binary wasm) and calls its exports.
import { fileURLToPath } from "node:url";
import { compileFile, instantiate, types, dropModule } from "../index.mjs";

const moduleId = await compileFile(fileURLToPath(new URL("./calculator.wat", import.meta.url)));
const calc = await instantiate(moduleId);

const exports = await calc.getExports();
console.log("Available functions:", exports.filter((e) => e.kind === "function"));

const [sum] = await calc.call("add", 10, 20);
const [product] = await calc.call("multiply", types.i32(5), types.i32(7));
const [fact] = await calc.call("factorial", 20n); // i64 results come back as BigInt
console.log(`10 + 20 = ${sum}`);
console.log(`5 * 7 = ${product}`);
console.log(`20! = ${fact}`);
console.log(`memory: ${await calc.memory.size()} page(s)`);

await calc.drop();
await dropModule(moduleId);
