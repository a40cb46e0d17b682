#include "driver/run_config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "auth/credentials.h"
#include "google/protobuf/util/json_util.h"
#include "net/address.h"
#include "net/cidr.h"
#include "net/engine_factory.h"
#include "plan/limits.h"
#include "plan/split.h"
#include "status/status_macros.h"
#include "units/units.h"
#include "wire/enums.h"
#include "wire/spec_check.h"

namespace salvo::driver {
namespace {

uint64_t Millis(absl::Duration d) { return static_cast<uint64_t>(absl::ToInt64Milliseconds(d)); }

}  // namespace

absl::Status ParseAgentList(absl::string_view list, std::vector<std::string>* agents,
                            std::vector<double>* weights) {
  agents->clear();
  weights->clear();
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    double weight = 1;
    if (const size_t at = item.rfind('@'); at != absl::string_view::npos) {
      if (!absl::SimpleAtod(item.substr(at + 1), &weight) || !(weight > 0) ||
          !(weight <= plan::kMaxWeight)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--agents: invalid weight in '", item,
                         "' (expected HOST:PORT@WEIGHT, 0 < WEIGHT <= ", plan::kMaxWeight, ")"));
      }
      item = item.substr(0, at);
    }
    agents->emplace_back(item);
    weights->push_back(weight);
  }
  return absl::OkStatus();
}

absl::Status AddSourceIps(absl::string_view value, RunConfig* config) {
  const size_t eq = value.find('=');
  if (eq == absl::string_view::npos) {
    config->source_ips = std::string(value);
    return absl::OkStatus();
  }
  const std::string agent(absl::StripAsciiWhitespace(value.substr(0, eq)));
  if (config->agent_source_ips.count(agent) > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--source-ips: agent ", agent, " is given addresses twice"));
  }
  config->agent_source_ips[agent] = std::string(value.substr(eq + 1));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RunConfig::Stage>> ParseStages(absl::string_view text) {
  std::vector<RunConfig::Stage> out;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("--stages: '", item, "' ", why, " (expected DURATION:RATE, e.g. 30s:50k)"));
    };
    const size_t colon = item.find(':');
    if (colon == absl::string_view::npos) return bad("has no ':'");
    absl::StatusOr<absl::Duration> duration = units::ParseDuration(item.substr(0, colon));
    if (!duration.ok()) return bad(duration.status().message());
    absl::string_view rate_text = item.substr(colon + 1);
    double scale = 1;
    if (!rate_text.empty()) {
      switch (absl::ascii_tolower(rate_text.back())) {
        case 'k':
          scale = 1e3;
          break;
        case 'm':
          scale = 1e6;
          break;
        case 'g':
          scale = 1e9;
          break;
      }
      if (scale != 1) rate_text.remove_suffix(1);
    }
    double rate = 0;
    if (!absl::SimpleAtod(rate_text, &rate)) return bad("has no rate");
    rate *= scale;
    SALVO_RETURN_IF_ERROR(plan::CheckStageRate(rate, absl::StrCat("--stages: '", item, "'")));
    out.push_back({*duration, rate});
  }
  if (out.size() > plan::kMaxStages) {
    return absl::InvalidArgumentError(absl::StrCat("--stages: at most ", plan::kMaxStages));
  }
  return out;
}

std::string FormatStages(const google::protobuf::RepeatedPtrField<v1::Stage>& stages) {
  return absl::StrJoin(stages, ",", [](std::string* out, const v1::Stage& s) {
    absl::StrAppend(out, absl::FormatDuration(absl::Milliseconds(s.duration_ms())), ":",
                    units::FormatCount(s.rate()));
  });
}

absl::Duration ConnectRamp(const RunConfig& config) {
  if (!(config.connect_rate > 0)) return absl::ZeroDuration();
  return absl::Seconds(config.connections / config.connect_rate);
}

std::vector<double> Weights(const RunConfig& config) {
  if (config.agent_weights.size() == config.agents.size()) return config.agent_weights;
  return std::vector<double>(config.agents.size(), 1.0);
}

