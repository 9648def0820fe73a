#include "crypto/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <set>

namespace coffer::crypto {
namespace {

TEST(RandomTest, BytesHaveRequestedLengthAndDiffer) {
  auto a = RandomBytes(32);
  auto b = RandomBytes(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(RandomBytes(0)->size(), 0u);
}

// xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lower-case hex. (No std::regex:
// GCC 12 warns inside <regex> under sanitizer builds.)
bool IsCanonicalV4(const std::string& u) {
  if (u.size() != 36) return false;
  for (size_t i = 0; i < u.size(); ++i) {
    const char c = u[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return u[14] == '4' && (u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
}

TEST(RandomTest, SmallDrawsAcrossManyPoolRefillsNeverRepeat) {
  // 48-byte draws do not divide the per-thread pool: some straddle a refill.
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto b = RandomBytes(48);
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(b->size(), 48u);
    EXPECT_TRUE(seen.insert(*b).second);
  }
  for (size_t n : {0u, 1u, 63u, 64u, 65u, 5000u}) {
    auto b = RandomBytes(n);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->size(), n);
  }
}

TEST(RandomTest, AForkedChildNeverRepeatsItsParentsBytes) {
  ASSERT_TRUE(RandomBytes(16).ok());  // the parent's pool now holds unused bytes
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto b = RandomBytes(32);
    const bool ok = b.ok() && write(fds[1], b->data(), b->size()) == 32;
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  std::string child(32, '\0');
  size_t got = 0;
  while (got < child.size()) {
    const ssize_t n = read(fds[0], child.data() + got, child.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, 32u);
  auto parent = RandomBytes(32);
  ASSERT_TRUE(parent.ok());
  EXPECT_NE(*parent, child);
}

TEST(RandomTest, UuidIsCanonicalVersion4) {
  EXPECT_FALSE(IsCanonicalV4("3F2B8C1E-9A4D-4E6F-8B1A-0C2D3E4F5A6B"));
  EXPECT_TRUE(IsCanonicalV4("3f2b8c1e-9a4d-4e6f-8b1a-0c2d3e4f5a6b"));
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string u = RandomUuid();
    EXPECT_TRUE(IsCanonicalV4(u)) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(RandomTest, Base62AlphabetAndRoughUniformity) {
  const std::string s = RandomBase62(62 * 400);
  ASSERT_EQ(s.size(), 62u * 400);
  std::array<int, 128> counts{};
  for (char c : s) {
    ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) << c;
    ++counts[static_cast<unsigned char>(c)];
  }
  // Expected 400 per symbol; a modulo-biased generator without rejection
  // would still pass this, but a broken alphabet mapping (symbols never or
  // doubly produced) would not. Bounds are ~7 standard deviations.
  for (char c : std::string("09AZaz")) {
    EXPECT_GT(counts[static_cast<unsigned char>(c)], 260) << c;
    EXPECT_LT(counts[static_cast<unsigned char>(c)], 540) << c;
  }
  EXPECT_EQ(RandomBase62(0), "");
  EXPECT_EQ(RandomBase62(1).size(), 1u);
}

TEST(RandomTest, RandomStringUsesEverySymbolOfItsAlphabet) {
  const std::string s = RandomString(3 * 600, "ab-");
  std::array<int, 128> counts{};
  for (char c : s) {
    ASSERT_TRUE(c == 'a' || c == 'b' || c == '-') << c;
    ++counts[static_cast<unsigned char>(c)];
  }
  for (char c : std::string("ab-")) {
    EXPECT_GT(counts[static_cast<unsigned char>(c)], 480) << c;  // expected 600
    EXPECT_LT(counts[static_cast<unsigned char>(c)], 720) << c;
  }
  EXPECT_EQ(RandomString(5, ""), "");
}

TEST(RandomTest, Uint64Varies) {
  auto a = RandomUint64();
  auto b = RandomUint64();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace coffer::crypto
