// How a run with several agents is judged: what a lost agent does to the run, and the run's
// status. Both travel on the wire (salvo.v1.LossPolicy, salvo.v1.RunStatus; see wire/enums.h).
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "enums/enum_table.h"

namespace salvo::plan {

enum class LossPolicy {
  // The others go on; the report is partial and keeps what the lost agent reported.
  kContinue,
  // The run stops at once and fails.
  kAbort,
};

inline constexpr enums::EnumTable<LossPolicy, 2> kLossPolicies{
    "loss policy", {{{LossPolicy::kContinue, "continue"}, {LossPolicy::kAbort, "abort"}}}};

enum class RunStatus {
  // Everything asked for was done.
  kOk,
  // An agent was lost; the others' results are complete.
  kPartial,
  // The run did not do what was asked (the reasons say why).
  kFailed,
};

inline constexpr enums::EnumTable<RunStatus, 3> kRunStatuses{
    "run status",
    {{{RunStatus::kOk, "ok"}, {RunStatus::kPartial, "partial"}, {RunStatus::kFailed, "failed"}}}};

// What the controller does when an agent is lost, decided from the policy and what is left.
struct LossDecision {
  bool stop = false;
  // Why the run stops; empty when it goes on.
  std::string reason;
};

// An agent was lost (`why`, at interval `at_interval`); `remaining` agents are still running.
// With kAbort the run stops; with kContinue it stops only when fewer than `min_agents` remain
// (0: no minimum).
LossDecision DecideOnLoss(LossPolicy policy, uint32_t min_agents, uint32_t remaining,
                          absl::string_view agent, uint32_t at_interval, absl::string_view why);

}  // namespace salvo::plan
