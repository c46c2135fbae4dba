#!/bin/sh
# Rebuilds the committed kernel modules from their C sources with Debian's clang:
#   kernels.wasm       hash.c nbody.c fannkuch.c fib.c sort.c: exported functions, no libc
#                      (-mbulk-memory: the copies clang generates become memory.copy)
#   wasi-command.wasm  wasi-command.c: a WASI preview1 command (`_start`), with wasi-libc
# Needs the Debian packages: clang lld wasi-libc libclang-rt-dev-wasm32
#   apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32
set -e
cd "$(dirname "$0")"
clang --target=wasm32 -O2 -mbulk-memory -nostdlib -Wall -Wl,--no-entry -Wl,--strip-all \
  -o kernels.wasm hash.c nbody.c fannkuch.c fib.c sort.c
clang --target=wasm32-wasi -O2 -Wall -Wl,--strip-all -o wasi-command.wasm wasi-command.c
