#include "core/token_ttl.h"

#include <algorithm>
#include <ctime>

#include "common/duration.h"

namespace coffer::core {
namespace {

// The least of the positive values; 0 when none is positive.
int64_t LeastSet(std::initializer_list<int64_t> values) {
  int64_t out = 0;
  for (int64_t v : values) {
    if (v > 0 && (out == 0 || v < out)) out = v;
  }
  return out;
}

std::string CapWarning(int64_t wanted, int64_t cap) {
  return "TTL of \"" + FormatGoDuration(wanted) + "\" exceeded the effective max_ttl of \"" +
         FormatGoDuration(cap) + "\"; TTL value is capped accordingly";
}

}  // namespace

int64_t EffectiveDefaultTtl(int64_t mount_default, int64_t system_default) {
  return mount_default > 0 ? mount_default : std::max<int64_t>(system_default, 0);
}

int64_t EffectiveMaxTtl(int64_t mount_max, int64_t system_max) {
  return mount_max > 0 ? mount_max : std::max<int64_t>(system_max, 0);
}

TtlDecision InitialTtl(const TtlInputs& in) {
  TtlDecision out;
  if (in.period > 0) {
    out.ttl = in.period;
    if (in.explicit_max_ttl > 0 && in.explicit_max_ttl < out.ttl) {
      out.warning = CapWarning(out.ttl, in.explicit_max_ttl);
      out.ttl = in.explicit_max_ttl;
    }
    return out;
  }
  int64_t ttl = in.requested_ttl > 0 ? in.requested_ttl
                : in.role_ttl > 0    ? in.role_ttl
                                     : EffectiveDefaultTtl(in.mount_default_ttl,
                                                           in.system_default_ttl);
  const int64_t cap = LeastSet({EffectiveMaxTtl(in.mount_max_ttl, in.system_max_ttl),
                                in.role_max_ttl, in.explicit_max_ttl});
  if (ttl == 0) {
    // No default anywhere: the token lives as long as its cap allows.
    out.ttl = cap;
    return out;
  }
  if (cap > 0 && ttl > cap) {
    out.warning = CapWarning(ttl, cap);
    ttl = cap;
  }
  out.ttl = ttl;
  return out;
}

Result<int64_t> RenewedTtl(const RenewInputs& in) {
  if (in.current_ttl <= 0) return InvalidArgument("lease not found or lease is not renewable");
  if (!in.renewable) return InvalidArgument("lease is not renewable");
  int64_t ttl = 0;
  int64_t limit = 0;  // total lifetime counted from creation; 0 = none
  if (in.period > 0) {
    ttl = in.period;
    limit = in.explicit_max_ttl > 0 ? in.explicit_max_ttl : 0;
  } else {
    ttl = in.increment > 0 ? in.increment : in.creation_ttl;
    limit = LeastSet({in.max_ttl, in.explicit_max_ttl});
  }
  if (limit > 0) {
    const int64_t remaining = in.creation_time + limit - in.now;
    ttl = std::min(ttl, remaining);
  }
  if (ttl <= 0) return InvalidArgument("lease expired");
  return ttl;
}

}  // namespace coffer::core
