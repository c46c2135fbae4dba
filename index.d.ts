/// <reference lib="es2015.symbol.wellknown" />
/// <reference lib="esnext.disposable" />
/**
 * runtime-wasm: sandboxed WebAssembly plugins for Node.js, on wasmtime.
 *
 * Every function here (apart from {@link callSync}, {@link configure} and the {@link types}
 * helpers) is asynchronous and does its work off the JS thread: a call, `getExports`, fuel or memory operation first runs on the calling
 * thread for a short slice (two ticks of a 1 ms clock) and settles from there when it finishes
 * within it; anything longer moves to a worker thread. Every rejection is a {@link WasmError}
 * with a numeric {@link WasmError.code}, except arguments of the wrong JS kind (noted on each
 * function), which reject with a standard `TypeError`, and a call stopped by its `signal`,
 * which rejects with an {@link AbortError}.
 *
 * @packageDocumentation
 */

// ---------------------------------------------------------------------------------------------
// Handles
// ---------------------------------------------------------------------------------------------

/**
 * A compiled module's handle, e.g. `"module:1"`: an opaque string, never reused within a
 * process, so a stale id can only fail with {@link ErrorCode.InvalidModuleHandle} (5004).
 */
export type ModuleId = string

/**
 * An instance's handle, e.g. `"instance:1"`: an opaque string, never reused within a process,
 * so a stale id can only fail with {@link ErrorCode.InvalidInstanceHandle} (5005).
 */
export type InstanceId = string

// ---------------------------------------------------------------------------------------------
// Value types and values
// ---------------------------------------------------------------------------------------------

/** The numeric WebAssembly value types, the ones {@link types} can tag. */
export type NumericTypeName = 'i32' | 'i64' | 'f32' | 'f64'

/**
 * A reference type's name: `funcref`, `externref` and `anyref` for the nullable abstract
 * types, and the text format for any other (e.g. `"(ref func)"`, `"(ref null eq)"`).
 */
export type ReferenceTypeName = 'funcref' | 'externref' | 'anyref' | `(ref ${string})`

/** A WebAssembly value type's name, as reported by {@link getExports}. */
export type ValueTypeName = NumericTypeName | 'v128' | ReferenceTypeName

/** The kind of a non-null reference returned to JS (which cannot hold the reference itself). */
export type OpaqueReferenceKind = 'funcref' | 'externref' | 'anyref' | 'exnref' | 'contref'

/**
 * A non-null reference result: JS cannot hold a wasm reference, so it is shown as an object
 * naming its kind, e.g. `{ type: "funcref" }`.
 */
export interface OpaqueReference {
  type: OpaqueReferenceKind
}

/**
 * A value coming out of wasm (a call's result or a global's value):
 * - i32, f32, f64: `number` (i32 is signed);
 * - i64: `bigint` (signed); v128: `bigint` (the 128 bits, unsigned);
 * - a null reference: `null`; a non-null reference: an {@link OpaqueReference}.
 */
export type WasmValue = number | bigint | null | OpaqueReference

/** An i32 argument tagged with its type, made by {@link types}.i32. */
export type TypedI32 = Readonly<{ type: 'i32'; value: number }>
/** An i64 argument tagged with its type, made by {@link types}.i64. */
export type TypedI64 = Readonly<{ type: 'i64'; value: number | bigint }>
/** An f32 argument tagged with its type, made by {@link types}.f32. */
export type TypedF32 = Readonly<{ type: 'f32'; value: number }>
/** An f64 argument tagged with its type, made by {@link types}.f64. */
export type TypedF64 = Readonly<{ type: 'f64'; value: number }>
/** A v128 argument tagged with its type: a `bigint` from -2^127 to 2^128-1. */
export type TypedV128 = Readonly<{ type: 'v128'; value: bigint }>
/** A null reference argument tagged with its reference type (which must match the parameter's). */
export type TypedNullReference = Readonly<{ type: ReferenceTypeName; value: null }>

/**
 * An argument tagged with its WebAssembly type. The tag must name the parameter's type
 * exactly, or the call rejects with {@link ErrorCode.TypeError} (5007).
 */
export type TypedValue = TypedI32 | TypedI64 | TypedF32 | TypedF64 | TypedV128 | TypedNullReference

/**
 * A value going into wasm. It is converted by the parameter's type (not by its JS shape):
 * - i32: an integer `number` from -2^31 to 2^32-1 (2^31 and above are taken as their unsigned
 *   bit pattern, so `0xFFFFFFFF` is -1);
 * - i64: a `bigint` from -2^63 to 2^64-1 (unsigned values likewise) or a safe-integer `number`;
 * - f32, f64: any `number` (f32 rounds like `Math.fround`; NaN, infinities and -0 pass through);
 * - v128: a `bigint` from -2^127 to 2^128-1;
 * - a reference type: `null`;
 * - or a {@link TypedValue} whose tag matches the parameter's type.
 *
 * Anything else (a fraction or NaN for an integer, an integer out of range, an unsafe-integer
 * `number` for i64, a string, a boolean, another object) rejects with
 * {@link ErrorCode.TypeError} (5007): values are never silently truncated or wrapped.
 */
export type WasmArg = number | bigint | null | TypedValue

// ---------------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------------

/** An exported function and its signature. */
export interface FunctionExportInfo {
  name: string
  kind: 'function'
  /** The parameter types, in order. */
  params: ValueTypeName[]
  /** The result types, in order (a call always resolves to an array of this length). */
  results: ValueTypeName[]
}

/** An exported linear memory; sizes are in pages of 64 KiB. */
export interface MemoryExportInfo {
  name: string
  kind: 'memory'
  /** The current size in pages. */
  pages: number
  /** The declared minimum size in pages. */
  minimum: number
  /** The declared maximum size in pages, or `null` when the memory declares none. */
  maximum: number | null
}

/** An exported table. */
export interface TableExportInfo {
  name: string
  kind: 'table'
  /** The element type, e.g. `"funcref"` or `"externref"`. */
  element: ReferenceTypeName
  /** The current number of elements. */
  size: number
  /** The declared minimum number of elements. */
  minimum: number
  /** The declared maximum number of elements, or `null` when the table declares none. */
  maximum: number | null
}

/** An exported global and its value at the time of the {@link getExports} call. */
export interface GlobalExportInfo {
  name: string
  kind: 'global'
  /** The global's value type. */
  type: ValueTypeName
  /** Whether the global is mutable (`(mut ...)`). */
  mutable: boolean
  /** The current value, converted like a call result. */
  value: WasmValue
}

/** An exported exception tag. */
export interface TagExportInfo {
  name: string
  kind: 'tag'
}

/** One export of an instance, discriminated by `kind`. */
export type ExportInfo =
  | FunctionExportInfo
  | MemoryExportInfo
  | TableExportInfo
  | GlobalExportInfo
  | TagExportInfo

/** The kinds of export {@link ExportInfo} describes. */
export type ExportKind = ExportInfo['kind']

// ---------------------------------------------------------------------------------------------
// WASI
// ---------------------------------------------------------------------------------------------

/**
 * What a module's WASI (preview 1, `wasi_snapshot_preview1`) imports may see. Every option is
 * optional: without any, the instance is an empty sandbox (no directories, no environment
 * variables, no arguments, stdin empty, stdout and stderr discarded).
 *
 * A malformed config (an option of the wrong type, a variable name that is empty or contains
 * `=` or NUL, a NUL in a value or argument, a preopen whose host path is missing or not a
 * directory) makes {@link instantiate} reject with {@link ErrorCode.WasiError} (5010).
 */
