#include "core/sys_wrapping.h"

#include "common/json_util.h"
#include "core/core.h"
#include "core/wrapping.h"

namespace coffer::core {
namespace {

using framework::Params;
using framework::Path;

struct WrappingToken {
  std::string token;
  bool third_party = false;
};

// The body's token when given (a third party unwrapping), else the client's.
Result<WrappingToken> TokenOf(const EngineRequest& req) {
  ASSIGN_OR_RETURN(auto body, GetString(req.data, "token"));
  const std::string client = req.original != nullptr ? req.original->client_token : "";
  if (body && !body->empty() && *body != client) return WrappingToken{*body, true};
  return WrappingToken{client, false};
}

Result<Response> Wrap(const EngineRequest& req) {
  if (req.original == nullptr || req.original->wrap_ttl_seconds.value_or(0) <= 0) {
    return InvalidArgument("endpoint requires response wrapping to be used");
  }
  return Response::Data(req.data);
}

}  // namespace

std::vector<Path> SysWrappingPaths(Core& core) {
  Core* c = &core;
  std::vector<Path> paths;
  paths.push_back(Path{
      .pattern = "wrapping/wrap",
      .operations = {{Operation::kUpdate,
                      [](const EngineRequest& r, const Params&) { return Wrap(r); }}},
      .help = "Wrap the given data in a single-use wrapping token."});
  paths.push_back(Path{
      .pattern = "wrapping/unwrap",
      .operations = {{Operation::kUpdate,
                      [c](const EngineRequest& r, const Params&) -> Result<Response> {
                        ASSIGN_OR_RETURN(WrappingToken t, TokenOf(r));
                        return UnwrapResponse(c->tokens(), c->router(), t.token, t.third_party);
                      }}},
      .help = "Return the wrapped response and invalidate the wrapping token."});
  auto lookup = [c](const EngineRequest& r, const Params&) -> Result<Response> {
    ASSIGN_OR_RETURN(WrappingToken t, TokenOf(r));
    return LookupWrapping(c->tokens(), t.token);
  };
  paths.push_back(Path{
      .pattern = "wrapping/lookup",
      .operations = {{Operation::kUpdate, lookup}, {Operation::kRead, lookup}},
      .help = "Look up the creation properties of a wrapping token without using it.",
      .unauthenticated = true});
  paths.push_back(Path{
      .pattern = "wrapping/rewrap",
      .operations = {{Operation::kUpdate,
                      [c](const EngineRequest& r, const Params&) -> Result<Response> {
                        ASSIGN_OR_RETURN(WrappingToken t, TokenOf(r));
                        return RewrapResponse(c->tokens(), c->router(), t.token, t.third_party);
                      }}},
      .help = "Move a wrapped response to a new wrapping token; the old one stops working."});
  return paths;
}

}  // namespace coffer::core
