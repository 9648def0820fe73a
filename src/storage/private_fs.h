// Owner-only file permissions for the on-disk storage directory.
//
// The data directory is mode 0700 and every file in it 0600: RocksDB holds the
// encrypted keyring and the seal configuration, which no other local user may
// read. RocksDB creates files with mode 0644 (minus the umask) at any time
// (WAL, SST, MANIFEST, OPTIONS, LOG, LOCK), and the umask is process-wide, so
// setting it around open would race with every other thread. Instead RocksDB
// runs on a FileSystem wrapper that chmods each file it creates to 0600 right
// after creation; the directory is already 0700 by then, so no other user can
// reach the file in between.
//
// Thread-safety: the functions touch only the paths given; the wrapper is as
// thread-safe as the FileSystem it wraps.
#pragma once

#include <memory>
#include <string>

#include "coffer/status.h"

namespace rocksdb {
class FileSystem;
}  // namespace rocksdb

namespace coffer::storage {

inline constexpr unsigned kPrivateDirMode = 0700;
inline constexpr unsigned kPrivateFileMode = 0600;

// Creates `path` and any missing parents with mode 0700 (chmod after mkdir, so
// the umask cannot change them). A directory that already existed keeps its
// mode (it may be shared, e.g. a mount point); a loose one is logged as a
// warning. InvalidArgument when path is empty or names something that is not a
// directory; IOError on OS failures.
Status MakePrivateDir(const std::string& path);

// chmods every regular file directly in `dir` that grants anything to group or
// others down to 0600 (files left by an older build, or created by a path that
// bypassed the wrapper).
Status TightenFileModes(const std::string& dir);

// Wraps `base` so that every file and directory created through it is made
// owner-only (files 0600, directories 0700). A failed chmod fails the create.
std::shared_ptr<rocksdb::FileSystem> NewPrivateFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base);

}  // namespace coffer::storage
