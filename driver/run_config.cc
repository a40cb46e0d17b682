#include "driver/run_config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "auth/credentials.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
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
#include "workload/schedule.h"

// <windows.h>, which the socket headers bring in on Windows, defines GetMessage as GetMessageA,
// renaming protobuf's Reflection::GetMessage below.
#ifdef GetMessage
#undef GetMessage
#endif

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
  // Options that only mean something beside another are refused alone, not ignored.
  if (config.arrival == workload::Arrival::kPoisson && config.rate == 0 && config.stages.empty()) {
    return absl::InvalidArgumentError(
        "--arrival poisson spaces an open loop's sends: give --rate or --stages with it");
  }
  if (config.metrics_linger > absl::ZeroDuration() && config.metrics_listen.empty()) {
    return absl::InvalidArgumentError(
        "--metrics-linger keeps serving /metrics after the run: give --metrics-listen with it");
  }
  // Two outputs written to one file would keep only the last.
  const std::pair<const char*, const std::string*> outputs[] = {
      {"--json", &config.json_path},
      {"--csv", &config.csv_path},
      {"--html", &config.html_path},
      {"--latency-hgrm", &config.latency_hgrm_path}};
  for (size_t i = 0; i < std::size(outputs); ++i) {
    for (size_t j = i + 1; j < std::size(outputs); ++j) {
      const std::string& a = *outputs[i].second;
      if (!a.empty() && a != "-" && a == *outputs[j].second) {
        return absl::InvalidArgumentError(absl::StrCat(outputs[i].first, " and ", outputs[j].first,
                                                       " both write ", a,
                                                       ": give each its own file"));
      }
    }
  }
  // What the agents check too, in the same words: the spec these flags make.
  const v1::LoadSpec spec = LoadSpecOf(config);
  SALVO_RETURN_IF_ERROR(wire::CheckLoadSpec(spec));
  // An open loop whose schedule puts no message in the measured window would measure nothing,
  // and every connection would look stalled.
  if (config.rate > 0 || !config.stages.empty()) {
    std::shared_ptr<const workload::RateProfile> profile;
    if (config.stages.empty()) {
      profile = workload::RateProfile::Constant(config.rate);
    } else {
      std::vector<workload::RateProfile::Stage> stages;
      for (const RunConfig::Stage& s : config.stages) {
        stages.push_back({static_cast<uint64_t>(absl::ToInt64Nanoseconds(s.duration)), s.rate});
      }
      profile = workload::RateProfile::Stages(stages);
    }
    const double from_ns = absl::ToDoubleNanoseconds(config.warmup);
    const double due = profile->Cumulative(from_ns + absl::ToDoubleNanoseconds(config.duration)) -
                       profile->Cumulative(from_ns);
    if (!(due >= 1)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s schedules %.3g messages in the %s measured: nothing would be measured; raise the "
          "rate or --duration",
          config.stages.empty() ? absl::StrFormat("--rate %g msg/s", config.rate)
                                : std::string("--stages"),
          due, absl::FormatDuration(config.duration)));
    }
  }
  for (const Threshold& t : config.thresholds) {
    SALVO_RETURN_IF_ERROR(CheckThresholdMeasured(t, spec));
  }
  return absl::OkStatus();
}

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// What a zero read from a scenario means. Proto3 cannot tell a zero from a field left out, so
// for some fields zero is the value (a warm-up of 0 is no warm-up) and for others it means "not
// given", keeping RunConfig's default (a duration of 0 is no run).
enum class Zero { kIsValue, kKeepsDefault };

template <typename T>
inline constexpr bool kAlwaysFalse = false;

const FieldDescriptor* FieldNamed(const Message& m, const char* name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr) {
    // A misspelt name in MapLoad/MapScenario; the round-trip test of every field catches it.
    std::fprintf(stderr, "salvo: %s has no field %s\n", m.GetDescriptor()->full_name().c_str(),
                 name);
    std::abort();
  }
  return f;
}

// The proto enum a core enum travels as.
template <typename T>
using ProtoEnum = decltype(wire::ToProto(T{}));

template <typename Config, typename Io>
absl::Status MapStage(Config& stage, Io& io);

// Writes RunConfig's values into a LoadSpec or Scenario.
class Writer {
 public:
  explicit Writer(Message* m) : m_(m), r_(m->GetReflection()) {}

