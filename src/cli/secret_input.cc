#include "cli/secret_input.h"

#include <openssl/crypto.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <ostream>

namespace coffer::cli {
namespace {

// Switches terminal echo off for its lifetime.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<std::string> ReadSecretLine(int fd, std::string_view prompt, std::ostream& prompt_out) {
  bool tty = isatty(fd) == 1;
  if (tty) prompt_out << prompt << std::flush;
  std::string line;
  bool got_any = false;
  {
    std::optional<EchoOff> echo_off;
    if (tty) echo_off.emplace(fd);
    // One byte at a time so nothing past the newline is consumed.
    for (;;) {
      char c = 0;
      ssize_t n = read(fd, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        OPENSSL_cleanse(line.data(), line.size());
        return IOError(std::string("reading stdin: ") + std::strerror(errno));
      }
      if (n == 0) break;
      got_any = true;
      if (c == '\n') break;
      line.push_back(c);
    }
  }
  if (!got_any) return InvalidArgument("no input on stdin");
  std::string trimmed = Trim(line);
  OPENSSL_cleanse(line.data(), line.size());
  return trimmed;
}

}  // namespace coffer::cli
