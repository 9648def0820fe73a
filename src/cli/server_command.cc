#include "cli/server_command.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "common/config.h"
#include "common/log.h"
#include "core/core.h"
#include "replication/manager.h"
#include "crypto/encoding.h"
#include "http/render.h"
#include "http/server.h"
#include "storage/factory.h"

namespace coffer::cli {
namespace {

struct ServerFlags {
  std::vector<std::string> config_paths;
  bool dev = false;
  std::string dev_root_token_id;
  std::string dev_listen_address = "127.0.0.1:8200";
  std::string log_level;
  bool dev_kv_v1 = false;
};

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

// Accepts -flag=value, -flag value, --flag=value.
Result<ServerFlags> ParseFlags(const std::vector<std::string>& args) {
  ServerFlags f;
  if (const char* v = Env("VAULT_DEV_ROOT_TOKEN_ID")) f.dev_root_token_id = v;
  if (const char* v = Env("VAULT_DEV_LISTEN_ADDRESS")) f.dev_listen_address = v;
  if (const char* v = Env("VAULT_LOG_LEVEL")) f.log_level = v;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.rfind("--", 0) == 0) a = a.substr(1);
    std::string name = a, value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    auto take = [&]() -> Result<std::string> {
      if (has_value) return value;
      if (i + 1 >= args.size()) return InvalidArgument("flag needs an argument: " + name);
      return args[++i];
    };
    if (name == "-dev") {
      f.dev = !has_value || value == "true" || value == "1";
    } else if (name == "-config") {
      ASSIGN_OR_RETURN(std::string v, take());
      f.config_paths.push_back(v);
    } else if (name == "-dev-root-token-id") {
      ASSIGN_OR_RETURN(f.dev_root_token_id, take());
    } else if (name == "-dev-listen-address") {
      ASSIGN_OR_RETURN(f.dev_listen_address, take());
    } else if (name == "-log-level") {
      ASSIGN_OR_RETURN(f.log_level, take());
    } else if (name == "-dev-kv-v1") {
      f.dev_kv_v1 = !has_value || value == "true" || value == "1";
    } else if (name == "-dev-no-store-token") {
      // accepted for compatibility
    } else {
      return InvalidArgument("flag provided but not defined: " + args[i]);
    }
  }
  if (!f.dev && f.config_paths.empty()) {
    return InvalidArgument("no configuration files found: use -config=FILE or -dev");
  }
  return f;
}

http::ServerOptions ListenerOptions(const config::ListenerConfig& l) {
  http::ServerOptions o;
  o.address = l.address;
  o.tls = !l.tls_disable;
  o.tls_cert_file = l.tls_cert_file;
  o.tls_key_file = l.tls_key_file;
  o.tls_min_version = l.tls_min_version;
  o.max_request_size = l.max_request_size;
  o.tls_client_ca_file = l.tls_client_ca_file;
  o.tls_require_client_cert = l.tls_require_and_verify_client_cert;
  o.read_header_timeout = std::chrono::seconds(l.http_read_header_timeout_s);
  o.read_timeout = std::chrono::seconds(l.http_read_timeout_s);
  o.idle_timeout = std::chrono::seconds(l.http_idle_timeout_s);
  return o;
}

void HardenProcess(bool disable_mlock) {
  // No core dumps: they would hold keys in clear.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (!disable_mlock && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    COFFER_LOG(kWarn, "server") << "mlockall failed (set disable_mlock = true to silence): "
                                << "memory may be swapped to disk";
  }
}

}  // namespace

