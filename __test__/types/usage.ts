// Type-checked (never run) by `tsc -p __test__/types` in `npm test`: every name that
// "runtime-wasm" exports is used here as its README shows it, and each `@ts-expect-error`
// line is a wrong use that the types must reject. This file is CommonJS to TypeScript (the
// package has no "type": "module"), so "runtime-wasm" resolves through the "require" condition;
// usage-esm.mts covers the "import" one.
import {
  AbortError,
  call,
  callSync,
  cacheInfo,
  capabilities,
  clearCache,
  compile,
  compileFile,
  configure,
  createHttpHandler,
  dropInstance,
  dropModule,
  ErrorCode,
  fuel,
  getExports,
  Instance,
  instantiate,
  Memory,
  memory,
  componentWorld,
  moduleExports,
  moduleImports,
  moduleKind,
  moduleTier,
  pruneCache,
  readStderr,
  readStdout,
  run,
  setFuel,
  toNodeListener,
  types,
  WasmError,
  whenOptimized,
} from 'runtime-wasm'
import type {
  HttpHandler,
  HttpHandlerOptions,
  NodeRequestListener,
  NetworkProtocol,
  NetworkConfig,
  NetworkDenial,
  NetworkGrant,
  ComponentImports,
  ComponentInstantiateOptions,
  ComponentInstance,
  ComponentResource,
  ComponentValue,
  ComponentWorld,
  WitFunction,
  WitItem,
  WitType,
  FirefoxProfile,
  ProfileOptions,
  WasmFrame,
  CacheEntry,
  CacheInfo,
  CachePruned,
  ModuleExport,
  ModuleFunctionType,
  ModuleGlobalType,
  ModuleImport,
  ModuleItemType,
  ModuleMemoryType,
  ModuleTableType,
  ModuleTagType,
  CallOptions,
  Capabilities,
  CompileFileOptions,
  CompileLimits,
  CompileOptions,
  CompileFileProgress,
  ConfigureOptions,
  ErrorCodeName,
  ErrorCodeValue,
  ExportInfo,
  ExportKind,
  FunctionExportInfo,
  GlobalExportInfo,
  HostCallContext,
  HostFunction,
  HostImports,
  HostMemory,
  HostModuleImports,
  HostResult,
  InstanceId,
  InstanceLimits,
  InstantiateOptions,
  LowLevelMemory,
  MemoryExportInfo,
  ModuleId,
  NumericTypeName,
  OpaqueReference,
  OpaqueReferenceKind,
  OutputTarget,
  PreopenDir,
  ReferenceTypeName,
  RunOptions,
  RunResult,
  TableExportInfo,
  TagExportInfo,
  TypedF32,
  TypedF64,
  TypedI32,
  TypedI64,
  TypedNullReference,
  TypedV128,
  TypedValue,
  ValueTypeName,
  WasiConfig,
  WasmArg,
  WasmErrorDetails,
  WasmValue,
} from 'runtime-wasm'

// An exact type equality check: `expectType<Equal<A, B>>(true)` compiles only when A is B.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function expectType<T extends true>(_proof: T): void {}

const decoder = new TextDecoder()

