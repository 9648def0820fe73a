#include "cli/cli.h"

#include <cstdio>
#include <string>

namespace coffer::cli {

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "Usage: coffer <command> [args]\n");
    return 1;
  }
  std::fprintf(stderr, "Unknown command: %s\n", argv[1]);
  return 1;
}

}  // namespace coffer::cli
