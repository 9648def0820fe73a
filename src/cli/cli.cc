#include "cli/cli.h"

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/http_transport.h"
#include "cli/secret_input.h"
#include "cli/server_command.h"

namespace coffer::cli {

CommandContext ProcessContext() {
  CommandContext ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.env = ProcessEnv();
  ctx.transport_factory = &MakeHttpTransport;
  ctx.read_secret = [](std::string_view prompt) {
    return ReadSecretLine(STDIN_FILENO, prompt, std::cerr);
  };
  return ctx;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "server") {
    return RunServer(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  CommandContext ctx = ProcessContext();
  int code = Dispatch(ctx, args);
  std::cout.flush();
  std::cerr.flush();
  return code;
}

}  // namespace coffer::cli
