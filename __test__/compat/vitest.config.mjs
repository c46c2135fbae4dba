// vitest configuration of the compatibility suite (see ../compat.test.mjs). The package is
// imported by its name, "runtime-wasm" (self-reference through package.json "exports"), and
// kept external, so Node loads it as it does from a user's node_modules.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = fileURLToPath(new URL('../..', import.meta.url))

export default defineConfig({
  root,
  test: {
    include: ['__test__/compat/vitest/**/*.spec.mjs'],
    server: { deps: { external: [/[\\/]index\.m?js$/, /[\\/]binding\.js$/] } },
    fileParallelism: true,
    testTimeout: 30_000,
  },
})
