#include "crypto/hmac_key.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <utility>

#include "crypto/encoding.h"
#include "crypto/hash.h"

namespace coffer::crypto {
namespace {

// RFC 4231 test cases 1, 2 and 6 (a key longer than the block is hashed).
TEST(HmacSha256KeyTest, Rfc4231) {
  EXPECT_EQ(HexEncode(HmacSha256Key(std::string(20, '\x0b')).Mac("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(HmacSha256Key("Jefe").Mac("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexEncode(HmacSha256Key(std::string(131, '\xaa'))
                          .Mac("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// OpenSSL's own HMAC, as the reference.
std::string OpensslHmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

TEST(HmacSha256KeyTest, EqualsOpensslHmacForEveryKeyAndMessageLength) {
  for (size_t key_len : {0, 1, 32, 63, 64, 65, 200}) {
    std::string key(key_len, '\0');
    for (size_t i = 0; i < key_len; ++i) key[i] = static_cast<char>(i * 7 + 3);
    HmacSha256Key keyed(key);
    for (size_t data_len : {0, 1, 28, 55, 56, 64, 65, 1000}) {
      std::string data(data_len, 'm');
      EXPECT_EQ(keyed.Mac(data), OpensslHmac(key, data)) << key_len << " " << data_len;
      EXPECT_EQ(HmacSha256(key, data), OpensslHmac(key, data)) << key_len << " " << data_len;
      EXPECT_EQ(keyed.Mac(data), keyed.Mac(data));  // the precomputed state is not consumed
    }
  }
}

TEST(HmacSha256KeyTest, MovedKeyKeepsItsValue) {
  HmacSha256Key a("salt");
  const std::string mac = a.Mac("token");
  HmacSha256Key b(std::move(a));
  EXPECT_EQ(b.Mac("token"), mac);
  HmacSha256Key c("other");
  c = std::move(b);
  EXPECT_EQ(c.Mac("token"), mac);
  EXPECT_NE(HmacSha256Key("other").Mac("token"), mac);
}

}  // namespace
}  // namespace coffer::crypto
