// Barrier: the encrypting layer between everything in core/engines and the
// physical storage backend. Every value written through it is sealed with
// AES-256-GCM under the active keyring term, with the storage path as
// associated data; every value read is authenticated and decrypted. Keys
// (paths) are not encrypted, so List/ListAll pass straight through.
//
// The keyring (data-encryption terms plus the root key) lives in the physical
// backend at kKeyringPath, itself sealed under the root key. The formats are
// documented in docs/formats/barrier.md.
//
// Thread-safety: Get/Write/List/ListAll/Encrypt/Decrypt/GetKeyStatus/RootKey
// may run concurrently from many threads (they share a reader lock).
// Initialize/Unseal/Seal/Rotate take the writer lock, so they wait for
// in-flight reads and writes and none of those sees a half-changed keyring.
// Sealed() is lock-free.
//
// Invariants:
//  - Sealed means no key material in memory: every data call returns
//    coffer::Sealed(). Seal() wipes keys with OPENSSL_cleanse.
//  - Keys starting with kKeyringPath are never readable or writable through
//    Get/Write (kPermissionDenied), so no engine can touch the keyring.
//  - A batch written through the barrier reaches the physical backend as one
//    Write, so its atomicity is preserved.
//  - Terms only grow; every term ever installed stays in the keyring, so old
//    values remain readable after Rotate.
//  - Decryptions of the keys chosen with MemoizeDecryptsUnder and
//    MemoizeMountDecryptsUnder are remembered with the exact stored bytes
//    they came from and answered only for those bytes
//    (common/decoded_cache.h), so a changed value is simply a miss; the memo
//    is wiped whenever the keyring is loaded and on Seal.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/status.h"
#include "coffer/storage.h"
#include "common/decoded_cache.h"
#include "crypto/aead.h"

namespace coffer::core {

// Physical key of the encrypted keyring. Everything under this prefix is
// reserved: the barrier refuses to read or write it on behalf of callers.
inline constexpr std::string_view kKeyringPath = "core/keyring";

class Barrier final : public storage::Backend {
 public:
  struct KeyStatus {
    uint32_t term = 0;
    std::string install_time;  // RFC 3339, UTC, nanoseconds: 2024-05-01T12:00:00.123456789Z
    uint64_t encryptions = 0;  // with the active term, since this process unsealed
  };

  // `physical` is not owned and must outlive the barrier. Starts sealed.
  explicit Barrier(storage::Backend* physical);
  ~Barrier() override;  // Seals (wipes keys).

  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // True when a keyring exists in physical storage.
  Result<bool> Initialized();

  // Creates a keyring with term 1 (a fresh random key) and stores it under
  // root_key. The barrier stays sealed.
  // REQUIRES: not initialized (else kInvalidArgument); root_key is 32 bytes.
  Status Initialize(std::string_view root_key);

  // Decrypts the keyring with root_key and loads it. A wrong root key is
  // kInvalidArgument and leaves the barrier sealed. Unsealing an unsealed
  // barrier with its own root key is a no-op.
  Status Unseal(std::string_view root_key);

  // Re-reads the keyring from physical storage and opens it with the root
  // key held in memory (the keyring changed below the barrier: a replicated
  // rotation). On failure the loaded keyring stays. REQUIRES: unsealed.
  Status ReloadKeyring();

  // Remembers the plaintext of values read under these prefixes (the token
  // entries every request reads), keyed by their exact ciphertext: a read of
  // the same bytes skips the decryption. Call before serving.
  void MemoizeDecryptsUnder(std::vector<std::string> prefixes);

  // Also remembers decryptions under `prefixes` (replacing the set given by
  // the previous call): records of the live mount table that every request
  // reads and that hold no secret data, such as kv v2 metadata. May be called
  // while serving (it waits for in-flight calls).
  void MemoizeMountDecryptsUnder(std::vector<std::string> prefixes);

  // Whether a read of `key` keeps (and may answer from) its decryption.
  bool MemoizesDecryptsOf(std::string_view key) const;
  // Stored values decrypted since start (reads the memo answered, and the
  // keyring's own unsealing, do not count).
  uint64_t decryptions() const { return decryptions_.load(std::memory_order_relaxed); }

  // Wipes every key (and remembered plaintext) from memory. Idempotent.
  void Seal();
  bool Sealed() const;

  // Installs a new random key as term max+1, makes it active and persists the
  // keyring. Older terms keep decrypting. REQUIRES: unsealed.
  Status Rotate();

  // The active term. REQUIRES: unsealed.
  Result<KeyStatus> GetKeyStatus();