export interface WasiConfig {
  /**
   * Directories to mount: guest path -> host path, e.g. `{ "/data": "./app-data" }`. The
   * module can reach these directories (read and write) and nothing else of the host file
   * system. A host path that does not exist or is not a directory is a 5010 error whose
   * `path` property names it.
   *
   * A value may also be a {@link PreopenDir}, `{ path, readonly: true }`, to mount the
   * directory read-only. Under a capability manifest the host directory must be allowed by it
   * (see {@link capabilities}), else 5009.
   */
  preopens?: Readonly<Record<string, string | PreopenDir>>
  /** Environment variables the module sees, e.g. `{ APP_MODE: "production" }`. None by default. */
  env?: Readonly<Record<string, string>>
  /**
   * The command-line arguments, verbatim: `args[0]` is the program name, as in C's `argv`.
   * None by default.
   */
  args?: readonly string[]
  /**
   * The program's standard input: a string (as UTF-8) or bytes. Takes precedence over
   * `inheritStdin`. Default: empty.
   */
  stdin?: string | ArrayBufferView | ArrayBufferLike
  /** Let the module read this process's stdin (when `stdin` is not given). Default `false`. */
  inheritStdin?: boolean
  /**
   * Where the program's standard output goes (see {@link OutputTarget}); takes precedence over
   * `inheritStdout`. Default `"ignore"`.
   */
  stdout?: OutputTarget
  /** Where the program's standard error goes; like {@link WasiConfig.stdout}. */
  stderr?: OutputTarget
  /** Shorthand for `stdout: "inherit"` (used when `stdout` is not given). Default `false`. */
  inheritStdout?: boolean
  /** Shorthand for `stderr: "inherit"` (used when `stderr` is not given). Default `false`. */
  inheritStderr?: boolean
  /**
   * The most bytes a `"pipe"` stream holds in all (default 4 MiB, each stream): past it, the
   * program's writes fail (its `write` gets an error), and nothing is silently dropped from
   * what was accepted. A non-negative integer `number` or a `bigint`.
   */
  outputLimitBytes?: number | bigint
  /**
   * A file to write a standard wasm core dump to when a call (or the start function) traps:
   * a new file (never an existing one, nor through a symlink), in an existing directory that
   * lies in no preopen (else 5010). The trap's error then names it in `coredump`.
   */
  coredumpOnTrap?: string
  /**
   * What a component may reach on the network (WASI 0.2 and 0.3 sockets, name lookups,
   * `wasi:http` requests): nothing unless granted. Core modules take no `network` (5001).
   * Malformed grants are a 5010; grants past the manifest's `[capabilities.net]` a 5009.
   */
  network?: NetworkConfig
}

/** A transport a {@link NetworkGrant} covers. */
export type NetworkProtocol = 'tcp' | 'udp' | 'http' | 'https'

/**
 * One network grant. `host` is a host name (`api.example.com`, matched exactly, any case),
 * `*.example.com` (the names under it), an IP address (`10.0.0.5`, `::1`), a range
 * (`10.0.0.0/8`), or `*` (every name and every public address). Loopback, private,
 * link-local and other special addresses are reached only by a grant naming them by address
 * or range (or `localhost`, for loopback): a name that resolves to one of them is refused.
 */
export interface NetworkGrant {
  host: string
  /** A port, `"low-high"`, or a list of those. Default: every port. */
  ports?: number | string | ReadonlyArray<number | string>
  /** Default: all four. */
  protocols?: readonly NetworkProtocol[]
  /**
   * `connect` (connect, send datagrams, make HTTP requests) and/or `bind` (bind, listen,
   * accept; receive datagrams from anyone and answer them). Default: `["connect"]`.
   */
  directions?: ReadonlyArray<'connect' | 'bind'>
}

/** A refusal, as {@link NetworkConfig.onDenied} is told of it. */
export interface NetworkDenial {
  protocol: NetworkProtocol | 'dns'
  direction: 'connect' | 'bind' | 'lookup'
  /** The name or address the guest used. */
  host: string
  /** The address a name came to, when the address was refused. */
  address: string | null
  port: number | null
  /** Why: no grant names the host, or the address is loopback/private, ... */
  reason: string
}

/** The `network` option of {@link WasiConfig}. */
export interface NetworkConfig {
  allow?: readonly NetworkGrant[]
  /** Called (on the event loop) with each refusal; the guest got its WASI error already. */
  onDenied?: (denial: NetworkDenial) => void
  /** Outgoing HTTP: time to connect (and TLS). Default 30 000. The guest may only shorten it. */
  connectTimeoutMs?: number
  /** Outgoing HTTP: time to the response's head. Default 60 000. */
  firstByteTimeoutMs?: number
  /** Outgoing HTTP: longest pause inside a response body. Default 60 000. */
  betweenBytesTimeoutMs?: number
  /** Outgoing HTTP: the largest request body sent and response body received. Default 64 MiB. */
  maxBodyBytes?: number
}

/**
 * The object form of a {@link WasiConfig.preopens} value. Unknown keys are a 5010 error (a
 * misspelt `readonly` never silently gives write access).
 */
export interface PreopenDir {
  /** The host directory. */
  path: string
  /**
   * `true`: the guest can read, but creating, writing, truncating, renaming, deleting, linking
   * and changing times fail with a WASI error; the host files stay unchanged. Default `false`.
   */
  readonly?: boolean
}

/**
 * Where a WASI program's standard output or error goes:
 * - `"ignore"`: discarded (the default);
 * - `"inherit"`: written to this process's stream;
 * - `"pipe"`: buffered (up to {@link WasiConfig.outputLimitBytes}), read with
 *   {@link Instance.readStdout} / {@link Instance.readStderr};
 * - a callback: called on the JS thread with each chunk as the program writes it, as a
 *   `Uint8Array` (its return value is ignored).
 */
export type OutputTarget = 'inherit' | 'ignore' | 'pipe' | ((chunk: Uint8Array) => void)

/**
 * Resource limits of one instance, given as `limits` to {@link instantiate}. Each is optional;
 * a count may be a non-negative integer `number` (or `Infinity`) or a `bigint` up to 2^64-1.
 * A malformed value makes {@link instantiate} reject with {@link ErrorCode.InstantiateError}
 * (5001).
 */
export interface InstanceLimits {
  /**
   * The instance's fuel tank: roughly one unit per wasm instruction executed. Giving it makes
   * the instance metered (its code is compiled with fuel counting; instances without it run
   * unmetered code). Every call, and the start function and `_initialize`, burn fuel from the
   * tank; when it runs dry the operation rejects with {@link ErrorCode.FuelExhausted} (5011,
   * `reason: "fuel"`). Read it with {@link Instance.fuel}, refill it with
   * {@link Instance.setFuel}.
   */
  fuel?: number | bigint
  /**
   * The default deadline of every call on this instance (and of the start function and
   * `_initialize`), in milliseconds from the moment the operation is made, waiting in the
   * instance's queue included, and bounds the whole call: running code and every wait in the
   * host (a WASI sleep, stdin, a host function's Promise, re-entry). Past it the call stops and
   * rejects with {@link ErrorCode.FuelExhausted} (5011, `reason: "timeout"`); the instance
   * stays usable.
   * `Infinity` means no deadline.
   */
  timeoutMs?: number
  /**
   * The most bytes all of the instance's linear memories (and its GC heap) may hold together.
   * A module whose initial memories exceed it fails to instantiate (5001); past it,
   * `memory.grow` from JS rejects with {@link ErrorCode.MemoryError} (5006) and the wasm
   * `memory.grow` instruction returns -1.
   */
  maxMemoryBytes?: number | bigint
  /**
   * The most elements all of the instance's tables may hold together; like
   * {@link InstanceLimits.maxMemoryBytes}.
   */
  maxTableElements?: number | bigint
}

// ---------------------------------------------------------------------------------------------
// Host functions
// ---------------------------------------------------------------------------------------------

/**
 * The calling instance's linear memory, as `this.memory` inside a host function: usable while
 * the wasm call that called the host function waits for it. Each operation resolves once done;
 * they reject like {@link Memory}'s (5006 for a range that does not fit or an instance without
 * memory).
 */
export interface HostMemory {
  /** Copies `length` bytes starting at `offset` out of the caller's memory. */
  read(offset: number, length: number): Promise<Uint8Array>
  /** Copies `data` into the caller's memory at `offset` (all or nothing). */
  write(offset: number, data: ArrayBufferView | ArrayBufferLike | readonly number[]): Promise<void>
  /** The memory's current size in pages of 64 KiB. */
  size(): Promise<number>
}

/**
 * `this` inside a host function: the instance whose wasm code called it, reachable while that
 * call waits.
 */
export interface HostCallContext {
  /** The caller's linear memory (the export named `"memory"`, else the first one). */
  readonly memory: HostMemory
  /**
   * Calls another export of the calling instance, re-entrantly (the instance is busy with the
   * call that is waiting for this host function, so `instance.call` from here would wait for
   * itself: it rejects with 5002 and says to use `this.call`).
   */
  call<R extends WasmValue[] = WasmValue[]>(name: string, ...args: WasmArg[]): Promise<R>
}

/**
 * What a host function returns, by the import's result types: nothing for no result, one
 * value for one result, an array of values for several. Converted like call arguments
 * ({@link WasmArg}); a value that does not fit makes the wasm call reject with 5007.
 */
export type HostResult = WasmArg | readonly WasmArg[] | void

// A method signature, so that a host function may declare narrower parameter types
// (`(ptr: number, len: number) => ...`): parameters of methods are checked bivariantly.
interface HostFunctionSignature {
  bivarianceHack(this: HostCallContext, ...args: WasmValue[]): HostResult | Promise<HostResult>
}

/**
 * A JS function that satisfies a function import. It receives the wasm arguments converted
 * like call results (i32, f32, f64: `number`; i64: `bigint`; references: `null` or an
 * {@link OpaqueReference}), with `this` a {@link HostCallContext}. It may return a Promise:
 * the wasm call waits for it without blocking the event loop (limits keep running meanwhile,
 * and an abort ends the wait). When it throws or rejects, the wasm call rejects with
 * {@link ErrorCode.CallError} (5002) whose `cause` is the thrown value; the instance stays
 * usable.
 */
