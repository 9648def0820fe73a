// Test helper: a CommandContext whose transport answers from canned replies
// and records every request, with captured stdout/stderr and a scripted stdin.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "coffer/json.h"

namespace coffer::cli::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;
  Json json() const { return body.empty() ? Json() : Json::parse(body); }
};

class FakeServer {
 public:
  FakeServer() {
    ctx_.out = &out_;
    ctx_.err = &err_;
    ctx_.env = [this](std::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
    ctx_.transport_factory = [this](const ApiConfig& cfg) -> Result<Transport> {
      config_ = cfg;
      return Transport([this](
                           std::string_view method, std::string_view target, std::string_view body,
                           const std::map<std::string, std::string>& headers) -> Result<HttpReply> {
        requests_.push_back({std::string(method), std::string(target), std::string(body), headers});
        if (refuse_connections_) return Unavailable("connection refused");
        std::string key = std::string(method) + " " + std::string(target);
        auto it = replies_.find(key);
        if (it == replies_.end() || it->second.empty()) {
          return HttpReply{404, R"({"errors":[]})"};
        }
        HttpReply r = it->second.front();
        if (it->second.size() > 1) it->second.pop_front();  // the last reply repeats
        return r;
      });
    };
    ctx_.read_secret = [this](std::string_view prompt) -> Result<std::string> {
      prompts_.emplace_back(prompt);
      if (stdin_lines_.empty()) return InvalidArgument("no input on stdin");
      std::string line = stdin_lines_.front();
      stdin_lines_.pop_front();
      return line;
    };
    ctx_.read_stdin = [this]() -> Result<std::string> {
      std::string all = std::move(stdin_);
      stdin_.clear();
      return all;
    };
    ctx_.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    env_["VAULT_ADDR"] = "http://127.0.0.1:8200";
  }

  // Queues a reply for "METHOD /v1/path".
  void Reply(const std::string& method_and_target, int status, const Json& body) {
    replies_[method_and_target].push_back({status, body.is_null() ? "" : body.dump()});
  }
  void ReplyRaw(const std::string& method_and_target, int status, std::string body) {
    replies_[method_and_target].push_back({status, std::move(body)});
  }
  void RefuseConnections() { refuse_connections_ = true; }
  void SetEnv(const std::string& k, const std::string& v) { env_[k] = v; }
  void AddStdinLine(const std::string& line) { stdin_lines_.push_back(line); }
  // The whole of stdin as read_stdin returns it (once; later reads get "").
  void SetStdin(std::string all) { stdin_ = std::move(all); }

  CommandContext& ctx() { return ctx_; }
  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }
  const std::vector<RecordedRequest>& requests() const { return requests_; }
  const std::vector<std::string>& prompts() const { return prompts_; }
  const ApiConfig& config() const { return config_; }
  const std::vector<std::chrono::milliseconds>& sleeps() const { return sleeps_; }
  // The only request sent; fails the test when there is not exactly one.
  const RecordedRequest& only_request() const {
    static const RecordedRequest kNone;
    EXPECT_EQ(requests_.size(), 1u);
    return requests_.empty() ? kNone : requests_.back();
  }

 private:
  CommandContext ctx_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::map<std::string, std::string> env_;
  std::map<std::string, std::deque<HttpReply>> replies_;
  std::vector<RecordedRequest> requests_;
  std::deque<std::string> stdin_lines_;
  std::vector<std::string> prompts_;
  std::string stdin_;
  std::vector<std::chrono::milliseconds> sleeps_;
  ApiConfig config_;
  bool refuse_connections_ = false;
};

inline Json SealStatus(bool sealed, int progress = 0, std::string nonce = "") {
  Json j = {{"type", "shamir"},
            {"initialized", true},
            {"sealed", sealed},
            {"t", 3},
            {"n", 5},
            {"progress", progress},
            {"nonce", nonce},
            {"version", "1.15.0"},
            {"build_date", "2024-01-01T00:00:00Z"},
            {"migration", false},
            {"recovery_seal", false},
            {"storage_type", "inmem"}};
  if (!sealed) {
    j["cluster_name"] = "coffer-cluster-1";
    j["cluster_id"] = "c1d2";
  }
  return j;
}

}  // namespace coffer::cli::testing
