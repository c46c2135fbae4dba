// Hash kernels over a buffer in linear memory: FNV-1a (one byte at a time, a chain of
// multiplies) and an xxHash64-style stripe hash (four 64-bit lanes, 8-byte loads).
#include "exports.h"

// Grows memory by enough pages for `len` bytes, fills them with xorshift64 output and returns
// their address (0 when memory cannot grow).
EXPORT("fill") uint32_t fill(uint32_t len, uint32_t seed) {
  long old = __builtin_wasm_memory_grow(0, (len + 65535) / 65536);
  if (old < 0) return 0;
  uint64_t *p = (uint64_t *)(uintptr_t)((uint32_t)old * 65536u);
  uint64_t x = 0x9E3779B97F4A7C15ull ^ seed;
  for (uint32_t i = 0; i < len / 8; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = x;
  }
  return (uint32_t)(uintptr_t)p;
}

EXPORT("fnv1a") uint32_t fnv1a(const uint8_t *p, uint32_t len) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

#define P1 11400714785074694791ull
#define P2 14029467366897019727ull
#define P3 1609587929392839161ull
#define P4 9650029242287828579ull

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t round64(uint64_t acc, uint64_t lane) { return rotl(acc + lane * P2, 31) * P1; }
static inline uint64_t load64(const uint8_t *p) { return *(const uint64_t *)p; }

// xxHash64's main loop and merge over whole 32-byte stripes; returns the 64-bit hash folded to 32.
EXPORT("xxh64") uint32_t xxh64(const uint8_t *p, uint32_t len) {
  uint64_t a = P1 + P2, b = P2, c = 0, d = -P1;
  const uint8_t *end = p + (len & ~31u);
  for (; p < end; p += 32) {
    a = round64(a, load64(p));
    b = round64(b, load64(p + 8));
    c = round64(c, load64(p + 16));
    d = round64(d, load64(p + 24));
  }
  uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
  h = (h ^ round64(0, a)) * P1 + P4;
  h = (h ^ round64(0, b)) * P1 + P4;
  h = (h ^ round64(0, c)) * P1 + P4;
  h = (h ^ round64(0, d)) * P1 + P4;
  h += len;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return (uint32_t)(h ^ (h >> 32));
}