absl::Status Validate(const RunConfig& config) {
  if (config.agents.empty()) {
    return absl::InvalidArgumentError(
        "--agents is required: give at least one agent (or a --scenario that names them)");
  }
  for (size_t i = 0; i < config.agents.size(); ++i) {
    for (size_t j = i + 1; j < config.agents.size(); ++j) {
      if (config.agents[i] == config.agents[j]) {
        return absl::InvalidArgumentError(
            absl::StrCat("--agents: ", config.agents[i], " is listed twice"));
      }
    }
  }
  if (config.min_agents > config.agents.size()) {
    return absl::InvalidArgumentError(absl::StrCat("--min-agents ", config.min_agents,
                                                   " is more than the ", config.agents.size(),
                                                   " agents given"));
  }
  std::string host;
  uint16_t port = 0;
  for (const std::string& agent : config.agents) {
    if (config.local) break;
    if (absl::Status s = net::SplitHostPort(agent, &host, &port); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--agents: ", s.message()));
    }
  }
  if (config.target.empty()) {
    return absl::InvalidArgumentError("--target is required (or a --scenario that names it)");
  }
  if (absl::Status s = net::SplitHostPort(config.target, &host, &port); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--target: ", s.message()));
  }
  if (config.connections < config.agents.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--connections ", config.connections, " is fewer than the ",
                     config.agents.size(), " agents: every agent needs at least one connection"));
  }
  // The flags' check of a weight (ParseAgentList) for weights from anywhere, a scenario's
  // included: a zero, negative or NaN weight would make the split below loop forever.
  if (!config.agent_weights.empty() && config.agent_weights.size() != config.agents.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        config.agent_weights.size(), " agent weights for ", config.agents.size(), " agents"));
  }
  for (size_t i = 0; i < config.agent_weights.size(); ++i) {
    const double w = config.agent_weights[i];
    if (!(w > 0) || !(w <= plan::kMaxWeight)) {
      return absl::InvalidArgumentError(absl::StrCat("agent ", config.agents[i], ": weight ", w,
                                                     " (expected 0 < WEIGHT <= ", plan::kMaxWeight,
                                                     ")"));
    }
  }
  if (config.connections > plan::kMaxConnections) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--connections must be at most ", plan::kMaxConnections, ", got ", config.connections));
  }
  for (uint64_t share : plan::SplitByWeight(config.connections, Weights(config))) {
    if (share == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--connections ", config.connections,
                       " split by the agents' weights leaves an agent "
                       "with none: every agent needs at least one connection"));
    }
  }
  if (config.close == workload::CloseMode::kRst && config.workload != workload::Kind::kConnectRr) {
    return absl::InvalidArgumentError("--close is for --workload connect-rr");
  }
  // The agents check that the addresses are theirs; the syntax is checked here, before any is
  // contacted.
  if (!config.source_ips.empty()) {
    SALVO_RETURN_IF_ERROR(net::ParseAddressList(config.source_ips, plan::kMaxSourceIps).status());
  }
  for (const auto& [agent, list] : config.agent_source_ips) {
    if (std::find(config.agents.begin(), config.agents.end(), agent) == config.agents.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--source-ips: ", agent, " is not one of the --agents"));
    }
    SALVO_RETURN_IF_ERROR(net::ParseAddressList(list, plan::kMaxSourceIps).status());
  }
  if (!config.latency_hgrm_path.empty() && config.workload != workload::Kind::kEcho &&
      config.workload != workload::Kind::kRr && config.workload != workload::Kind::kConnectRr) {
    return absl::InvalidArgumentError(
        "--latency-hgrm writes round trips: use it with echo, rr or connect-rr");
  }
  if (config.json_path == "-" && config.csv_path == "-") {
    return absl::InvalidArgumentError("--json - and --csv -: only one can have standard output");
  }
  // Their sum only (CheckLoadSpec checks each stage and the rates).
  absl::Duration stages_total;
  for (const RunConfig::Stage& s : config.stages) stages_total += s.duration;
  if (stages_total > plan::kMaxDuration) {
    return absl::InvalidArgumentError("--stages must last at most 7 days");
  }
  if (config.pipeline == 0) return absl::InvalidArgumentError("--pipeline must be at least 1");
  if (config.duration < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("--duration must be at least 1ms");
  }
  if (config.duration > plan::kMaxDuration || config.warmup > plan::kMaxDuration ||
      config.interval > plan::kMaxDuration || config.connect_timeout > plan::kMaxDuration) {
    return absl::InvalidArgumentError(
        "--duration, --warmup, --interval and --connect-timeout must be at most 7 days");
  }
  // Each agent checks the threads against its own cores; this only refuses the absurd.
  if (config.threads > 1024) return absl::InvalidArgumentError("--threads must be at most 1024");
  if (config.interval < absl::Milliseconds(10)) {
    return absl::InvalidArgumentError("--interval must be at least 10ms");
  }
  // An engine that cannot send in the asked mode is refused here, before any agent is asked.
  SALVO_RETURN_IF_ERROR(net::CheckEngineSupports(config.engine, config.send_mode));
  if (config.sndbuf > plan::kMaxSocketBuffer || config.rcvbuf > plan::kMaxSocketBuffer) {
    return absl::InvalidArgumentError("--sndbuf and --rcvbuf must be at most 1g");
  }
  if (config.lease < absl::Milliseconds(100) || config.lease > plan::kMaxDuration) {
    return absl::InvalidArgumentError("--lease must be 100ms to 7 days");
  }
  if (config.drain < absl::ZeroDuration() || config.drain > absl::Minutes(10)) {
    return absl::InvalidArgumentError("--drain must be 0 to 10m");
  }
  if (config.tcp_info_sample == 0) {
    return absl::InvalidArgumentError("--tcp-info-sample must be at least 1");
  }
  if (config.connect_timeout < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("--connect-timeout must be at least 1ms");
  }
  // What the agents check too, in the same words: the spec these flags make.
  return wire::CheckLoadSpec(LoadSpecOf(config));
}

