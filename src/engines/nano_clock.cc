#include "engines/nano_clock.h"

#include <chrono>

namespace coffer::engines {

NanoClock SystemNanoClock() {
  return [] {
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
  };
}

}  // namespace coffer::engines
