#include "worker/load_run.h"

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "metrics/clock.h"
#include "net/cidr.h"
#include "net/socket.h"
#include "plan/limits.h"
#include "plan/split.h"
#include "process/schedstat.h"
#include "status/status_macros.h"
#include "wire/enums.h"
#include "wire/spec_check.h"

namespace salvo::worker {
namespace {

constexpr absl::Duration kPollTimeout = absl::Milliseconds(10);

std::string RepeatRequest(const workload::Options& o) {
  std::string out;
  if (o.request.empty()) return out;
  out.reserve(o.request.size() * o.messages_per_send);
  for (uint32_t i = 0; i < o.messages_per_send; ++i) out += o.request;
  return out;
}

}  // namespace

absl::StatusOr<LoadPlan> PlanFromSpec(const v1::RunSpec& run, net::HostLookup lookup) {
  const v1::LoadSpec& spec = run.load();
  LoadPlan plan;
  plan.agent_name = run.agent_name();
  if (spec.target().empty()) return absl::InvalidArgumentError("the run spec has no target");
  SALVO_ASSIGN_OR_RETURN(net::SocketAddress target,
                         net::ResolveHostPort(spec.target(), false, lookup));
  plan.target_text = spec.target();
  plan.target = target;
  // The rules the controller checked too, in the same words: an agent does not trust that it
  // did.
  SALVO_RETURN_IF_ERROR(wire::CheckLoadSpec(spec));
  SALVO_ASSIGN_OR_RETURN(workload::Kind kind, wire::FromProto(spec.workload()));
  plan.workload.kind = kind;
  plan.workload.message_size = spec.message_size();
  plan.workload.pipeline = spec.pipeline() == 0 ? 1 : spec.pipeline();
  plan.workload.verify = spec.verify();
  if (!spec.request().empty()) {
    plan.workload.request = spec.request();
    plan.workload.message_size = spec.request().size();
    plan.workload.response_bytes = spec.response_bytes();
    plan.workload.response_until = spec.response_until();
  }
  if (kind == workload::Kind::kConnectRr && spec.close() != v1::CLOSE_MODE_UNSPECIFIED) {
    SALVO_ASSIGN_OR_RETURN(plan.workload.close, wire::FromProto(spec.close()));
  }
  const std::string& sources = run.source_ips().empty() ? spec.source_ips() : run.source_ips();
  if (!sources.empty()) {
    SALVO_ASSIGN_OR_RETURN(plan.sources, net::ParseAddressList(sources, plan::kMaxSourceIps));
    for (const net::SocketAddress& from : plan.sources) {
      if (from.family() != target.family()) {
        return absl::InvalidArgumentError(absl::StrCat("source address ", from.HostText(),
                                                       " cannot reach ", spec.target(),
                                                       ": they are of different address families"));
      }
      SALVO_RETURN_IF_ERROR(net::CheckSourceAddress(from));
    }
  }
  if (!spec.one_message_per_send()) {
    const uint64_t fit = std::max<uint64_t>(1, workload::kCoalesceBytes / spec.message_size());
    if (kind == workload::Kind::kStreamOut) {
      plan.workload.messages_per_send = static_cast<uint32_t>(fit);
    } else if (kind == workload::Kind::kEcho || kind == workload::Kind::kRr) {
      // Pipelined echo: the messages whose slots are free go out together.
      plan.workload.messages_per_send =
          static_cast<uint32_t>(std::min<uint64_t>(fit, plan.workload.pipeline));
    }
  }
  if (run.rate() != 0 || run.stages_size() > 0) {
    // A hostile or broken controller's rate must not become a timer storm or a division by 0.
    if (run.stages_size() == 0) SALVO_RETURN_IF_ERROR(plan::CheckRate(run.rate(), "rate"));
    if (kind == workload::Kind::kStreamIn) {
      return absl::InvalidArgumentError("stream-in sends nothing: it takes no rate");
    }
    if (run.connections() == 0) return absl::InvalidArgumentError("a rate needs connections");
    const double per_connection = 1.0 / run.connections();
    if (run.stages_size() > 0) {
      if (static_cast<size_t>(run.stages_size()) > plan::kMaxStages) {
        return absl::InvalidArgumentError(
            absl::StrCat("at most ", plan::kMaxStages, " stages, got ", run.stages_size()));
      }
      std::vector<workload::RateProfile::Stage> stages;
      bool any = false;
      for (const v1::Stage& s : run.stages()) {
        SALVO_RETURN_IF_ERROR(plan::CheckWireMillis(s.duration_ms(), "a stage's duration"));
        SALVO_RETURN_IF_ERROR(plan::CheckStageRate(s.rate(), "a stage's rate"));
        any = any || s.rate() > 0;
        stages.push_back({s.duration_ms() * 1'000'000, s.rate() * per_connection});
      }
      if (!any) return absl::InvalidArgumentError("every stage's rate is 0: nothing would be sent");
      plan.workload.rate = workload::RateProfile::Stages(stages);
    } else {
      plan.workload.rate = workload::RateProfile::Constant(run.rate() * per_connection);
    }
    SALVO_ASSIGN_OR_RETURN(plan.workload.arrival,
                           spec.arrival() == v1::ARRIVAL_UNSPECIFIED
                               ? absl::StatusOr<workload::Arrival>(workload::Arrival::kUniform)
                               : wire::FromProto(spec.arrival()));
    plan.timer_spin_ns = uint64_t{spec.timer_spin_us()} * 1000;
  }
  if (run.connect_rate() != 0) {
    SALVO_RETURN_IF_ERROR(plan::CheckRate(run.connect_rate(), "connect rate", "connections/s"));
    plan.connect_rate = run.connect_rate();
  }
  SALVO_ASSIGN_OR_RETURN(net::EngineKind engine, spec.engine() == v1::ENGINE_UNSPECIFIED
                                                     ? net::EngineKind::kAuto
                                                     : wire::FromProto(spec.engine()));
  SALVO_ASSIGN_OR_RETURN(net::SendMode send_mode, spec.send_mode() == v1::SEND_MODE_UNSPECIFIED
                                                      ? net::SendMode::kCopy
                                                      : wire::FromProto(spec.send_mode()));
  SALVO_ASSIGN_OR_RETURN(net::EngineChoice choice, net::ChooseEngine(engine, send_mode));
  plan.engine = choice;
  plan.send_mode = send_mode;
  plan.sndbuf = static_cast<int>(spec.sndbuf());
  plan.rcvbuf = static_cast<int>(spec.rcvbuf());
  if (run.connections() == 0) return absl::InvalidArgumentError("the run spec has 0 connections");
  plan.connections = run.connections();
  uint32_t threads = spec.threads();
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  if (threads > plan::MaxThreads()) {
    return absl::InvalidArgumentError(absl::StrCat("threads must be at most ", plan::MaxThreads(),
                                                   " on this agent (", plan::kMaxThreadsPerCore,
                                                   " per core), got ", threads));
  }
  plan.threads = std::min(threads, plan.connections);
  SALVO_RETURN_IF_ERROR(plan::CheckWireMillis(run.lease_ms(), "lease"));
  if (spec.connect_timeout_ms() > 0) {
    plan.connect_timeout = absl::Milliseconds(spec.connect_timeout_ms());
  }
  plan.drain_timeout = absl::Milliseconds(spec.drain_ms());
  plan.warmup = absl::Milliseconds(spec.warmup_ms());
  if (spec.duration_ms() > 0) {
    plan.scheduled = plan.warmup + absl::Milliseconds(spec.duration_ms());
  }
  const uint32_t limit = spec.tcp_info_sample() > 0 ? spec.tcp_info_sample() : 10000;
  plan.tcp_info_stride = static_cast<uint32_t>(
      std::max<uint64_t>(1, (uint64_t{plan.connections} + limit - 1) / limit));
  return plan;
}

LoadRun::LoadRun(LoadPlan plan)
    : plan_(std::move(plan)),
      issued_(new absl::Notification[plan_.threads]),
      sample_done_(new std::atomic<uint64_t>[plan_.threads]),
      tids_(new std::atomic<int>[plan_.threads]),
      sched_(new SchedSlot[plan_.threads]),
      pattern_(!plan_.workload.request.empty() ? 1 : plan_.workload.SendSpan()),
      requests_(RepeatRequest(plan_.workload)) {
  for (uint32_t i = 0; i < plan_.threads; ++i) {
    sample_done_[i].store(0);
    tids_[i].store(0);
  }
  {
    absl::MutexLock lock(&engines_mu_);
    engines_.assign(plan_.threads, nullptr);
  }
}

void LoadRun::SampleConnections(absl::Duration timeout, bool window_start) {
  // The window's epoch is published before the request, so a worker that sees the request sees
  // it too.
  const uint64_t epoch = sample_requested_.load() + 1;
  if (window_start) window_epoch_.store(epoch);
  sample_requested_.store(epoch);
  WakeWorkers();
  const absl::Time deadline = absl::Now() + timeout;
  for (size_t w = 0; w < workers_.size(); ++w) {
    while (sample_done_[w].load() < epoch && absl::Now() < deadline) {
      absl::SleepFor(absl::Microseconds(200));
    }
  }
}

void LoadRun::WakeWorkers() {
  absl::MutexLock lock(&engines_mu_);
  for (net::Engine* e : engines_) {
    if (e != nullptr) e->Wake();
  }
}

void LoadRun::ReadOwnSched(uint32_t index, uint64_t spun_ns) {
  // The reading and its time must be one instant: a worker preempted between them would put the
  // wait it was preempted for (added to schedstat when it runs again) outside its span, and the
  // next span's wait above 100%. A reading that took more than a millisecond is taken again.
  absl::StatusOr<process::SchedStat> s;
  uint64_t at = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    at = metrics::MonoNanos();
    s = process::ReadOwnSchedStat();
    if (metrics::MonoNanos() - at < 1'000'000) break;
  }
  SchedSlot& slot = sched_[index];
  slot.ok.store(s.ok());
  if (!s.ok()) return;
  slot.cpu_ns.store(s->cpu_ns);
  slot.runqueue_ns.store(s->runqueue_ns);
  slot.spun_ns.store(spun_ns);
  slot.at_ns.store(at);
}

