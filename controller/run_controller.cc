#include "controller/run_controller.h"

#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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
constexpr absl::Duration kPollStep = absl::Milliseconds(100);
// Room past the run's own length for connecting, draining and delivering the results.
constexpr absl::Duration kGrace = absl::Seconds(10);
constexpr int kMaxReportBytes = 64 << 20;

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
  bool ended = false;
};

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReportBytes);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// Asks every agent who it is, all at once. Returns one reason per agent that cannot take a run.
std::vector<std::string> ProbeAgents(std::vector<std::unique_ptr<Link>>& links) {
  std::vector<std::string> reasons(links.size());
  std::vector<std::thread> probes;
  for (size_t i = 0; i < links.size(); ++i) {
    probes.emplace_back([&, i] {
      Link& link = *links[i];
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + kInfoTimeout));
      v1::InfoResponse info;
      const grpc::Status s = link.stub->Info(&ctx, v1::InfoRequest(), &info);
      if (!s.ok()) {
        reasons[i] = absl::StrCat("agent ", link.name, " is unreachable: ", s.error_message());
      } else if (info.busy()) {
        reasons[i] = absl::StrCat("agent ", link.name, " is busy with another run");
      }
    });
  }
  for (std::thread& t : probes) t.join();
  std::vector<std::string> out;
  for (std::string& r : reasons) {
    if (!r.empty()) out.push_back(std::move(r));
  }
  return out;
}

class RunDriver {
 public:
  RunDriver(const RunConfig& config, const RunHooks& hooks) : config_(config), hooks_(hooks) {
    for (const std::string& name : config.agents) {
      auto link = std::make_unique<Link>();
      link->name = name;
      link->channel = MakeChannel(name);
      link->stub = v1::Agent::NewStub(link->channel);
      links_.push_back(std::move(link));
      outcomes_.emplace_back();
      outcomes_.back().name = name;
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
    std::vector<std::string> reasons = ProbeAgents(links_);
    if (!reasons.empty()) return Finish(std::move(reasons));

    const std::vector<uint64_t> shares =
        plan::SplitEvenly(config_.connections, config_.agents.size());
    for (size_t i = 0; i < links_.size(); ++i) {
      outcomes_[i].connections = static_cast<uint32_t>(shares[i]);
      OpenStream(i, AgentSpec(config_, links_[i]->name, static_cast<uint32_t>(shares[i])));
    }
    hooks_.print(absl::StrCat("connecting ", config_.connections, " connections from ",
                              links_.size(), " agent", links_.size() == 1 ? "" : "s", " to ",
                              config_.target, " ..."));
    if (!AwaitReady(&reasons)) {
      CancelAll();
      return Finish(std::move(reasons));
    }
    v1::RunRequest start;
    start.mutable_start();
    for (auto& link : links_) link->stream->Write(start);
    hooks_.print(absl::StrCat(
        "all ", config_.connections, " connections up; running ",
        workload::KindName(config_.workload), " for ", absl::FormatDuration(config_.duration),
        config_.warmup > absl::ZeroDuration()
            ? absl::StrCat(" after ", absl::FormatDuration(config_.warmup), " of warm-up")
            : ""));
    AwaitResults(&reasons);
    return Finish(std::move(reasons));
  }

 private:
  void OpenStream(size_t i, const v1::RunSpec& spec) {
    Link& link = *links_[i];
    link.stream = link.stub->Run(&link.context);
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

  void CancelAll() {
    for (auto& link : links_) link->context.TryCancel();
  }

  // Records a stream's end; returns the agent's error if it ended before its result.
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

  void AwaitResults(std::vector<std::string>* reasons) {
    const absl::Time deadline =
        absl::Now() + config_.warmup + config_.duration + config_.connect_timeout + kGrace;
    size_t ended = 0;
    int interrupts_seen = 0;
    bool cancelled = false;
    while (ended < links_.size()) {
      const int interrupts = Interrupts();
      if (interrupts > interrupts_seen) {
        interrupts_seen = interrupts;
        if (interrupts == 1) {
          hooks_.print("stopping: asking the agents for their results (Ctrl-C again to abandon)");
          v1::RunRequest stop;
          stop.mutable_stop();
          for (auto& link : links_) {
            if (!link->ended && !link->writes_done) link->stream->Write(stop);
          }
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
      std::optional<Event> e = queue_.Pop(kPollStep);
      if (!e.has_value()) continue;
      AgentOutcome& o = outcomes_[e->agent];
      Link& link = *links_[e->agent];
      if (!e->response.has_value()) {
        OnEnded(*e);
        ++ended;
        continue;
      }
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
        } else if (!links_[i]->ended) {
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
};

}  // namespace

v1::RunReport ExecuteRun(const RunConfig& config, const RunHooks& hooks) {
  RunDriver driver(config, hooks);
  return driver.Execute();
}

}  // namespace salvo::controller
