#include "core/barrier.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "coffer/json.h"
#include "common/byte_codec.h"
#include "common/log.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {

// Envelope: [version:1][term:4, big-endian][nonce:12][ciphertext || tag:16].
constexpr uint8_t kEnvelopeVersion = 1;
constexpr size_t kHeaderSize = 1 + 4 + crypto::kGcmNonceSize;
constexpr size_t kMinEnvelopeSize = kHeaderSize + crypto::kGcmTagSize;
// Term 0 in an envelope means "sealed under the root key" (the keyring only).
constexpr uint32_t kRootKeyTerm = 0;
constexpr int kKeyringFormatVersion = 1;

void Cleanse(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

// Wipes a local buffer holding key material when it goes out of scope.
class ScopedCleanse {
 public:
  explicit ScopedCleanse(std::string& s) : s_(s) {}
  ~ScopedCleanse() { Cleanse(s_); }
  ScopedCleanse(const ScopedCleanse&) = delete;
  ScopedCleanse& operator=(const ScopedCleanse&) = delete;

 private:
  std::string& s_;
};

bool IsReserved(std::string_view key) { return key.starts_with(kKeyringPath); }

std::string NowRfc3339Nano() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  long frac = static_cast<long>(ns % 1'000'000'000);
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%09ldZ", date, frac);
  return out;
}

Result<std::string> SealEnvelope(const crypto::AesGcmKey& key, uint32_t term,
                                 std::string_view aad, std::string_view plaintext) {
  ASSIGN_OR_RETURN(std::string nonce, crypto::RandomBytes(crypto::kGcmNonceSize));
  ASSIGN_OR_RETURN(std::string body, key.Seal(nonce, plaintext, aad));
  std::string out;
  out.reserve(kHeaderSize + body.size());
  PutU8(out, kEnvelopeVersion);
  PutU32(out, term);
  out += nonce;
  out += body;
  return out;
}

struct Envelope {
  uint32_t term = 0;
  std::string_view nonce;
  std::string_view body;  // ciphertext || tag
};

// Parses the header only; authenticity is checked by AesGcmOpen.
Result<Envelope> ParseEnvelope(std::string_view data) {
  if (data.size() < kMinEnvelopeSize) return Corruption("barrier: ciphertext too short");
  if (static_cast<uint8_t>(data[0]) != kEnvelopeVersion) {
    return Corruption("barrier: unsupported envelope version " +
                      std::to_string(static_cast<uint8_t>(data[0])));
  }
  Envelope env;
  ByteReader header(data.substr(1, 4));  // within kMinEnvelopeSize
  if (!header.U32(&env.term)) return Corruption("barrier: ciphertext too short");
  env.nonce = data.substr(5, crypto::kGcmNonceSize);
  env.body = data.substr(kHeaderSize);
  return env;
}

// Overwrites every string inside a JSON document (the keyring's plaintext
// form holds base64 key material).
void CleanseJson(Json& j) {
  if (j.is_string()) {
    Cleanse(j.get_ref<std::string&>());
  } else if (j.is_structured()) {
    for (Json& child : j) CleanseJson(child);
  }
}

class ScopedCleanseJson {
 public:
  explicit ScopedCleanseJson(Json& j) : j_(j) {}
  ~ScopedCleanseJson() { CleanseJson(j_); }
  ScopedCleanseJson(const ScopedCleanseJson&) = delete;
  ScopedCleanseJson& operator=(const ScopedCleanseJson&) = delete;

 private:
  Json& j_;
};

// The member `name` of object j, or nullptr.
const Json* Field(const Json& j, const char* name) {
  auto it = j.find(name);
  return it == j.end() ? nullptr : &*it;
}

Result<std::string> DecodeKey(const Json* field, std::string_view what) {
  if (field == nullptr || !field->is_string()) {
    return Corruption("barrier: keyring " + std::string(what) + " missing");
  }
  auto key = crypto::Base64Decode(field->get_ref<const std::string&>());
  if (!key.ok() || key->size() != crypto::kAesKeySize) {
    return Corruption("barrier: keyring " + std::string(what) + " malformed");
  }
  return std::move(key).value();
}

Result<uint32_t> DecodeTerm(const Json* field) {
  if (field == nullptr || !field->is_number_unsigned() || field->get<uint64_t>() > UINT32_MAX) {
    return Corruption("barrier: keyring term malformed");
  }
  return static_cast<uint32_t>(field->get<uint64_t>());
}

}  // namespace

