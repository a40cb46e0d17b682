#include <iostream>

#include "cli/cli.h"
#include "controller/commands.h"
#include "load/local_agent.h"
#include "run/run_flags.h"

int main(int argc, char** argv) {
  salvo::cli::TuneProcess();
  CLI::App app{
      "salvo-load: a run from this machine alone, no agents: the same workloads, "
      "engines and report as salvo run",
      "salvo-load"};
  salvo::cli::AddVersionFlag(app);
  salvo::run::RunFlags flags;
  salvo::run::AddRunFlags(app, &flags, /*distributed=*/false);
  if (auto code = salvo::cli::Parse(app, argc, argv)) return *code;
  salvo::driver::RunConfig& run = flags.run;
  if (auto code = salvo::run::ApplyScenario(app, argc, argv, "salvo-load", &flags, std::cerr)) {
    return *code;
  }
  if (absl::Status s = salvo::run::FinishRunFlags(app, &flags); !s.ok()) {
    std::cerr << "salvo-load: " << s.message() << "\n";
    return 2;
  }
  run.agents = {salvo::load::kLocalAgent};
  run.agent_weights.clear();
  run.local = true;
  if (flags.print_scenario) return salvo::run::PrintScenario(run, std::cout, std::cerr);
  if (absl::Status s = salvo::driver::Validate(run); !s.ok()) {
    std::cerr << "salvo-load: " << s.message() << "\n";
    return 2;
  }
  return salvo::run::RunThrough(run, salvo::load::LocalAgentAccess(), "salvo-load", std::cout,
                                std::cerr);
}
