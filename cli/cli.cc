#include "cli/cli.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

#include "absl/strings/str_replace.h"
#include "units/units.h"

namespace salvo::cli {

void TuneProcess() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

std::optional<int> Parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
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