export type HostFunction = HostFunctionSignature['bivarianceHack']

/**
 * The imports of one module name: JS functions by import name, or an {@link Instance} whose
 * exported functions satisfy the imports of that name (linking two modules; signatures must
 * match).
 */
export type HostModuleImports = Readonly<Record<string, HostFunction>> | Instance

/**
 * Imports by module name and import name, e.g. `{ env: { log(ptr, len) { ... } } }`. WASI
 * imports are provided by the runtime. A function import that neither these nor WASI provide
 * makes {@link instantiate} reject with {@link ErrorCode.InstantiateError} (5001) naming it, as
 * does an entry that is not a function.
 */
export type HostImports = Readonly<Record<string, HostModuleImports>>

/**
 * The options of {@link instantiate}: the {@link WasiConfig} fields, plus `limits` and
 * `imports`.
 */
export interface InstantiateOptions extends WasiConfig {
  /** Resource limits for the instance; none by default. */
  limits?: InstanceLimits
  /**
   * Host functions (and linked instances) for the module's imports (for a component, see
   * {@link ComponentInstantiateOptions}).
   */
  imports?: HostImports
  /**
   * What a function import that neither WASI nor `imports` provides becomes: `"trap"`, a
   * function that fails the call (5002) naming the import when it is called; `"default"`, a
   * function that returns zeros (null for references). Absent or `null`: instantiating fails
   * with 5001 naming the import. Imports other than functions are never made up.
   */
  unknownImports?: 'trap' | 'default' | null
}

/**
 * Limits of one call, for {@link Instance.invoke} and the low-level {@link call}. `null` or a
 * missing field means "not set".
 */
export interface CallOptions {
  /**
   * The most fuel this call may burn (the instance's tank still applies: the call gets the
   * smaller of the two, and what it burns is taken from the tank). Only for instances made
   * with `limits.fuel`; otherwise the call is refused up front with {@link ErrorCode.CallError}
   * (5002) naming `limits.fuel`.
   * A non-negative integer `number` or a `bigint`; anything else rejects with
   * {@link ErrorCode.TypeError} (5007).
   */
  fuel?: number | bigint | null
  /**
   * A deadline for this call in milliseconds from the moment it is made (waiting in the
   * instance's queue included); the earlier of this and the instance's `limits.timeoutMs`
   * applies. Past it the call rejects with {@link ErrorCode.FuelExhausted} (5011,
   * `reason: "timeout"`). A negative or non-number value rejects with
   * {@link ErrorCode.TypeError} (5007).
   */
  timeoutMs?: number | null
  /**
   * Stops the call (running or still queued) when the signal aborts; the call then rejects
   * with an {@link AbortError} whose `cause` is the signal's reason. An already aborted signal
   * rejects at once. A value that is not an `AbortSignal` rejects with a standard `TypeError`.
   */
  signal?: AbortSignal | null
}

// ---------------------------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------------------------

/**
 * Compiles a module, off the JS thread.
 *
 * @param source The binary module (a `Uint8Array`, `Buffer`, any other typed array or
 *   `DataView`, or an `ArrayBuffer`; its bytes are copied), or WebAssembly text (WAT) as a
 *   string.
 * @param options `limits`: the compile budget (see {@link CompileLimits}).
 * @returns The new module's id.
 * @throws Rejects with {@link ErrorCode.CompileError} (5000) when the bytes or text are not a
 *   valid module, when the module is past its compile budget (`err.limit` names the bound) or
 *   the budget is malformed, and with a standard `TypeError` when `source` is neither a string
 *   nor binary data or `options` is not an object.
 */
export declare function compile(source: string | ArrayBufferView | ArrayBufferLike, options?: CompileOptions | null): Promise<ModuleId>

/**
 * A compile budget, for modules that may be hostile: what a module must fit before it is
 * compiled, and how long compiling it may take. Each bound is a whole number; an absent one
 * does not bound the compile (only the size has a default, 512 MiB). The lowest of the call's,
 * {@link configure}'s `compileLimits` (`maxModuleBytes` for the size) and the capability
 * manifest's ceilings applies. A module past a bound rejects with
 * {@link ErrorCode.CompileError} (5000; 5008 for a file too large to read) whose `limit`
 * names the bound and whose message says where it was set.
 */
export interface CompileLimits {
  /** The largest source, in bytes. */
  maxBytes?: number
  /** The most functions the module may define (checked before anything is compiled). */
  maxFunctions?: number
  /** The largest function body, in bytes (checked before anything is compiled). */
  maxFunctionBytes?: number
  /**
   * How long compiling may take, in milliseconds. The compile then runs in a helper Node
   * process, killed when the time is up (a module already in the compiled-code cache loads
   * without one). Under Node's permission model it needs `--allow-child-process` (else 5009).
   */
  timeoutMs?: number
}

/** The options of {@link compile}. */
export interface CompileOptions {
  /** The compile budget. */
  limits?: CompileLimits | null
  /**
   * Compile without interruption checks, for code the host trusts: it runs at full speed, but
   * nothing can stop it while it runs wasm. Its instances get no deadline, fuel or
   * AbortSignal (each is refused: 5001 at instantiate, 5002 on a call), its calls start on the
   * pool, and `drop()` resolves once a running call has ended. Default `false`.
   */
  trusted?: boolean
  /**
   * Compile the fuel-metered code too, now, instead of when the first instance with
   * `limits.fuel` is made (which then compiles it, for a large module with the baseline
   * compiler first). Implied while a capability manifest's `max_fuel` is in force. Not with
   * `trusted`. Default `false`.
   */
  fuel?: boolean
}

/**
 * What {@link compileFile} reports to `onProgress`: when it starts (with the file's size, when
 * it can be read), then when it has compiled or failed, with the milliseconds elapsed since
 * the start. The compile itself is one step in the runtime, so there is no percentage.
 */
export type CompileFileProgress =
  | { phase: 'start'; path: string; bytes?: number; elapsedMs: 0 }
  | { phase: 'compiled'; path: string; bytes?: number; elapsedMs: number; moduleId: ModuleId }
  | { phase: 'failed'; path: string; bytes?: number; elapsedMs: number; error: unknown }

/** The options of {@link compileFile}. */
export interface CompileFileOptions {
  /** The compile budget; its `maxBytes` bounds the file's size. */
  limits?: CompileLimits | null
  /** Compile without interruption checks (see {@link CompileOptions.trusted}). */
  trusted?: boolean
  /** Compile the fuel-metered code up front too (see {@link CompileOptions.fuel}). */
  fuel?: boolean
  /**
   * Called with each {@link CompileFileProgress} event, synchronously. When it throws,
   * `compileFile` rejects with what it threw (a module compiled meanwhile is dropped).
   */
  onProgress?: ((event: CompileFileProgress) => void) | null
}

/**
 * Reads and compiles a module file (binary wasm or WAT text), off the JS thread.
 *
 * @param path The file's path, resolved against the current working directory.
 * @param options `onProgress` to be told when the compile starts and ends; `limits`, its compile
 *   budget.
 * @returns The new module's id.
 * @throws Rejects with {@link ErrorCode.IoError} (5008) when the file cannot be read (the
 *   error's `path` names it), with {@link ErrorCode.CompileError} (5000) when its contents are
 *   not a valid module (the message starts with the path), and with a standard `TypeError`
 *   when `path` is not a string, `options` is not an object or `onProgress` is not a function.
 * @throws Rejects with {@link ErrorCode.PermissionDenied} (5009) when a capability manifest is
 *   in force and the real path of the file matches none of its `load` patterns, when the
 *   manifest is broken, or when Node's permission model does not grant `fs.read`.
 */
export declare function compileFile(path: string, options?: CompileFileOptions | null): Promise<ModuleId>

/**
 * Frees a compiled module. Instances already made from it keep working.
 *
 * @throws Rejects with {@link ErrorCode.InvalidModuleHandle} (5004) when the id is unknown,
 *   already dropped, or not a string.
 */
export declare function dropModule(moduleId: ModuleId): Promise<void>

/** A function a module imports or exports, and its signature. */
export interface ModuleFunctionType {
  kind: 'function'
  params: ValueTypeName[]
  results: ValueTypeName[]
}
/** A memory a module imports or exports, sizes in pages of 64 KiB. */
export interface ModuleMemoryType {
  kind: 'memory'
  minimum: number
  /** `null` when the memory declares no maximum. */
  maximum: number | null
  shared: boolean
  memory64: boolean
}
/** A table a module imports or exports. */
export interface ModuleTableType {
  kind: 'table'
  element: ReferenceTypeName
  minimum: number
  maximum: number | null
}
/** A global a module imports or exports. */
export interface ModuleGlobalType {
  kind: 'global'
  type: ValueTypeName
  mutable: boolean
}
/** An exception tag a module imports or exports. */
export interface ModuleTagType {
  kind: 'tag'
}
/** The type of an import or export of a module, discriminated by `kind`. */
export type ModuleItemType = ModuleFunctionType | ModuleMemoryType | ModuleTableType | ModuleGlobalType | ModuleTagType