void Barrier::Keyring::Wipe() {
  Cleanse(root_key);
  root_key.clear();
  for (auto& [term, t] : terms) Cleanse(t.key);
  terms.clear();
  active_term = 0;
}

Barrier::Plaintext::~Plaintext() { Cleanse(text); }

Result<Barrier::Term> Barrier::MakeTerm(std::string key, std::string install_time) {
  Term t{std::move(key), std::move(install_time), nullptr};
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcmKey> cipher, crypto::AesGcmKey::Make(t.key));
  t.cipher = std::move(cipher);
  return t;
}

Barrier::Barrier(storage::Backend* physical) : physical_(physical) {}

namespace {

// Sorted, without duplicates and without any prefix another one starts.
std::vector<std::string> PrefixSet(std::vector<std::string> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  std::vector<std::string> kept;
  for (std::string& p : prefixes) {
    // Sorted, a prefix comes right before the keys it starts.
    if (!kept.empty() && p.starts_with(kept.back())) continue;
    kept.push_back(std::move(p));
  }
  return kept;
}

// Whether one of `set` (a PrefixSet) starts `key`.
bool StartsWithOneOf(const std::vector<std::string>& set, std::string_view key) {
  auto it = std::upper_bound(set.begin(), set.end(), key,
                             [](std::string_view k, const std::string& p) { return k < p; });
  return it != set.begin() && key.starts_with(*std::prev(it));
}

}  // namespace

void Barrier::MemoizeDecryptsUnder(std::vector<std::string> prefixes) {
  std::unique_lock lock(mu_);
  fixed_memo_prefixes_ = std::move(prefixes);
  RebuildMemoPrefixesLocked();
}

void Barrier::MemoizeMountDecryptsUnder(std::vector<std::string> prefixes) {
  std::unique_lock lock(mu_);
  mount_memo_prefixes_ = std::move(prefixes);
  RebuildMemoPrefixesLocked();
}

// REQUIRES: mu_ held exclusively.
void Barrier::RebuildMemoPrefixesLocked() {
  std::vector<std::string> all = fixed_memo_prefixes_;
  all.insert(all.end(), mount_memo_prefixes_.begin(), mount_memo_prefixes_.end());
  memo_prefixes_ = PrefixSet(std::move(all));
}

bool Barrier::MemoizesDecryptsOf(std::string_view key) const {
  std::shared_lock lock(mu_);
  return Memoized(key);
}

// REQUIRES: mu_ held (shared is enough).
bool Barrier::Memoized(std::string_view key) const { return StartsWithOneOf(memo_prefixes_, key); }

Barrier::~Barrier() { Seal(); }

Result<bool> Barrier::Initialized() {
  ASSIGN_OR_RETURN(auto raw, physical_->Get(kKeyringPath));
  return raw.has_value();
}

// The keyring's plaintext form (binary fields in standard base64):
//   {"version":1,"active_term":N,"root_key":"..",
//    "terms":[{"term":1,"key":"..","install_time":".."},...]}
Status Barrier::PersistKeyring(const Keyring& ring) {
  Json doc{{"version", kKeyringFormatVersion},
           {"active_term", ring.active_term},
           {"root_key", crypto::Base64Encode(ring.root_key)},
           {"terms", Json::array()}};
  ScopedCleanseJson wipe_doc(doc);
  for (const auto& [term, t] : ring.terms) {
    doc["terms"].push_back(Json{{"term", term},
                                {"key", crypto::Base64Encode(t.key)},
                                {"install_time", t.install_time}});
  }
  // replace: never throw on a (corrupt) non-UTF-8 install_time.
  std::string plain = doc.dump(-1, ' ', false, Json::error_handler_t::replace);
  ScopedCleanse wipe_plain(plain);
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcmKey> root, crypto::AesGcmKey::Make(ring.root_key));
  ASSIGN_OR_RETURN(std::string sealed, SealEnvelope(*root, kRootKeyTerm, kKeyringPath, plain));
  return physical_->Put(std::string(kKeyringPath), std::move(sealed));
}

