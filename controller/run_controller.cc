#include "controller/run_controller.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "controller/render.h"
#include "controller/report.h"
#include "grpcpp/grpcpp.h"
#include "plan/split.h"
#include "salvo/v1/agent.grpc.pb.h"

namespace salvo::controller {
namespace {

constexpr absl::Duration kInfoTimeout = absl::Seconds(3);
constexpr absl::Duration kPollStep = absl::Milliseconds(50);
// Room past the run's own length for connecting, draining and delivering the results.
constexpr absl::Duration kGrace = absl::Seconds(10);
constexpr int kClockSamples = 8;
// An agent that has not reported for this many intervals is lost.
constexpr int kSilentIntervals = 3;

struct Event {
  size_t agent = 0;
  std::optional<v1::RunResponse> response;  // empty: the stream ended with `status`
  grpc::Status status;
};

class EventQueue {
 public:
  void Push(Event e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(e));
  }
  std::optional<Event> Pop(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    const auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !events_.empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

 private:
  absl::Mutex mu_;
  std::deque<Event> events_ ABSL_GUARDED_BY(mu_);
};

struct Link {
  std::string name;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Agent::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::RunRequest, v1::RunResponse>> stream;
  std::thread reader;
  bool writes_done = false;
  bool ended = false;  // the stream's end event has been seen
  bool lost = false;
  absl::Time last_heard;
};

// NTP-style: several Clock round trips, keeping the one with the smallest round trip, whose
// midpoint is the best estimate of when the agent read its clock.
absl::Status MeasureClock(v1::Agent::Stub& stub, const ControlSecurity& security, AgentProbe* p) {
  int64_t best_rtt = -1;
  for (int i = 0; i < kClockSamples; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + kInfoTimeout));
    Authorize(&ctx, security);
    v1::ClockResponse clock;
    const int64_t t0 = absl::GetCurrentTimeNanos();
    const grpc::Status s = stub.Clock(&ctx, v1::ClockRequest(), &clock);
    const int64_t t3 = absl::GetCurrentTimeNanos();
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    const int64_t rtt = t3 - t0;
    if (best_rtt < 0 || rtt < best_rtt) {
      best_rtt = rtt;
      p->clock_offset_ms = static_cast<double>(clock.agent_unix_ns() - (t0 + t3) / 2) / 1e6;
      p->clock_rtt_ms = static_cast<double>(rtt) / 1e6;
      p->clock_error_ms = p->clock_rtt_ms / 2;
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<AgentProbe> ProbeAgents(const std::vector<std::string>& agents,
                                    const ControlSecurity& security) {
  std::vector<AgentProbe> probes(agents.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < agents.size(); ++i) {
    threads.emplace_back([&, i] {
      AgentProbe& p = probes[i];
      p.agent = agents[i];
      auto stub = v1::Agent::NewStub(MakeAgentChannel(agents[i], security));
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + kInfoTimeout));
      Authorize(&ctx, security);
      const grpc::Status s = stub->Info(&ctx, v1::InfoRequest(), &p.info);
      if (!s.ok()) {
        p.error = s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                          s.error_code() == grpc::StatusCode::PERMISSION_DENIED
                      ? absl::StrCat("agent ", agents[i], " refused us: ", s.error_message())
                      : absl::StrCat("agent ", agents[i], " is unreachable: ", s.error_message());
        return;
      }
      p.reachable = true;
      if (absl::Status c = MeasureClock(*stub, security, &p); !c.ok()) {
        p.error =
            absl::StrCat("agent ", agents[i], " did not answer its clock probe: ", c.message());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return probes;
}

namespace {

class RunDriver {
 public:
  RunDriver(const RunConfig& config, const RunHooks& hooks) : config_(config), hooks_(hooks) {
    const std::vector<double> weights = Weights(config);
    for (size_t i = 0; i < config.agents.size(); ++i) {
      auto link = std::make_unique<Link>();
      link->name = config.agents[i];
      link->channel = MakeAgentChannel(link->name, config.security);
      link->stub = v1::Agent::NewStub(link->channel);
      Authorize(&link->context, config.security);
      links_.push_back(std::move(link));
      outcomes_.emplace_back();
      outcomes_.back().name = config.agents[i];
      outcomes_.back().weight = weights[i];
    }
  }

  ~RunDriver() {
    for (auto& link : links_) {
      if (link->reader.joinable()) {
        link->context.TryCancel();
        link->reader.join();
      }
    }
  }

  v1::RunReport Execute() {
    std::vector<std::string> reasons;
    const std::vector<AgentProbe> probes = ProbeAgents(config_.agents, config_.security);
    for (size_t i = 0; i < probes.size(); ++i) {
      if (!probes[i].error.empty()) {
        reasons.push_back(probes[i].error);
      } else if (probes[i].info.busy()) {
        reasons.push_back(absl::StrCat("agent ", probes[i].agent, " is busy with another run"));
      }
      outcomes_[i].clock_offset_ms = probes[i].clock_offset_ms;
      outcomes_[i].clock_error_ms = probes[i].clock_error_ms;
      outcomes_[i].clock_rtt_ms = probes[i].clock_rtt_ms;
    }
    if (!reasons.empty()) return Finish(std::move(reasons));

    const std::vector<uint64_t> shares = plan::SplitByWeight(config_.connections, Weights(config_));
    for (size_t i = 0; i < links_.size(); ++i) {
      outcomes_[i].connections = static_cast<uint32_t>(shares[i]);
      v1::RunSpec spec = AgentSpec(config_, links_[i]->name, static_cast<uint32_t>(shares[i]));
      spec.set_weight(outcomes_[i].weight);
      OpenStream(i, spec);
    }
    hooks_.print(absl::StrCat("connecting ", config_.connections, " connections from ",
                              links_.size(), " agent", links_.size() == 1 ? "" : "s", " to ",
                              config_.target, " ..."));
    if (!AwaitReady(&reasons)) {
      CancelAll();
      return Finish(std::move(reasons));
    }
    StartAll();
    AwaitResults(&reasons);
    return Finish(std::move(reasons));
  }

 private:
  void OpenStream(size_t i, const v1::RunSpec& spec) {
    Link& link = *links_[i];
    link.stream = link.stub->Run(&link.context);
    link.last_heard = absl::Now();
    v1::RunRequest request;
    *request.mutable_spec() = spec;
    link.stream->Write(request);
    link.reader = std::thread([this, i] {
      Link& l = *links_[i];
      v1::RunResponse response;
      while (l.stream->Read(&response)) queue_.Push(Event{i, response, grpc::Status::OK});
      queue_.Push(Event{i, std::nullopt, l.stream->Finish()});
    });
  }

  int Interrupts() const { return hooks_.interrupts == nullptr ? 0 : hooks_.interrupts->load(); }

  bool Active(const Link& link) const { return !link.ended && !link.lost && !link.writes_done; }

  void CancelAll() {
    for (auto& link : links_) link->context.TryCancel();
  }

  void SendToActive(const v1::RunRequest& request) {
    for (auto& link : links_) {
      if (Active(*link)) link->stream->Write(request);
    }
  }

  // Keeps every agent's lease alive; called from the wait loops.
  void MaybeHeartbeat() {
    if (absl::Now() < next_heartbeat_) return;
    next_heartbeat_ = absl::Now() + config_.lease / 4;
    v1::RunRequest beat;
    beat.mutable_heartbeat();
    SendToActive(beat);
  }

  // Records a stream's end; an end before the result is the agent's failure.
  void OnEnded(const Event& e) {
    Link& link = *links_[e.agent];
    link.ended = true;
    AgentOutcome& o = outcomes_[e.agent];
    if (!o.result.has_value() && o.error.empty()) {
      o.error =
          e.status.ok() ? "the agent ended the run without a result" : e.status.error_message();
      if (e.status.error_code() == grpc::StatusCode::UNAVAILABLE) {
        o.error = absl::StrCat("connection to the agent lost (", e.status.error_message(), ")");
      }
    }
  }

  bool AwaitReady(std::vector<std::string>* reasons) {
    const absl::Time deadline = absl::Now() + config_.connect_timeout + kGrace;
    size_t ready = 0;
    bool failed = false;
    while (ready < links_.size() && !failed) {
      MaybeHeartbeat();
      if (Interrupts() > 0) {
        reasons->push_back("interrupted while connecting");
        return false;
      }
      if (absl::Now() > deadline) {
        reasons->push_back("agents did not report their connections in time");
        return false;
      }
      std::optional<Event> e = queue_.Pop(kPollStep);
      if (!e.has_value()) continue;
      if (!e->response.has_value()) {
        OnEnded(*e);
        failed = true;
        continue;
      }
      if (e->response->has_ready()) {
        outcomes_[e->agent].ready = e->response->ready();
        if (!e->response->ready().engine_note().empty()) {
          hooks_.print(absl::StrCat("agent ", links_[e->agent]->name, ": ",
                                    e->response->ready().engine_note()));
        }
        ++ready;
      }
    }
    if (failed) return false;
    uint64_t up = 0, down = 0;
    std::string first_error;
    for (const AgentOutcome& o : outcomes_) {
      up += o.ready->connections_established();
      down += o.ready->connections_failed();
      if (first_error.empty()) first_error = o.ready->first_error();
    }
    if (down > 0) {
      reasons->push_back(absl::StrCat(down, " of ", up + down, " connections to ", config_.target,
                                      " failed: ", first_error));
      return false;
    }
    return true;
  }

  // Every agent starts at one instant, told in its own clock: now plus a lead long enough for the
  // Start message to reach the farthest agent.
  void StartAll() {
    double max_rtt_ms = 0;
    for (const AgentOutcome& o : outcomes_) max_rtt_ms = std::max(max_rtt_ms, o.clock_rtt_ms);
    const absl::Duration lead =
        std::max(absl::Milliseconds(100), absl::Milliseconds(4 * max_rtt_ms));
    start_ = absl::Now() + lead;
    for (size_t i = 0; i < links_.size(); ++i) {
      v1::RunRequest start;
      start.mutable_start()->set_start_at_unix_ns(
          absl::ToUnixNanos(start_) + static_cast<int64_t>(outcomes_[i].clock_offset_ms * 1e6));
      links_[i]->stream->Write(start);
      links_[i]->last_heard = start_ + config_.warmup;
    }
    hooks_.print(absl::StrCat(
        "all ", config_.connections, " connections up; running ",
        workload::KindName(config_.workload), " for ", absl::FormatDuration(config_.duration),
        config_.warmup > absl::ZeroDuration()
            ? absl::StrCat(" after ", absl::FormatDuration(config_.warmup), " of warm-up")
            : ""));
  }

  // An agent is lost: its stream failed before its result, or it fell silent. What it reported is
  // kept; the loss policy decides whether the others go on.
  void LoseAgent(size_t i, const std::string& why, std::vector<std::string>* reasons) {
    Link& link = *links_[i];
    if (link.lost || outcomes_[i].result.has_value()) return;
    link.lost = true;
    link.context.TryCancel();
    AgentOutcome& o = outcomes_[i];
    o.lost = true;
    o.lost_at_interval = static_cast<uint32_t>(o.intervals.size());
    if (o.error.empty()) o.error = why;
    hooks_.print(
        absl::StrCat("agent ", link.name, " lost at interval ", o.lost_at_interval, ": ", o.error));
    size_t remaining = 0;
    for (const auto& l : links_) remaining += !l->lost;
    std::string stop_reason;
    if (config_.on_agent_loss == "abort") {
      stop_reason = absl::StrCat("agent ", link.name, " was lost at interval ", o.lost_at_interval,
                                 " (", o.error, "); --on-agent-loss abort stopped the run");
    } else if (remaining < config_.min_agents) {
      stop_reason = absl::StrCat("only ", remaining, " agent", remaining == 1 ? "" : "s",
                                 " remain, fewer than --min-agents ", config_.min_agents);
    }
    if (!stop_reason.empty() && !stopping_) {
      reasons->push_back(stop_reason);
      hooks_.print(absl::StrCat("stopping: ", stop_reason));
      stopping_ = true;
      v1::RunRequest stop;
      stop.mutable_stop();
      SendToActive(stop);
    }
    PrintLive();
  }

  void AwaitResults(std::vector<std::string>* reasons) {
    const absl::Time deadline =
        start_ + config_.warmup + config_.duration + config_.connect_timeout + kGrace;
    const absl::Duration silence = kSilentIntervals * config_.interval;
    size_t ended = 0;
    int interrupts_seen = 0;
    bool cancelled = false;
    while (ended < links_.size()) {
      MaybeHeartbeat();
      const int interrupts = Interrupts();
      if (interrupts > interrupts_seen) {
        interrupts_seen = interrupts;
        if (interrupts == 1 && !stopping_) {
          hooks_.print("stopping: asking the agents for their results (Ctrl-C again to abandon)");
          stopping_ = true;
          v1::RunRequest stop;
          stop.mutable_stop();
          SendToActive(stop);
          reasons->push_back("interrupted: the run was stopped before its duration");
        } else if (!cancelled) {
          CancelAll();
          cancelled = true;
        }
      }
      if (!cancelled && absl::Now() > deadline) {
        reasons->push_back("agents did not deliver their results in time");
        CancelAll();
        cancelled = true;
      }
      // Silent agents are lost. Before the run's end they should report every interval; after
      // it, their result is due within the grace period, which the deadline above covers.
      const absl::Time run_end = start_ + config_.warmup + config_.duration;
      for (size_t i = 0; i < links_.size(); ++i) {
        const Link& l = *links_[i];
        if (Active(l) && !outcomes_[i].result.has_value() && absl::Now() < run_end + silence &&
            absl::Now() - l.last_heard > silence) {
          LoseAgent(i,
                    absl::StrCat("silent for ", kSilentIntervals, " intervals (",
                                 absl::FormatDuration(absl::Now() - l.last_heard), ")"),
                    reasons);
        }
      }
      std::optional<Event> e = queue_.Pop(kPollStep);
      if (!e.has_value()) continue;
      AgentOutcome& o = outcomes_[e->agent];
      Link& link = *links_[e->agent];
      if (!e->response.has_value()) {
        OnEnded(*e);
        ++ended;
        if (!o.result.has_value() && !cancelled) LoseAgent(e->agent, o.error, reasons);
        continue;
      }
      link.last_heard = absl::Now();
      if (e->response->has_interval()) {
        o.intervals.push_back(e->response->interval().interval());
        PrintLive();
      } else if (e->response->has_result()) {
        o.result = e->response->result();
        if (!link.writes_done) {
          link.stream->WritesDone();
          link.writes_done = true;
        }
      }
    }
  }

  // Prints an interval once every agent still running has reported it.
  void PrintLive() {
    if (!config_.live) return;
    while (true) {
      const uint32_t next = printed_;
      std::vector<const v1::Interval*> parts;
      size_t waiting = 0;
      for (size_t i = 0; i < outcomes_.size(); ++i) {
        const auto& series = outcomes_[i].intervals;
        if (next < series.size()) {
          parts.push_back(&series[next]);
        } else if (!links_[i]->ended && !links_[i]->lost && !outcomes_[i].result.has_value()) {
          ++waiting;
        }
      }
      if (waiting > 0 || parts.empty()) return;
      hooks_.print(LiveLine(MergeInterval(next, parts, absl::ToDoubleSeconds(config_.interval)),
                            static_cast<uint32_t>(links_.size())));
      ++printed_;
    }
  }

  v1::RunReport Finish(std::vector<std::string> reasons) {
    for (auto& link : links_) {
      if (link->reader.joinable()) link->reader.join();
    }
    for (AgentOutcome& o : outcomes_) {
      if (o.result.has_value()) {
        for (const v1::Interval& i : o.intervals) *o.result->add_intervals() = i;
      }
    }
    return BuildReport(SpecSummary(config_), outcomes_, std::move(reasons));
  }

  const RunConfig& config_;
  const RunHooks& hooks_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<AgentOutcome> outcomes_;
  EventQueue queue_;
  uint32_t printed_ = 0;
  absl::Time start_;
  absl::Time next_heartbeat_;
  bool stopping_ = false;
};

}  // namespace

v1::RunReport ExecuteRun(const RunConfig& config, const RunHooks& hooks) {
  RunDriver driver(config, hooks);
  return driver.Execute();
}

}  // namespace salvo::controller