/** One import of a module: where it comes from, its name and its type. */
export type ModuleImport = { module: string; name: string } & ModuleItemType
/** One export of a module: its name and its type. */
export type ModuleExport = { name: string } & ModuleItemType

/**
 * The module's imports in declaration order, with their types: what an instance will need,
 * known before instantiating (e.g. to provide `imports`, or to check them against WASI).
 * Synchronous.
 *
 * @throws {@link ErrorCode.InvalidModuleHandle} (5004) for an unknown or dropped module id.
 */
export declare function moduleImports(moduleId: ModuleId): ModuleImport[]

/**
 * The module's exports in declaration order, with their types. Synchronous.
 *
 * @throws {@link ErrorCode.InvalidModuleHandle} (5004) for an unknown or dropped module id.
 */
export declare function moduleExports(moduleId: ModuleId): ModuleExport[]

/**
 * What {@link compile} made: a core `"module"` or a `"component"`. Synchronous.
 *
 * @throws {@link ErrorCode.InvalidModuleHandle} (5004) for an unknown or dropped module id.
 */
export declare function moduleKind(moduleId: ModuleId): 'module' | 'component'

/**
 * A compiled component's imports and exports with their WIT types. Synchronous.
 *
 * @throws {@link ErrorCode.CompileError} (5000) for a core module;
 *   {@link ErrorCode.InvalidModuleHandle} (5004) for an unknown or dropped module id.
 */
export declare function componentWorld(moduleId: ModuleId): ComponentWorld

/** A WIT type, described by its structure (WIT's type names are not kept in a component). */
export type WitType =
  | {
      kind:
        | 'bool' | 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64' | 'f32' | 'f64'
        | 'char' | 'string' | 'future' | 'stream' | 'error-context'
    }
  | { kind: 'list'; element: WitType }
  | { kind: 'fixed-list'; element: WitType; length: number }
  | { kind: 'map'; key: WitType; value: WitType }
  | { kind: 'record'; fields: { name: string; type: WitType }[] }
  | { kind: 'tuple'; types: WitType[] }
  | { kind: 'variant'; cases: { name: string; type: WitType | null }[] }
  | { kind: 'enum'; names: string[] }
  | { kind: 'option'; some: WitType }
  | { kind: 'result'; ok: WitType | null; err: WitType | null }
  | { kind: 'flags'; names: string[] }
  | { kind: 'own' | 'borrow'; resource: string }

/** A component's function: parameters by name, result, and WIT signature (`func(a: s32) -> s32`). */
export interface WitFunction {
  kind?: 'function'
  name: string
  params: { name: string; type: WitType }[]
  result: WitType | null
  wit: string
}

/** An import or export of a component: a function, an interface, or something else. */
export type WitItem =
  | (WitFunction & { kind: 'function' })
  | { kind: 'interface'; name: string; functions: WitFunction[]; resources: string[] }
  | { kind: 'other'; name: string; what: string }

/** What a component imports and exports. */
export interface ComponentWorld {
  imports: WitItem[]
  exports: WitItem[]
}

/**
 * A value crossing into or out of a component, in jco's representation (see the README's
 * Components section): boolean, number, bigint, string, typed arrays, arrays, objects,
 * `{ tag, val }`, `undefined`, {@link ComponentResource}.
 */
export type ComponentValue = unknown

/** A resource a component gave to JS: its methods (camelCase, async) and its destructor. */
export interface ComponentResource {
  /** The resource's name in WIT. */
  readonly resource: string
  /** Runs its destructor in the guest; a second drop does nothing. */
  drop(): Promise<void>
  [Symbol.dispose](): void
  [Symbol.asyncDispose](): Promise<void>
  [method: string]: unknown
}

/**
 * A component's imports from JS: per imported interface (`{ "my:pkg/host": { log(msg) {} } }`)
 * and functions the world imports by name (`{ log(msg) {} }`); names in kebab-case or
 * camelCase. A function whose import returns a `result` returns the ok value and throws for
 * the error. A resource the component imports is given as a class (`{ Kv: class { ... } }`).
 */
export type ComponentImports = Readonly<
  Record<
    `${string}:${string}/${string}`,
    Readonly<Record<string, ((...args: any[]) => unknown) | (new (...args: any[]) => unknown)>>
  >
>

/** The options of {@link instantiate} for a component: its `imports` are {@link ComponentImports}. */
export interface ComponentInstantiateOptions extends Omit<InstantiateOptions, 'imports' | 'unknownImports'> {
  imports?: ComponentImports
  /** `"trap"`: imports nothing provides trap when called (`"default"` is for modules). */
  unknownImports?: 'trap' | null
}

/**
 * An {@link Instance} of a component: `call` takes and resolves {@link ComponentValue}s (the
 * function's own result, not an array; a `result`'s error rejects with a `WasmError` whose
 * `payload` is the error value), and `getExports` lists WIT items. `callSync` and `memory`
 * are for module instances. Get one with `(await instantiate(id)) as ComponentInstance`, or
 * use the types `runtime-wasm types comp.wasm` writes.
 */
export interface ComponentInstance extends Omit<Instance, 'call' | 'invoke' | 'getExports' | 'callSync' | 'memory'> {
  call<R = ComponentValue>(name: string, ...args: ComponentValue[]): Promise<R>
  invoke<R = ComponentValue>(name: string, args?: readonly ComponentValue[], options?: CallOptions | null): Promise<R>
  getExports(): Promise<WitItem[]>
}

/**
 * The tier of the code new instances of the module get now: `"baseline"` while the optimized
 * code of a large module is being compiled in the background (see `tieringMinBytes` in
 * {@link ConfigureOptions}), else `"optimized"`. Synchronous.
 *
 * @throws {@link ErrorCode.InvalidModuleHandle} (5004) for an unknown or dropped module id.
 */
export declare function moduleTier(moduleId: ModuleId): 'baseline' | 'optimized'

/**
 * Resolves `true` once new instances of the module get optimized code (at once when they
 * already do), `false` when it could not be made (the baseline code then stays).
 *
 * @throws Rejects with {@link ErrorCode.InvalidModuleHandle} (5004) for an unknown or dropped
 *   module id.
 */
export declare function whenOptimized(moduleId: ModuleId): Promise<boolean>

/**
 * Instantiates a compiled module, off the JS thread. WASI preview 1 is always linked: without
 * a config the instance gets an empty sandbox. When the module exports `_initialize` (a WASI
 * reactor), it is called before the promise resolves.
 *
 * @param moduleId A module id from {@link compile} or {@link compileFile}.
 * @param options What the module's WASI imports may see, and its `limits`; `undefined` or
 *   `null` for the empty sandbox without limits.
 * @throws Rejects with {@link ErrorCode.InvalidModuleHandle} (5004) for an unknown, dropped or
 *   non-string id; {@link ErrorCode.InstantiateError} (5001) for an import that neither WASI nor
 *   the runtime provides, a trap in the start function or `_initialize` (with `trap` set), a
 *   memory or table that does not fit the limits, or malformed `limits`;
 *   {@link ErrorCode.FuelExhausted} (5011) when the start function or `_initialize` runs out of
 *   fuel or time; {@link ErrorCode.WasiError} (5010) for a malformed config or a preopen that
 *   is not an existing directory (with `path` set).
 * @throws Rejects with {@link ErrorCode.PermissionDenied} (5009) when a capability manifest is
 *   in force and does not allow a preopen's host directory (read-write, or at all), when the
 *   manifest is broken, or when Node's permission model does not grant `fs.read` (and
 *   `fs.write` for a read-write preopen).
 */
export declare function instantiate(moduleId: ModuleId, options?: InstantiateOptions | null): Promise<Instance>
/**
 * Instantiates a component with JS functions for its imported interfaces (see the README's
 * Components section); the result is a {@link ComponentInstance}.
 */
export declare function instantiate(moduleId: ModuleId, options: ComponentInstantiateOptions): Promise<ComponentInstance>

// ---------------------------------------------------------------------------------------------
// Running a WASI command in one call
// ---------------------------------------------------------------------------------------------

/**
 * The options of {@link run}: what the program sees (as in {@link WasiConfig}), its limits and
 * imports. Its stdout and stderr are always captured.
 */