Status Barrier::Initialize(std::string_view root_key) {
  if (root_key.size() != crypto::kAesKeySize) {
    return InvalidArgument("root key must be 32 bytes");
  }
  std::unique_lock lock(mu_);
  ASSIGN_OR_RETURN(bool initialized, Initialized());
  if (initialized) return InvalidArgument("barrier is already initialized");

  Keyring ring;
  ring.root_key = std::string(root_key);
  ring.active_term = 1;
  ASSIGN_OR_RETURN(std::string key, crypto::RandomBytes(crypto::kAesKeySize));
  ASSIGN_OR_RETURN(ring.terms[1], MakeTerm(std::move(key), NowRfc3339Nano()));
  Status st = PersistKeyring(ring);
  ring.Wipe();
  if (st.ok()) {
    COFFER_LOG(kInfo, "barrier") << "initialized keyring with term 1";
  }
  return st;
}

Status Barrier::Unseal(std::string_view root_key) {
  if (root_key.size() != crypto::kAesKeySize) {
    return InvalidArgument("invalid key: root key must be 32 bytes");
  }
  std::unique_lock lock(mu_);
  if (!sealed_.load()) {
    if (crypto::ConstantTimeEqual(root_key, keyring_.root_key)) return Status::Ok();
    return InvalidArgument("invalid key");
  }
  RETURN_IF_ERROR(LoadKeyringLocked(root_key));
  COFFER_LOG(kInfo, "barrier") << "unsealed, active term " << keyring_.active_term << ", "
                               << keyring_.terms.size() << " term(s)";
  return Status::Ok();
}

Status Barrier::ReloadKeyring() {
  std::unique_lock lock(mu_);
  if (sealed_.load()) return ::coffer::Sealed();
  std::string root_key = keyring_.root_key;
  ScopedCleanse wipe_root(root_key);
  // A keyring that does not open with the held root key leaves the old one
  // in place (the barrier keeps serving what it could before).
  RETURN_IF_ERROR(LoadKeyringLocked(root_key));
  COFFER_LOG(kInfo, "barrier") << "keyring reloaded, active term " << keyring_.active_term
                               << ", " << keyring_.terms.size() << " term(s)";
  return Status::Ok();
}

Status Barrier::LoadKeyringLocked(std::string_view root_key) {
  ASSIGN_OR_RETURN(auto raw, physical_->Get(kKeyringPath));
  if (!raw.has_value()) return InvalidArgument("barrier is not initialized");
  ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(*raw));
  if (env.term != kRootKeyTerm) return Corruption("barrier: keyring has wrong envelope term");
  auto opened = crypto::AesGcmOpen(root_key, env.nonce, env.body, kKeyringPath);
  if (!opened.ok()) {
    // A failed tag is, by far most likely, the wrong key; report it as such.
    if (opened.status().code() == Code::kCorruption) return InvalidArgument("invalid key");
    return opened.status();
  }
  std::string plain = std::move(opened).value();
  ScopedCleanse wipe_plain(plain);

  Json doc = Json::parse(plain, nullptr, /*allow_exceptions=*/false);
  ScopedCleanseJson wipe_doc(doc);
  if (!doc.is_object()) return Corruption("barrier: keyring is not valid JSON");
  const Json* version = Field(doc, "version");
  if (version == nullptr || !version->is_number_integer() ||
      version->get<int64_t>() != kKeyringFormatVersion) {
    return Corruption("barrier: unsupported keyring version");
  }
  Keyring ring;
  // Any early return below must not leave key material behind.
  struct WipeOnExit {
    Keyring& r;
    ~WipeOnExit() { r.Wipe(); }
  } wipe_ring{ring};

  ASSIGN_OR_RETURN(ring.root_key, DecodeKey(Field(doc, "root_key"), "root key"));
  if (!crypto::ConstantTimeEqual(ring.root_key, root_key)) {
    return Corruption("barrier: keyring root key does not match");
  }
  ASSIGN_OR_RETURN(ring.active_term, DecodeTerm(Field(doc, "active_term")));
  const Json* terms = Field(doc, "terms");
  if (terms == nullptr || !terms->is_array()) return Corruption("barrier: keyring has no terms");
  for (const Json& entry : *terms) {
    if (!entry.is_object()) return Corruption("barrier: keyring term malformed");
    ASSIGN_OR_RETURN(uint32_t term, DecodeTerm(Field(entry, "term")));
    if (term == kRootKeyTerm || ring.terms.count(term) != 0) {
      return Corruption("barrier: keyring term " + std::to_string(term) + " invalid or repeated");
    }
    ASSIGN_OR_RETURN(std::string key, DecodeKey(Field(entry, "key"), "term key"));
    const Json* time = Field(entry, "install_time");
    ASSIGN_OR_RETURN(ring.terms[term],
                     MakeTerm(std::move(key), time != nullptr && time->is_string()
                                                  ? time->get<std::string>()
                                                  : ""));
  }
  if (ring.terms.count(ring.active_term) == 0) {
    return Corruption("barrier: keyring active term missing");
  }

  keyring_.Wipe();
  std::swap(keyring_, ring);
  // What the old keyring decrypted may not open under the new one.
  memo_.Clear();
  encryptions_.store(0);
  sealed_.store(false);
  return Status::Ok();
}

