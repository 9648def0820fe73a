#include "engines/kv_v1.h"

#include <memory>

#include "engines/framework.h"
#include "engines/passthrough.h"

namespace coffer::engines {

EnginePtr NewKvV1Engine() {
  return std::make_unique<framework::PathEngine>(
      PassthroughPaths(PassthroughOptions{.ttl_hints = true}));
}

}  // namespace coffer::engines
