// A WASI command (run through `_start`): reads its workload size from argv, then spends its
// time in libc (qsort, memcpy, printf) and a table-driven CRC-32 over a buffer. Prints one line
// with the checksums.
//
// The buffers are static, so the program never grows its memory: node:wasi (Node 20) reads
// freed memory after a memory.grow and crashes on this program with a 32 MiB malloc, and the
// comparison needs both runtimes to finish.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MIB 16
#define MAX_COUNT (1 << 18)

static uint32_t crc_table[256];
static uint8_t buf[MAX_MIB << 20];
static uint32_t nums[MAX_COUNT];

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32(const uint8_t *p, size_t len) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static int compare(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : MAX_MIB;
  size_t count = argc > 2 ? (size_t)atoi(argv[2]) : MAX_COUNT;
  int passes = argc > 3 ? atoi(argv[3]) : 1;
  if (mib > MAX_MIB || count > MAX_COUNT || passes < 1) {
    fprintf(stderr, "usage: wasi-command [MiB <= %d] [count <= %d] [passes >= 1]\n", MAX_MIB, MAX_COUNT);
    return 2;
  }
  size_t len = mib << 20;
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < len; i += 4) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    memcpy(buf + i, &x, 4);
  }
  crc_init();
  uint32_t crc = 0;
  for (int p = 0; p < passes; p++) crc = crc * 31 + crc32(buf, len);
  memcpy(nums, buf, count * sizeof *nums);
  qsort(nums, count, sizeof *nums, compare);
  uint32_t sum = 0;
  for (size_t i = 0; i < count; i += 101) sum = sum * 31 + nums[i];
  printf("crc32=%08x sorted=%08x\n", crc, sum);
  return 0;
}
