'use strict'
// The help texts of the runtime-wasm command.

const MAIN = `Usage: runtime-wasm <command> [options]

Runs WebAssembly in the runtime-wasm sandbox (wasmtime), from the command line.

Commands:
  run [options] FILE [ARGS...]        Run a WASI command module (its _start export)
  serve [options] FILE                Serve HTTP with a component (wasi:http handler, 0.2 or 0.3)
  inspect FILE [--json]               Print a module's imports and exports with their types,
                                      or a component's world in WIT
  types FILE [-o OUT.d.ts]            Write TypeScript types for calling a component
  compile FILE...                     Compile modules into the compiled-code cache ahead
  cache [list|prune|clear]            Show, prune or clear the compiled-code cache
  help [COMMAND]                      Show this help, or a command's help

Options:
  -h, --help       Show help (also after a command: runtime-wasm run --help)
  -V, --version    Print the version of runtime-wasm

Environment:
  DEBUG=runtime-wasm, NODE_DEBUG=runtime-wasm
                   Log compile, instantiate and limit events, with timings, to stderr

Run "runtime-wasm help COMMAND" (run, inspect, types, compile, cache) for the details of a
command.
`

const RUN = `Usage: runtime-wasm run [options] [--] FILE [ARGS...]

Runs the WASI (preview 1) command module FILE (binary .wasm, or WebAssembly text) by calling
its _start export, with this terminal's stdin, stdout and stderr, and exits with its status.
The program sees only what the options below give it: no host directory unless --dir mounts
it, no environment variable unless --env or --inherit-env passes it.

The options go before FILE. Everything after FILE goes to the program as it is, even when it
looks like an option (as in wasmtime run):
  runtime-wasm run --dir ./data::/data tool.wasm --verbose /data/input.txt

Options:
  --dir HOST[::GUEST]      Mount the host directory HOST at GUEST inside the sandbox, read
                           and write (GUEST defaults to HOST as written, e.g. --dir . mounts
                           the current directory as "."). Repeatable.
  --dir-ro HOST[::GUEST]   The same, read-only. Repeatable.
  --env NAME=VALUE         Set an environment variable for the program. --env NAME passes
                           this process's value of NAME. Repeatable; wins over --inherit-env.
  --inherit-env            Pass this process's whole environment (wasmtime: -S inherit-env).
  --invoke NAME            Call the exported function NAME instead of _start (for a reactor,
                           after its _initialize), with ARGS as its arguments (i32, i64, f32,
                           f64; integers may be 0x hexadecimal), and print its results, one
                           a line.
  --allow-net GRANT        Let a component connect to GRANT: HOST[:PORTS][/PROTOCOLS], e.g.
                           api.example.com:443/https, 127.0.0.1:8000-8100/tcp+http,
                           *.example.com, [::1]:5432, 10.0.0.0/8 ([10.0.0.0/8]:443 with
                           ports). PORTS: 443, 80,443, 8000-8100 or * (default); PROTOCOLS:
                           tcp, udp, http, https joined by + (default: all). Loopback and
                           private addresses only when named by address. Repeatable; without
                           it a component reaches no host.
  --allow-bind GRANT       Let a component bind, listen and accept (TCP) or receive (UDP) on
                           GRANT (an address, e.g. 127.0.0.1:8080/tcp). Repeatable.
  --unknown-imports trap|default
                           Run a module that imports functions nothing provides: each one
                           traps when called (trap), or returns zeros (default). Without it
                           such a module is refused before it is compiled (exit 126).
  --fuel N                 Stop the program after about N wasm instructions (wasmtime fuel).
  --timeout MS             Stop the program after MS milliseconds. The deadline applies to
                           _start or the --invoke function (and, separately, to the module's
                           start function if any).
  --max-memory SIZE        Most bytes the program's memories may hold in all, e.g. 64MiB or
                           1GB; past it memory.grow fails. Units, as in the manifest: B, KiB,
                           MiB, GiB, TiB (x1024) and kB, MB, GB, TB (x1000); case matters.
  --max-functions N        Refuse a module that defines more than N functions (exit 126).
  --max-function-size SIZE Refuse a module with a function body larger than SIZE.
  --compile-timeout MS     Stop compiling after MS milliseconds (exit 126). The compile then
                           runs in a helper process; a module already in the compiled-code
                           cache loads without one.
  --coredump-on-trap PATH  When the program traps, write a wasm core dump to PATH (a new
                           file, outside every --dir), as wasmtime run does.
  --profile FILE           Sample the program's wasm stack every millisecond and write a
                           Firefox Profiler profile to FILE (a new file); open it at
                           profiler.firefox.com.
  --perfmap                List compiled wasm functions in /tmp/perf-PID.map, so that perf
                           shows their names (the same as RUNTIME_WASM_PERFMAP=1).
  --trusted                Compile without interruption checks, for code you trust: full
                           speed, but no limit can stop it (no --fuel, no --timeout).
  --manifest FILE          Put this capability manifest in force (configure({ manifest }))
                           before anything else: FILE and every --dir must be allowed by it.
                           Without it, the manifest named by RUNTIME_WASM_MANIFEST, else
                           ./manifest.app.toml, applies when there is one.
  --argv0 NAME             The program's argv[0] (default: FILE's base name).
  -S, --wasi inherit-env   wasmtime's spelling of --inherit-env.
  -S, --wasi inherit-network
                           Let a component reach every address (loopback and private ones
                           too) and name, connecting and binding, as wasmtime does.
                           -S cli, http, p3, tcp, udp, allow-ip-name-lookup and
                           -W component-model-async are taken and change nothing: everything
                           is linked here, and the network reaches only what is granted.
  -W, --wasm unknown-imports-trap | unknown-imports-default
                           wasmtime's spelling of --unknown-imports trap | default.
  -h, --help               Show this help.

While a module larger than 4 MiB compiles, a line on stderr counts the seconds, when stderr
is a terminal.

Exit status:
  0-125   the program's own exit status (0 when _start or the --invoke function returns)
  2       the command line is wrong (also: --invoke arguments that do not fit the function)
  124     stopped by --timeout
  125     ran out of --fuel
  126     could not start: FILE unreadable or not a valid module, an import nothing provides,
          a --dir that cannot be opened, a manifest that refuses it, no _start export (or no
          --invoke function of that name)
  134     the program trapped (e.g. unreachable, out-of-bounds access, stack overflow)
  70      runtime-wasm itself failed unexpectedly (a bug: please report it)
`

