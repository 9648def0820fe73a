#include "storage/private_fs.h"

#include <dirent.h>
#include <errno.h>
#include <rocksdb/file_system.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"

namespace coffer::storage {
namespace {

std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r returns the message pointer (which may not be buf).
  return strerror_r(err, buf, sizeof(buf));
}

Status OsError(const std::string& what, const std::string& path, int err) {
  return IOError(what + " " + path + ": " + ErrnoText(err));
}

// Creates one directory level with mode 0700, or checks that it is a directory.
// *created tells whether this call made it.
Status EnsureDir(const std::string& path, bool* created) {
  *created = false;
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return InvalidArgument("storage path " + path + " exists and is not a directory");
    }
    return Status::Ok();
  }
  if (errno != ENOENT) return OsError("cannot stat", path, errno);
  if (mkdir(path.c_str(), kPrivateDirMode) == 0) {
    *created = true;
    return Status::Ok();
  }
  int err = errno;
  if (err == EEXIST) return EnsureDir(path, created);  // lost a race: re-check
  return OsError("cannot create directory", path, err);
}

rocksdb::IOStatus ChmodAfterCreate(const rocksdb::IOStatus& created, const std::string& path,
                                   mode_t mode) {
  if (!created.ok()) return created;
  if (chmod(path.c_str(), mode) != 0) {
    return rocksdb::IOStatus::IOError("chmod " + path, ErrnoText(errno));
  }
  return created;
}

class PrivateFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit PrivateFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base)
      : FileSystemWrapper(base) {}

  const char* Name() const override { return "CofferPrivateFileSystem"; }

  // rocksdb::FileSystem: every call that may create a file or directory.
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    return ChmodAfterCreate(target()->NewWritableFile(f, o, r, dbg), f, kPrivateFileMode);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    return ChmodAfterCreate(target()->ReopenWritableFile(f, o, r, dbg), f, kPrivateFileMode);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old_f,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    return ChmodAfterCreate(target()->ReuseWritableFile(f, old_f, o, r, dbg), f, kPrivateFileMode);
  }
  rocksdb::IOStatus NewRandomRWFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    return ChmodAfterCreate(target()->NewRandomRWFile(f, o, r, dbg), f, kPrivateFileMode);
  }
  rocksdb::IOStatus NewLogger(const std::string& f, const rocksdb::IOOptions& o,
                              std::shared_ptr<rocksdb::Logger>* r,
                              rocksdb::IODebugContext* dbg) override {
    return ChmodAfterCreate(target()->NewLogger(f, o, r, dbg), f, kPrivateFileMode);
  }
  rocksdb::IOStatus LockFile(const std::string& f, const rocksdb::IOOptions& o,
                             rocksdb::FileLock** l, rocksdb::IODebugContext* dbg) override {
    return ChmodAfterCreate(target()->LockFile(f, o, l, dbg), f, kPrivateFileMode);
  }
  rocksdb::IOStatus CreateDir(const std::string& d, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* dbg) override {
    return ChmodAfterCreate(target()->CreateDir(d, o, dbg), d, kPrivateDirMode);
  }
  rocksdb::IOStatus CreateDirIfMissing(const std::string& d, const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) override {
    // Only a directory this call creates: an existing one keeps its mode (see
    // MakePrivateDir).
    struct stat st;
    if (stat(d.c_str(), &st) == 0) return target()->CreateDirIfMissing(d, o, dbg);
    return ChmodAfterCreate(target()->CreateDirIfMissing(d, o, dbg), d, kPrivateDirMode);
  }
};

}  // namespace

Status MakePrivateDir(const std::string& path) {
  if (path.empty()) return InvalidArgument("storage path is required");
  // Walk the components left to right: "/a/b/c" -> "/a", "/a/b", "/a/b/c".
  size_t pos = 0;
  while (true) {
    size_t slash = path.find('/', pos);
    std::string part = path.substr(0, slash);
    pos = slash == std::string::npos ? path.size() : slash + 1;
    if (!part.empty() && part != "." && part != "..") {
      bool created = false;
      RETURN_IF_ERROR(EnsureDir(part, &created));
      if (created && chmod(part.c_str(), kPrivateDirMode) != 0) {
        return OsError("cannot chmod", part, errno);
      }
    }
    if (slash == std::string::npos) break;
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return OsError("cannot stat", path, errno);
  if ((st.st_mode & 077) != 0) {
    // Not ours to change: it may be a shared directory someone pointed us at.
    // The files inside are 0600 regardless.
    char mode[8];
    snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    COFFER_LOG(kWarn, "storage") << "storage directory " << path << " has mode " << mode
                                 << "; 0700 is recommended";
  }
  return Status::Ok();
}

Status TightenFileModes(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return OsError("cannot open directory", dir, errno);
  Status result;
  while (struct dirent* entry = readdir(d)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string file = dir + "/" + name;
    struct stat st;
    if (lstat(file.c_str(), &st) != 0) continue;  // removed meanwhile
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) == 0) continue;
    if (chmod(file.c_str(), kPrivateFileMode) != 0) {
      result = OsError("cannot chmod", file, errno);
      break;
    }
  }
  closedir(d);
  return result;
}

std::shared_ptr<rocksdb::FileSystem> NewPrivateFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<PrivateFileSystem>(base);
}

}  // namespace coffer::storage
