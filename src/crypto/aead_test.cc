#include "crypto/aead.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "crypto/encoding.h"
#include "crypto/random.h"

namespace coffer::crypto {
namespace {

std::string Hex(std::string_view h) { return HexDecode(h).value(); }

// GCM specification (McGrew & Viega, as used in NIST's validation), test
// case 16: AES-256 with additional data.
TEST(AeadTest, NistVectorWithAad) {
  const std::string key = Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const std::string iv = Hex("cafebabefacedbaddecaf888");
  const std::string pt = Hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
      "49a6b525b16aedf5aa0de657ba637b39");
  const std::string aad = Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const std::string expected =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
      "56828838c5f61e6393ba7a0abcc9f662"
      "76fc6ece0f4e1768cddf8853bb2d551b";
  auto ct = AesGcmSeal(key, iv, pt, aad);
  ASSERT_TRUE(ct.ok()) << ct.status().ToString();
  EXPECT_EQ(HexEncode(*ct), expected);
  auto back = AesGcmOpen(key, iv, *ct, aad);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, pt);
}

// Test cases 13 and 14: zero key and IV, empty and one-block plaintext.
TEST(AeadTest, NistVectorsZeroKey) {
  const std::string key(32, '\0');
  const std::string iv(12, '\0');
  EXPECT_EQ(HexEncode(*AesGcmSeal(key, iv, "", "")), "530f8afbc74536b9a963b4f1c4cb738b");
  EXPECT_EQ(HexEncode(*AesGcmSeal(key, iv, std::string(16, '\0'), "")),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  auto empty = AesGcmOpen(key, iv, Hex("530f8afbc74536b9a963b4f1c4cb738b"), "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST(AeadTest, TamperingIsCorruption) {
  const std::string key = RandomBytes(32).value();
  const std::string iv = RandomBytes(12).value();
  const std::string ct = AesGcmSeal(key, iv, "attack at dawn", "path/a").value();
  for (size_t i = 0; i < ct.size(); ++i) {
    std::string bad = ct;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(AesGcmOpen(key, iv, bad, "path/a").status().code(), Code::kCorruption) << i;
  }
  EXPECT_EQ(AesGcmOpen(key, iv, ct, "path/b").status().code(), Code::kCorruption);
  std::string other_key = key;
  other_key[0] = static_cast<char>(other_key[0] ^ 0x80);
  EXPECT_EQ(AesGcmOpen(other_key, iv, ct, "path/a").status().code(), Code::kCorruption);
  EXPECT_EQ(AesGcmOpen(key, iv, ct.substr(0, 15), "path/a").status().code(), Code::kCorruption);
  EXPECT_EQ(AesGcmOpen(key, iv, ct.substr(0, ct.size() - 1), "path/a").status().code(),
            Code::kCorruption);
}

TEST(AeadTest, BadKeyOrNonceSizeIsInvalidArgument) {
  const std::string iv(12, '\0');
  EXPECT_EQ(AesGcmSeal(std::string(16, 'k'), iv, "x", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(AesGcmOpen(std::string(31, 'k'), iv, std::string(20, 'c'), "").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(AesGcmSeal(std::string(32, 'k'), std::string(16, 'n'), "x", "").status().code(),
            Code::kInvalidArgument);
}

// A reused key gives byte for byte what the one-off functions give, whatever
// the order of seals and opens, lengths (0 to 1,000) and associated data.
TEST(AesGcmKeyTest, EqualsTheOneOffFunctions) {
  const std::string key_bytes = RandomBytes(32).value();
  auto key = AesGcmKey::Make(key_bytes);
  ASSERT_TRUE(key.ok());
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  for (int i = 0; i < 300; ++i) {
    const std::string nonce = RandomBytes(12).value();
    const std::string pt = RandomBytes(rng() % 1001).value();
    const std::string aad = RandomBytes(rng() % 64).value();
    auto mine = (*key)->Seal(nonce, pt, aad);
    ASSERT_TRUE(mine.ok()) << mine.status().ToString();
    EXPECT_EQ(*mine, AesGcmSeal(key_bytes, nonce, pt, aad).value());
    if (rng() % 2 == 0) {
      EXPECT_EQ((*key)->Open(nonce, *mine, aad).value(), pt);
    } else {
      EXPECT_EQ(AesGcmOpen(key_bytes, nonce, *mine, aad).value(), pt);
    }
  }
  // The NIST vector of NistVectorWithAad, through a key object.
  auto nist = AesGcmKey::Make(
      Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"));
  ASSERT_TRUE(nist.ok());
  auto ct = (*nist)->Seal(Hex("cafebabefacedbaddecaf888"),
                          Hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                              "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"),
                          Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"));
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(HexEncode(*ct),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b0"
            "8b1056828838c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b");
}

// A failed open (whose context is dropped) leaves the key working, and a
// tampered value never opens.
TEST(AesGcmKeyTest, TamperingIsCorruptionAndTheKeyKeepsWorking) {
  auto key = AesGcmKey::Make(RandomBytes(32).value());
  ASSERT_TRUE(key.ok());
  const std::string iv = RandomBytes(12).value();
  const std::string ct = (*key)->Seal(iv, "attack at dawn", "path/a").value();
  for (size_t i = 0; i < ct.size(); ++i) {
    std::string bad = ct;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ((*key)->Open(iv, bad, "path/a").status().code(), Code::kCorruption) << i;
    EXPECT_EQ((*key)->Open(iv, ct, "path/a").value(), "attack at dawn") << i;
  }
  EXPECT_EQ((*key)->Open(iv, ct, "path/b").status().code(), Code::kCorruption);
  EXPECT_EQ((*key)->Open(iv, ct.substr(0, 15), "path/a").status().code(), Code::kCorruption);
  auto other = AesGcmKey::Make(RandomBytes(32).value());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->Open(iv, ct, "path/a").status().code(), Code::kCorruption);
  EXPECT_EQ((*key)->Open(iv, ct, "path/a").value(), "attack at dawn");
}

TEST(AesGcmKeyTest, BadKeyOrNonceSizeIsInvalidArgument) {
  EXPECT_EQ(AesGcmKey::Make(std::string(16, 'k')).status().code(), Code::kInvalidArgument);
  auto key = AesGcmKey::Make(std::string(32, 'k'));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)->Seal(std::string(16, 'n'), "x", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ((*key)->Open(std::string(11, 'n'), std::string(20, 'c'), "").status().code(),
            Code::kInvalidArgument);
}

// Many threads on one key (more than the pool keeps) and a second key: every
// value round-trips and matches the one-off functions.
TEST(AesGcmKeyTest, ConcurrentUseOfTwoKeys) {
  const std::string bytes[2] = {RandomBytes(32).value(), RandomBytes(32).value()};
  std::unique_ptr<AesGcmKey> keys[2] = {std::move(AesGcmKey::Make(bytes[0]).value()),
                                        std::move(AesGcmKey::Make(bytes[1]).value())};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 24; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const int k = (t + i) % 2;
        const std::string nonce = RandomBytes(12).value();
        const std::string pt = "value " + std::to_string(t) + "/" + std::to_string(i);
        auto ct = keys[k]->Seal(nonce, pt, "aad");
        if (!ct.ok()) {
          failures.fetch_add(1);
          continue;
        }
        auto back = keys[k]->Open(nonce, *ct, "aad");
        if (*ct != AesGcmSeal(bytes[k], nonce, pt, "aad").value() || !back.ok() || *back != pt ||
            keys[1 - k]->Open(nonce, *ct, "aad").ok()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace coffer::crypto
