#include "process/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace salvo::process {

absl::StatusOr<Child> Child::Spawn(const std::string& path, const std::vector<std::string>& args,
                                   const std::string& log_path, const std::string& err_path,
                                   const std::string& in_path) {
  if (::access(path.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot run ", path, ": not found or not executable"));
  }
  int in_fd = -1;
  if (!in_path.empty()) {
    in_fd = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in_fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", in_path));
  }
  std::vector<std::string> argv_storage = {path};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    if (in_fd >= 0) ::close(in_fd);
    return absl::ErrnoToStatus(errno, "fork");
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!log_path.empty()) {
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
    }
    if (!err_path.empty()) {
      const int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) ::dup2(fd, STDERR_FILENO);
    }
    if (in_fd >= 0) ::dup2(in_fd, STDIN_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (in_fd >= 0) ::close(in_fd);
  return Child(pid);
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(other.status_), reaped_(other.reaped_) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    Kill();
    pid_ = std::exchange(other.pid_, -1);
    status_ = other.status_;
    reaped_ = other.reaped_;
  }
  return *this;
}

Child::~Child() { Kill(); }

bool Child::Running() {
  if (pid_ < 0 || reaped_) return false;
  const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

int Child::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (Running()) {
    if (absl::Now() >= deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (pid_ < 0) return -1;
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

int Child::Terminate(absl::Duration grace) {
  if (!Running()) return Wait(absl::ZeroDuration());
  ::kill(pid_, SIGTERM);
  const int code = Wait(grace);
  if (code != -1) return code;
  Kill();
  return 128 + SIGKILL;
}

void Child::Kill() {
  if (pid_ < 0 || reaped_) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status_, 0);
  reaped_ = true;
}

std::string BinaryBeside(const std::string& name) {
  char self[PATH_MAX] = {0};
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return name;
  std::string dir(self, static_cast<size_t>(n));
  dir.resize(dir.rfind('/'));
  return absl::StrCat(dir, "/", name);
}

absl::StatusOr<uint16_t> WaitForPortFile(const std::string& path, Child& child,
                                         absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::ifstream in(path);
    std::string text;
    uint32_t port = 0;
    if (std::getline(in, text) && absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port) &&
        port > 0 && port < 65536) {
      return static_cast<uint16_t>(port);
    }
    if (!child.Running()) {
      return absl::UnavailableError(absl::StrCat("process ", child.pid(), " exited with code ",
                                                 child.Wait(absl::ZeroDuration()),
                                                 " before it was listening"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "process ", child.pid(), " did not start listening within ", absl::FormatDuration(timeout)));
}

absl::StatusOr<StartedServer> StartServer(const std::string& binary, std::vector<std::string> args,
                                          const std::string& dir, const std::string& tag,
                                          absl::Duration timeout) {
  const std::string port_file = absl::StrCat(dir, "/", tag, ".port");
  args.insert(args.end(), {"--port-file", port_file});
  absl::StatusOr<Child> child = Child::Spawn(binary, args, absl::StrCat(dir, "/", tag, ".log"));
  if (!child.ok()) return child.status();
  absl::StatusOr<uint16_t> port = WaitForPortFile(port_file, *child, timeout);
  if (!port.ok()) {
    return absl::Status(port.status().code(), absl::StrCat(binary, ": ", port.status().message()));
  }
  return StartedServer{std::move(*child), *port};
}

absl::StatusOr<std::string> MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(base != nullptr && *base ? base : "/tmp", "/", prefix, "XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) return absl::ErrnoToStatus(errno, "mkdtemp");
  return tmpl;
}

}  // namespace salvo::process
