/* A small WASI command: shows what the host sandbox grants it.
 * Prints argv, the HOME/PATH/APP_* environment, the sorted listing of "/"
 * and the contents of the file named by the last argument (with its size
 * under --verbose). Exits 3 when that file cannot be read. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *path) {
  DIR *dir = opendir(path);
  if (!dir) {
    fprintf(stderr, "tool: cannot open directory %s: %s\n", path, strerror(errno));
    return -1;
  }
  char *names[256];
  size_t n = 0;
  struct dirent *ent;
  while ((ent = readdir(dir)) && n < 256) {
    if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
      names[n++] = strdup(ent->d_name);
  }
  closedir(dir);
  qsort(names, n, sizeof names[0], cmp);
  printf("files in %s:\n", path);
  for (size_t i = 0; i < n; i++) {
    printf("  %s\n", names[i]);
    free(names[i]);
  }
  return 0;
}

static int print_file(const char *name, int verbose) {
  char path[512];
  snprintf(path, sizeof path, "/%s", name);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "tool: cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  printf("contents of %s:\n", path);
  char buf[4096];
  size_t len, total = 0;
  while ((len = fread(buf, 1, sizeof buf, f)) > 0) {
    fwrite(buf, 1, len, stdout);
    total += len;
  }
  fclose(f);
  if (verbose)
    printf("(%zu bytes)\n", total);
  return 0;
}

int main(int argc, char **argv) {
  int verbose = 0;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--verbose") == 0)
      verbose = 1;

  printf("argc = %d\n", argc);
  for (int i = 0; i < argc; i++)
    printf("argv[%d] = %s\n", i, argv[i]);

  const char *home = getenv("HOME"), *path = getenv("PATH");
  printf("HOME = %s\n", home ? home : "(unset)");
  printf("PATH = %s\n", path ? path : "(unset)");
  for (char **e = environ; *e; e++)
    if (strncmp(*e, "APP_", 4) == 0)
      printf("%s\n", *e);

  if (list_dir("/") != 0)
    return 2;
  if (argc < 2) {
    fprintf(stderr, "usage: %s [--verbose] FILE\n", argv[0]);
    return 1;
  }
  if (print_file(argv[argc - 1], verbose) != 0)
    return 3;
  return 0;
}