  template <typename T>
  absl::Status Field(const char* name, const T& v, Zero = Zero::kIsValue) {
    const FieldDescriptor* f = FieldNamed(*m_, name);
    if constexpr (std::is_same_v<T, std::string>) {
      r_->SetString(m_, f, v);
    } else if constexpr (std::is_same_v<T, bool>) {
      r_->SetBool(m_, f, v);
    } else if constexpr (std::is_same_v<T, double>) {
      r_->SetDouble(m_, f, v);
    } else if constexpr (std::is_same_v<T, absl::Duration>) {
      r_->SetUInt64(m_, f, Millis(v));
    } else if constexpr (std::is_enum_v<T>) {
      r_->SetEnumValue(m_, f, wire::ToProto(v));
    } else if constexpr (std::is_integral_v<T>) {
      // Validate bounds what a narrower wire field receives (the socket buffers).
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
        r_->SetUInt32(m_, f, static_cast<uint32_t>(v));
      } else {
        r_->SetUInt64(m_, f, v);
      }
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      for (const std::string& s : v) r_->AddString(m_, f, s);
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
      for (double d : v) r_->AddDouble(m_, f, d);
    } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
      for (const auto& [key, value] : v) {
        Writer entry(r_->AddMessage(m_, f));
        entry.Field("key", key).IgnoreError();
        entry.Field("value", value).IgnoreError();
      }
    } else if constexpr (std::is_same_v<T, std::vector<RunConfig::Stage>>) {
      for (const RunConfig::Stage& stage : v) {
        Writer entry(r_->AddMessage(m_, f));
        MapStage(stage, entry).IgnoreError();
      }
    } else {
      static_assert(kAlwaysFalse<T>, "no wire form for this RunConfig type");
    }
    return absl::OkStatus();
  }

  absl::Status Inverted(const char* name, bool v) { return Field(name, !v); }

  Writer Sub(const char* name) { return Writer(r_->MutableMessage(m_, FieldNamed(*m_, name))); }

 private:
  Message* m_;
  const Reflection* r_;
};

// Reads a LoadSpec or Scenario back into RunConfig: what the writer wrote comes back the same,
// enum values this salvo does not know and durations past the limits are errors.
class Reader {
 public:
  explicit Reader(const Message& m) : m_(m), r_(m.GetReflection()) {}

  template <typename T>
  absl::Status Field(const char* name, T& v, Zero zero = Zero::kIsValue) {
    const FieldDescriptor* f = FieldNamed(m_, name);
    const bool keep = zero == Zero::kKeepsDefault;
    if constexpr (std::is_same_v<T, std::string>) {
      if (!keep || !r_->GetString(m_, f).empty()) v = r_->GetString(m_, f);
    } else if constexpr (std::is_same_v<T, bool>) {
      v = r_->GetBool(m_, f);
    } else if constexpr (std::is_same_v<T, double>) {
      if (!keep || r_->GetDouble(m_, f) != 0) v = r_->GetDouble(m_, f);
    } else if constexpr (std::is_same_v<T, absl::Duration>) {
      const uint64_t ms = r_->GetUInt64(m_, f);
      // Refused before it could overflow absl::Duration's arithmetic.
      SALVO_RETURN_IF_ERROR(plan::CheckWireMillis(ms, f->json_name()));
      if (!keep || ms != 0) v = absl::Milliseconds(static_cast<int64_t>(ms));
    } else if constexpr (std::is_enum_v<T>) {
      // Unspecified keeps the default whatever `zero` says: it is no value.
      const int e = r_->GetEnumValue(m_, f);
      if (e != 0) {
        SALVO_ASSIGN_OR_RETURN(v, wire::FromProto(static_cast<ProtoEnum<T>>(e)));
      }
    } else if constexpr (std::is_integral_v<T>) {
      const uint64_t x = f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ? r_->GetUInt32(m_, f)
                                                                          : r_->GetUInt64(m_, f);
      if (!keep || x != 0) v = static_cast<T>(x);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      v.clear();
      for (int i = 0; i < r_->FieldSize(m_, f); ++i) v.push_back(r_->GetRepeatedString(m_, f, i));
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
      v.clear();
      for (int i = 0; i < r_->FieldSize(m_, f); ++i) v.push_back(r_->GetRepeatedDouble(m_, f, i));
    } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
      v.clear();
      for (int i = 0; i < r_->FieldSize(m_, f); ++i) {
        Reader entry(r_->GetRepeatedMessage(m_, f, i));
        std::string key, value;
        SALVO_RETURN_IF_ERROR(entry.Field("key", key));
        SALVO_RETURN_IF_ERROR(entry.Field("value", value));
        v[key] = value;
      }
    } else if constexpr (std::is_same_v<T, std::vector<RunConfig::Stage>>) {
      v.clear();
      for (int i = 0; i < r_->FieldSize(m_, f); ++i) {
        Reader entry(r_->GetRepeatedMessage(m_, f, i));
        RunConfig::Stage stage;
        SALVO_RETURN_IF_ERROR(MapStage(stage, entry));
        v.push_back(stage);
      }
    } else {
      static_assert(kAlwaysFalse<T>, "no wire form for this RunConfig type");
    }
    return absl::OkStatus();
  }

  absl::Status Inverted(const char* name, bool& v) {
    bool wire = false;
    SALVO_RETURN_IF_ERROR(Field(name, wire));
    v = !wire;
    return absl::OkStatus();
  }

  Reader Sub(const char* name) { return Reader(r_->GetMessage(m_, FieldNamed(m_, name))); }

 private:
  const Message& m_;
  const Reflection* r_;
};

template <typename Config, typename Io>
absl::Status MapStage(Config& stage, Io& io) {
  SALVO_RETURN_IF_ERROR(io.Field("duration_ms", stage.duration));
  return io.Field("rate", stage.rate);
}

