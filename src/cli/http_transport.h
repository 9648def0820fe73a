// The production Transport: requests go through coffer::http::Client.
// This is the only CLI file that depends on the HTTP client, so the rest of
// the CLI builds and tests without a network.
//
// Thread-safety: the returned Transport is used by one thread at a time.
#pragma once

#include "cli/api_client.h"
#include "cli/api_config.h"
#include "coffer/status.h"

namespace coffer::cli {

// Builds a client for config.address with its TLS settings and timeout.
Result<Transport> MakeHttpTransport(const ApiConfig& config);

}  // namespace coffer::cli
