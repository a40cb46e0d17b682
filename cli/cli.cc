#include "cli/cli.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

#include "absl/strings/str_replace.h"
#include "host/build_info.h"
#include "units/units.h"

namespace salvo::cli {

void TuneProcess() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

std::string VersionText() {
  const std::string commit = host::kBuildCommit;
  if (commit.empty() || commit == "unknown") return absl::StrCat("salvo ", SALVO_VERSION);
  return absl::StrCat("salvo ", SALVO_VERSION, " (commit ", commit, ")");
}

void AddVersionFlag(CLI::App& app) { app.set_version_flag("--version", VersionText()); }

std::optional<int> Parse(CLI::App& app, int argc, char** argv) {
  // "salvo bogus": CLI11 would say only that a subcommand is required.
  const std::vector<CLI::App*> commands = app.get_subcommands({});
  if (!commands.empty() && argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const CLI::App* c : commands) names.push_back(c->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::cerr << app.get_name() << ": unknown command '" << argv[1]
                << "' (commands: " << absl::StrJoin(names, ", ") << ")\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return 0;
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string what = absl::StrReplaceAll(e.what(), {{"\n", " "}});
    std::cerr << app.get_name() << ": " << what << " (see --help)\n";
    return 2;
  }
  return std::nullopt;
}

CLI::Option* SizeOption(CLI::App& app, const std::string& name, uint64_t* out,
                        const std::string& help) {
  return app
      .add_option_function<std::string>(
          name,
          [out, name](const std::string& text) {
            absl::StatusOr<uint64_t> size = units::ParseSize(text);
            if (!size.ok()) throw CLI::ValidationError(name, std::string(size.status().message()));
            *out = *size;
          },
          help)
      ->type_name("SIZE");
}

CLI::Option* DurationOption(CLI::App& app, const std::string& name, absl::Duration* out,
                            const std::string& help) {
  return app
      .add_option_function<std::string>(
          name,
          [out, name](const std::string& text) {
            absl::StatusOr<absl::Duration> d = units::ParseDuration(text);
            if (!d.ok()) throw CLI::ValidationError(name, std::string(d.status().message()));
            *out = *d;
          },
          help)
      ->type_name("DURATION");
}

}  // namespace salvo::cli