export interface RunOptions {
  /** The command-line arguments, verbatim: `args[0]` is the program name. */
  args?: readonly string[]
  /** Environment variables the program sees. */
  env?: Readonly<Record<string, string>>
  /** Directories to mount: guest path -> host path (or {@link PreopenDir}). */
  preopens?: Readonly<Record<string, string | PreopenDir>>
  /** The program's standard input: a string (as UTF-8) or bytes. Default: empty. */
  stdin?: string | ArrayBufferView | ArrayBufferLike
  /** Resource limits (a fuel tank, a deadline, memory and table budgets). */
  limits?: InstanceLimits
  /** The cap of each captured stream (default 4 MiB); past it the program's writes fail. */
  outputLimitBytes?: number | bigint
  /** Host functions for the program's non-WASI imports (for a component, {@link ComponentImports}). */
  imports?: HostImports | ComponentImports
  /** What imports nothing provides become (see {@link InstantiateOptions.unknownImports}). */
  unknownImports?: 'trap' | 'default' | null
  /** Where a trap writes a core dump (see {@link WasiConfig.coredumpOnTrap}). */
  coredumpOnTrap?: string
  /** What a component may reach on the network (see {@link WasiConfig.network}). */
  network?: NetworkConfig
  /** The compile budget of the file's compile (see {@link CompileLimits}). */
  compileLimits?: CompileLimits | null
  /** Compile the file without interruption checks (see {@link CompileOptions.trusted}). */
  trusted?: boolean
}

/** What {@link run} resolves to: the program's exit status and its captured output. */
export interface RunResult {
  /** 0 when `_start` returned (or the program called `proc_exit(0)`), else the status. */
  exitCode: number
  /** Everything the program wrote to stdout. */
  stdout: Uint8Array
  /** Everything the program wrote to stderr. */
  stderr: Uint8Array
  /**
   * Whether a stream reached `outputLimitBytes`: what the program wrote past it was lost (its
   * writes failed), so `stdout` / `stderr` hold only the first `outputLimitBytes` bytes.
   */
  truncated: { stdout: boolean; stderr: boolean }
}

/**
 * Runs a WASI command to its end, like `child_process.execFile` for WASI programs: compiles
 * the file (or takes a compiled module's id), instantiates it with `options`, calls `_start`
 * with stdout and stderr captured, then frees what it made. A non-zero exit status is data
 * here (`exitCode`), not an error.
 *
 * @param pathOrModuleId A module file's path, or a module id from {@link compile} /
 *   {@link compileFile} (which stays compiled).
 * @throws Rejects like {@link compileFile} and {@link instantiate}; with
 *   {@link ErrorCode.CallError} (5002) for a trap, {@link ErrorCode.FuelExhausted} (5011) for a
 *   limit, and {@link ErrorCode.ExportNotFound} (5003) for a module without `_start`.
 */
export declare function run(pathOrModuleId: string, options?: RunOptions): Promise<RunResult>

// ---------------------------------------------------------------------------------------------
// Serving HTTP with a component
// ---------------------------------------------------------------------------------------------

/** The options of {@link createHttpHandler}: each instance's options, and the handler's own. */
export interface HttpHandlerOptions extends WasiConfig {
  /** Each instance's limits; `timeoutMs` applies to each request. */
  limits?: InstanceLimits
  /** Host functions for the component's imports. */
  imports?: ComponentImports
  /** What imports nothing provides become (`"trap"`). */
  unknownImports?: 'trap' | null
  /** One instance serves every request, in turn (state carries over). Default `false`: a fresh instance each. */
  reuseInstance?: boolean
  /**
   * The largest request body taken and response body given, in bytes. Default 64 MiB. The
   * response body streams as the component writes it; what JS has not read yet is buffered.
   */
  maxBodyBytes?: number
}

/**
 * A fetch-API handler: hands `request` to the component's `wasi:http/incoming-handler` and
 * resolves its response. Rejects with a {@link WasmError} when the handler traps, is stopped
 * by a limit (5011), or a body is past `maxBodyBytes`; with an {@link AbortError} when
 * `signal` (or `request.signal`) aborts.
 */
export interface HttpHandler {
  (request: Request, options?: { signal?: AbortSignal }): Promise<Response>
  /** Drops the shared instance (with `reuseInstance`) and the module it compiled; later requests reject. */
  close(): Promise<void>
}

/**
 * Serves HTTP with a component that exports `wasi:http/incoming-handler` (WASI 0.2's proxy
 * world): `handler(request)` for Hono, undici or any fetch-API server, or
 * `http.createServer(toNodeListener(handler))`.
 *
 * @param moduleOrPath a compiled component's id, or the path of a component file.
 */
export declare function createHttpHandler(moduleOrPath: ModuleId | string, options?: HttpHandlerOptions): Promise<HttpHandler>

/**
 * node:http's request listener for a handler. A failed request answers 500 (504 when stopped
 * by its deadline) with the error's first line; `onError` is told of the error.
 */
export declare function toNodeListener(
  handler: HttpHandler,
  options?: { onError?: (error: unknown) => void },
): NodeRequestListener

/**
 * node:http's request listener, `(req: IncomingMessage, res: ServerResponse) => void`, typed
 * without depending on Node's type declarations (it is assignable to `http.RequestListener`).
 */
export type NodeRequestListener = (request: unknown, response: unknown) => void

// ---------------------------------------------------------------------------------------------
// Process-wide settings
// ---------------------------------------------------------------------------------------------

/** The options of {@link configure}; a setting that is not given is left as it is. */
export interface ConfigureOptions {
  /**
   * Where compiled code is cached on disk (resolved against the current directory). Default:
   * the environment variable `RUNTIME_WASM_CACHE_DIR`, else the user's cache directory
   * (`$XDG_CACHE_HOME/runtime-wasm` or `~/.cache/runtime-wasm` on Linux).
   */
  cacheDir?: string
  /** `false` turns caching to disk off; `true` turns it back on. */
  cache?: boolean
  /**
   * A capability manifest (`manifest.app.toml`) to put in force for the rest of the process,
   * relative to the current directory. Give it before the first {@link compileFile},
   * {@link instantiate} or {@link capabilities}: it takes precedence over
   * `RUNTIME_WASM_MANIFEST` and `./manifest.app.toml`. Once a manifest is in force, naming the
   * same one again is accepted and any other is refused; permissive mode may still be narrowed
   * by a manifest. Throws {@link ErrorCode.PermissionDenied} (5009) when another manifest is in
   * force, or when this one cannot be read or is invalid (the error's `manifest`, `line` and
   * `key` say where; the process then stays closed).
   */
  manifest?: string
  /**
   * The largest module, in bytes, that {@link compile} and {@link compileFile} accept: a
   * larger one fails before it is compiled (compileFile reads no more than this plus one byte).
   * Default 536870912 (512 MiB). A manifest's `max_module_size` still bounds it. A whole
   * number from 0 to `Number.MAX_SAFE_INTEGER`.
   */
  maxModuleBytes?: number
  /**
   * The compile budget of every later compile: `maxFunctions`, `maxFunctionBytes` and
   * `timeoutMs` as in {@link CompileLimits} (the size is `maxModuleBytes`). Replaces the
   * budget set before; `{}` removes it. A call's `limits` may only lower it.
   */
  compileLimits?: Omit<CompileLimits, 'maxBytes'>
  /**
   * Modules at least this large, in bytes, that are not in the compiled-code cache start on
   * baseline code (wasmtime's Winch compiler, about ten times faster to compile) while a
   * helper process compiles the optimized code in the background and writes it to the cache;
   * instances made once it is in run it. Default 1048576 (1 MiB); `Infinity` turns tiering
   * off (every module is compiled by the optimizing compiler at once).
   */
  tieringMinBytes?: number
  /**
   * The compiled-code cache's size cap in bytes: whenever a file is added, the least recently
   * used files are removed until the rest fit. Default 2147483648 (2 GiB), or the environment
   * variable `RUNTIME_WASM_CACHE_MAX_BYTES`. A whole number from 0 to `Number.MAX_SAFE_INTEGER`.
   */
  cacheMaxBytes?: number
}

/** One file of the compiled-code cache. */
export interface CacheEntry {
  /** Its name in the cache directory. */
  file: string
  bytes: number
  /** When it was last loaded or written, in milliseconds since the epoch. */
  lastUsed: number
}

/** What {@link cacheInfo} reports. */
export interface CacheInfo {
  /** The cache directory; `null` when caching to disk is off. */
  dir: string | null
  /** The size cap (see {@link ConfigureOptions.cacheMaxBytes}). */
  maxBytes: number
  totalBytes: number
  /** Least recently used first. */
  entries: CacheEntry[]
}

/** What {@link pruneCache} and {@link clearCache} did. */
export interface CachePruned {
  removed: number
  freedBytes: number
  keptBytes: number
}

/** The compiled-code cache's directory, size cap, total size and files. Synchronous. */
export declare function cacheInfo(): CacheInfo

