/* fleetflags_tests <suite> <vectors file>: one ctest test per suite (see CMakeLists.txt). */
#include <stdio.h>
#include <string.h>

#include "support.h"
#include "suites.h"

int main(int argc, char **argv) {
  vectors v;
  bool ran = true;
  if (argc != 3) {
    fprintf(stderr, "usage: %s unit|vectors|acks|robustness <vectors.txt>\n", argv[0]);
    return 2;
  }
  if (!vectors_load(&v, argv[2])) {
    return 1;
  }
  if (strcmp(argv[1], "unit") == 0) {
    unit_tests(&v);
  } else if (strcmp(argv[1], "vectors") == 0) {
    vector_tests(&v);
  } else if (strcmp(argv[1], "acks") == 0) {
    ack_tests(&v);
  } else if (strcmp(argv[1], "robustness") == 0) {
    robustness_tests(&v);
  } else {
    ran = false;
  }
  vectors_free(&v);
  if (!ran) {
    fprintf(stderr, "no suite %s\n", argv[1]);
    return 2;
  }
  printf("%s: %d checks passed, %d failed\n", argv[1], checks_passed, checks_failed);
  return checks_failed == 0 ? 0 : 1;
}
