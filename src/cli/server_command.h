// `coffer server`: runs a node until SIGINT/SIGTERM.
#pragma once

#include <string>
#include <vector>

namespace coffer::cli {

// args: everything after "server". Returns the process exit code.
int RunServer(const std::vector<std::string>& args);

}  // namespace coffer::cli