std::vector<LoadRun::WorkerSched> LoadRun::worker_sched() const {
  std::vector<WorkerSched> out(workers_.size());
  const uint64_t requested = sample_requested_.load();
  for (size_t w = 0; w < out.size(); ++w) {
    const SchedSlot& slot = sched_[w];
    out[w].tid = tids_[w].load();
    out[w].fresh = sample_done_[w].load() >= requested;
    out[w].ok = slot.ok.load();
    out[w].sched = {slot.cpu_ns.load(), slot.runqueue_ns.load()};
    out[w].at_ns = slot.at_ns.load();
    out[w].spun_ns = slot.spun_ns.load();
  }
  return out;
}

void LoadRun::SampleSessions(const std::vector<std::unique_ptr<workload::Session>>& sessions,
                             metrics::ThreadStats& stats, bool final) {
  uint64_t delivered = 0, holding = 0;
  for (size_t i = 0; i < sessions.size(); ++i) {
    workload::Session& session = *sessions[i];
    const metrics::ConnectionSample s =
        session.Sample(/*read_tcp_info=*/i % plan_.tcp_info_stride == 0);
    stats.StoreSample(i, s);
    delivered += s.delivered;
    if (!final) continue;
    // The end of the run: each connection is closed right after its last sample. One that
    // still holds data is reset, so that as little as possible reaches the peer after it was
    // counted (what is in flight at that instant still may).
    const bool hold = session.HoldingData();
    holding += hold;
    // connect-rr with --close rst ends its last connections as it ended every other.
    session.Close(/*reset=*/hold || plan_.workload.close == workload::CloseMode::kRst);
  }
  stats.Set(metrics::Counter::kBytesDelivered, delivered);
  // The last sample comes after the drain: what it adds was acknowledged outside the span.
  if (!final) stats.Set(metrics::Counter::kBytesDeliveredInSpan, delivered);
  if (final) stats.Set(metrics::Counter::kConnectionsHoldingData, holding);
}

