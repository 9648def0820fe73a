// RocksDB storage backend: the embedded default, one database in one local
// directory.
//
// Durability: every Write is one rocksdb::WriteBatch written with sync=true, so
// an acknowledged write survives a crash or power loss, and a batch is applied
// all or nothing. Concurrent writers are grouped by RocksDB's write thread into
// one WAL append + fsync (group commit); the options leave that path enabled.
//
// Column families: the replicated log's records (keys under
// "node/wal/entry/") live in a family of their own, every other key in the
// default one. Callers see one key space: a batch spanning both is still one
// atomic write, listings merge both. A store from an older build, with the
// records in the default family, has them moved over when it is opened, a
// thousand per write (and cannot be opened by that older build afterwards).
//
// Files: the directory is created mode 0700 (parents too) and every file
// RocksDB creates in it is made 0600 (see storage/private_fs.h).
//
// Exclusivity: RocksDB's LOCK file admits one open per directory. A second
// open, from another process or this one, fails with an IOError whose message
// says "storage at <path> is locked ...", never a crash.
//
// Thread-safety: every method may be called concurrently. List and ListAll
// read from one snapshot (one for both families when they span both), so
// they see a batch entirely or not at all.
// Errors: every rocksdb::Status is converted here (Corruption for corruption,
// IOError for the rest); nothing throws.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coffer/storage.h"

namespace coffer::storage {

// The order in which Write hands a batch's ops to RocksDB: ascending by key,
// ops on the same key in batch order (so the batch means the same). The
// memtable is a skiplist that remembers where its last insert went; keys
// inserted in ascending order start their search from there instead of from
// the top (a group commit's batch mixes data keys, Merkle leaves and buckets,
// and WAL keys).
std::vector<uint32_t> MemtableInsertOrder(const Batch& batch);

// Opens (creating if missing) the database in directory `path`.
Result<BackendPtr> OpenRocksdbBackend(const std::string& path);

}  // namespace coffer::storage
