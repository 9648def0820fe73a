#include "engines/framework.h"

#include <string_view>

#include "common/path_segments.h"

namespace coffer::framework {

bool Match(const std::string& pattern, const std::string& path, Params* params) {
  params->clear();
  std::vector<std::string_view> pat = SplitPathSegments(pattern);
  std::string_view rest = path;
  for (size_t i = 0; i < pat.size(); ++i) {
    std::string_view seg = pat[i];
    if (!seg.empty() && seg[0] == '*') {
      // Only valid as the last segment: takes everything left.
      (*params)[std::string(seg.substr(1))] = std::string(rest);
      return i + 1 == pat.size();
    }
    bool last = i + 1 == pat.size();
    size_t slash = rest.find('/');
    std::string_view piece = slash == std::string_view::npos ? rest : rest.substr(0, slash);
    if (!seg.empty() && seg[0] == ':') {
      if (piece.empty()) return false;
      (*params)[std::string(seg.substr(1))] = std::string(piece);
    } else if (piece != seg) {
      return false;
    }
    if (last) return slash == std::string_view::npos;
    if (slash == std::string_view::npos) return false;
    rest = rest.substr(slash + 1);
  }
  return false;
}

PathEngine::PathEngine(std::vector<Path> paths) : paths_(std::move(paths)) {}

const Path* PathEngine::Find(const std::string& path, Params* params) const {
  for (const Path& p : paths_) {
    if (Match(p.pattern, path, params)) return &p;
  }
  return nullptr;
}

Result<Response> PathEngine::Handle(const EngineRequest& req) {
  Params params;
  const Path* p = Find(req.path, &params);
  if (req.original != nullptr && req.original->is_help) return Help(p);
  if (p == nullptr) return NotFound("unsupported path");
  Operation op = req.operation;
  auto it = p->operations.find(op);
  // Paths without a separate create handler treat create as update, and the
  // reverse.
  if (it == p->operations.end() && op == Operation::kCreate) {
    it = p->operations.find(Operation::kUpdate);
  } else if (it == p->operations.end() && op == Operation::kUpdate) {
    it = p->operations.find(Operation::kCreate);
  }
  if (it == p->operations.end()) return Unsupported();
  return it->second(req, params);
}

Response PathEngine::Help(const Path* matched) const {
  std::string text;
  if (matched != nullptr) {
    text = "## " + matched->pattern + "\n\n" + matched->help + "\n";
  } else {
    text = "## Paths\n\n";
    for (const Path& p : paths_) text += "- `" + p.pattern + "`: " + p.help + "\n";
  }
  // Clients (node-vault's help()) read "help" at the top level, not in data.
  return Response::RawJson(Json{{"help", text}, {"openapi", nullptr}});
}

Result<std::optional<bool>> PathEngine::Exists(const EngineRequest& req) {
  Params params;
  const Path* p = Find(req.path, &params);
  if (p == nullptr || !p->exists) return std::optional<bool>();
  ASSIGN_OR_RETURN(bool exists, p->exists(req, params));
  return std::optional<bool>(exists);
}

std::vector<std::string> PathEngine::UnauthenticatedPaths() const {
  std::vector<std::string> out;
  for (const Path& p : paths_) {
    if (!p.unauthenticated) continue;
    // Turn the pattern into a prefix glob: everything up to the first
    // parameter, then '*'.
    size_t param = p.pattern.find_first_of(":*");
    out.push_back(param == std::string::npos ? p.pattern : p.pattern.substr(0, param) + "*");
  }
  return out;
}

Response ListResponse(std::vector<std::string> keys) {
  return Response::Data(Json{{"keys", std::move(keys)}});
}

}  // namespace coffer::framework
