// Levelled logging to stderr.
//
// Thread-safety: every function may be called from any thread; a line is
// written with one write(2) so lines never interleave.
// Rule: never pass a secret, token, key or share to a log call. Log ids,
// accessors' hashes, paths and counts instead.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace coffer::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError };

// Parses "trace|debug|info|warn|warning|error" (case-insensitive).
bool ParseLevel(std::string_view text, Level* out);
void SetLevel(Level level);
Level GetLevel();
bool Enabled(Level level);

// Writes "<RFC3339 time> [LEVEL] <module>: <message>\n" to stderr.
void Write(Level level, std::string_view module, std::string_view message);

}  // namespace coffer::log

// LOG(kInfo, "core") << "unsealed, term " << term;
#define COFFER_LOG(level, module)                                     \
  if (!::coffer::log::Enabled(::coffer::log::Level::level)) {         \
  } else                                                              \
    ::coffer::log::internal::Line(::coffer::log::Level::level, module).stream()

namespace coffer::log::internal {
class Line {
 public:
  Line(Level level, std::string_view module) : level_(level), module_(module) {}
  ~Line() { Write(level_, module_, stream_.str()); }
  std::ostringstream& stream() { return stream_; }

 private:
  Level level_;
  std::string module_;
  std::ostringstream stream_;
};
}  // namespace coffer::log::internal
