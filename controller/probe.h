// What `salvo agents` and the start of every run learn about an agent: whether it answers, who
// it is, whether it speaks this controller's protocol, and its clock offset.
#pragma once

#include <string>
#include <vector>

#include "controller/channel.h"
#include "salvo/v1/agent.pb.h"

namespace salvo::controller {

struct AgentProbe {
  std::string agent;
  bool reachable = false;
  // It answered, but refused us: credentials (token, TLS), not the network.
  bool refused = false;
  // Empty when the agent answered its Info and clock probes and speaks our protocol.
  std::string error;
  v1::InfoResponse info;
  double clock_offset_ms = 0;  // agent clock minus controller clock
  double clock_error_ms = 0;
  double clock_rtt_ms = 0;
};

// Asks every agent, all at once, who it is and measures its clock (NTP-style: the best of
// several round trips, error bound half that round trip).
std::vector<AgentProbe> ProbeAgents(const std::vector<std::string>& agents,
                                    const ControlSecurity& security);

}  // namespace salvo::controller
