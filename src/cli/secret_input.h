// Reading a secret (an unseal key share) from standard input.
//
// On a terminal the prompt goes to stderr and echo is switched off while the
// line is typed (and restored afterwards, also on error); from a pipe or file
// one line is read as is. Trailing "\r\n" and surrounding spaces are removed.
//
// Thread-safety: touches process-wide stdin and terminal state; call from the
// main thread only.
// Invariants: the secret is returned, never printed or logged.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::cli {

// Reads one line from file descriptor `fd`. EOF before any character is
// InvalidArgument ("no input").
Result<std::string> ReadSecretLine(int fd, std::string_view prompt, std::ostream& prompt_out);

}  // namespace coffer::cli
