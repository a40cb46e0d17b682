#include <iostream>

#include "cli/cli.h"
#include "controller/commands.h"
#include "controller/run_flags.h"
#include "load/local_agent.h"

int main(int argc, char** argv) {
  salvo::cli::TuneProcess();
  CLI::App app{
      "salvo-load: a run from this machine alone, no agents: the same workloads, "
      "engines and report as salvo run",
      "salvo-load"};
  salvo::cli::AddVersionFlag(app);
  salvo::controller::RunFlags flags;
  salvo::controller::AddRunFlags(app, &flags, /*distributed=*/false);
  if (auto code = salvo::cli::Parse(app, argc, argv)) return *code;
  salvo::controller::RunConfig& run = flags.run;
  if (auto code =
          salvo::controller::ApplyScenario(app, argc, argv, "salvo-load", &flags, std::cerr)) {
    return *code;
  }
  if (absl::Status s = salvo::controller::FinishRunFlags(app, &flags); !s.ok()) {
    std::cerr << "salvo-load: " << s.message() << "\n";
    return 2;
  }
  run.agents = {salvo::load::kLocalAgent};
  run.agent_weights.clear();
  run.local = true;
  if (flags.print_scenario) return salvo::controller::PrintScenario(run, std::cout, std::cerr);
  if (absl::Status s = salvo::controller::Validate(run); !s.ok()) {
    std::cerr << "salvo-load: " << s.message() << "\n";
    return 2;
  }
  return salvo::controller::RunThrough(run, salvo::load::LocalAgentAccess(), "salvo-load",
                                       std::cout, std::cerr);
}