int RunServer(const std::vector<std::string>& args) {
  auto flags = ParseFlags(args);
  if (!flags.ok()) {
    std::fprintf(stderr, "Error: %s\n", flags.status().message().c_str());
    return 1;
  }
  umask(077);  // data files 0600, directories 0700

  config::ServerConfig cfg;
  if (flags->dev) {
    cfg.storage.type = "inmem";
    config::ListenerConfig l;
    l.address = flags->dev_listen_address;
    l.tls_disable = true;
    cfg.listeners.push_back(l);
    cfg.disable_mlock = true;
  } else {
    auto loaded = config::LoadServerConfig(flags->config_paths);
    if (!loaded.ok()) {
      std::fprintf(stderr, "Error loading configuration: %s\n", loaded.status().message().c_str());
      return 1;
    }
    cfg = std::move(loaded).value();
  }
  std::string level_text = flags->log_level.empty() ? cfg.log_level : flags->log_level;
  log::Level level;
  if (!log::ParseLevel(level_text, &level)) {
    std::fprintf(stderr, "Error: unknown log level \"%s\"\n", level_text.c_str());
    return 1;
  }
  log::SetLevel(level);
  HardenProcess(cfg.disable_mlock);

  auto backend = storage::OpenBackend(cfg.storage.type, cfg.storage.options);
  if (!backend.ok()) {
    std::fprintf(stderr, "Error initializing storage of type %s: %s\n", cfg.storage.type.c_str(),
                 backend.status().message().c_str());
    return 1;
  }
  core::CoreOptions core_options;
  core_options.physical = std::move(backend).value();
  core_options.storage_type = cfg.storage.type;
  core_options.cluster_name = cfg.cluster_name;
  core_options.api_addr = cfg.api_addr;
  core_options.cluster_addr = cfg.cluster_addr;
  core_options.default_lease_ttl_s = cfg.default_lease_ttl_s;
  core_options.max_lease_ttl_s = cfg.max_lease_ttl_s;
  core_options.wal_max_entries = static_cast<uint64_t>(cfg.replication.logshipper_buffer_length);
  core_options.wal_max_bytes = static_cast<uint64_t>(cfg.replication.logshipper_buffer_size);
  core_options.disable_cache = cfg.disable_cache;
  core_options.cache_size = static_cast<size_t>(cfg.cache_size);
  auto core = std::make_unique<core::Core>(std::move(core_options));
  // Replication roles hook into the core before it can be unsealed.
  replication::ManagerOptions repl_options;
  repl_options.api_addr = cfg.api_addr;
  repl_options.cluster_addr = cfg.cluster_addr;
  if (!cfg.listeners.empty()) repl_options.cluster_listen = cfg.listeners.front().cluster_address;
  repl_options.wal_wait = std::chrono::milliseconds(cfg.replication.best_effort_wal_wait_ms);
  repl_options.canary_interval_s = static_cast<int>(cfg.replication.canary_write_interval_s);
  repl_options.bootstrap_timeout = std::chrono::milliseconds(cfg.replication.bootstrap_timeout_ms);
  auto repl = std::make_unique<replication::Manager>(*core, repl_options);
  if (Status st = repl->Open(); !st.ok()) {
    std::fprintf(stderr, "Error reading the replication state: %s\n", st.message().c_str());
    return 1;
  }
  core->SetReplicationHooks(repl->Hooks());

  std::string dev_unseal_key, dev_root_token;
  if (flags->dev) {
    auto init = core->Initialize(1, 1, flags->dev_root_token_id);
    if (!init.ok()) {
      std::fprintf(stderr, "Error initializing dev core: %s\n", init.status().message().c_str());
      return 1;
    }
    dev_unseal_key = crypto::Base64Encode(init->keys[0]);
    dev_root_token = init->root_token;
    auto unsealed = core->Unseal(dev_unseal_key);
    if (!unsealed.ok() || unsealed->sealed) {
      std::fprintf(stderr, "Error unsealing dev core\n");
      return 1;
    }
    // As Vault's dev mode: a KV store at secret/ (version 2 unless -dev-kv-v1).
    Request mount;
    mount.operation = Operation::kUpdate;
    mount.path = "sys/mounts/secret";
    mount.client_token = dev_root_token;
    mount.data = Json{{"type", "kv"},
                      {"description", "key/value secret storage"},
                      {"options", {{"version", flags->dev_kv_v1 ? "1" : "2"}}}};
    auto mounted = core->Handle(mount);
    if (!mounted.ok()) {
      std::fprintf(stderr, "Error mounting secret/ in dev mode: %s\n",
                   mounted.status().message().c_str());
      return 1;
    }
  }

  // Block the shutdown signals before any thread starts, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  core::Core* core_ptr = core.get();
  http::Handler handler = [core_ptr](Request req) -> Response {
    Result<Response> res = core_ptr->Handle(req);
    if (!res.ok()) return http::ErrorResponse(res.status());
    return std::move(res).value();
  };
  std::vector<std::unique_ptr<http::Server>> servers;
  for (const auto& l : cfg.listeners) {
    http::ServerOptions options = ListenerOptions(l);
    options.serve_inline = [core_ptr](const Request& req) { return core_ptr->ServesInline(req); };
    options.serve_on_fiber = [core_ptr](const Request& req) {
      return core_ptr->ServesOnFiber(req);
    };
    auto server = http::Server::Start(options, handler);
    if (!server.ok()) {
      std::fprintf(stderr, "Error starting listener on %s: %s\n", l.address.c_str(),
                   server.status().message().c_str());
      return 1;
    }
    std::string scheme = l.tls_disable ? "http" : "https";
    COFFER_LOG(kInfo, "server") << "API listener ready on " << scheme << "://"
                                << (*server)->BoundAddress();
    if (servers.empty()) repl->SetApiAddr(scheme + "://" + (*server)->BoundAddress());
    servers.push_back(std::move(server).value());
  }

  if (flags->dev) {
    std::string addr = "http://" + servers.front()->BoundAddress();
    std::printf(
        "WARNING! dev mode is enabled! In this mode, Coffer runs entirely in-memory\n"
        "and starts unsealed with a single unseal key. The root token is already\n"
        "authenticated to the CLI, so you can immediately begin using Coffer.\n\n"
        "You may need to set the following environment variables:\n\n"
        "    $ export VAULT_ADDR='%s'\n\n"
        "The unseal key and root token are displayed below in case you want to\n"
        "seal/unseal the server or re-authenticate.\n\n"
        "Unseal Key: %s\nRoot Token: %s\n\n"
        "Development mode should NOT be used in production installations!\n\n",
        addr.c_str(), dev_unseal_key.c_str(), dev_root_token.c_str());
    std::fflush(stdout);
  }
  COFFER_LOG(kInfo, "server") << "Coffer server started (version " << core::kVersion
                              << ", storage " << cfg.storage.type << ")";

  int sig = 0;
  sigwait(&signals, &sig);
  COFFER_LOG(kInfo, "server") << "shutdown signal received, stopping";
  for (auto& s : servers) s->Stop();
  servers.clear();
  repl.reset();
  core.reset();
  return 0;
}

}  // namespace coffer::cli
