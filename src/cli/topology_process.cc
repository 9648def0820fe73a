#include "cli/topology_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace coffer::cli {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// The NUL-separated command line of `pid`, "" when it cannot be read.
std::string CmdLine(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// 'Z' for a zombie, '\0' when the process does not exist.
char ProcState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return '\0';
  size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return '\0';
  return line[close + 2];
}

// Reaps `pid` if it is our child and has ended; true once it is gone.
bool Gone(pid_t pid) {
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  if (r == pid) return true;
  char state = ProcState(pid);
  return state == '\0' || (r < 0 && state == 'Z');
}

bool WaitGone(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!Gone(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval
  }
  return true;
}

}  // namespace

Result<pid_t> SpawnServer(const std::string& binary, const std::string& config_path,
                          const std::string& log_path) {
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return IOError(Errno("opening " + log_path));
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) {
    close(log);
    return IOError(Errno("opening /dev/null"));
  }
  std::vector<std::string> args = {binary, "server", "-config", config_path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(log);
    close(devnull);
    return IOError(Errno("fork"));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    dup2(devnull, STDIN_FILENO);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log);
  close(devnull);
  return pid;
}

bool ServerRunning(pid_t pid, const std::string& config_path) {
  if (pid <= 0) return false;
  if (Gone(pid)) return false;
  char state = ProcState(pid);
  if (state == '\0' || state == 'Z') return false;
  // The command line holds "-config\0<path>\0".
  std::string needle = std::string("-config") + '\0' + config_path + '\0';
  return CmdLine(pid).find(needle) != std::string::npos;
}

Status StopServer(pid_t pid, const std::string& config_path, std::chrono::milliseconds grace) {
  RETURN_IF_ERROR(SignalStop(pid, config_path));
  return WaitStopped(pid, config_path, grace);
}

Status SignalStop(pid_t pid, const std::string& config_path) {
  if (!ServerRunning(pid, config_path)) return Status::Ok();
  if (kill(pid, SIGTERM) != 0 && errno != ESRCH) return IOError(Errno("SIGTERM"));
  return Status::Ok();
}

Status WaitStopped(pid_t pid, const std::string& config_path, std::chrono::milliseconds grace) {
  if (pid <= 0 || WaitGone(pid, grace)) return Status::Ok();
  return KillServer(pid, config_path);
}

Status KillServer(pid_t pid, const std::string& config_path) {
  if (!ServerRunning(pid, config_path)) return Status::Ok();
  if (kill(pid, SIGKILL) != 0 && errno != ESRCH) return IOError(Errno("SIGKILL"));
  if (!WaitGone(pid, std::chrono::seconds(10))) {
    return Unavailable("process " + std::to_string(pid) + " did not end after SIGKILL");
  }
  return Status::Ok();
}

Result<std::vector<int>> FreeLoopbackPorts(size_t count) {
  std::vector<int> fds;
  std::vector<int> ports;
  Status status = Status::Ok();
  for (size_t i = 0; i < count && status.ok(); ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      status = IOError(Errno("socket"));
      break;
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      status = IOError(Errno("binding a free port"));
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  RETURN_IF_ERROR(status);
  return ports;
}

Result<std::string> SelfExecutable() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return IOError(Errno("reading /proc/self/exe"));
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace coffer::cli
