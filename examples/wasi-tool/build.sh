#!/bin/sh
# Rebuilds tool.wasm from tool.c with Debian's clang targeting WASI preview1.
# Needs the Debian packages: clang lld wasi-libc libclang-rt-dev-wasm32
#   apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32
# Debian's clang finds the wasi-libc headers and libraries (/usr/include/wasm32-wasi,
# /usr/lib/wasm32-wasi) on its own, so no --sysroot is given.
set -e
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wall -Wl,--strip-all -o tool.wasm tool.c
