// The command-line front end: `coffer server ...` and the client commands.
#pragma once

namespace coffer::cli {

// Dispatches argv to a command; returns the process exit code.
int Main(int argc, char** argv);

}  // namespace coffer::cli