async function modules(): Promise<void> {
  const fromText: ModuleId = await compile('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')
  const fromBytes: string = await compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
  await compile(new ArrayBuffer(8))
  await compile(Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]))
  // @ts-expect-error a number is not a module source
  await compile(42)
  const imports: ModuleImport[] = moduleImports(fromText)
  for (const item of imports) {
    const from: string = item.module
    if (item.kind === 'function') expectType<Equal<typeof item.params, ValueTypeName[]>>(true)
    // @ts-expect-error maximum exists only on memories and tables: narrow by kind first
    item.maximum
  }
  const exported: ModuleExport[] = moduleExports(fromText)
  const described: ModuleItemType[] = exported
  for (const item of described) {
    const narrowed: ModuleFunctionType | ModuleMemoryType | ModuleTableType | ModuleGlobalType | ModuleTagType = item
    if (narrowed.kind === 'memory') expectType<Equal<typeof narrowed.maximum, number | null>>(true)
    if (narrowed.kind === 'global') expectType<Equal<typeof narrowed.mutable, boolean>>(true)
  }
  // @ts-expect-error an export comes from no module
  exported[0].module
  const tier: 'baseline' | 'optimized' = moduleTier(fromText)
  const optimized: boolean = await whenOptimized(fromText)
  configure({ tieringMinBytes: Infinity, cacheMaxBytes: 1 << 30 })
  const info: CacheInfo = cacheInfo()
  const dir: string | null = info.dir
  const entry: CacheEntry | undefined = info.entries[0]
  const pruned: CachePruned = pruneCache(1 << 20)
  const cleared: number = clearCache().removed
  // @ts-expect-error a size is a number
  pruneCache('1MiB')
  configure({ tieringMinBytes: 4 << 20 })
  try {
    await compile('(module)')
  } catch (error) {
    if (error instanceof WasmError && error.frames) {
      const top: WasmFrame | undefined = error.frames[0]
      const line: number | null | undefined = top?.line
    }
  }
  const budget: CompileLimits = { maxBytes: 1 << 20, maxFunctions: 10_000, maxFunctionBytes: 1 << 16, timeoutMs: 5000 }
  const compileOptions: CompileOptions = { limits: budget }
  await compile('(module)', compileOptions)
  await compile('(module)', null)
  await compile('(module)', { trusted: true })
  await compileFile('./plugin.wasm', { trusted: true, limits: null })
  // @ts-expect-error trusted is a boolean
  await compile('(module)', { trusted: 'yes' })
  await compileFile('./plugin.wasm', { limits: { maxFunctions: 10 } })
  configure({ compileLimits: { maxFunctions: 10, timeoutMs: 1000 } })
  // @ts-expect-error the process's size bound is maxModuleBytes
  configure({ compileLimits: { maxBytes: 10 } })
  // @ts-expect-error a bound is a number
  await compile('(module)', { limits: { maxFunctions: '10' } })

  const events: CompileFileProgress[] = []
  const options: CompileFileOptions = { onProgress: (event) => events.push(event) }
  const fromFile = await compileFile('./plugin.wasm', options)
  await compileFile('./plugin.wasm')
  await compileFile('./plugin.wasm', null)
  for (const event of events) {
    switch (event.phase) {
      case 'start':
        expectType<Equal<typeof event.elapsedMs, 0>>(true)
        break
      case 'compiled':
        expectType<Equal<typeof event.moduleId, ModuleId>>(true)
        break
      case 'failed':
        expectType<Equal<typeof event.error, unknown>>(true)
        // @ts-expect-error only a compiled event has a moduleId
        event.moduleId
        break
    }
    const size: number | undefined = event.bytes
  }
  // @ts-expect-error onProgress is a function
  await compileFile('./plugin.wasm', { onProgress: 'verbose' })
  // @ts-expect-error the path is a string
  await compileFile(new URL('file:///plugin.wasm'))

  await dropModule(fromText)
  await dropModule(fromBytes)
  await dropModule(fromFile)
}

async function instancesAndCalls(moduleId: ModuleId): Promise<void> {
  const instance: Instance = await instantiate(moduleId)
  const id: InstanceId = instance.id
  const [sum] = await instance.call<[number]>('add', 5, 3)
  const total: number = sum
  const results: WasmValue[] = await instance.call('square', types.i64(3_000_000_000n), 1n, null, 2.5)
  await instance.call('f', { type: 'v128', value: 1n }, { type: 'externref', value: null })
  // @ts-expect-error strings are not wasm values
  await instance.call('add', '5', 3)
  // @ts-expect-error a boolean is not a wasm value
  await instance.call('add', true)

  const callOptions: CallOptions = { fuel: 1_000_000, timeoutMs: 100, signal: AbortSignal.timeout(1000) }
  await instance.invoke('run', [10], callOptions)
  await instance.invoke('run', [], { fuel: 10n, timeoutMs: null, signal: null })
  await instance.invoke('run')
  // @ts-expect-error invoke takes its arguments as an array
  await instance.invoke('run', 10)
  // @ts-expect-error signal is an AbortSignal
  await instance.invoke('run', [], { signal: new AbortController() })

  const [quick] = instance.callSync<[number]>('add', 1, 2)
  const syncResults: WasmValue[] = instance.callSync('add', 1, 2)
  // @ts-expect-error callSync returns the results, not a Promise
  const notAPromise: Promise<WasmValue[]> = instance.callSync('add', 1, 2)

  const left: number | null = await instance.fuel()
  await instance.setFuel(5_000_000)
  await instance.setFuel(5n)
  // @ts-expect-error fuel is a number or bigint
  await instance.setFuel('lots')

  const exports: ExportInfo[] = await instance.getExports()
  const profiling: ProfileOptions = { intervalMs: 2 }
  await instance.startProfile(profiling)
  const profile: FirefoxProfile = await instance.stopProfile()
  const threads: Record<string, unknown>[] = profile.threads
  // @ts-expect-error the interval is a number
  await instance.startProfile({ intervalMs: '2' })
  for (const entry of exports) {
    const kind: ExportKind = entry.kind
    if (entry.kind === 'function') {
      const fn: FunctionExportInfo = entry
      const params: ValueTypeName[] = fn.params
    } else if (entry.kind === 'memory') {
      const mem: MemoryExportInfo = entry
      const max: number | null = mem.maximum
    } else if (entry.kind === 'table') {
      const table: TableExportInfo = entry
      const element: ReferenceTypeName = table.element
    } else if (entry.kind === 'global') {
      const global: GlobalExportInfo = entry
      const value: WasmValue = global.value
    } else {
      const tag: TagExportInfo = entry
      // @ts-expect-error a tag has no value
      tag.value
    }
  }

  const mem: Memory = instance.memory
  await mem.write(0, new TextEncoder().encode('Hello\0'))
  await mem.write(0, [72, 105])
  await mem.write(0, new ArrayBuffer(4))
  const bytes: Uint8Array = await mem.read(0, 5)
  const pages: number = await mem.size()
  const previous: number = await mem.grow(1)
  // @ts-expect-error write takes bytes, not a string
  await mem.write(0, 'Hello')
  const bound = new Memory(instance)

  const out: Uint8Array = await instance.readStdout()
  const err: Uint8Array = await instance.readStderr()

  {
    await using scoped = await instantiate(moduleId)
    await scoped.call('add', 1, 2)
  }
  const wrapped = new Instance(id)
  await instance.drop()
  // @ts-expect-error the id is read-only
  instance.id = 'instance:2'
}

