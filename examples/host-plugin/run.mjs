// A plugin that asks its host for a value by name and logs a message: host functions, with
// strings passed through the plugin's linear memory. Run it with: node examples/host-plugin/run.mjs
import { fileURLToPath } from "node:url";
import { compileFile, instantiate } from "runtime-wasm";

const settings = new Map([["user", "Ada Lovelace"]]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const moduleId = await compileFile(fileURLToPath(new URL("./plugin.wat", import.meta.url)));
const plugin = await instantiate(moduleId, {
  imports: {
    host: {
      // `this` is the calling plugin: its memory can be read and written during the call.
      async get(namePtr, nameLength, outPtr, outCapacity) {
        const name = decoder.decode(await this.memory.read(namePtr, nameLength));
        const value = encoder.encode(settings.get(name) ?? "");
        if (value.length > outCapacity) throw new RangeError(`the value of ${name} does not fit`);
        await this.memory.write(outPtr, value);
        console.log(`host: the plugin asked for "${name}"`);
        return value.length;
      },
      async log(ptr, length) {
        console.log(`plugin: ${decoder.decode(await this.memory.read(ptr, length))}`);
      },
    },
  },
});

const [length] = await plugin.call("greet");
console.log(`greet() returned ${length}`);

await plugin.drop();
