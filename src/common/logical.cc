#include "coffer/logical.h"

namespace coffer {

const char* OperationName(Operation op) {
  switch (op) {
    case Operation::kRead: return "read";
    case Operation::kList: return "list";
    case Operation::kCreate: return "create";
    case Operation::kUpdate: return "update";
    case Operation::kPatch: return "patch";
    case Operation::kDelete: return "delete";
    case Operation::kHead: return "head";
  }
  return "unknown";
}

bool MaterializeData(Response& r) {
  if (r.data_json.empty()) return true;
  Json parsed = Json::parse(r.data_json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return false;
  r.data = std::move(parsed);
  r.data_json.clear();
  return true;
}

}  // namespace coffer
