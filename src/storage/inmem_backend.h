// In-memory storage backend: for tests and `-dev` servers. Nothing survives the
// process, so "durable" in the Backend contract means "visible to every later
// read in this process".
//
// Thread-safety: every method may be called concurrently. Reads share a lock;
// Write takes it exclusively, so a batch becomes visible all at once and a
// List/ListAll sees either none or all of any batch. A waiting writer goes
// before new readers, so constant reads cannot starve writes.
// Invariants: as include/coffer/storage.h; keys are validated on Write and Get
// (empty or NUL-containing keys are InvalidArgument, and nothing is applied).
#pragma once

#include "coffer/storage.h"

namespace coffer::storage {

BackendPtr NewInmemBackend();

}  // namespace coffer::storage