/**
 * Removes the cache's least recently used files until the rest fit in `maxBytes` (default: the
 * cap). Only the cache's own files are removed. Synchronous.
 *
 * @throws A standard `TypeError` when `maxBytes` is not a whole number from 0 to
 *   `Number.MAX_SAFE_INTEGER`.
 */
export declare function pruneCache(maxBytes?: number): CachePruned

/** Removes every file of the compiled-code cache. Synchronous. */
export declare function clearCache(): CachePruned

/**
 * Changes process-wide settings, synchronously: where (and whether) compiled code is cached.
 * Compiling bytes that were compiled before, in this or an earlier process, then loads the
 * cached code instead of compiling it again.
 *
 * @throws A standard `TypeError` when `options` is not an object or a setting has the wrong
 *   type.
 */
export declare function configure(options: ConfigureOptions): void

/**
 * The capability policy in force, as {@link capabilities} reports it. Paths and patterns are
 * resolved: absolute, `~` expanded, the existing part of each entry with symlinks, `.` and `..`
 * resolved.
 */
export interface Capabilities {
  /** `"manifest"`, or `"permissive"` when no manifest was found (everything allowed). */
  mode: 'manifest' | 'permissive'
  /** The manifest file's real path; `null` when permissive. */
  source: string | null
  /** Where the manifest was named; `null` when permissive. */
  origin: 'configure' | 'env' | 'cwd' | null
  /** The `load` patterns: module files {@link compileFile} may read. */
  load: string[]
  /** The `preopens` directories: may be preopened read-write (or read-only). */
  preopens: string[]
  /** The `preopens_readonly` directories: may only be preopened read-only. */
  preopensReadonly: string[]
  /** `max_fuel`; `null` when absent. */
  maxFuel: number | null
  /** `max_timeout_ms`; `null` when absent. */
  maxTimeoutMs: number | null
  /** `max_memory`, in bytes; `null` when absent. */
  maxMemory: number | null
  /** `max_instances`; `null` when absent. */
  maxInstances: number | null
  /** `max_module_size`, in bytes; `null` when absent. */
  maxModuleSize: number | null
  /** `max_functions`; `null` when absent. */
  maxFunctions: number | null
  /** `max_function_size`, in bytes; `null` when absent. */
  maxFunctionSize: number | null
  /** `max_compile_time_ms`; `null` when absent. */
  maxCompileTimeMs: number | null
  /**
   * `[capabilities.net]`'s grants, each as {@link NetworkGrant} spells it (`ports` `null` for
   * every port): the most any instance may be granted. `null` when permissive (no ceiling).
   */
  net: Array<{ host: string; ports: string[] | null; protocols: NetworkProtocol[]; directions: Array<'connect' | 'bind'> }> | null
}

/**
 * The capability policy in force, settled now if nothing asked before: from
 * {@link configure}'s `manifest`, else the `RUNTIME_WASM_MANIFEST` environment variable, else
 * `manifest.app.toml` in the current working directory, else permissive. Synchronous.
 *
 * @throws {@link ErrorCode.PermissionDenied} (5009) when the manifest is broken.
 */
export declare function capabilities(): Capabilities

// ---------------------------------------------------------------------------------------------
// Low-level API: the same operations as Instance, by instance id
// ---------------------------------------------------------------------------------------------

/**
 * Calls an exported function. Calls on one instance run one at a time in the order they were
 * made; calls on different instances run in parallel.
 *
 * @param instanceId An instance's {@link Instance.id}.
 * @param name The export's name.
 * @param args The arguments, one per parameter (default `[]`), converted by the parameter types
 *   (see {@link WasmArg}).
 * @param options Limits for this call (see {@link CallOptions}).
 * @returns The results, always an array (empty for a function without results, and for a WASI
 *   program that exits with status 0).
 * @throws Rejects with {@link ErrorCode.InvalidInstanceHandle} (5005) for an unknown, dropped
 *   or non-string id, or when the instance is dropped before or while the call runs;
 *   {@link ErrorCode.ExportNotFound} (5003) when there is no function of that name (the message
 *   lists the exported functions); {@link ErrorCode.TypeError} (5007) for a wrong number of
 *   arguments, a value that does not fit its parameter, or a malformed `fuel` or `timeoutMs`;
 *   {@link ErrorCode.CallError} (5002) for a trap (with `trap` set and the wasm backtrace in
 *   the message) or a WASI exit with a non-zero status (with `exitCode` set);
 *   {@link ErrorCode.FuelExhausted} (5011) when the call runs out of fuel or time (with
 *   `reason` set); an {@link AbortError} when `options.signal` aborts; a standard `TypeError`
 *   when `name` is not a string, `args` is not an array, `options` is not an object or
 *   `options.signal` is not an `AbortSignal`.
 */
export declare function call(
  instanceId: InstanceId,
  name: string,
  args?: readonly WasmArg[],
  options?: CallOptions | null,
): Promise<WasmValue[]>

/**
 * Calls an exported function to completion on the JS thread, synchronously, for hot paths of
 * tiny calls (it skips the Promise). Fuel and deadline limits still apply. It never blocks the
 * JS thread on a wait: a call that reaches a host function or waits for the host in any other
 * way (a WASI sleep, input, file I/O) fails there with 5002. The instance must be idle.
 *
 * @returns The results, always an array.
 * @throws Throws (synchronously) like {@link call} rejects, and also a 5002 {@link WasmError}
 *   when another operation on the instance is queued or running.
 */
export declare function callSync<R extends WasmValue[] = WasmValue[]>(
  instanceId: InstanceId,
  name: string,
  args?: readonly WasmArg[],
): R

/**
 * What an instance's program wrote to its piped stdout (`stdout: "pipe"`) since the last read.
 *
 * @returns The bytes, empty when nothing was written (or stdout is not piped).
 * @throws Rejects with {@link ErrorCode.InvalidInstanceHandle} (5005) for an unknown, dropped
 *   or non-string id.
 */
export declare function readStdout(instanceId: InstanceId): Promise<Uint8Array>

/** Like {@link readStdout}, for the piped stderr (`stderr: "pipe"`). */
export declare function readStderr(instanceId: InstanceId): Promise<Uint8Array>

/**
 * The fuel left in an instance's tank (see {@link InstanceLimits.fuel}).
 *
 * @returns The fuel left, or `null` for an instance made without `limits.fuel`.
 * @throws Rejects with {@link ErrorCode.InvalidInstanceHandle} (5005) for an unknown, dropped
 *   or non-string id.
 */
export declare function fuel(instanceId: InstanceId): Promise<number | null>

/**
 * Sets the fuel in an instance's tank (see {@link InstanceLimits.fuel}), after the operations
 * already queued on the instance.
 *
 * @param amount A non-negative integer `number` (or `Infinity`) or a `bigint` up to 2^64-1.
 * @throws Rejects with {@link ErrorCode.CallError} (5002) for an instance made without
 *   `limits.fuel`; {@link ErrorCode.TypeError} (5007) for a malformed amount;
 *   {@link ErrorCode.InvalidInstanceHandle} (5005) for an unknown, dropped or non-string id.
 */
export declare function setFuel(instanceId: InstanceId, amount: number | bigint): Promise<void>

/**
 * Describes every export of an instance, in declaration order.
 *
 * @throws Rejects with {@link ErrorCode.InvalidInstanceHandle} (5005) for an unknown, dropped
 *   or non-string id.
 */
export declare function getExports(instanceId: InstanceId): Promise<ExportInfo[]>

/**
 * Drops an instance at once: a call running on it stops, operations queued behind it reject
 * with 5005, and later uses of the id reject with 5005.
 *
 * @throws Rejects with {@link ErrorCode.InvalidInstanceHandle} (5005) when the id is unknown,
 *   already dropped, or not a string.
 */
export declare function dropInstance(instanceId: InstanceId): Promise<void>

/**
 * The low-level linear memory operations, by instance id. They work on the export named
 * `"memory"`, else on the instance's first exported memory. Sizes are in pages of 64 KiB.
 *
 * Every operation rejects with {@link ErrorCode.InvalidInstanceHandle} (5005) for an unknown,
 * dropped or non-string id, and with {@link ErrorCode.MemoryError} (5006) when the instance
 * exports no memory or an offset, length or page count is not a non-negative integer.
 */