LoadRun::~LoadRun() { Finish(/*drain=*/false); }

absl::StatusOr<v1::Ready> LoadRun::Connect(const absl::Notification* cancel) {
  const std::vector<uint64_t> shares = plan::SplitEvenly(plan_.connections, plan_.threads);
  connect_rank_.assign(plan_.connections, workload::kNoConnectRank);
  // Every worker's stats block is registered here, in worker order, before any thread runs:
  // snapshot index i is then connection i of the agent's (worker w owns [first, first + share)),
  // whichever worker starts first.
  std::vector<metrics::ThreadStats*> blocks;
  for (uint64_t share : shares) blocks.push_back(&registry_.Add(share));
  uint32_t first = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    workers_.emplace_back(&LoadRun::WorkerMain, this, static_cast<uint32_t>(i), first,
                          static_cast<uint32_t>(shares[i]), blocks[i]);
    first += static_cast<uint32_t>(shares[i]);
  }
  const auto all_ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return workers_ready_ == workers_.size();
  };
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&all_ready), absl::Milliseconds(50))) {
    if (cancel != nullptr && cancel->HasBeenNotified()) {
      stop_.store(kAbort);
      break;
    }
  }
  if (!start_error_.ok()) return start_error_;
  v1::Ready ready = ready_;
  ready.set_threads(static_cast<uint32_t>(workers_.size()));
  ready.set_engine(wire::ToProto(plan_.engine.kind));
  ready.set_engine_note(plan_.engine.note);
  return ready;
}

