// Test-only helper: a fresh directory under /tmp, removed with everything in it
// when the object goes out of scope. Header-only so it stays out of
// coffer_storage; include it from *_test.cc files only.
//
// Thread-safety: none needed; one per test.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace coffer::storage::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/coffer-storage-test-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty when mkdtemp failed; tests ASSERT on ok().
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace coffer::storage::testing
