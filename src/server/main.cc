// coffer: server and CLI in one binary.
#include "cli/cli.h"

int main(int argc, char** argv) { return coffer::cli::Main(argc, argv); }
