'use strict'
// The help texts of the runtime-wasm command.

const MAIN = `Usage: runtime-wasm <command> [options]

Runs WebAssembly in the runtime-wasm sandbox (wasmtime), from the command line.

Commands:
  run FILE [options] [--] [ARGS...]   Run a WASI command module (its _start export)
  inspect FILE [--json]               Print a module's imports and exports with their types
  help [COMMAND]                      Show this help, or a command's help

Options:
  -h, --help       Show help (also after a command: runtime-wasm run --help)
  -V, --version    Print the version of runtime-wasm

Environment:
  DEBUG=runtime-wasm, NODE_DEBUG=runtime-wasm
                   Log compile, instantiate and limit events, with timings, to stderr

Run "runtime-wasm help run" or "runtime-wasm help inspect" for the details of a command.
`

const RUN = `Usage: runtime-wasm run FILE [options] [--] [ARGS...]

Runs the WASI (preview 1) command module FILE (binary .wasm, or WebAssembly text) by calling
its _start export, with this terminal's stdin, stdout and stderr, and exits with its status.
The program sees only what the options below give it: no host directory unless --dir mounts
it, no environment variable unless --env sets it.

Options (before or after FILE; everything after -- goes to the program):
  --dir HOST[::GUEST]      Mount the host directory HOST at GUEST inside the sandbox, read
                           and write (GUEST defaults to HOST as written, e.g. --dir . mounts
                           the current directory as "."). Repeatable.
  --dir-ro HOST[::GUEST]   The same, read-only. Repeatable.
  --env NAME=VALUE         Set an environment variable for the program. --env NAME passes
                           this process's value of NAME. Repeatable.
  --fuel N                 Stop the program after about N wasm instructions (wasmtime fuel).
  --timeout MS             Stop the program after MS milliseconds. The deadline applies to
                           _start (and, separately, to the module's start function if any).
  --max-memory SIZE        Most bytes the program's memories may hold in all, e.g. 64MiB
                           (units: B, KiB, MiB, GiB); past it memory.grow fails.
  --max-functions N        Refuse a module that defines more than N functions (exit 126).
  --max-function-size SIZE Refuse a module with a function body larger than SIZE.
  --compile-timeout MS     Stop compiling after MS milliseconds (exit 126). The compile then
                           runs in a helper process; a module already in the compiled-code
                           cache loads without one.
  --manifest FILE          Put this capability manifest in force (configure({ manifest }))
                           before anything else: FILE and every --dir must be allowed by it.
                           Without it, the manifest named by RUNTIME_WASM_MANIFEST, else
                           ./manifest.app.toml, applies when there is one.
  --argv0 NAME             The program's argv[0] (default: FILE's base name).
  -h, --help               Show this help.

ARGS are passed to the program after argv[0]. Put them after -- when one starts with "-":
  runtime-wasm run tool.wasm --dir ./data::/data -- --verbose /data/input.txt

Exit status:
  0-125   the program's own exit status (0 when _start returns)
  2       the command line is wrong (this usage is printed)
  124     stopped by --timeout
  125     ran out of --fuel
  126     could not start: FILE unreadable or not a valid module, a missing import, a --dir
          that cannot be opened, a manifest that refuses it, no _start export
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

Options:
  --json       Print { file, imports, exports } as JSON, with the same field names as
               getExports(): { module?, name, kind, params, results, minimum, maximum, ... }
  -h, --help   Show this help.

A list of parameter or result types longer than 64 characters is cut, followed by the number
of types left out ("(param i32 i32 ... 99983 more)"; "paramsOmitted"/"resultsOmitted" in JSON).
Names with control characters are shown quoted and escaped.

WebAssembly text (.wat) is not read: convert it first, e.g. with wabt's "wat2wasm FILE".

Exit status: 0 on success, 1 when FILE cannot be read or is not a binary module (a count
larger than its section can hold included), 2 when the command line is wrong.
`

module.exports = { MAIN, RUN, INSPECT }