// The one list of what a LoadSpec carries of a RunConfig. LoadSpecOf writes it and
// ApplyScenarioToConfig reads it back, so a field cannot be written in one direction and
// forgotten in the other (run_config_test sets every field of the proto and round-trips it).
template <typename Config, typename Io>
absl::Status MapLoad(Config& c, Io& io) {
  constexpr Zero kKeep = Zero::kKeepsDefault;
  SALVO_RETURN_IF_ERROR(io.Field("target", c.target));
  SALVO_RETURN_IF_ERROR(io.Field("workload", c.workload));
  SALVO_RETURN_IF_ERROR(io.Field("message_size", c.message_size, kKeep));
  SALVO_RETURN_IF_ERROR(io.Field("pipeline", c.pipeline, kKeep));
  SALVO_RETURN_IF_ERROR(io.Field("verify", c.verify));
  SALVO_RETURN_IF_ERROR(io.Field("duration_ms", c.duration, kKeep));
  SALVO_RETURN_IF_ERROR(io.Field("warmup_ms", c.warmup));
  SALVO_RETURN_IF_ERROR(io.Field("interval_ms", c.interval, kKeep));
  SALVO_RETURN_IF_ERROR(io.Field("threads", c.threads));
  SALVO_RETURN_IF_ERROR(io.Field("connect_timeout_ms", c.connect_timeout, kKeep));
  SALVO_RETURN_IF_ERROR(io.Field("engine", c.engine));
  SALVO_RETURN_IF_ERROR(io.Field("send_mode", c.send_mode));
  SALVO_RETURN_IF_ERROR(io.Field("sndbuf", c.sndbuf));
  SALVO_RETURN_IF_ERROR(io.Field("rcvbuf", c.rcvbuf));
  SALVO_RETURN_IF_ERROR(io.Field("drain_ms", c.drain));
  SALVO_RETURN_IF_ERROR(io.Field("tcp_info_sample", c.tcp_info_sample, kKeep));
  SALVO_RETURN_IF_ERROR(io.Inverted("one_message_per_send", c.coalesce));
  SALVO_RETURN_IF_ERROR(io.Field("rate", c.rate));
  SALVO_RETURN_IF_ERROR(io.Field("arrival", c.arrival));
  SALVO_RETURN_IF_ERROR(io.Field("request", c.request));
  SALVO_RETURN_IF_ERROR(io.Field("response_bytes", c.response_bytes));
  SALVO_RETURN_IF_ERROR(io.Field("response_until", c.response_until));
  SALVO_RETURN_IF_ERROR(io.Field("source_ips", c.source_ips));
  SALVO_RETURN_IF_ERROR(io.Field("close", c.close));
  SALVO_RETURN_IF_ERROR(io.Field("stages", c.stages));
  SALVO_RETURN_IF_ERROR(io.Field("connect_rate", c.connect_rate));
  return io.Field("timer_spin_us", c.timer_spin_us);
}

// The same for what a Scenario adds around its LoadSpec: the controller's side of the run.
template <typename Config, typename Io>
absl::Status MapScenario(Config& c, Io& io) {
  Io load = io.Sub("load");
  SALVO_RETURN_IF_ERROR(MapLoad(c, load));
  SALVO_RETURN_IF_ERROR(io.Field("connections", c.connections, Zero::kKeepsDefault));
  SALVO_RETURN_IF_ERROR(io.Field("agents", c.agents));
  SALVO_RETURN_IF_ERROR(io.Field("agent_weights", c.agent_weights));
  SALVO_RETURN_IF_ERROR(io.Field("on_agent_loss", c.on_agent_loss));
  SALVO_RETURN_IF_ERROR(io.Field("min_agents", c.min_agents));
  SALVO_RETURN_IF_ERROR(io.Field("lease_ms", c.lease, Zero::kKeepsDefault));
  return io.Field("agent_source_ips", c.agent_source_ips);
}

}  // namespace

v1::LoadSpec LoadSpecOf(const RunConfig& config) {
  v1::LoadSpec load;
  Writer writer(&load);
  MapLoad(config, writer).IgnoreError();  // Writing cannot fail.
  // What the spec derives rather than copies. rr: a message is a request.
  if (!config.request.empty()) load.set_message_size(config.request.size());
  // Settings that mean nothing for this workload or loop stay unset, as the flags leave them.
  if (config.workload != workload::Kind::kConnectRr) load.clear_close();
  if (config.rate <= 0 && config.stages.empty()) {
    load.clear_arrival();
    load.clear_timer_spin_us();
  }
  return load;
}

v1::Scenario ScenarioOf(const RunConfig& config) {
  v1::Scenario s;
  Writer writer(&s);
  MapScenario(config, writer).IgnoreError();  // Writing cannot fail.
  *s.mutable_load() = LoadSpecOf(config);
  // The weights the split used, written out (all 1 when none were given).
  s.clear_agent_weights();
  for (double w : Weights(config)) s.add_agent_weights(w);
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
  Reader reader(summary);
  return MapScenario(*config, reader);
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
