// `coffer policy write|read|list|delete|fmt`. The server side is
// sys/policies/acl/<name> (PUT {"policy"}, GET, DELETE, GET ?list=true);
// fmt is local (policy_format.h) and rewrites the file in place.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/policy_format.h"
#include "cli/reply_fields.h"
#include "cli/secret_view.h"

namespace coffer::cli {
namespace {

constexpr char kWriteUsage[] =
    "Usage: coffer policy write [options] NAME PATH\n"
    "\n"
    "  Uploads the policy in file PATH (\"-\" reads stdin) under NAME, replacing any\n"
    "  policy of that name. Tokens holding the policy see the change at once.\n";

constexpr char kReadUsage[] =
    "Usage: coffer policy read [options] NAME\n"
    "\n"
    "  Prints the text of the policy NAME.\n";

constexpr char kListUsage[] =
    "Usage: coffer policy list [options]\n"
    "\n"
    "  Lists the names of the ACL policies.\n";

constexpr char kDeleteUsage[] =
    "Usage: coffer policy delete [options] NAME\n"
    "\n"
    "  Deletes the policy NAME. Tokens that name it lose what it granted.\n";

constexpr char kFmtUsage[] =
    "Usage: coffer policy fmt [options] PATH\n"
    "\n"
    "  Checks the policy in file PATH and rewrites it in a canonical layout. Parse\n"
    "  errors name the line and column. Comments cannot be kept: a file with\n"
    "  comments is left alone unless -drop-comments is given.\n";

std::string NormalizeName(std::string name) {
  size_t b = name.find_first_not_of(" \t\r\n");
  size_t e = name.find_last_not_of(" \t\r\n");
  name = b == std::string::npos ? "" : name.substr(b, e - b + 1);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

std::string PolicyPath(const std::string& name) { return "sys/policies/acl/" + EscapePath(name); }

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IOError("open " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IOError("read " + path + ": " + std::strerror(errno));
  return text.str();
}

// Replaces `path` with `text` through a temporary file and rename, keeping
// the file's permission bits.
Status ReplaceFile(const std::string& path, const std::string& text) {
  struct stat st {};
  mode_t mode = stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  std::string tmp = path + ".fmt-tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return IOError("open " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = IOError("write " + tmp + ": " + std::strerror(errno));
      close(fd);
      unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd, mode) != 0 || fsync(fd) != 0 || close(fd) != 0) {
    Status s = IOError("write " + tmp + ": " + std::strerror(errno));
    unlink(tmp.c_str());
    return s;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = IOError("rename " + tmp + ": " + std::strerror(errno));
    unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

}  // namespace

int RunPolicyWrite(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kWriteUsage);
  if (auto exit = inv.Parse(args, 2, 2)) return *exit;
  std::string name = NormalizeName(inv.positional()[0]);
  const std::string& source = inv.positional()[1];
  Result<std::string> text =
      source == "-" ? (ctx.read_stdin ? ctx.read_stdin() : Result<std::string>(IOError("no stdin")))
                    : ReadFile(source);
  if (!text.ok()) return inv.Fail("Error reading policy", text.status(), kExitLocalError);
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> done =
      client->Write("PUT", PolicyPath(name), Json{{"policy", *text}});
  if (!done.ok()) return inv.Fail("Error uploading policy", done.status());
  if (done->has_value()) inv.err() << FormatWarnings(**done);
  inv.out() << "Success! Uploaded policy: " << name << "\n";
  return kExitOk;
}

int RunPolicyRead(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kReadUsage);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string name = NormalizeName(inv.positional()[0]);
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> read = client->Read(PolicyPath(name));
  if (!read.ok()) return inv.Fail("Error reading policy named " + name, read.status());
  std::string text;
  if (read->has_value()) {
    const Json& data = DataOf(**read);
    text = StringField(data, "policy", StringField(data, "rules"));
  }
  if (text.empty()) {
    inv.err() << "No policy named: " << name << "\n";
    return kExitRemoteError;
  }
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(Json{{"policy", text}});
    return kExitOk;
  }
  size_t b = text.find_first_not_of(" \t\r\n");
  size_t e = text.find_last_not_of(" \t\r\n");
  inv.out() << text.substr(b, e - b + 1) << "\n";
  return kExitOk;
}

int RunPolicyList(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kListUsage);
  if (auto exit = inv.Parse(args, 0, 0)) return *exit;
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> read = client->Read("sys/policies/acl?list=true");
  if (!read.ok()) return inv.Fail("Error listing policies", read.status());
  std::vector<std::string> names;
  if (read->has_value()) {
    const Json& data = DataOf(**read);
    names = StringItems(Member(data, "keys"));
    if (names.empty()) names = StringItems(Member(data, "policies"));
  }
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(Json(names));
    return kExitOk;
  }
  for (const std::string& n : names) inv.out() << n << "\n";
  return kExitOk;
}

int RunPolicyDelete(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kDeleteUsage);
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  std::string name = NormalizeName(inv.positional()[0]);
  Result<ApiClient> client = inv.Client();
  if (!client.ok()) return inv.Fail("Error creating the API client", client.status(), 1);
  Result<std::optional<Json>> done = client->Write("DELETE", PolicyPath(name));
  if (!done.ok()) return inv.Fail("Error deleting " + name, done.status());
  inv.out() << "Success! Deleted policy: " << name << "\n";
  return kExitOk;
}

int RunPolicyFmt(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kFmtUsage);
  bool drop_comments = false;
  inv.flags().Bool("drop-comments", &drop_comments, "Format even if comments are lost.");
  if (auto exit = inv.Parse(args, 1, 1)) return *exit;
  const std::string& path = inv.positional()[0];
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return inv.Fail("Error reading source file", text.status(), kExitLocalError);
  Result<std::string> formatted = FormatPolicy(*text, path);
  if (!formatted.ok()) {
    inv.err() << formatted.status().message() << "\n";
    return kExitLocalError;
  }
  if (HasComments(*text) && !drop_comments) {
    inv.err() << "Error: " << path
              << " has comments, which the canonical form cannot keep; the file was not\n"
                 "changed. Remove them, or run again with -drop-comments.\n";
    return kExitLocalError;
  }
  if (*formatted != *text) {
    Status written = ReplaceFile(path, *formatted);
    if (!written.ok()) return inv.Fail("Error writing result", written, kExitLocalError);
  }
  inv.out() << "Success! Formatted policy: " << path << "\n";
  return kExitOk;
}

}  // namespace coffer::cli
