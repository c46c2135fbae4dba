// ES module entry: the same API as index.js.
import api from './index.js'

export const {
  compile,
  compileFile,
  dropModule,
  moduleKind,
  componentWorld,
  moduleImports,
  moduleExports,
  moduleTier,
  whenOptimized,
  cacheInfo,
  pruneCache,
  clearCache,
  instantiate,
  call,
  getExports,
  dropInstance,
  fuel,
  setFuel,
  callSync,
  configure,
  capabilities,
  readStdout,
  readStderr,
  run,
  memory,
  types,
  Instance,
  Memory,
  WasmError,
  AbortError,
  ErrorCode,
} = api

export default api
