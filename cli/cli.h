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
#include "enums/enum_table.h"

namespace salvo::cli {

// Process-wide settings every salvo binary wants, before anything else runs: Abseil's Mutex
// checks every lock order for deadlocks unless the library was built with NDEBUG, as Debian's
// is not; measured, those checks were 2.5% of the controller's CPU with 100 agents.
void TuneProcess();

// "salvo 0.2.0 (commit fa85b7d1e2c3)", or without the commit when built outside git.
std::string VersionText();

// --version: prints VersionText() to standard output and exits 0.
void AddVersionFlag(CLI::App& app);

// Parses; returns an exit code when the program should stop now (0 after --help or --version,
// 2 after a usage error, which is printed on one line as "<program>: <what is wrong>"). For a
// program with subcommands, an unknown one is named with the list of those there are.
std::optional<int> Parse(CLI::App& app, int argc, char** argv);

// An option taking a byte size ("64", "4k", "1m"), stored in *out.
CLI::Option* SizeOption(CLI::App& app, const std::string& name, uint64_t* out,
                        const std::string& help);
// An option taking one of an enum's names, stored in *out. The allowed values (CLI11 lists them
// in --help and names them in the error) come from the table; *out's current value is the
// default shown.
template <typename E, size_t N>
CLI::Option* EnumOption(CLI::App& app, const std::string& name, E* out,
                        const enums::EnumTable<E, N>& table, const std::string& help) {
  return app
      .add_option_function<std::string>(
          name, [out, &table](const std::string& text) { *out = *table.Parse(text); }, help)
      ->check(CLI::IsMember(table.Names()))
      ->default_str(std::string(table.Name(*out)))
      ->type_name("NAME");
}

// An option taking a duration ("10", "10s", "250ms"), stored in *out.
CLI::Option* DurationOption(CLI::App& app, const std::string& name, absl::Duration* out,
                            const std::string& help);

}  // namespace salvo::cli
