#include "driver/run_driver.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "driver/report.h"
#include "host/environment.h"
#include "plan/policy.h"
#include "plan/split.h"

namespace salvo::driver {
namespace {

constexpr absl::Duration kPollStep = absl::Milliseconds(50);
// How long agents get to end their streams after a run that never started.
constexpr absl::Duration kEndWait = absl::Seconds(3);
// Room past the run's own length for connecting, draining and delivering the results.
constexpr absl::Duration kGrace = absl::Seconds(10);
// An agent silent this long is lost. Agents send a heartbeat every second when they have nothing
// else to send, so this does not depend on the report interval, and a busy host that delays a
// few heartbeats keeps its agents. (A broken stream is still noticed at once.)
constexpr absl::Duration kSilenceLimit = absl::Seconds(5);

// What the links' readers hand the driver, bounded: a reader that gets ahead of the driver (a
// slow disk under --json, a CPU-starved controller) waits, which holds its gRPC stream back by
// flow control, instead of the queue growing without limit. Closed when the driver is done with
// the links, after which a push is dropped rather than wait for a driver that no longer pops.
class EventQueue {
 public:
  explicit EventQueue(size_t capacity) : capacity_(capacity) {}
  void Push(LinkEvent e) {
    absl::MutexLock lock(&mu_);
    const auto room = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return closed_ || events_.size() < capacity_;
    };
    mu_.Await(absl::Condition(&room));
    if (closed_) return;
    events_.push_back(std::move(e));
  }
  std::optional<LinkEvent> Pop(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    const auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !events_.empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) return std::nullopt;
    LinkEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    events_.clear();
  }

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<LinkEvent> events_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// What the driver knows of one agent's stream.
struct Link {
  std::string name;
  AgentLinkPtr io;
  bool writes_done = false;
  bool ended = false;  // the stream's end event has been seen
  bool lost = false;
  // When the agent's latest message arrived (Unix ns): stamped by the link's reader as it
  // arrives, not when the driver gets to it, so a backlog in the driver never looks like a silent
  // agent. Only moves forward.
  std::atomic<int64_t> heard_ns{0};
  void Heard(absl::Time at) {
    const int64_t ns = absl::ToUnixNanos(at);
    int64_t seen = heard_ns.load();
    while (seen < ns && !heard_ns.compare_exchange_weak(seen, ns)) {
    }
  }
  absl::Time last_heard() const { return absl::FromUnixNanos(heard_ns.load()); }
};

class RunDriver {
 public:
  absl::Time Now() const { return hooks_.now(); }

  RunDriver(const RunConfig& config, const RunHooks& hooks, const AgentAccess& access)
      : config_(config), hooks_(hooks), access_(access) {
    const std::vector<double> weights = Weights(config);
    for (size_t i = 0; i < config.agents.size(); ++i) {
      auto link = std::make_unique<Link>();
      link->name = config.agents[i];
      links_.push_back(std::move(link));
      outcomes_.emplace_back();
      outcomes_.back().name = config.agents[i];
      outcomes_.back().weight = weights[i];
    }
  }

  ~RunDriver() {
    queue_.Close();
    for (auto& link : links_) {
      if (link->io != nullptr) {
        link->io->Cancel();
        link->io->Join();
      }
    }
  }

  v1::RunReport Execute() {
    const v1::Scenario spec = ScenarioOf(config_);
    for (ReportSink* sink : hooks_.sinks) {
      sink->OnStart(spec, static_cast<uint32_t>(config_.agents.size()));
    }
    std::vector<std::string> reasons;
    const std::vector<AgentProbe> probes = access_.probe(config_.agents);
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
      EndAll();
      return Finish(std::move(reasons));
    }
    StartAll();
    AwaitResults(&reasons);
    return Finish(std::move(reasons));
  }

 private:
  void OpenStream(size_t i, const v1::RunSpec& spec) {
    Link& link = *links_[i];
    link.io = access_.link(i, link.name);
    link.Heard(Now());
    link.io->Open(spec, [this, &link](LinkEvent e) {
      if (e.response.has_value()) link.Heard(Now());
      queue_.Push(std::move(e));
    });
  }

  int Interrupts() const { return hooks_.interrupts == nullptr ? 0 : hooks_.interrupts->load(); }

  bool Active(const Link& link) const { return !link.ended && !link.lost && !link.writes_done; }

  void CancelAll() {
    for (auto& link : links_) {
      if (link->io != nullptr) link->io->Cancel();
    }
  }

