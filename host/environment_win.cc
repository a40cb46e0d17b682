// ReadEnvironment on Windows: the computer's name, the Windows version (as ntdll reports it, so
// that a compatibility shim cannot hide it), the CPU from the registry, and the command line.
#include <windows.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "host/build_info.h"
#include "host/environment.h"

namespace salvo::host {
namespace {

std::string CpuModel() {
  char name[256] = {};
  DWORD size = sizeof(name);
  if (::RegGetValueA(HKEY_LOCAL_MACHINE, "HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0",
                     "ProcessorNameString", RRF_RT_REG_SZ, nullptr, name, &size) != ERROR_SUCCESS) {
    return "";
  }
  return name;
}

std::string WindowsVersion() {
  using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
  const HMODULE ntdll = ::GetModuleHandleA("ntdll.dll");
  const auto get = ntdll == nullptr ? nullptr
                                    : reinterpret_cast<RtlGetVersionFn>(reinterpret_cast<void*>(
                                          ::GetProcAddress(ntdll, "RtlGetVersion")));
  OSVERSIONINFOW v{};
  v.dwOSVersionInfoSize = sizeof(v);
  if (get == nullptr || get(&v) != 0) return "";
  return absl::StrCat("Windows ", v.dwMajorVersion, ".", v.dwMinorVersion, ".", v.dwBuildNumber);
}

}  // namespace

std::string Hostname() {
  char name[MAX_COMPUTERNAME_LENGTH + 1] = {};
  DWORD size = sizeof(name);
  return ::GetComputerNameA(name, &size) ? std::string(name) : std::string("unknown");
}

v1::Environment ReadEnvironment() {
  v1::Environment e;
  e.set_hostname(Hostname());
  if (std::string version = WindowsVersion(); !version.empty()) e.set_kernel(version);
  SYSTEM_INFO info{};
  ::GetNativeSystemInfo(&info);
  e.set_machine(info.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_AMD64 ? "x86_64" : "other");
  if (std::string model = CpuModel(); !model.empty()) e.set_cpu_model(model);
  if (const unsigned cpus = std::thread::hardware_concurrency(); cpus > 0) e.set_cpus(cpus);
  e.set_salvo_version(SALVO_VERSION);
  e.set_build_commit(kBuildCommit);
  e.set_command_line(::GetCommandLineA());
  return e;
}

// Windows keeps no such counter.
int64_t TcpMemoryPressureMs() { return -1; }

}  // namespace salvo::host