v1::LoadSpec LoadSpecOf(const RunConfig& config) {
  v1::LoadSpec load;
  load.set_target(config.target);
  load.set_workload(wire::ToProto(config.workload));
  // rr: a message is a request.
  load.set_message_size(!config.request.empty() ? config.request.size() : config.message_size);
  load.set_request(config.request);
  load.set_response_bytes(config.response_bytes);
  load.set_response_until(config.response_until);
  if (config.workload == workload::Kind::kConnectRr) {
    load.set_close(wire::ToProto(config.close));
  }
  load.set_source_ips(config.source_ips);
  load.set_pipeline(config.pipeline);
  load.set_one_message_per_send(!config.coalesce);
  load.set_verify(config.verify);
  load.set_duration_ms(Millis(config.duration));
  load.set_warmup_ms(Millis(config.warmup));
  load.set_interval_ms(Millis(config.interval));
  load.set_threads(config.threads);
  load.set_connect_timeout_ms(Millis(config.connect_timeout));
  load.set_engine(wire::ToProto(config.engine));
  load.set_send_mode(wire::ToProto(config.send_mode));
  load.set_sndbuf(static_cast<uint32_t>(config.sndbuf));
  load.set_rcvbuf(static_cast<uint32_t>(config.rcvbuf));
  load.set_drain_ms(Millis(config.drain));
  load.set_tcp_info_sample(config.tcp_info_sample);
  load.set_rate(config.rate);
  for (const RunConfig::Stage& s : config.stages) {
    v1::Stage* stage = load.add_stages();
    stage->set_duration_ms(Millis(s.duration));
    stage->set_rate(s.rate);
  }
  if (config.rate > 0 || !config.stages.empty()) {
    load.set_arrival(wire::ToProto(config.arrival));
  }
  load.set_connect_rate(config.connect_rate);
  return load;
}

v1::Scenario ScenarioOf(const RunConfig& config) {
  v1::Scenario s;
  *s.mutable_load() = LoadSpecOf(config);
  s.set_connections(config.connections);
  for (const std::string& a : config.agents) s.add_agents(a);
  for (double w : Weights(config)) s.add_agent_weights(w);
  s.set_on_agent_loss(wire::ToProto(config.on_agent_loss));
  s.set_min_agents(config.min_agents);
  s.set_lease_ms(Millis(config.lease));
  s.mutable_agent_source_ips()->insert(config.agent_source_ips.begin(),
                                       config.agent_source_ips.end());
  return s;
}

v1::RunSpec AgentSpec(const RunConfig& config, const std::string& agent, uint32_t connections) {
  v1::RunSpec spec;
  *spec.mutable_load() = LoadSpecOf(config);
  spec.set_connections(connections);
  spec.set_agent_name(agent);
  if (auto it = config.agent_source_ips.find(agent); it != config.agent_source_ips.end()) {
    spec.set_source_ips(it->second);
  }
  // Every connection sends at the same rate, and opens at the same pace, so an agent's share of
  // both follows its connections.
  const double share = static_cast<double>(connections) / std::max<uint32_t>(config.connections, 1);
  if (config.rate > 0) spec.set_rate(config.rate * share);
  for (const RunConfig::Stage& s : config.stages) {
    v1::Stage* stage = spec.add_stages();
    stage->set_duration_ms(Millis(s.duration));
    stage->set_rate(s.rate * share);
  }
  spec.set_connect_rate(config.connect_rate * share);
  spec.set_lease_ms(Millis(config.lease));
  return spec;
}

