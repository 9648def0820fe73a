#include "engines/kv_v2.h"

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "engines/framework.h"
#include "engines/kv_v2_paths.h"

namespace coffer::engines {
namespace {

constexpr std::array<std::string_view, 6> kRoots = {"data",     "metadata", "delete",
                                                    "undelete", "destroy",  "subkeys"};

const char* CliCommandFor(Operation op) {
  switch (op) {
    case Operation::kCreate:
    case Operation::kUpdate:
      return "put";
    case Operation::kPatch:
      return "patch";
    case Operation::kList:
      return "list";
    case Operation::kDelete:
      return "delete";
    default:
      return "get";
  }
}

Response NotFoundWithWarning(std::string warning) {
  Response r;
  r.status = 404;
  r.warnings.push_back(std::move(warning));
  return r;
}

// Non-list operations on "data", "data/", "metadata/", ...: there is no
// secret there.
bool IsBareRoot(const EngineRequest& req) {
  if (req.operation == Operation::kList) return false;
  std::string_view p = req.path;
  if (!p.empty() && p.back() == '/') p.remove_suffix(1);
  for (std::string_view root : kRoots) {
    if (p == root) return true;
  }
  return false;
}

class KvV2Engine final : public Engine {
 public:
  explicit KvV2Engine(NanoClock clock)
      : state_(std::make_shared<KvV2State>(std::move(clock))), paths_(AllPaths(state_)) {}

  // Engine:
  Result<Response> Handle(const EngineRequest& req) override {
    RETURN_IF_ERROR(Prepare(req));
    if (IsBareRoot(req)) {
      return NotFoundWithWarning(
          "Non-listing operations on the root of a K/V v2 mount are not supported.");
    }
    return paths_.Handle(req);
  }

  Result<std::optional<bool>> Exists(const EngineRequest& req) override {
    RETURN_IF_ERROR(Prepare(req));
    return paths_.Exists(req);
  }

 private:
  static std::vector<framework::Path> AllPaths(const std::shared_ptr<KvV2State>& state) {
    std::vector<framework::Path> paths = kv2::DataPaths(state);
    for (framework::Path& p : kv2::MetadataPaths(state)) paths.push_back(std::move(p));
    // Last: everything else is a path a versioned mount does not have.
    framework::Handler invalid = [](const EngineRequest& req, const framework::Params&) {
      return Result<Response>(NotFoundWithWarning(
          std::string("Invalid path for a versioned K/V secrets engine. See the API docs for the "
                      "appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ") +
          CliCommandFor(req.operation) + "' for this operation."));
    };
    paths.push_back(framework::Path{.pattern = "*path",
                                    .operations = {{Operation::kRead, invalid},
                                                   {Operation::kList, invalid},
                                                   {Operation::kUpdate, invalid},
                                                   {Operation::kPatch, invalid},
                                                   {Operation::kDelete, invalid}},
                                    .help = "Not a KV v2 endpoint."});
    return paths;
  }

  Status Prepare(const EngineRequest& req) {
    if (req.storage == nullptr) return Internal("engine request has no storage view");
    return state_->EnsureLayout(*req.storage);
  }

  std::shared_ptr<KvV2State> state_;
  framework::PathEngine paths_;
};

}  // namespace

EnginePtr NewKvV2Engine(NanoClock clock) { return std::make_unique<KvV2Engine>(std::move(clock)); }

}  // namespace coffer::engines
