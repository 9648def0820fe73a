// Process supervision for `coffer topology`: start a `coffer server` child,
// tell whether it still runs, stop it (SIGTERM, then SIGKILL after a grace
// period) or kill it, and find free loopback ports.
//
// A child runs in its own session (setsid), so a Ctrl-C at the terminal
// reaches only the supervising `coffer topology up`, which then stops the
// children in order; with -detach the children outlive it.
//
// Thread-safety: the functions may be called from any thread; each acts on
// the pid it is given.
// Invariants: a pid read back from a state file is signalled only while
// /proc/<pid>/cmdline still names that cluster's config file (pids are
// reused).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "coffer/status.h"

namespace coffer::cli {

// Starts `binary server -config config_path` with stdout and stderr appended
// to log_path and stdin from /dev/null; returns the child's pid.
Result<pid_t> SpawnServer(const std::string& binary, const std::string& config_path,
                          const std::string& log_path);

// Whether `pid` is a live (not zombie) process started with `config_path`.
bool ServerRunning(pid_t pid, const std::string& config_path);

// SIGTERM, then waits up to `grace` for the process to end; SIGKILL after
// that. Nothing to do (Ok) when it is not running.
Status StopServer(pid_t pid, const std::string& config_path, std::chrono::milliseconds grace);

// SIGTERM without waiting (Ok when it is not running); WaitStopped then
// waits up to `grace` and sends SIGKILL after that. Together they stop many
// servers in the time of one.
Status SignalStop(pid_t pid, const std::string& config_path);
Status WaitStopped(pid_t pid, const std::string& config_path, std::chrono::milliseconds grace);

// SIGKILL and wait for it to end (an unplanned failure).
Status KillServer(pid_t pid, const std::string& config_path);

// `count` distinct TCP ports on 127.0.0.1 that were free a moment ago (all
// bound at once, then released).
Result<std::vector<int>> FreeLoopbackPorts(size_t count);

// The path of the running executable (/proc/self/exe resolved).
Result<std::string> SelfExecutable();

}  // namespace coffer::cli
