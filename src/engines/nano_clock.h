// NanoClock: wall-clock time as engines see it, injectable for tests.
//
// Thread-safety: SystemNanoClock() may be called from any thread; a clock a
// test injects must be safe to call from the threads that use the engine.
#pragma once

#include <cstdint>
#include <functional>

namespace coffer::engines {

// Wall-clock time in nanoseconds since the Unix epoch.
using NanoClock = std::function<int64_t()>;

NanoClock SystemNanoClock();

}  // namespace coffer::engines
