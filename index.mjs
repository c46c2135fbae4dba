// ES module entry: the same API as index.js.
import api from './index.js'

export const {
  compile,
  compileFile,
  dropModule,
  instantiate,
  call,
  getExports,
  dropInstance,
  memory,
  types,
  Instance,
  Memory,
  WasmError,
  ErrorCode,
} = api

export default api
