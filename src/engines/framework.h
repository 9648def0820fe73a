// framework: engines declare their paths as data, and one dispatcher matches
// a request to a path and an operation handler.
//
//   Path{.pattern = "data/*path",
//        .operations = {{Operation::kRead, ReadData}, {Operation::kUpdate, WriteData}},
//        .exists = DataExists,
//        .help = "Write, read and delete versioned secrets."}
//
// Patterns are '/'-separated segments: a literal segment matches itself,
// ":name" matches one non-empty segment, and a final "*name" matches the rest
// of the path (possibly empty, possibly containing '/'). A pattern ending in
// '/' matches only a path ending in '/' (list paths).
//
// Thread-safety: a PathEngine is immutable after construction; Handle() and
// Exists() may run concurrently.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coffer/engine.h"

namespace coffer::framework {

using Params = std::map<std::string, std::string>;
using Handler = std::function<Result<Response>(const EngineRequest&, const Params&)>;
using ExistenceCheck = std::function<Result<bool>(const EngineRequest&, const Params&)>;

struct Path {
  std::string pattern;
  std::map<Operation, Handler> operations;
  ExistenceCheck exists;  // optional: decides create vs update
  std::string help;
  bool unauthenticated = false;  // reachable without a token (login)
};

// Matches `path` against `pattern`; fills params on success.
bool Match(const std::string& pattern, const std::string& path, Params* params);

class PathEngine : public Engine {
 public:
  explicit PathEngine(std::vector<Path> paths);

  Result<Response> Handle(const EngineRequest& req) override;
  Result<std::optional<bool>> Exists(const EngineRequest& req) override;
  std::vector<std::string> UnauthenticatedPaths() const override;

 private:
  const Path* Find(const std::string& path, Params* params) const;
  // ?help=1: the matched path's help, or an index of every path.
  Response Help(const Path* matched) const;
  std::vector<Path> paths_;
};

// Builds a list response: data {"keys": [...]}.
Response ListResponse(std::vector<std::string> keys);

}  // namespace coffer::framework
