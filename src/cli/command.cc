#include "cli/command.h"

#include <ostream>

namespace coffer::cli {

Invocation::Invocation(CommandContext& ctx, std::string usage)
    : ctx_(ctx), usage_(std::move(usage)) {
  flags_.SetGroup("Command Options");
}

std::string Invocation::Usage() const {
  std::string text = usage_;
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text + "\n" + flags_.Usage();
}

int Invocation::UsageError(std::string_view message) {
  err() << message << "\n\n" << Usage();
  return kExitLocalError;
}

std::optional<int> Invocation::Parse(const std::vector<std::string>& args) {
  // Registered last so the command's own flags head the listing.
  global_.Register(&flags_);
  Result<std::vector<std::string>> positional = flags_.Parse(args);
  if (!positional.ok()) return UsageError(positional.status().message());
  if (flags_.help_requested()) {
    out() << Usage();
    return kExitOk;
  }
  positional_ = std::move(positional).value();
  Result<OutputFormat> format = ResolveOutputFormat(global_, ctx_.env);
  if (!format.ok()) {
    err() << format.status().message() << "\n";
    return kExitLocalError;
  }
  format_ = *format;
  return std::nullopt;
}

std::optional<int> Invocation::Parse(const std::vector<std::string>& args, size_t min_args,
                                     size_t max_args) {
  if (auto exit = Parse(args)) return exit;
  size_t n = positional_.size();
  if (n < min_args) {
    return UsageError("Not enough arguments (expected " + std::to_string(min_args) + ", got " +
                      std::to_string(n) + ")");
  }
  if (n > max_args) {
    return UsageError("Too many arguments (expected " + std::to_string(max_args) + ", got " +
                      std::to_string(n) + ")");
  }
  return std::nullopt;
}

Result<ApiClient> Invocation::Client() {
  ASSIGN_OR_RETURN(ApiConfig config, ResolveApiConfig(global_, flags_, ctx_.env));
  if (!ctx_.transport_factory) return Internal("no transport configured");
  ASSIGN_OR_RETURN(Transport transport, ctx_.transport_factory(config));
  return ApiClient(std::move(config), std::move(transport));
}

int Invocation::Fail(std::string_view doing, const Status& status, int exit_code) {
  err() << doing << ": " << status.message() << "\n";
  return exit_code;
}

}  // namespace coffer::cli