const INSPECT = `Usage: runtime-wasm inspect FILE [--json]

Prints the imports and exports of the binary WebAssembly module FILE, with their types,
read from the module's sections (the module is not compiled or run).

  func (param i32 i32) (result i32)   a function and its signature
  memory MIN [MAX] [shared]           a linear memory, sizes in pages of 64 KiB
                                      ("memory i64 ..." for a 64-bit memory)
  table MIN [MAX] TYPE                a table of references
  global TYPE | global (mut TYPE)     a global, immutable or mutable
  tag (param ...)                     an exception tag

When FILE is a component (the component model's binary format), prints its world in WIT
instead: each import and export, a function with its signature, an interface with its
resources (their constructors, methods and static functions) and functions. A component is
compiled (into the compiled-code cache) to be described; it is not run.

Options:
  --json       Print { file, imports, exports } as JSON, with the same field names as
               getExports(): { module?, name, kind, params, results, minimum, maximum, ... }
               For a component: { file, kind: "component", imports, exports }, as
               componentWorld() describes them (WIT types as { kind, ... }).
  -h, --help   Show this help.

A list of parameter or result types longer than 64 characters is cut, followed by the number
of types left out ("(param i32 i32 ... 99983 more)"; "paramsOmitted"/"resultsOmitted" in JSON).
Names with control characters are shown quoted and escaped.

WebAssembly text (.wat) is not read: convert it first, e.g. with wabt's "wat2wasm FILE".

Exit status: 0 on success, 1 when FILE cannot be read, or is neither a valid binary module
(a count larger than its section can hold included) nor a valid component, 2 when the command
line is wrong.
`

