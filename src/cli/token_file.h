// The token helper file: $HOME/.vault-token, which `login` writes and every
// client command reads when no VAULT_TOKEN/COFFER_TOKEN is set (reading is in
// api_config.cc).
//
// Thread-safety: touches the file system; one command at a time.
// Invariants: the file is created with mode 0600 and replaced atomically
// (written to a temporary file in the same directory, then renamed), so a
// reader sees the old token or the new one, never a torn write. The token is
// never logged and never appears in an error message.
#pragma once

#include <string>
#include <string_view>

#include "cli/api_config.h"
#include "coffer/status.h"

namespace coffer::cli {

// Stores `token` (without a trailing newline). Errors: HOME unset
// (InvalidArgument), file system failures (IOError).
Status StoreTokenFile(const EnvLookup& env, std::string_view token);

// Replaces `path` atomically with `contents`, mode 0600 (also used for the
// topology state and secrets files). Errors are IOError naming the file.
Status WritePrivateFile(const std::string& path, std::string_view contents);

}  // namespace coffer::cli
