#include "plan/policy.h"

#include "absl/strings/str_cat.h"

namespace salvo::plan {

LossDecision DecideOnLoss(LossPolicy policy, uint32_t min_agents, uint32_t remaining,
                          absl::string_view agent, uint32_t at_interval, absl::string_view why) {
  LossDecision d;
  if (policy == LossPolicy::kAbort) {
    d.stop = true;
    d.reason = absl::StrCat("agent ", agent, " was lost at interval ", at_interval, " (", why,
                            "); --on-agent-loss abort stopped the run");
  } else if (remaining < min_agents) {
    d.stop = true;
    d.reason = absl::StrCat("only ", remaining, " agent", remaining == 1 ? "" : "s",
                            " remain, fewer than --min-agents ", min_agents);
  }
  return d;
}

}  // namespace salvo::plan
