#include "cli/topology_writer.h"

#include "cli/topology_cluster_api.h"

namespace coffer::cli {
namespace {

// A write roughly every 10 ms: enough to time the outage to ~10 ms without
// loading the shared machine.
constexpr auto kPace = std::chrono::milliseconds(10);
constexpr int kWriteTimeoutS = 2;

}  // namespace

DrillWriter::DrillWriter(TransportFactory factory, std::string token, std::string run)
    : factory_(std::move(factory)), token_(std::move(token)), run_(std::move(run)) {}

DrillWriter::~DrillWriter() { Stop(); }

void DrillWriter::Start(const std::string& addr) {
  SwitchTo(addr);
  thread_ = std::thread([this] { Loop(); });
}

int DrillWriter::SwitchTo(const std::string& addr) {
  std::lock_guard<std::mutex> lock(mu_);
  addr_ = addr;
  return ++target_;
}

void DrillWriter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<DrillWriter::Ack> DrillWriter::Acks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acks_;
}

long long DrillWriter::Failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

size_t DrillWriter::AckCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acks_.size();
}

bool DrillWriter::FirstAckBy(int target, std::chrono::steady_clock::time_point since,
                             std::chrono::steady_clock::time_point* at) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Ack& a : acks_) {
    if (a.target == target && a.at >= since) {
      *at = a.at;
      return true;
    }
  }
  return false;
}

void DrillWriter::Loop() {
  std::string addr;
  int target = -1;
  std::optional<ApiClient> client;
  for (long long n = 0; !stop_;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (target != target_) {
        target = target_;
        addr = addr_;
        client.reset();
      }
    }
    if (!client) {
      Result<ApiClient> made = ClusterClient(factory_, addr, token_, kWriteTimeoutS);
      if (!made.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        ++failures_;
        std::this_thread::sleep_for(kPace);
        continue;
      }
      client.emplace(std::move(*made));
    }
    std::string key = run_ + "/" + std::to_string(n);
    Result<ApiResponse> r =
        client->Send("PUT", "secret/data/drill/" + key, Json{{"data", {{"n", n}}}});
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (r.ok() && r->status >= 200 && r->status < 300) {
        acks_.push_back(Ack{key, target, now});
        ++n;
      } else {
        ++failures_;
      }
    }
    std::this_thread::sleep_for(kPace);
  }
}

}  // namespace coffer::cli