async function lowLevel(instanceId: InstanceId): Promise<void> {
  const results: WasmValue[] = await call(instanceId, 'compute', [{ type: 'i32', value: 10 }, 3.14])
  await call(instanceId, 'compute', [1], { timeoutMs: 50 })
  await call(instanceId, 'compute')
  // @ts-expect-error the low-level call takes an array of arguments
  await call(instanceId, 'compute', 1, 2)
  const now = callSync(instanceId, 'compute', [1])
  const exports: ExportInfo[] = await getExports(instanceId)
  const tank: number | null = await fuel(instanceId)
  await setFuel(instanceId, 100)
  const out: Uint8Array = await readStdout(instanceId)
  const err: Uint8Array = await readStderr(instanceId)

  const ops: Readonly<LowLevelMemory> = memory
  const data: Uint8Array = await memory.read(instanceId, 0, 100)
  await memory.write(instanceId, 0, Uint8Array.of(1, 2, 3))
  const size: number = await memory.size(instanceId)
  const old: number = await memory.grow(instanceId, 1)
  // @ts-expect-error an offset is a number
  await memory.read(instanceId, 0n, 1)
  await dropInstance(instanceId)
}

function typedValues(): void {
  const a: TypedI32 = types.i32(5)
  const b: TypedI64 = types.i64(5n)
  const c: TypedF32 = types.f32(1.5)
  const d: TypedF64 = types.f64(Math.PI)
  const e: TypedV128 = { type: 'v128', value: 0n }
  const f: TypedNullReference = { type: 'funcref', value: null }
  const any: TypedValue[] = [a, b, c, d, e, f]
  const args: WasmArg[] = [1, 2n, null, ...any]
  const name: NumericTypeName = a.type
  const kind: OpaqueReferenceKind = 'externref'
  const ref: OpaqueReference = { type: kind }
  // @ts-expect-error i32 takes a number
  types.i32('5')
  // @ts-expect-error there is no i128
  types.i128(1)
  // @ts-expect-error tagged values are read-only
  a.value = 6
}

async function wasi(moduleId: ModuleId): Promise<void> {
  const chunks: Uint8Array[] = []
  const config: WasiConfig = {
    preopens: { '/data': './app-data' },
    env: { HOME: '/home/user' },
    args: ['tool', '--verbose'],
    stdin: 'input text',
    stdout: (chunk) => chunks.push(chunk),
    stderr: 'pipe',
    outputLimitBytes: 1 << 20,
  }
  const targets: OutputTarget[] = ['inherit', 'ignore', 'pipe', (chunk: Uint8Array) => {}]
  const limits: InstanceLimits = { fuel: 10_000_000n, timeoutMs: 1000, maxMemoryBytes: 64 * 1024 * 1024, maxTableElements: 10_000 }
  const options: InstantiateOptions = { ...config, limits, inheritStdin: false, inheritStdout: true, inheritStderr: true }
  const instance = await instantiate(moduleId, options)
  await instantiate(moduleId, { stdin: new Uint8Array([1, 2]) })
  await instantiate(moduleId, null)
  // @ts-expect-error stdout is one of the targets or a callback
  await instantiate(moduleId, { stdout: 'file' })
  // @ts-expect-error env values are strings
  await instantiate(moduleId, { env: { DEBUG: true } })
  // @ts-expect-error limits are numbers
  await instantiate(moduleId, { limits: { timeoutMs: '1s' } })
  try {
    await instance.call('_start')
  } catch (error) {
    if (error instanceof WasmError && error.exitCode !== undefined) {
      const status: number = error.exitCode
    }
  }

  const runOptions: RunOptions = { args: ['tool', 'input.txt'], env: {}, preopens: { '/': './sandbox' }, stdin: 'x', limits: { fuel: 1e9 }, outputLimitBytes: 1024 }
  const result: RunResult = await run('./tool.wasm', runOptions)
  const { exitCode, stdout, stderr } = await run(moduleId)
  const code: number = exitCode
  const text: string = decoder.decode(stdout) + decoder.decode(stderr)
  // @ts-expect-error run's output is always captured
  await run('./tool.wasm', { stdout: 'inherit' })
}