absl::Status LoadRun::worker_error() const {
  absl::MutexLock lock(&mu_);
  return worker_error_;
}

void LoadRun::WorkerFailed(uint32_t index, const absl::Status& why) {
  absl::MutexLock lock(&mu_);
  if (worker_error_.ok()) {
    worker_error_ = absl::Status(
        why.code(), absl::StrCat("worker ", index, "'s event loop failed: ", why.message()));
  }
}

void LoadRun::Start(absl::Time at) {
  if (at != absl::InfinitePast()) start_at_unix_ns_.store(absl::ToUnixNanos(at));
  if (!start_.HasBeenNotified()) start_.Notify();
}

bool LoadRun::WaitForStartInstant() {
  const int64_t at = start_at_unix_ns_.load();
  // Sleep to just before the instant, then spin the last 200 us: a timed sleep alone can wake
  // late, which would show as start skew; spinning longer would take the cores from the others.
  for (int64_t now = absl::GetCurrentTimeNanos(); now < at; now = absl::GetCurrentTimeNanos()) {
    if (stop_.load() != kRunning) return false;
    if (at - now > 300'000) absl::SleepFor(absl::Nanoseconds(at - now - 200'000));
  }
  return stop_.load() == kRunning;
}

void LoadRun::Finish(bool drain) {
  int expected = kRunning;
  stop_.compare_exchange_strong(expected, drain ? kDrain : kAbort);
  WakeWorkers();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

void LoadRun::WorkerMain(uint32_t index, uint32_t first, uint32_t connections,
                         metrics::ThreadStats* block) {
  // Whatever happens to this worker, the next one must not wait for it forever.
  const absl::Cleanup issued = [this, index] {
    if (!issued_[index].HasBeenNotified()) issued_[index].Notify();
  };
  metrics::ThreadStats& stats = *block;
#ifdef __linux__
  // An open loop wakes for each intended send time: the kernel's default 50 us of timer slack
  // would be added to every one as schedule lag.
  if (plan_.workload.rate != nullptr) ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
  net::EngineOptions engine_options;
  engine_options.timings = stats.timings();
  engine_options.send_mode = plan_.send_mode;
  engine_options.sndbuf = plan_.sndbuf;
  engine_options.rcvbuf = plan_.rcvbuf;
  engine_options.expected_connections = connections;
  engine_options.timer_spin_ns = plan_.timer_spin_ns;
  workload::SessionContext ctx;
  ctx.stats = &stats;
  ctx.pattern = &pattern_;
  if (!requests_.empty()) ctx.requests = reinterpret_cast<const uint8_t*>(requests_.data());
  ctx.options = plan_.workload;
  ctx.options.schedule_seed = workload::ScheduleSeed(plan_.agent_name, first);
  ctx.connect_counter = &connects_;
  ctx.connect_rank = connect_rank_.data() + first;

  absl::StatusOr<net::EnginePtr> engine = net::CreateEngine(plan_.engine.kind, engine_options);
  if (!engine.ok()) {
    absl::MutexLock lock(&mu_);
    if (start_error_.ok()) {
      start_error_ =
          absl::Status(engine.status().code(),
                       absl::StrCat("worker ", index,
                                    " could not start its engine: ", engine.status().message()));
    }
    ++workers_ready_;
    return;
  }
  ctx.engine = engine->get();
  {
    absl::MutexLock lock(&engines_mu_);
    engines_[index] = ctx.engine;
  }
  // Before the engine goes: no Wake may reach it after this worker ends.
  const absl::Cleanup forget_engine = [this, index] {
    absl::MutexLock lock(&engines_mu_);
    engines_[index] = nullptr;
  };
  tids_[index].store(process::CurrentThreadId());
  std::vector<std::unique_ptr<workload::Session>> sessions;
  // One loop turn: poll, publish the engine's counters, answer a sample request, and stop this
  // worker if the loop failed.
  bool loop_ok = true;
  bool window_marked = false;
  const auto turn = [&] {
    absl::Status polled = ctx.engine->Poll(kPollTimeout);
    stats.PublishEngine(ctx.engine->counters());
    if (const uint64_t wanted = sample_requested_.load(); wanted > sample_done_[index].load()) {
      // A worker that missed the window's request marks the window at the next one it answers.
      if (const uint64_t w = window_epoch_.load(); !window_marked && w != 0 && wanted >= w) {
        for (auto& session : sessions) session->MarkWindowStart();
        window_marked = true;
      }
      stats.BeginSample();
      SampleSessions(sessions, stats, /*final=*/false);
      ReadOwnSched(index, ctx.engine->spun_ns());
      stats.Seal();
      sample_done_[index].store(wanted);
    }
    if (!polled.ok()) {
      WorkerFailed(index, polled);
      loop_ok = false;
    }
    return loop_ok;
  };
  // Set-up order (origin notes, point 6): every socket connects first; the engine arms a
  // receive on a connection only once its handshake has completed.
  for (uint32_t i = 0; i < connections; ++i) sessions.push_back(workload::MakeSession(&ctx, i));
  // With a connect rate, this worker's share of it paces the connects: connect i is due i / rate
  // seconds after the first. The timeout counts from when the last is due.
  const double rate = plan_.connect_rate * connections / plan_.connections;
  const absl::Time begin = absl::Now();
  const absl::Duration ramp =
      rate > 0 ? absl::Seconds((connections - 1) / rate) : absl::ZeroDuration();
  const absl::Time deadline = begin + ramp + plan_.connect_timeout;
  uint32_t launched = 0;
  const auto launch_due = [&] {
    uint32_t due = connections;
    if (rate > 0) {
      due = static_cast<uint32_t>(std::min<double>(
          connections, std::floor(absl::ToDoubleSeconds(absl::Now() - begin) * rate) + 1));
    }
    // A connect that failed ends the ramp: the run cannot start, and waiting out the rest of a
    // long ramp would only delay saying so.
    if (ctx.failed > 0) {
      ctx.failed += connections - launched;
      launched = connections;
      return;
    }
    const std::vector<net::SocketAddress>& from = plan_.sources;
    for (; launched < due; ++launched) {
      sessions[launched]->Connect(plan_.target,
                                  from.empty() ? nullptr : &from[(first + launched) % from.size()]);
    }
  };
  if (rate == 0) {
    // In index order across workers (issued_): wait for the previous worker's connects to be
    // issued, issue ours, push them to the kernel (io_uring submits on Poll), pass the turn on.
    while (index > 0 && stop_.load() == kRunning &&
           !issued_[index - 1].WaitForNotificationWithTimeout(kPollTimeout)) {
    }
    launch_due();
    turn();
    issued_[index].Notify();
  } else {
    issued_[index].Notify();  // paced connects interleave by time; their ranks say how
    launch_due();
  }
  while ((launched < connections || ctx.connected + ctx.failed < connections) &&
         stop_.load() == kRunning && absl::Now() < deadline && turn()) {
    launch_due();
  }
  for (int64_t took = absl::ToInt64Nanoseconds(absl::Now() - begin), longest = connect_ns_.load();
       took > longest && !connect_ns_.compare_exchange_weak(longest, took);) {
  }
  for (auto& s : sessions) {
    if (s->state() == workload::Session::State::kConnecting) {
      s->Close();
      ctx.RecordConnectError(absl::DeadlineExceededError(
          absl::StrCat("connect to ", plan_.target_text, " timed out after ",
                       absl::FormatDuration(plan_.connect_timeout))));
    }
  }
  // The connect phase's counters, for the snapshot taken before the start.
  stats.PublishEngine(ctx.engine->counters());
  ReadOwnSched(index, ctx.engine->spun_ns());
  stats.Seal();
  {
    absl::MutexLock lock(&mu_);
    if (!loop_ok && start_error_.ok()) start_error_ = worker_error_;
    ready_.set_connections_established(ready_.connections_established() + ctx.connected);
    ready_.set_connections_failed(ready_.connections_failed() + ctx.failed);
    if (ready_.first_error().empty() && !ctx.first_error.empty()) {
      // Say which target, unless the error already does.
      ready_.set_first_error(
          absl::StrContains(ctx.first_error, plan_.target_text)
              ? ctx.first_error
              : absl::StrCat(ctx.first_error, " (target ", plan_.target_text, ")"));
    }
    ++workers_ready_;
  }

  // The start barrier (origin notes, point 2): no byte is sent before every connection of every
  // agent is up and the controller says start. Nothing is polled while waiting, so the counters
  // stand still and the snapshot taken just before the start is exact.
  while (loop_ok && !start_.WaitForNotificationWithTimeout(kPollTimeout)) {
    if (stop_.load() != kRunning) break;
  }
  if (loop_ok && start_.HasBeenNotified() && WaitForStartInstant()) {
    // The earliest worker's start is the agent's first send, for the start-skew report.
    const int64_t now = absl::GetCurrentTimeNanos();
    int64_t first = first_send_unix_ns_.load();
    while ((first == 0 || now < first) && !first_send_unix_ns_.compare_exchange_weak(first, now)) {
    }
    ctx.options.schedule_start_ns = metrics::MonoNanos();
    ctx.options.window_start_ns = ctx.options.schedule_start_ns +
                                  static_cast<uint64_t>(absl::ToInt64Nanoseconds(plan_.warmup));
    if (plan_.scheduled != absl::InfiniteDuration()) {
      ctx.options.schedule_until_ns =
          metrics::MonoNanos() + static_cast<uint64_t>(absl::ToInt64Nanoseconds(plan_.scheduled));
    }
    for (auto& s : sessions) {
      if (s->state() == workload::Session::State::kOpen) s->Start();
    }
    while (stop_.load(std::memory_order_relaxed) == kRunning && turn()) {
    }
    if (loop_ok && stop_.load() == kDrain) {
      for (auto& s : sessions) s->BeginDrain();
      const absl::Time drain_deadline = absl::Now() + plan_.drain_timeout;
      const auto drained = [&] {
        return std::all_of(sessions.begin(), sessions.end(),
                           [](const auto& s) { return s->Drained(); });
      };
      while (!drained() && stop_.load() != kAbort && absl::Now() < drain_deadline && turn()) {
      }
    }
  }
  // The last sample, after the drain: what it counts as delivered is final.
  SampleSessions(sessions, stats, /*final=*/true);
  // Sends the kernel was still taking when their connections closed (io_uring, no drain)
  // complete with what it took: reap them, so that bytes_sent counts it (the peer may well have
  // read those bytes). Bounded: a send stuck on a full socket that nobody reads is given up.
  for (const absl::Time reap_until = absl::Now() + kPollTimeout * 10;
       ctx.engine->sends_outstanding() > 0 && absl::Now() < reap_until;) {
    if (!ctx.engine->Poll(absl::Milliseconds(1)).ok()) break;
  }
  stats.PublishEngine(ctx.engine->counters());
  stats.Seal();
  sample_done_[index].store(UINT64_MAX);
}

}  // namespace salvo::worker