  // A copy of the 32-byte root key (for rekey/generate-root). REQUIRES: unsealed.
  Result<std::string> RootKey();

  // The value envelope (see docs/formats/barrier.md); `path` is bound in as
  // associated data. Decrypt reports kCorruption for a malformed envelope, an
  // unknown term, a failed tag or the wrong path. REQUIRES: unsealed.
  Result<std::string> Encrypt(std::string_view path, std::string_view plaintext);
  Result<std::string> Decrypt(std::string_view path, std::string_view ciphertext);

  // storage::Backend
  Result<std::optional<std::string>> Get(std::string_view key) override;
  // A memoized plaintext is shared (no copy) for as long as the memo keeps
  // it; any other value is decrypted into a new one.
  Result<storage::SharedValue> GetShared(std::string_view key) override;
  Status Write(const storage::Batch& batch) override;
  Result<std::vector<std::string>> List(std::string_view prefix) override;
  Result<std::vector<std::string>> ListAll(std::string_view prefix) override;
  std::string_view Type() const override { return "barrier"; }

 private:
  struct Term {
    std::string key;  // 32 bytes
    std::string install_time;
    // `key`, expanded once for every encryption and decryption under the
    // term; shared by the copies of a keyring (Rotate), freed and wiped with
    // the last.
    std::shared_ptr<const crypto::AesGcmKey> cipher;
  };
  static Result<Term> MakeTerm(std::string key, std::string install_time);
  struct Keyring {
    uint32_t active_term = 0;
    std::string root_key;          // 32 bytes
    std::map<uint32_t, Term> terms;  // term number -> key
    void Wipe();
  };

  // Reads, opens and installs the stored keyring, and marks the barrier
  // unsealed. REQUIRES: mu_ held exclusively.
  Status LoadKeyringLocked(std::string_view root_key);
  // Callers hold mu_ (shared or exclusive) and have checked the seal state.
  Result<std::string> EncryptLocked(std::string_view path, std::string_view plaintext);
  Result<std::string> DecryptLocked(std::string_view path, std::string_view ciphertext);
  // Serialises `ring`, seals it under its root key and writes it to physical.
  Status PersistKeyring(const Keyring& ring);

  // A remembered plaintext; wiped when the memo drops it.
  struct Plaintext {
    std::string text;
    explicit Plaintext(std::string t) : text(std::move(t)) {}
    Plaintext(Plaintext&&) = default;
    Plaintext(const Plaintext&) = default;
    ~Plaintext();
  };
  bool Memoized(std::string_view key) const;
  // After `sealed` (the encryption of `batch`, op by op) was written: a
  // memoized key the memo already holds now maps its new stored bytes to the
  // plaintext just written, so the next read does not decrypt what this
  // process encrypted (a kv v2 write reads the metadata the previous write of
  // the key left). Keys the memo does not hold stay out: a flood of new
  // tokens must not push the hot entries out. REQUIRES: mu_ held, unsealed.
  void RememberWrittenLocked(const storage::Batch& batch, const storage::Batch& sealed);
  // For Get and GetShared, under a shared mu_: the stored bytes of `key`
  // (null when absent) once the barrier is unsealed and the key not reserved.
  Result<storage::SharedValue> ReadStoredLocked(std::string_view key);
  // The memo's plaintext of `raw` under a memoized key, decrypting and
  // remembering it on a miss. REQUIRES: mu_ held, unsealed.
  Result<std::shared_ptr<const Plaintext>> MemoizedLocked(std::string_view key,
                                                          const storage::SharedValue& raw);
  void RebuildMemoPrefixesLocked();

  storage::Backend* const physical_;
  mutable std::shared_mutex mu_;
  std::atomic<bool> sealed_{true};  // written under exclusive mu_
  Keyring keyring_;                 // GUARDED_BY(mu_); empty while sealed
  std::atomic<uint64_t> encryptions_{0};
  std::atomic<uint64_t> decryptions_{0};  // since start, every term
  // The prefixes given by each call; `memo_prefixes_` is their union, sorted
  // and with no prefix of another (so only the greatest one not after a key
  // can start it). All GUARDED_BY(mu_).
  std::vector<std::string> fixed_memo_prefixes_;
  std::vector<std::string> mount_memo_prefixes_;
  std::vector<std::string> memo_prefixes_;
  // Put only under a shared mu_ while unsealed; cleared under an exclusive one.
  static constexpr size_t kMemoEntries = 8192;
  DecodedCache<Plaintext> memo_{kMemoEntries};
};

}  // namespace coffer::core