void Barrier::Seal() {
  std::unique_lock lock(mu_);
  keyring_.Wipe();
  memo_.Clear();  // Plaintext wipes itself
  const bool was_unsealed = !sealed_.exchange(true);
  if (was_unsealed) {
    COFFER_LOG(kInfo, "barrier") << "sealed";
  }
}

bool Barrier::Sealed() const { return sealed_.load(); }

Status Barrier::Rotate() {
  std::unique_lock lock(mu_);
  if (sealed_.load()) return ::coffer::Sealed();
  const uint32_t max_term = keyring_.terms.rbegin()->first;
  if (max_term == UINT32_MAX) return Internal("barrier: key term space exhausted");
  const uint32_t next = max_term + 1;

  ASSIGN_OR_RETURN(std::string key, crypto::RandomBytes(crypto::kAesKeySize));
  // Persist first, then publish: a failed write leaves memory and disk as
  // they were.
  Keyring next_ring;
  struct WipeOnExit {
    Keyring& r;
    ~WipeOnExit() { r.Wipe(); }
  } wipe_ring{next_ring};
  next_ring.root_key = keyring_.root_key;
  next_ring.terms = keyring_.terms;
  ASSIGN_OR_RETURN(next_ring.terms[next], MakeTerm(std::move(key), NowRfc3339Nano()));
  next_ring.active_term = next;
  RETURN_IF_ERROR(PersistKeyring(next_ring));

  std::swap(keyring_, next_ring);  // the old ring is wiped by wipe_ring
  encryptions_.store(0);
  COFFER_LOG(kInfo, "barrier") << "rotated to term " << next;
  return Status::Ok();
}

Result<Barrier::KeyStatus> Barrier::GetKeyStatus() {
  std::shared_lock lock(mu_);
  if (sealed_.load()) return ::coffer::Sealed();
  const Term& active = keyring_.terms.at(keyring_.active_term);
  return KeyStatus{keyring_.active_term, active.install_time, encryptions_.load()};
}

Result<std::string> Barrier::RootKey() {
  std::shared_lock lock(mu_);
  if (sealed_.load()) return ::coffer::Sealed();
  return keyring_.root_key;
}

Result<std::string> Barrier::EncryptLocked(std::string_view path, std::string_view plaintext) {
  const Term& active = keyring_.terms.at(keyring_.active_term);
  ASSIGN_OR_RETURN(std::string out,
                   SealEnvelope(*active.cipher, keyring_.active_term, path, plaintext));
  encryptions_.fetch_add(1, std::memory_order_relaxed);
  return out;
}

Result<std::string> Barrier::DecryptLocked(std::string_view path, std::string_view ciphertext) {
  ASSIGN_OR_RETURN(Envelope env, ParseEnvelope(ciphertext));
  auto it = keyring_.terms.find(env.term);
  if (it == keyring_.terms.end()) {
    return Corruption("barrier: unknown key term " + std::to_string(env.term));
  }
  decryptions_.fetch_add(1, std::memory_order_relaxed);
  auto plain = it->second.cipher->Open(env.nonce, env.body, path);
  if (!plain.ok() && plain.status().code() == Code::kCorruption) {
    return Corruption("barrier: value failed authentication");
  }
  return plain;
}

Result<std::string> Barrier::Encrypt(std::string_view path, std::string_view plaintext) {
  std::shared_lock lock(mu_);
  if (sealed_.load()) return ::coffer::Sealed();
  return EncryptLocked(path, plaintext);
}

