#include "engines/nano_clock.h"

#include "common/clock.h"

namespace coffer::engines {

NanoClock SystemNanoClock() {
  return [] {
    return UnixNanos();
  };
}

}  // namespace coffer::engines
