// The Computer Language Benchmarks Game's fannkuch-redux (permutations and prefix reversals of
// small arrays); returns checksum * 100 + the maximum number of flips.
#include "exports.h"

EXPORT("fannkuch") int32_t fannkuch(int32_t n) {
  int32_t perm[16], perm1[16], count[16];
  int32_t max_flips = 0, checksum = 0, permutation = 0, r = n;
  if (n < 1 || n > 16) return -1;
  for (int32_t i = 0; i < n; i++) perm1[i] = i;
  for (;;) {
    for (; r != 1; r--) count[r - 1] = r;
    for (int32_t i = 0; i < n; i++) perm[i] = perm1[i];
    int32_t flips = 0;
    for (int32_t k = perm[0]; k != 0; k = perm[0]) {
      for (int32_t i = 0, j = k; i < j; i++, j--) {
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      flips++;
    }
    if (flips > max_flips) max_flips = flips;
    checksum += (permutation % 2 == 0) ? flips : -flips;
    for (;;) {
      if (r == n) return checksum * 100 + max_flips;
      int32_t first = perm1[0];
      for (int32_t i = 0; i < r; i++) perm1[i] = perm1[i + 1];
      perm1[r] = first;
      if (--count[r] > 0) break;
      r++;
    }
    permutation++;
  }
}
