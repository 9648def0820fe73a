#include "cli/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
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
  ctx.read_stdin = []() -> Result<std::string> {
    std::string all;
    char buf[4096];
    for (;;) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IOError(std::string("reading stdin: ") + std::strerror(errno));
      if (n == 0) break;
      all.append(buf, static_cast<size_t>(n));
    }
    return all;
  };
  ctx.out_is_terminal = isatty(STDOUT_FILENO) == 1;
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