export interface LowLevelMemory {
  /**
   * Copies `length` bytes starting at `offset` out of linear memory.
   *
   * @throws Rejects with {@link ErrorCode.MemoryError} (5006) when the range does not fit in the
   *   memory (the message gives the offset, length and memory size).
   */
  read(instanceId: InstanceId, offset: number, length: number): Promise<Uint8Array>
  /**
   * Copies `data` into linear memory at `offset`. The write is all or nothing.
   *
   * @param data Bytes: a `Uint8Array`, `Buffer`, any other typed array or `DataView` (its raw
   *   bytes), an `ArrayBuffer`, or an array of integers from 0 to 255.
   * @throws Rejects with {@link ErrorCode.MemoryError} (5006) when the range does not fit in the
   *   memory or an array element is not a byte, and with a standard `TypeError` when `data` is
   *   of another kind (e.g. a string).
   */
  write(instanceId: InstanceId, offset: number, data: ArrayBufferView | ArrayBufferLike | readonly number[]): Promise<void>
  /** The memory's current size in pages of 64 KiB. */
  size(instanceId: InstanceId): Promise<number>
  /**
   * Grows the memory by `pages` pages of 64 KiB.
   *
   * @returns The previous size in pages.
   * @throws Rejects with {@link ErrorCode.MemoryError} (5006) when the memory cannot grow that
   *   far (past its declared maximum or the runtime's limit).
   */
  grow(instanceId: InstanceId, pages: number): Promise<number>
}

/** The low-level linear memory operations, by instance id (see {@link LowLevelMemory}). */
export declare const memory: Readonly<LowLevelMemory>

// ---------------------------------------------------------------------------------------------
// Classes
// ---------------------------------------------------------------------------------------------

/**
 * An instance's linear memory: the {@link LowLevelMemory} operations bound to one instance.
 * Obtained as {@link Instance.memory}.
 */
export declare class Memory {
  /** Binds the memory operations to `instance`; normally done by {@link Instance} itself. */
  constructor(instance: Instance)
  /**
   * Copies `length` bytes starting at `offset` out of linear memory.
   *
   * @throws Rejects with {@link ErrorCode.MemoryError} (5006) when the instance exports no
   *   memory, `offset` or `length` is not a non-negative integer, or the range does not fit;
   *   {@link ErrorCode.InvalidInstanceHandle} (5005) when the instance was dropped.
   */
  read(offset: number, length: number): Promise<Uint8Array>
  /**
   * Copies `data` into linear memory at `offset`. The write is all or nothing.
   *
   * @param data Bytes: a `Uint8Array`, `Buffer`, any other typed array or `DataView`, an
   *   `ArrayBuffer`, or an array of integers from 0 to 255.
   * @throws Rejects with {@link ErrorCode.MemoryError} (5006) when the instance exports no
   *   memory, `offset` is not a non-negative integer, the range does not fit, or an array
   *   element is not a byte; {@link ErrorCode.InvalidInstanceHandle} (5005) when the instance
   *   was dropped; a standard `TypeError` when `data` is of another kind.
   */
  write(offset: number, data: ArrayBufferView | ArrayBufferLike | readonly number[]): Promise<void>
  /**
   * The memory's current size in pages of 64 KiB.
   *
   * @throws Rejects with {@link ErrorCode.MemoryError} (5006) when the instance exports no
   *   memory; {@link ErrorCode.InvalidInstanceHandle} (5005) when the instance was dropped.
   */
  size(): Promise<number>
  /**
   * Grows the memory by `pages` pages of 64 KiB.
   *
   * @returns The previous size in pages.
   * @throws Rejects with {@link ErrorCode.MemoryError} (5006) when the instance exports no
   *   memory, `pages` is not a non-negative integer, or the memory cannot grow that far;
   *   {@link ErrorCode.InvalidInstanceHandle} (5005) when the instance was dropped.
   */
  grow(pages: number): Promise<number>
}

/**
 * A module instance: its own store, linear memory and WASI context. Made by
 * {@link instantiate}. Operations on one instance run one at a time in the order they were
 * made; different instances run in parallel.
 *
 * Free it with {@link Instance.drop} (or `await using`); an Instance that becomes unreachable
 * without being dropped is freed by the garbage collector.
 */