  // Ends every stream in order (Stop, then half-close) and waits, boundedly, for the agents to
  // end theirs: an agent is then free for the next run when this call returns, so a script's
  // next run does not find it busy. One that does not answer in time is cancelled.
  void EndAll() {
    v1::RunRequest stop;
    stop.mutable_stop();
    for (auto& link : links_) {
      if (link->io == nullptr || link->ended) continue;
      if (Active(*link)) link->io->Send(stop);
      if (!link->writes_done) {
        link->io->CloseSend();
        link->writes_done = true;
      }
    }
    const absl::Time deadline = Now() + kEndWait;
    const auto open = [this] {
      return std::any_of(links_.begin(), links_.end(),
                         [](const auto& l) { return l->io != nullptr && !l->ended; });
    };
    while (open() && Now() < deadline) {
      std::optional<LinkEvent> e = queue_.Pop(kPollStep);
      // Ending is what they were asked to do: "stopped before it started" is no news.
      if (e.has_value() && !e->response.has_value()) links_[e->agent]->ended = true;
    }
    CancelAll();
  }

  void SendToActive(const v1::RunRequest& request) {
    for (auto& link : links_) {
      if (Active(*link)) link->io->Send(request);
    }
  }

  // Keeps every agent's lease alive; called from the wait loops.
  void MaybeHeartbeat() {
    if (Now() < next_heartbeat_) return;
    next_heartbeat_ = Now() + config_.lease / 4;
    v1::RunRequest beat;
    beat.mutable_heartbeat();
    SendToActive(beat);
  }

  // Records a stream's end; an end before the result is the agent's failure.
  void OnEnded(const LinkEvent& e) {
    Link& link = *links_[e.agent];
    link.ended = true;
    AgentOutcome& o = outcomes_[e.agent];
    if (!o.result.has_value() && o.error.empty()) {
      o.error = e.status.ok() ? "the agent ended the run without a result"
                              : std::string(e.status.message());
      if (absl::IsUnavailable(e.status)) {
        o.error = absl::StrCat("connection to the agent lost (", e.status.message(), ")");
      }
    }
  }

  bool AwaitReady(std::vector<std::string>* reasons) {
    const absl::Time deadline = Now() + ConnectRamp(config_) + config_.connect_timeout + kGrace;
    size_t ready = 0;
    bool failed = false;
    while (ready < links_.size() && !failed) {
      MaybeHeartbeat();
      if (Interrupts() > 0) {
        reasons->push_back("interrupted while connecting");
        return false;
      }
      if (Now() > deadline) {
        reasons->push_back("agents did not report their connections in time");
        return false;
      }
      std::optional<LinkEvent> e = queue_.Pop(kPollStep);
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
    start_ = Now() + lead;
    started_ = true;
    for (size_t i = 0; i < links_.size(); ++i) {
      v1::RunRequest start;
      start.mutable_start()->set_start_at_unix_ns(
          absl::ToUnixNanos(start_) + static_cast<int64_t>(outcomes_[i].clock_offset_ms * 1e6));
      links_[i]->io->Send(start);
      links_[i]->Heard(start_ + config_.warmup);
    }
    hooks_.print(absl::StrCat(
        "all ", config_.connections, " connections up; running ",
        workload::kKinds.Name(config_.workload), " for ", absl::FormatDuration(config_.duration),
        config_.warmup > absl::ZeroDuration()
            ? absl::StrCat(" after ", absl::FormatDuration(config_.warmup), " of warm-up")
            : ""));
  }

  // An agent is lost: its stream failed before its result, it fell silent, or it was stopped on
  // its own host and sent what it had (`stopped`: its stream ends by itself). What it reported
  // is kept; the loss policy decides whether the others go on.
  void LoseAgent(size_t i, const std::string& why, std::vector<std::string>* reasons,
                 bool stopped = false) {
    Link& link = *links_[i];
    if (link.lost || outcomes_[i].result.has_value()) return;
    link.lost = true;
    if (!stopped) link.io->Cancel();
    AgentOutcome& o = outcomes_[i];
    o.lost = true;
    o.lost_at_interval = static_cast<uint32_t>(o.intervals.size());
    if (o.error.empty()) o.error = why;
    hooks_.print(
        absl::StrCat("agent ", link.name, " lost at interval ", o.lost_at_interval, ": ", o.error));
    uint32_t remaining = 0;
    for (const auto& l : links_) remaining += !l->lost;
    const plan::LossDecision decision =
        plan::DecideOnLoss(config_.on_agent_loss, config_.min_agents, remaining, link.name,
                           o.lost_at_interval, o.error);
    if (decision.stop && !stopping_) {
      reasons->push_back(decision.reason);
      hooks_.print(absl::StrCat("stopping: ", decision.reason));
      stopping_ = true;
      v1::RunRequest stop;
      stop.mutable_stop();
      SendToActive(stop);
    }
    MergeReadyIntervals();
  }

  void AwaitResults(std::vector<std::string>* reasons) {
    const absl::Time deadline =
        start_ + config_.warmup + config_.duration + config_.connect_timeout + kGrace;
    const absl::Duration silence = kSilenceLimit;
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
      if (!cancelled && Now() > deadline) {
        reasons->push_back("agents did not deliver their results in time");
        CancelAll();
        cancelled = true;
      }
      // Silent agents are lost. Before the run's end they should report every interval; after
      // it, their result is due within the grace period, which the deadline above covers.
      const absl::Time run_end = start_ + config_.warmup + config_.duration;
      for (size_t i = 0; i < links_.size(); ++i) {
        const Link& l = *links_[i];
        if (Active(l) && !outcomes_[i].result.has_value() && Now() < run_end + silence &&
            Now() - l.last_heard() > silence) {
          LoseAgent(i,
                    absl::StrCat("silent for ", absl::FormatDuration(silence), " (",
                                 absl::FormatDuration(Now() - l.last_heard()), ")"),
                    reasons);
        }
      }
      std::optional<LinkEvent> e = queue_.Pop(kPollStep);
      if (!e.has_value()) continue;
      AgentOutcome& o = outcomes_[e->agent];
      Link& link = *links_[e->agent];
      if (!e->response.has_value()) {
        OnEnded(*e);
        ++ended;
        if (!o.result.has_value() && !cancelled) LoseAgent(e->agent, o.error, reasons);
        continue;
      }
      if (e->response->has_interval()) {
        o.intervals.push_back(std::move(*e->response->mutable_interval()->mutable_interval()));
        MergeReadyIntervals();
      } else if (e->response->has_result()) {
        if (e->response->result().stopped_by_agent()) {
          LoseAgent(e->agent, e->response->result().error(), reasons, /*stopped=*/true);
        }
        o.result = std::move(*e->response->mutable_result());
        if (!link.writes_done) {
          link.io->CloseSend();
          link.writes_done = true;
        }
      }
    }
  }

