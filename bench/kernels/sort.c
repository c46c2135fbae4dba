// Quicksort of pseudo-random 32-bit integers: data-dependent branches and scattered loads and
// stores in linear memory. Returns a checksum of the sorted array.
#include "exports.h"

#define CAPACITY (1u << 21)
static uint32_t data[CAPACITY];

static void quicksort(uint32_t *a, int32_t lo, int32_t hi) {
  while (lo < hi) {
    uint32_t pivot = a[lo + (hi - lo) / 2];
    int32_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        uint32_t t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
}

EXPORT("sort") uint32_t sort(uint32_t count, uint32_t seed) {
  if (count > CAPACITY) return 0;
  uint32_t x = seed | 1;
  for (uint32_t i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = x;
  }
  quicksort(data, 0, (int32_t)count - 1);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < count; i += 97) sum = sum * 31 + data[i];
  return sum;
}
