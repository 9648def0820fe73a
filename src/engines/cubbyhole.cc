#include "engines/cubbyhole.h"

#include <memory>

#include "engines/framework.h"
#include "engines/passthrough.h"

namespace coffer::engines {

EnginePtr NewCubbyholeEngine() {
  return std::make_unique<framework::PathEngine>(
      PassthroughPaths(PassthroughOptions{.ttl_hints = false}));
}

}  // namespace coffer::engines
