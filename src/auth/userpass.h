// userpass: username/password auth method.
//
// Paths (relative to the mount, e.g. auth/userpass/):
//   users/                      LIST   usernames
//   users/:username             GET/POST/PUT/DELETE  user with token fields
//   users/:username/password    POST   change the password
//   users/:username/policies    POST   set token_policies
//   login/:username             POST   (unauthenticated) {password} -> auth
//
// Storage (inside the mount's view): "user/<lower-case name>" holds
//   {"password_hash": <password_hash.h stored form>, "token_*": ...}.
// The password itself is never stored, returned or logged.
//
// Thread-safety: Handle() may run concurrently; writes to a user are
// serialised by a mutex (held only around the storage read-modify-write, not
// while hashing), logins take no lock.
// Invariants: usernames are lower-cased before use; a login for an unknown
// user spends one scrypt like a wrong password does and fails with the same
// 400 "invalid username or password".
#pragma once

#include "auth/password_hash.h"
#include "coffer/engine.h"

namespace coffer::auth {

struct UserpassOptions {
  ScryptParams scrypt;  // used for new hashes and for unknown-user logins
};

EnginePtr NewUserpass(UserpassOptions options = {});

}  // namespace coffer::auth