const TYPES = `Usage: runtime-wasm types FILE [-o OUT.d.ts]

Writes a TypeScript declaration file for calling the component FILE (binary, or WebAssembly
text) with runtime-wasm, made from its world, to stdout or to OUT.d.ts:

  NameComponent   the instance: call() and invoke() overloads for each exported function
                  ('greet', 'my:pkg/api#echo-string'), resolving the function's result
  Counter, ...    each exported resource, named after it: its methods (camelCase, returning
                  Promises), resource, drop(), Symbol.dispose and Symbol.asyncDispose
  Imports         what instantiate() takes as imports: the host's functions, by imported
                  interface and in camelCase (WASI's are the runtime's and not listed)

NAME is FILE's base name in PascalCase (types.wasm: TypesComponent). Values have jco's
representations: s64/u64 bigint, list<u8> Uint8Array (and the other numeric lists their typed
arrays), records objects with camelCase keys, variants { tag, val }, enums string literals,
flags objects of booleans, option<T> T | undefined, a result inside a value
{ tag: 'ok' | 'err', val }. A function's own result<T, E> resolves T and rejects with a
WasmError whose payload is E; a host function for an import returning result<T, E> returns T
and throws for E. WIT type names are not kept in a compiled component, so records and
variants are written out where they are used.

The file imports the types Instance and CallOptions from "runtime-wasm". Use it as
  const plugin = (await instantiate(id, { imports })) as unknown as TypesComponent

Options:
  -o, --output OUT.d.ts   Write the declarations to this file instead of stdout.
  -h, --help              Show this help.

Exit status: 0 on success, 1 when FILE cannot be read, is a core module or is not a valid
component, or OUT cannot be written, 2 when the command line is wrong.
`

const COMPILE = `Usage: runtime-wasm compile FILE...

Compiles each module (binary .wasm or WebAssembly text) into the compiled-code cache and waits
for its optimized code, so that later runs (runtime-wasm run, or the API in any process of this
user) load it at once instead of compiling. For an app's install step, or to fill a CI cache.
Prints one line per file.

Exit status: 0 when every file was compiled, 126 when one could not be (each is reported on
stderr) or the cache is off.
`

const CACHE = `Usage: runtime-wasm cache [list|prune|clear] [options]

The compiled-code cache (RUNTIME_WASM_CACHE_DIR, else ~/.cache/runtime-wasm): compiled code
of the modules this user ran, one file each, reused by every later process. It is kept under
a size cap (RUNTIME_WASM_CACHE_MAX_BYTES, default 2 GiB) by removing the least recently used
files whenever a file is added.

  list (the default)       Print its directory, cap, total size and files, least recently
                           used first.
  prune                    Remove the least recently used files until the rest fit the cap.
  clear                    Remove every file.

Options:
  --max-size SIZE          prune: keep at most SIZE (e.g. 500MiB) instead of the cap.
  --json                   Print JSON instead of text.
  -h, --help               Show this help.
`

const SERVE = `Usage: runtime-wasm serve [options] FILE

Serves HTTP with the component FILE, which exports wasi:http/incoming-handler (WASI 0.2's
proxy world) or wasi:http/handler (WASI 0.3's service world), as wasmtime serve does: each
request is handed to a fresh instance (fresh state, its own limits), and the component's
response is sent back as it writes it. Runs until interrupted
(SIGINT, SIGTERM). The component's stdout and stderr go to this terminal.

Options:
  --addr HOST:PORT         Where to listen (default 0.0.0.0:8080; [::1]:8080 for IPv6; port
                           0 picks a free port, printed on stderr).
  --reuse-instance         Hand every request to one instance, in turn (its state carries
                           over from request to request).
  --timeout MS             Stop a request's handler after MS milliseconds (the client gets
                           504).
  --fuel N, --max-memory SIZE, --dir, --dir-ro, --env, --inherit-env, --allow-net,
  --allow-bind, -S inherit-network, --manifest, --trusted
                           As for run (see "runtime-wasm help run"), for each instance.
  -h, --help               Show this help.

A handler that traps, or a request past the body cap (64 MiB), gets 500 with the error's
first line; the error is also printed on stderr.

Exit status: 0 when interrupted; 2 for a wrong command line; 126 when FILE cannot be
compiled or instantiated, or the address cannot be listened on.
`

module.exports = { MAIN, RUN, SERVE, INSPECT, TYPES, COMPILE, CACHE }
