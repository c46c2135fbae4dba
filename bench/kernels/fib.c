// Naive recursive Fibonacci: a kernel made of wasm-to-wasm calls.
#include "exports.h"

EXPORT("fib") uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