Result<std::string> Barrier::Decrypt(std::string_view path, std::string_view ciphertext) {
  std::shared_lock lock(mu_);
  if (sealed_.load()) return ::coffer::Sealed();
  return DecryptLocked(path, ciphertext);
}

Result<storage::SharedValue> Barrier::ReadStoredLocked(std::string_view key) {
  if (sealed_.load()) return ::coffer::Sealed();
  if (IsReserved(key)) return PermissionDenied("barrier: reserved path");
  // Shared: a read-cache hit is not copied, and the memo below recognises
  // bytes it opened before by their pointer.
  return physical_->GetShared(key);
}

Result<std::shared_ptr<const Barrier::Plaintext>> Barrier::MemoizedLocked(
    std::string_view key, const storage::SharedValue& raw) {
  // Only for exactly these stored bytes under this key (the path is the
  // associated data, so the pair decrypts the same until the keyring
  // changes, which clears the memo).
  if (auto hit = memo_.Find(key, raw)) return hit;
  ASSIGN_OR_RETURN(std::string plain, DecryptLocked(key, *raw));
  return memo_.Put(key, raw, Plaintext(std::move(plain)));
}

Result<std::optional<std::string>> Barrier::Get(std::string_view key) {
  std::shared_lock lock(mu_);
  ASSIGN_OR_RETURN(storage::SharedValue raw, ReadStoredLocked(key));
  if (!raw) return std::optional<std::string>();
  if (Memoized(key)) {
    ASSIGN_OR_RETURN(auto plain, MemoizedLocked(key, raw));
    return std::optional<std::string>(plain->text);
  }
  ASSIGN_OR_RETURN(std::string plain, DecryptLocked(key, *raw));
  return std::optional<std::string>(std::move(plain));
}

Result<storage::SharedValue> Barrier::GetShared(std::string_view key) {
  std::shared_lock lock(mu_);
  ASSIGN_OR_RETURN(storage::SharedValue raw, ReadStoredLocked(key));
  if (!raw) return raw;
  if (Memoized(key)) {
    ASSIGN_OR_RETURN(auto plain, MemoizedLocked(key, raw));
    // Aliasing: shares the memo entry's ownership, points at its text.
    return storage::SharedValue(plain, &plain->text);
  }
  ASSIGN_OR_RETURN(std::string plain, DecryptLocked(key, *raw));
  return std::make_shared<const std::string>(std::move(plain));
}

Status Barrier::Write(const storage::Batch& batch) {
  std::shared_lock lock(mu_);
  if (sealed_.load()) return ::coffer::Sealed();
  storage::Batch sealed_batch;
  sealed_batch.reserve(batch.size());
  for (const storage::Op& op : batch) {
    if (IsReserved(op.key)) return PermissionDenied("barrier: reserved path");
    if (op.kind == storage::Op::Kind::kDelete) {
      sealed_batch.push_back(storage::Op::Delete(op.key));
      continue;
    }
    ASSIGN_OR_RETURN(std::string ct, EncryptLocked(op.key, op.value));
    sealed_batch.push_back(storage::Op::Put(op.key, std::move(ct)));
  }
  RETURN_IF_ERROR(physical_->Write(sealed_batch));
  RememberWrittenLocked(batch, sealed_batch);
  return Status::Ok();
}

void Barrier::RememberWrittenLocked(const storage::Batch& batch, const storage::Batch& sealed) {
  if (memo_prefixes_.empty()) return;
  for (size_t i = 0; i < batch.size(); ++i) {
    const storage::Op& op = batch[i];
    if (op.kind != storage::Op::Kind::kPut || !Memoized(op.key) || !memo_.Holds(op.key)) continue;
    // Exact: `sealed[i].value` decrypts to `op.value` under this key.
    memo_.Put(op.key, sealed[i].value, Plaintext(op.value));
  }
}

Result<std::vector<std::string>> Barrier::List(std::string_view prefix) {
  std::shared_lock lock(mu_);
  if (sealed_.load()) return ::coffer::Sealed();
  return physical_->List(prefix);
}

Result<std::vector<std::string>> Barrier::ListAll(std::string_view prefix) {
  std::shared_lock lock(mu_);
  if (sealed_.load()) return ::coffer::Sealed();
  return physical_->ListAll(prefix);
}

}  // namespace coffer::core
