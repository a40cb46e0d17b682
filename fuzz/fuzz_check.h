// The harnesses' own assertion: a property that fails is a crash libFuzzer records with its input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SALVO_FUZZ_CHECK(condition)                                                         \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