  // Merges an interval once every agent still running has reported it, prints it when live, and
  // keeps only the agents' summaries of it: the controller's memory stays proportional to
  // counters and percentiles, not to histograms, however long the run.
  void MergeReadyIntervals() {
    while (true) {
      const uint32_t next = static_cast<uint32_t>(merged_.size());
      std::vector<const v1::Interval*> parts;
      std::vector<size_t> owners;
      size_t waiting = 0;
      for (size_t i = 0; i < outcomes_.size(); ++i) {
        const auto& series = outcomes_[i].intervals;
        if (next < series.size()) {
          parts.push_back(&series[next]);
          owners.push_back(i);
        } else if (!links_[i]->ended && !links_[i]->lost && !outcomes_[i].result.has_value()) {
          ++waiting;
        }
      }
      if (waiting > 0 || parts.empty()) return;
      merged_.push_back(MergeInterval(next, parts, absl::ToDoubleSeconds(config_.interval)));
      if (!hooks_.sinks.empty()) {
        IntervalParts named;
        for (size_t k = 0; k < parts.size(); ++k) {
          named.emplace_back(outcomes_[owners[k]].name, parts[k]);
        }
        for (ReportSink* sink : hooks_.sinks) sink->OnInterval(merged_.back(), named);
      }
      for (size_t i : owners) SummarizeInterval(&outcomes_[i], next);
    }
  }

  v1::RunReport Finish(std::vector<std::string> reasons) {
    queue_.Close();
    for (auto& link : links_) {
      if (link->io != nullptr) link->io->Join();
    }
    for (AgentOutcome& o : outcomes_) {
      if (o.result.has_value()) {
        for (v1::Interval& i : o.intervals) *o.result->add_intervals() = std::move(i);
        o.intervals.clear();
      }
    }
    v1::RunReport report =
        BuildReport(ScenarioOf(config_), std::move(outcomes_), std::move(reasons), merged_);
    StampTimes(started_ ? start_ : asked_at_, config_.warmup, &report);
    *report.mutable_environment() = host::ReadEnvironment();
    ApplyThresholds(config_.thresholds, &report);
    return report;
  }

  const RunConfig& config_;
  const RunHooks& hooks_;
  const AgentAccess& access_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<AgentOutcome> outcomes_;
  // Room for a few hundred intervals per agent before a reader waits.
  EventQueue queue_{std::max<size_t>(1024, 256 * config_.agents.size())};
  // The intervals merged so far, in order.
  std::vector<v1::IntervalPoint> merged_;
  // When the run was asked for, and the common start instant once the agents were told it.
  const absl::Time asked_at_ = Now();
  absl::Time start_;
  bool started_ = false;
  absl::Time next_heartbeat_;
  bool stopping_ = false;
};

}  // namespace

v1::RunReport DriveRun(const RunConfig& config, const RunHooks& hooks, const AgentAccess& access) {
  RunDriver driver(config, hooks, access);
  return driver.Execute();
}

}  // namespace salvo::driver