async function hostFunctions(moduleId: ModuleId): Promise<void> {
  const values = new Map([['greeting', 'hello']])
  const log: HostFunction = async function (ptr, len) {
    const context: HostCallContext = this
    const bytes = await this.memory.read(ptr as number, len as number)
    console.log(decoder.decode(bytes))
  }
  // Host functions may declare the parameter types their import has.
  const lookup = async function (this: HostCallContext, keyPtr: number, keyLen: number, outPtr: number): Promise<number> {
    const key = decoder.decode(await this.memory.read(keyPtr, keyLen))
    const value = new TextEncoder().encode(values.get(key) ?? '')
    await this.memory.write(outPtr, value)
    const pages: number = await this.memory.size()
    const [inner] = await this.call<[number]>('inner', 1)
    return value.length
  }
  const twice = (x: bigint): bigint => x * 2n
  const pair = (): HostResult => [1, 2.5]
  const nothing = (): void => {}
  const hostMemory: HostMemory = { read: async () => new Uint8Array(), write: async () => {}, size: async () => 1 }
  const env: HostModuleImports = { log, lookup, twice, pair, nothing }
  const library = await instantiate(moduleId)
  const imports: HostImports = { env, math: library }
  await instantiate(moduleId, { imports, limits: { timeoutMs: 1000 } })
  await run('./plugin.wasm', { imports: { env: { log } } })

  // @ts-expect-error a host function returns wasm values, not strings
  await instantiate(moduleId, { imports: { env: { name: () => 'text' } } })
  // @ts-expect-error a host function's parameters are wasm values, not strings
  await instantiate(moduleId, { imports: { env: { log: (message: string) => {} } } })
  // @ts-expect-error an import is a function (or a whole Instance for a module name)
  await instantiate(moduleId, { imports: { env: { limit: 5 } } })
  const checkThis: HostFunction = function () {
    // @ts-expect-error the context has no exports property
    this.exports
  }
}

function errors(error: unknown): void {
  if (error instanceof WasmError) {
    const code: ErrorCodeValue = error.code
    const name: ErrorCodeName = error.name
    const trap: string | undefined = error.trap
    const path: string | undefined = error.path
    const reason: 'fuel' | 'timeout' | undefined = error.reason
    const spent: number | undefined = error.fuelConsumed
    const elapsed: number | undefined = error.elapsedMs
    if (error.code === ErrorCode.FuelExhausted) console.log(error.reason)
  }
  if (error instanceof AbortError) {
    const name: 'AbortError' = error.name
    const code: 'ABORT_ERR' = error.code
    const reason: unknown = error.cause
  }
  const details: WasmErrorDetails = { cause: error, exitCode: 3, trap: 'unreachable', path: '/x', reason: 'timeout', fuelConsumed: 1, elapsedMs: 2 }
  const made = new WasmError(ErrorCode.CallError, 'failed', details)
  const aborted = new AbortError('stopped', { cause: 'user' })
  expectType<Equal<typeof ErrorCode.CompileError, 5000>>(true)
  expectType<Equal<ErrorCodeValue, 5000 | 5001 | 5002 | 5003 | 5004 | 5005 | 5006 | 5007 | 5008 | 5009 | 5010 | 5011>>(true)
  // @ts-expect-error 42 is not an error code
  new WasmError(42, 'nope')
  // @ts-expect-error there is no such code
  ErrorCode.Segfault
  // @ts-expect-error the codes are read-only
  ErrorCode.CallError = 1
}

function settings(): void {
  const options: ConfigureOptions = { cacheDir: './.wasm-cache', cache: true }
  configure(options)
  configure({ cache: false })
  // @ts-expect-error cache is a boolean
  configure({ cache: 'off' })
  // @ts-expect-error configure returns nothing to await
  const result: Promise<void> = configure({})
}

