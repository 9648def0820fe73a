#include "cli/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace coffer::cli {
namespace {

Status Errno(const std::string& what) { return IOError(what + ": " + std::strerror(errno)); }

}  // namespace

Status WritePrivateFile(const std::string& path, std::string_view contents) {
  std::string templ = path + ".tmp-XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());  // created with mode 0600
  if (fd < 0) return Errno("creating a temporary file next to " + path);
  std::string tmp(name.data());
  auto fail = [&](const std::string& what) {
    Status s = Errno(what);
    close(fd);
    unlink(tmp.c_str());
    return s;
  };
  if (fchmod(fd, 0600) != 0) return fail("setting the mode of " + tmp);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("writing " + tmp);
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("syncing " + tmp);
  if (close(fd) != 0) {
    Status s = Errno("closing " + tmp);
    unlink(tmp.c_str());
    return s;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Errno("renaming " + tmp + " to " + path);
    unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

Status StoreTokenFile(const EnvLookup& env, std::string_view token) {
  std::optional<std::string> home = env("HOME");
  if (!home) return InvalidArgument("HOME is not set; cannot locate the token file");
  return WritePrivateFile(*home + "/.vault-token", token);
}

}  // namespace coffer::cli
