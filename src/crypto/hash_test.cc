#include "crypto/hash.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <thread>
#include <vector>

#include "crypto/encoding.h"

namespace coffer::crypto {
namespace {

TEST(HashTest, Sha256KnownAnswer) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashTest, Sha512KnownAnswer) {
  EXPECT_EQ(HexEncode(Sha512("abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

// Each thread reuses one digest context: calls in a row, of both digests
// interleaved (the context changes algorithm), of every length around the
// block sizes, and on many threads at once all give the one-shot answer.
TEST(HashTest, ReusedContextsGiveTheOneShotDigestOnEveryThread) {
  auto one_shot = [](const EVP_MD* md, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EXPECT_EQ(EVP_Digest(data.data(), data.size(), out, &len, md, nullptr), 1);
    return std::string(reinterpret_cast<const char*>(out), len);
  };
  auto check = [&] {
    for (size_t n = 0; n < 300; ++n) {
      const std::string data(n, static_cast<char>('a' + n % 26));
      ASSERT_EQ(Sha256(data), one_shot(EVP_sha256(), data)) << n;
      ASSERT_EQ(Sha512(data), one_shot(EVP_sha512(), data)) << n;
      ASSERT_EQ(Sha256(data), one_shot(EVP_sha256(), data)) << n;
    }
  };
  check();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) threads.emplace_back(check);
  for (std::thread& t : threads) t.join();
}

// RFC 4231 test cases 1 and 2.
TEST(HashTest, HmacSha256Rfc4231) {
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HashTest, HmacWithEmptyKeyIsTheEmptyKey) {
  // HMAC-SHA256 with an empty key over empty data (a known answer): the
  // empty key must not fall back to any earlier key.
  EXPECT_EQ(HexEncode(HmacSha256("k", "x")).size(), 64u);
  EXPECT_EQ(HexEncode(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HashTest, HmacWithEmptyKeyWorks) {
  EXPECT_EQ(HmacSha256("", "x").size(), 32u);
  EXPECT_NE(HmacSha256("", "x"), HmacSha256("k", "x"));
}

TEST(HashTest, ConstantTimeEqual) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEqual("", "a"));
}

TEST(HashTest, HashByName) {
  const std::pair<const char*, const char*> kCases[] = {
      {"sha2-224", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
      {"sha2-256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"sha2-384",
       "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca1"
       "34c825a7"},
      {"sha2-512",
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23"
       "a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
      {"sha3-224", "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf"},
      {"sha3-256", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"},
      {"sha3-384",
       "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf2"
       "28376d25"},
      {"sha3-512",
       "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec576"
       "47e3934057340b4cf408d5a56592f8274eec53f0"},
  };
  for (const auto& [name, hex] : kCases) {
    auto d = HashByName(name, "abc");
    ASSERT_TRUE(d.ok()) << name;
    EXPECT_EQ(HexEncode(*d), hex) << name;
  }
  EXPECT_EQ(HashByName("md5", "abc").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HashByName("SHA2-256", "abc").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::crypto