async function capabilityManifest(moduleId: ModuleId): Promise<void> {
  configure({ manifest: './manifest.app.toml' })
  const policy: Capabilities = capabilities()
  if (policy.mode === 'manifest') {
    const where: string | null = policy.source
    const patterns: string[] = policy.load
    const memoryCeiling: number | null = policy.maxMemory
  }
  const readOnly: PreopenDir = { path: './config', readonly: true }
  await instantiate(moduleId, { preopens: { '/data': './data', '/config': readOnly } })
  try {
    await compileFile('./plugins/other.wasm')
  } catch (error) {
    if (error instanceof WasmError && error.code === ErrorCode.PermissionDenied) {
      const manifest: string | undefined = error.manifest
      const line: number | undefined = error.line
      const key: string | undefined = error.key
    }
  }
  // @ts-expect-error manifest is a path
  configure({ manifest: true })
  // @ts-expect-error readonly is a boolean
  await instantiate(moduleId, { preopens: { '/c': { path: './config', readonly: 'yes' } } })
  // @ts-expect-error a preopen object needs its path
  await instantiate(moduleId, { preopens: { '/c': { readonly: true } } })
  // @ts-expect-error the mode is one of two
  const mode: 'strict' = capabilities().mode
}

async function components() {
  const id = await compileFile('./plugin.wasm')
  const kind: 'module' | 'component' = moduleKind(id)
  const world: ComponentWorld = componentWorld(id)
  const first: WitItem | undefined = world.exports[0]
  if (first?.kind === 'interface') {
    const fns: WitFunction[] = first.functions
    const type: WitType | null | undefined = fns[0]?.result
  }
  class Kv {
    constructor(readonly seed: number) {}
    get(key: number) {
      return this.seed + key
    }
  }
  const imports: ComponentImports = {
    'my:pkg/host': { log(msg: string) {}, async fetchValue(key: string) { return key } },
    'my:pkg/store': { Kv },
  }
  const plugin: ComponentInstance = await instantiate(id, { imports, unknownImports: 'trap' })
  const greeting = await plugin.call<string>('greet', 'Ada')
  const record: ComponentValue = await plugin.invoke('my:pkg/api#transform', [{ items: [1, 2] }], { timeoutMs: 100 })
  const items: WitItem[] = await plugin.getExports()
  const counter = await plugin.call<ComponentResource>('my:pkg/api#[constructor]counter', 1)
  await counter.drop()
  // @ts-expect-error memory is for module instances
  plugin.memory
  const options: ComponentInstantiateOptions = { imports, limits: { timeoutMs: 10 } }
  // @ts-expect-error "default" is for modules
  await instantiate(id, { imports, unknownImports: 'default' })
  // @ts-expect-error a component's kind is one of two
  const wrong: 'core' = moduleKind(id)
  await plugin.drop()
}

async function network() {
  const id = await compileFile('service.wasm')
  const grants: NetworkGrant[] = [
    { host: 'api.example.com', ports: 443, protocols: ['https'] },
    { host: '127.0.0.1', ports: ['8000-8100', 9000], protocols: ['tcp', 'udp'], directions: ['connect', 'bind'] },
  ]
  const config: NetworkConfig = {
    allow: grants,
    onDenied(denial: NetworkDenial) {
      const where: string = `${denial.host}:${denial.port ?? ''} ${denial.address ?? ''} ${denial.reason}`
    },
    connectTimeoutMs: 1000,
    maxBodyBytes: 1 << 20,
  }
  const plugin = await instantiate(id, { network: config, limits: { timeoutMs: 100 } })
  await plugin.drop()
  // @ts-expect-error protocols are tcp, udp, http, https
  const wrong: NetworkGrant = { host: 'a.com', protocols: ['ftp'] }
  const protocol: NetworkProtocol = 'https'
  const handlerOptions: HttpHandlerOptions = { network: config, reuseInstance: false, maxBodyBytes: 1 << 20, env: { A: protocol } }
  const handler: HttpHandler = await createHttpHandler(id, handlerOptions)
  const response: Response = await handler(new Request('http://localhost/hello'), { signal: AbortSignal.timeout(100) })
  const listener: NodeRequestListener = toNodeListener(handler, { onError: (e: unknown) => {} })
  require('node:http').createServer(listener)
  await handler.close()
  const net = capabilities().net
  if (net !== null) net.map((g) => g.host)
}

export { network, components, capabilityManifest, errors, hostFunctions, instancesAndCalls, lowLevel, modules, settings, typedValues, wasi }
