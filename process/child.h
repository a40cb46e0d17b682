// Child processes that cannot outlive their parent: used by `salvo demo` to run a local target
// and agents, and by the end-to-end tests to run the real binaries.
//
//   auto target = Child::Spawn(BinaryBeside("salvo-target"), {"--listen", "127.0.0.1:0",
//                                                             "--port-file", port_file});
//   auto port = WaitForPortFile(port_file, *target, absl::Seconds(10));
//   target->Terminate(absl::Seconds(3));   // SIGTERM, then SIGKILL
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace salvo::process {

class Child {
 public:
  // Starts `path` with `args`. The child gets SIGKILL if this process dies first. stdout goes
  // to `log_path` when given, stderr to `err_path` (or with stdout); otherwise both are
  // inherited. stdin reads `in_path` when given (it must exist), else is inherited.
  static absl::StatusOr<Child> Spawn(const std::string& path, const std::vector<std::string>& args,
                                     const std::string& log_path = "",
                                     const std::string& err_path = "",
                                     const std::string& in_path = "");
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  ~Child();

  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it if it has).
  bool Running();
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status as waitpid reports it.
  int Terminate(absl::Duration grace);
  // SIGKILL now and reap.
  void Kill();
  // Waits for the child to exit on its own; returns its exit code (128+signal if killed), or
  // -1 on timeout.
  int Wait(absl::Duration timeout);

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

// The path of a binary installed beside the running executable.
std::string BinaryBeside(const std::string& name);

// Waits until `path` holds a port number, or the child dies, or the time is up.
absl::StatusOr<uint16_t> WaitForPortFile(const std::string& path, Child& child,
                                         absl::Duration timeout);

// A server started with `--port-file`, once it has written its port.
struct StartedServer {
  Child child;
  uint16_t port = 0;
};

// Starts `binary args --port-file DIR/TAG.port` (its output in DIR/TAG.log) and waits up to
// `timeout` for the port. A server that dies or stays silent is an error that names `binary`.
absl::StatusOr<StartedServer> StartServer(const std::string& binary, std::vector<std::string> args,
                                          const std::string& dir, const std::string& tag,
                                          absl::Duration timeout = absl::Seconds(10));

// A fresh private directory under $TMPDIR (or /tmp).
absl::StatusOr<std::string> MakeTempDir(const std::string& prefix);

}  // namespace salvo::process