export declare class Instance {
  /**
   * Wraps an existing instance id. {@link instantiate} does this for you, and only the object
   * it returns owns the instance (drops it when it is garbage collected). An object made with
   * `new Instance(id)`, in this thread or another, never frees the instance, neither when it is
   * collected nor when its worker exits: keep the owner's object referenced meanwhile.
   */
  constructor(instanceId: InstanceId)
  /** The instance's id, for the low-level API. */
  readonly id: InstanceId
  /** The instance's linear memory (the export named `"memory"`, else the first exported one). */
  readonly memory: Memory
  /**
   * Calls an exported function with the given arguments, converted by its parameter types (see
   * {@link WasmArg}).
   *
   * The optional type argument only asserts the results' shape for the compiler, e.g.
   * `const [sum] = await instance.call<[number]>("add", 1, 2)`; it is not checked.
   *
   * @returns The results, always an array (empty for a function without results, and for a
   *   WASI program that exits with status 0).
   * @throws Rejects with {@link ErrorCode.ExportNotFound} (5003) when there is no function of
   *   that name (the message lists the exported functions); {@link ErrorCode.TypeError} (5007)
   *   for a wrong number of arguments or a value that does not fit its parameter;
   *   {@link ErrorCode.CallError} (5002) for a trap (with `trap` set and the wasm backtrace in
   *   the message; the instance stays usable) or a WASI exit with a non-zero status (with
   *   `exitCode` set); {@link ErrorCode.InvalidInstanceHandle} (5005) when the instance is
   *   dropped before or while the call runs; a standard `TypeError` when `name` is not a
   *   string.
   */
  call<R extends WasmValue[] = WasmValue[]>(name: string, ...args: WasmArg[]): Promise<R>
  /**
   * Like {@link Instance.call}, with the arguments as an array and limits for this call:
   * `instance.invoke("run", [10], { timeoutMs: 100, fuel: 1_000_000, signal })`.
   *
   * @param options See {@link CallOptions}.
   * @throws Rejects like {@link Instance.call}, and also with {@link ErrorCode.FuelExhausted}
   *   (5011) when the call runs out of fuel or time (with `reason` set), an {@link AbortError}
   *   when `options.signal` aborts, {@link ErrorCode.TypeError} (5007) for a malformed `fuel`
   *   or `timeoutMs`, and a standard `TypeError` when `args` is not an array, `options` is not
   *   an object or `options.signal` is not an `AbortSignal`.
   */
  invoke<R extends WasmValue[] = WasmValue[]>(
    name: string,
    args?: readonly WasmArg[],
    options?: CallOptions | null,
  ): Promise<R>
  /**
   * Calls an exported function to completion on the JS thread, synchronously (see
   * {@link callSync}): for hot paths of tiny calls.
   */
  callSync<R extends WasmValue[] = WasmValue[]>(name: string, ...args: WasmArg[]): R
  /** What the program wrote to its piped stdout since the last read (see {@link readStdout}). */
  readStdout(): Promise<Uint8Array>
  /** What the program wrote to its piped stderr since the last read (see {@link readStderr}). */
  readStderr(): Promise<Uint8Array>
  /**
   * The fuel left in the instance's tank.
   *
   * @returns The fuel left, or `null` for an instance made without `limits.fuel`.
   * @throws Rejects with {@link ErrorCode.InvalidInstanceHandle} (5005) when the instance was
   *   dropped.
   */
  fuel(): Promise<number | null>
  /**
   * Sets the fuel in the instance's tank, after the operations already queued on it.
   *
   * @param amount A non-negative integer `number` (or `Infinity`) or a `bigint` up to 2^64-1.
   * @throws Rejects with {@link ErrorCode.CallError} (5002) for an instance made without
   *   `limits.fuel`; {@link ErrorCode.TypeError} (5007) for a malformed amount;
   *   {@link ErrorCode.InvalidInstanceHandle} (5005) when the instance was dropped.
   */
  setFuel(amount: number | bigint): Promise<void>
  /**
   * Describes every export of the instance, in declaration order.
   *
   * @throws Rejects with {@link ErrorCode.InvalidInstanceHandle} (5005) when the instance was
   *   dropped.
   */
  /**
   * Starts a guest profile: while the instance's calls run, its wasm stack is sampled every
   * `intervalMs` (default 1, the least). Rejects with 5002 when a profile is already being
   * taken or the module was compiled trusted.
   */
  startProfile(options?: ProfileOptions | null): Promise<void>
  /**
   * Stops the guest profile and resolves it in the Firefox Profiler's processed format (save
   * it as JSON and open it at profiler.firefox.com). Rejects with 5002 when none is running.
   */
  stopProfile(): Promise<FirefoxProfile>
  getExports(): Promise<ExportInfo[]>
  /**
   * Frees the instance at once: a call running on it stops, operations queued behind it reject
   * with 5005, and any later use rejects with 5005.
   *
   * @throws Rejects with {@link ErrorCode.InvalidInstanceHandle} (5005) when the instance was
   *   already dropped.
   */
  drop(): Promise<void>
  /**
   * Drops the instance unless it was already dropped through this object; for
   * `await using instance = await instantiate(moduleId)`.
   */
  [Symbol.asyncDispose](): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Type helpers
// ---------------------------------------------------------------------------------------------

/**
 * Tags an argument with its WebAssembly type. Each helper checks at once that the value is
 * representable and throws (synchronously) a {@link WasmError} with code
 * {@link ErrorCode.TypeError} (5007) when it is not. The result is a frozen `{ type, value }`.
 * A tagged argument must match its parameter's type exactly, or the call rejects with 5007.
 */
export declare const types: Readonly<{
  /**
   * A 32-bit integer: an integer `number` from -2^31 to 2^32-1.
   * @throws {WasmError} 5007 for a fraction, NaN, an out-of-range number or a non-number.
   */
  i32(value: number): TypedI32
  /**
   * A 64-bit integer: a `bigint` from -2^63 to 2^64-1, or a safe-integer `number`.
   * @throws {WasmError} 5007 for an out-of-range `bigint`, a fraction, NaN, an unsafe-integer
   *   `number` or another kind of value.
   */
  i64(value: number | bigint): TypedI64
  /**
   * A 32-bit float: any `number` (rounded like `Math.fround` when passed).
   * @throws {WasmError} 5007 for a non-number.
   */
  f32(value: number): TypedF32
  /**
   * A 64-bit float: any `number`.
   * @throws {WasmError} 5007 for a non-number.
   */
  f64(value: number): TypedF64
}>

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** The error codes, by name. `err.name` of a {@link WasmError} is the name of its code. */
export declare const ErrorCode: Readonly<{
  /** 5000: the bytes or text are not a valid module. */
  CompileError: 5000
  /**
   * 5001: instantiation failed (unsatisfied import, trap in the start function or
   * `_initialize`, memory or table beyond the limits, malformed `limits`).
   */
  InstantiateError: 5001
  /** 5002: a call trapped, or a WASI program exited with a non-zero status. */
  CallError: 5002
  /** 5003: no exported function of that name. */
  ExportNotFound: 5003
  /** 5004: unknown or dropped module id. */
  InvalidModuleHandle: 5004
  /** 5005: unknown or dropped instance id, or the instance was dropped during the operation. */
  InvalidInstanceHandle: 5005
  /** 5006: bad memory operation (no memory, bad offset/length/pages, out of bounds, cannot grow). */
  MemoryError: 5006
  /**
   * 5007: an argument does not fit its parameter type, the wrong number of arguments, or a
   * malformed fuel amount or timeout.
   */
  TypeError: 5007
  /** 5008: a module file cannot be read. */
  IoError: 5008
  /**
   * 5009: a capability check failed: the capability manifest (or Node's permission model) does
   * not allow a module file or a preopen, or the manifest is broken or cannot replace the one
   * in force.
   */
  PermissionDenied: 5009
  /** 5010: a malformed WASI config or a preopen that is not an existing directory. */
  WasiError: 5010
  /**
   * 5011: an execution limit was reached (out of fuel, or past the deadline; see
   * `err.reason`), or fuel was asked of an instance made without `limits.fuel`.
   */
  FuelExhausted: 5011
}>

/** One of the numeric error codes, 5000 to 5011. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode]

/** One of the error code names, e.g. `"CallError"`. */
export type ErrorCodeName = keyof typeof ErrorCode

/** The options of {@link Instance.startProfile}. */
export interface ProfileOptions {
  /** Milliseconds between samples, at least 1 (the default). */
  intervalMs?: number
}

/**
 * A profile in the Firefox Profiler's processed format: `meta`, `libs`, `threads` (one, with
 * `samples`, `stackTable`, `frameTable`, `funcTable` and `stringArray`), and more.
 */
export interface FirefoxProfile {
  meta: Record<string, unknown>
  threads: Record<string, unknown>[]
  [key: string]: unknown
}

/** One frame of a trap's wasm backtrace (see {@link WasmError.frames}). */
export interface WasmFrame {
  /** The module's name (its name section's, or WAT's `(module $name)`), or `null`. */
  module: string | null
  funcIndex: number
  /** The function's name, from the debug info or the name section, or `null`. */
  funcName: string | null
  /** The instruction's offset in the module's binary, or `null` when unknown. */
  moduleOffset: number | null
  /** The instruction's offset in its function's body, or `null` when unknown. */
  funcOffset: number | null
  /** From the module's DWARF debug info (e.g. C built with `-g`); `null` without it. */
  file: string | null
  line: number | null
  column: number | null
}

/** Machine-readable facts a {@link WasmError} may carry beside its message. */
export interface WasmErrorDetails {
  /** The underlying error, if any. */
  cause?: unknown
  /** A WASI program's non-zero exit status. */
  exitCode?: number
  /** The kind of trap, e.g. `"integer divide by zero"`. */
  trap?: string
  /** The file or directory the error is about. */
  path?: string
  /** Which limit stopped the operation. */
  reason?: 'fuel' | 'timeout'
  /** The fuel the operation burnt before it ran out. */
  fuelConsumed?: number
  /** Milliseconds from the moment the operation was made until it was stopped. */
  elapsedMs?: number
  /** The capability manifest a 5009 is about. */
  manifest?: string
  /** The line of a broken manifest (1-based). */
  line?: number
  /** The key of a broken manifest, e.g. `"capabilities.wasm.load"`. */
  key?: string
  /** The compile budget's bound a refused compile went past. */
  limit?: 'maxBytes' | 'maxFunctions' | 'maxFunctionBytes' | 'timeoutMs'
  /** A trap's wasm backtrace, innermost frame first. */
  frames?: WasmFrame[]
  /** The core dump file a trap was written to. */
  coredump?: string
}

/**
 * The error every operation rejects with (apart from arguments of the wrong JS kind, which give
 * a standard `TypeError`, and aborted calls, which give an {@link AbortError}). Classify it by
 * {@link WasmError.code}, not by its message.
 */
export declare class WasmError extends Error {
  constructor(code: ErrorCodeValue, message: string, details?: WasmErrorDetails)
  /** The numeric error code, 5000 to 5011 (see {@link ErrorCode}). */
  code: ErrorCodeValue
  /** The name of the code, e.g. `"CallError"` for 5002. */
  name: ErrorCodeName
  /**
   * Set on a 5002 error when a WASI program exited with a non-zero status (`proc_exit(n)`,
   * which is also how a C program's `main` returning `n` ends): the status.
   */
  exitCode?: number
  /**
   * Set on a 5002 (call) or 5001 (start function, `_initialize`) error caused by a trap: the
   * trap's kind, e.g. `"integer divide by zero"`, `"out of bounds memory access"`,
   * `"call stack exhausted"`, ``"wasm `unreachable` instruction executed"``.
   */
  trap?: string
  /**
   * Set on errors about a file or directory: the module file of a 5008 error from
   * {@link compileFile}, the host directory of a 5010 preopen error, the path a 5009 refused.
   */
  path?: string
  /**
   * Set on a 5011 error: which limit stopped the operation, `"fuel"` (the fuel ran out) or
   * `"timeout"` (the deadline passed).
   */
  reason?: 'fuel' | 'timeout'
  /** Set on a 5011 error with `reason: "fuel"`: the fuel burnt before it ran out. */
  fuelConsumed?: number
  /**
   * Set on a 5011 error: milliseconds from the moment the operation was made until it was
   * stopped.
   */
  elapsedMs?: number
  /**
   * Set on an error caused by a trap (5002, or 5001 from a start function): its wasm
   * backtrace, innermost frame first, with source file, line and column for modules that
   * carry DWARF debug info.
   */
  frames?: WasmFrame[]
  /** Set on a trap's error when the instance has `coredumpOnTrap` and the dump was written. */
  coredump?: string
  /**
   * Set on a 5000 (or 5008) error from a compile refused by its compile budget: the bound it
   * went past (see {@link CompileLimits}).
   */
  limit?: 'maxBytes' | 'maxFunctions' | 'maxFunctionBytes' | 'timeoutMs'
  /** Set on a 5009 error about a capability manifest: the manifest's path. */
  manifest?: string
  /** Set on a 5009 error about a broken manifest: the line (1-based), when known. */
  line?: number
  /** Set on a 5009 error about a broken manifest: the key, e.g. `"capabilities.wasm.load"`. */
  key?: string
}

/**
 * The error a call rejects with when its `signal` aborts (Node's convention for a cancelled
 * operation): `name` is `"AbortError"`, `code` is `"ABORT_ERR"`, and `cause` is the signal's
 * reason. The instance stays usable.
 */
export declare class AbortError extends Error {
  constructor(message?: string, options?: { cause?: unknown })
  name: 'AbortError'
  code: 'ABORT_ERR'
  /** The abort signal's reason. */
  cause?: unknown
}

// Only the declarations marked `export` above are part of the package's types.
export {}
