// What every salvo binary does with its command line: CLI11 parsing with one-line errors and
// exit code 2, and option types for sizes and durations.
//
//   CLI::App app{"salvo-target: the reference server"};
//   cli::SizeOption(app, "--size", &config.message_size, "bytes per message (64, 4k, 1m)");
//   if (auto exit_code = cli::Parse(app, argc, argv)) return *exit_code;
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace salvo::cli {

// Parses; returns an exit code when the program should stop now (0 after --help, 2 after a
// usage error, which is printed on one line as "<program>: <what is wrong>").
std::optional<int> Parse(CLI::App& app, int argc, char** argv);

// An option taking a byte size ("64", "4k", "1m"), stored in *out.
CLI::Option* SizeOption(CLI::App& app, const std::string& name, uint64_t* out,
                        const std::string& help);
// An option taking a duration ("10", "10s", "250ms"), stored in *out.
CLI::Option* DurationOption(CLI::App& app, const std::string& name, absl::Duration* out,
                            const std::string& help);

// The contents of a file named by a flag; the error names the flag and the file.
absl::StatusOr<std::string> ReadFlagFile(const std::string& path, const std::string& flag);

// --token-file: the token is the file's first line without surrounding white space.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// PEM contents of --tls-cert, --tls-key and --tls-ca (an empty path stays empty). A certificate
// and its key go together.
struct TlsFiles {
  std::string cert;
  std::string key;
  std::string ca;
};
absl::StatusOr<TlsFiles> ReadTlsFiles(const std::string& cert, const std::string& key,
                                      const std::string& ca);

}  // namespace salvo::cli