absl::Status ApplyScenarioToConfig(const v1::Scenario& summary, RunConfig* config) {
  const v1::LoadSpec& load = summary.load();
  // Durations beyond the limits are refused here: they would overflow absl::Duration's millis.
  for (const auto& [ms, name] :
       {std::pair{load.duration_ms(), "duration"}, std::pair{load.warmup_ms(), "warm-up"},
        std::pair{load.interval_ms(), "interval"},
        std::pair{load.connect_timeout_ms(), "connect timeout"},
        std::pair{load.drain_ms(), "drain"}, std::pair{summary.lease_ms(), "lease"}}) {
    SALVO_RETURN_IF_ERROR(plan::CheckWireMillis(ms, name));
  }
  const auto millis = [](uint64_t ms) { return absl::Milliseconds(static_cast<int64_t>(ms)); };
  config->target = load.target();
  if (load.workload() != v1::WORKLOAD_UNSPECIFIED) {
    SALVO_ASSIGN_OR_RETURN(config->workload, wire::FromProto(load.workload()));
  }
  if (load.message_size() > 0) config->message_size = load.message_size();
  if (load.pipeline() > 0) config->pipeline = load.pipeline();
  config->verify = load.verify();
  if (load.duration_ms() > 0) config->duration = millis(load.duration_ms());
  config->warmup = millis(load.warmup_ms());
  if (load.interval_ms() > 0) config->interval = millis(load.interval_ms());
  config->threads = load.threads();
  if (load.connect_timeout_ms() > 0) config->connect_timeout = millis(load.connect_timeout_ms());
  if (load.engine() != v1::ENGINE_UNSPECIFIED) {
    SALVO_ASSIGN_OR_RETURN(config->engine, wire::FromProto(load.engine()));
  }
  if (load.send_mode() != v1::SEND_MODE_UNSPECIFIED) {
    SALVO_ASSIGN_OR_RETURN(config->send_mode, wire::FromProto(load.send_mode()));
  }
  config->sndbuf = load.sndbuf();
  config->rcvbuf = load.rcvbuf();
  config->drain = millis(load.drain_ms());
  if (load.tcp_info_sample() > 0) config->tcp_info_sample = load.tcp_info_sample();
  config->coalesce = !load.one_message_per_send();
  config->request = load.request();
  config->response_bytes = load.response_bytes();
  config->response_until = load.response_until();
  config->rate = load.rate();
  if (load.arrival() != v1::ARRIVAL_UNSPECIFIED) {
    SALVO_ASSIGN_OR_RETURN(config->arrival, wire::FromProto(load.arrival()));
  }
  if (load.close() != v1::CLOSE_MODE_UNSPECIFIED) {
    SALVO_ASSIGN_OR_RETURN(config->close, wire::FromProto(load.close()));
  }
  config->source_ips = load.source_ips();
  config->stages.clear();
  for (const v1::Stage& s : load.stages()) {
    SALVO_RETURN_IF_ERROR(plan::CheckWireMillis(s.duration_ms(), "a stage's duration"));
    config->stages.push_back({millis(s.duration_ms()), s.rate()});
  }
  config->connect_rate = load.connect_rate();
  config->agent_source_ips.clear();
  config->agent_source_ips.insert(summary.agent_source_ips().begin(),
                                  summary.agent_source_ips().end());
  if (summary.connections() > 0) config->connections = summary.connections();
  config->agents.assign(summary.agents().begin(), summary.agents().end());
  config->agent_weights.assign(summary.agent_weights().begin(), summary.agent_weights().end());
  if (summary.on_agent_loss() != v1::LOSS_POLICY_UNSPECIFIED) {
    SALVO_ASSIGN_OR_RETURN(config->on_agent_loss, wire::FromProto(summary.on_agent_loss()));
  }
  config->min_agents = summary.min_agents();
  if (summary.lease_ms() > 0) config->lease = millis(summary.lease_ms());
  return absl::OkStatus();
}

absl::StatusOr<v1::Scenario> ReadScenario(const std::string& path) {
  SALVO_ASSIGN_OR_RETURN(const std::string text, auth::ReadFlagFile(path, "--scenario"));
  v1::Scenario summary;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(text, &summary, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--scenario ", path,
        " is not a run spec: ", absl::StrReplaceAll(std::string(parsed.message()), {{"\n", " "}})));
  }
  return summary;
}

}  // namespace salvo::driver
