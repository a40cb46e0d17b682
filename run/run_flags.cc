#include "run/run_flags.h"

#include "cli/cli.h"
#include "driver/threshold.h"
#include "net/engine_factory.h"
#include "plan/limits.h"
#include "plan/policy.h"
#include "run/run_command.h"
#include "status/status_macros.h"
#include "workload/session.h"

namespace salvo::run {

void AddRunFlags(CLI::App& cmd, RunFlags* f, bool distributed) {
  cmd.add_option("--scenario", f->scenario,
                 "read the run spec from this JSON file (as --print-scenario writes it, or "
                 "a report's \"spec\"); flags given beside it override its fields");
  cmd.add_flag("--print-scenario", f->print_scenario,
               "print the run spec these flags make, as JSON, and exit without running");
  if (distributed) {
    // Required unless a --scenario names them; driver::Validate says so in one line.
    cmd.add_option("--agents", f->agents,
                   "HOST:PORT[@WEIGHT][,...] of the salvo-agents; connections split by weight");
    cli::EnumOption(cmd, "--on-agent-loss", &f->run.on_agent_loss, plan::kLossPolicies,
                    "what a lost agent does to the run (continue: the report is partial)");
    cmd.add_option("--min-agents", f->run.min_agents, "fail the run when fewer agents remain");
  }
  cmd.add_option("--target", f->run.target, "HOST:PORT of the server to load");
  cli::EnumOption(cmd, "--workload", &f->run.workload, workload::kKinds,
                  "what each connection does");
  cmd.add_option("--connections", f->run.connections, "total connections, split across agents")
      ->check(CLI::Range(1u, plan::kMaxConnections))
      ->capture_default_str();
  cmd.add_option("--request-file", f->request_file,
                 "rr: the bytes of each request (for example a redis \"PING\\r\\n\")");
  cmd.add_option("--response-bytes", f->run.response_bytes, "rr: each response is this many bytes");
  cmd.add_option("--response-until", f->response_until,
                 "rr: each response ends with this string; C escapes such as '\\r\\n'");
  cli::SizeOption(cmd, "--size", &f->run.message_size,
                  "bytes per message: 64, 4k, 1m (default 64)");
  cli::DurationOption(cmd, "--duration", &f->run.duration,
                      "measured time: 10, 10s, 1m (default 10s)");
  cli::DurationOption(cmd, "--warmup", &f->run.warmup,
                      "load before measuring, not counted (default 1s)");
  cli::DurationOption(cmd, "--interval", &f->run.interval, "report interval (default 1s)");
  cli::DurationOption(cmd, "--connect-timeout", &f->run.connect_timeout,
                      "time for every connection to be established (default 5s)");
  if (distributed) {
    cli::DurationOption(cmd, "--lease", &f->run.lease,
                        "agents stop their load when the controller is silent this long "
                        "(default 10s)");
  }
  cli::DurationOption(cmd, "--drain", &f->run.drain,
                      "at the end, wait this long for the peer to acknowledge every byte "
                      "sent; 0: no wait (default 2s)");
  cmd.add_option("--tcp-info-sample", f->run.tcp_info_sample,
                 "read TCP_INFO for at most this many connections per agent and interval")
      ->capture_default_str();
  cmd.add_option("--pipeline", f->run.pipeline, "echo: messages in flight per connection")
      ->check(CLI::Range(1u, plan::kMaxPipeline))
      ->capture_default_str();
  cmd.add_option("--rate", f->run.rate,
                 "open loop: messages per second over all agents, each sent at its intended "
                 "time whatever the server's pace (echo latency counts from that time); "
                 "default: closed loop")
      ->check(CLI::PositiveNumber);
  cli::EnumOption(cmd, "--arrival", &f->run.arrival, workload::kArrivals,
                  "open loop: intended send times evenly spaced or a Poisson process");
  cmd.add_option("--stages", f->stages,
                 "open loop with a changing rate: '10s:1k,30s:50k,10s:0' ramps linearly "
                 "from 0 to each rate over its stage, from the start of the warm-up; "
                 "--duration defaults to the stages' total less the warm-up");
  cli::DurationOption(cmd, "--timer-spin", &f->timer_spin,
                      "open loop: stop sleeping this long before each intended send time and "
                      "poll until it, so that a late wake-up is not schedule lag; costs up to "
                      "that much CPU per send time (0: sleep; default 50us, at most 1ms)");
  cmd.add_option("--connect-rate", f->run.connect_rate,
                 "open the connections at this many per second over all agents (default: all "
                 "at once); the load starts once all are open")
      ->check(CLI::PositiveNumber);
  cli::EnumOption(cmd, "--close", &f->run.close, workload::kCloseModes,
                  "connect-rr: end each connection with a FIN (the client keeps "
                  "TIME_WAIT) or a RST (none kept)");
  cmd.add_option("--source-ips", f->source_ips,
                 "source addresses to connect from, each with its own port range: "
                 "'127.0.0.2-127.0.0.40,10.1.0.0/30' for every agent, or "
                 "'AGENT=LIST' for one (repeatable)");
  cmd.add_option_function<std::string>(
         "--coalesce", [f](const std::string& v) { f->run.coalesce = v == "on"; },
         "stream-out: on, a send carries as many whole messages as fit in 64 KiB; off, one "
         "send per message (default on)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--threads", f->run.threads, "worker threads per agent (0: one per core)")
      ->capture_default_str();
  cmd.add_flag("--verify", f->run.verify, "check every received byte against the pattern");
  cli::EnumOption(cmd, "--engine", &f->run.engine, net::kEngineKinds,
                  "the I/O engine; auto takes io_uring where it works");
  cli::EnumOption(cmd, "--send-mode", &f->run.send_mode, net::kSendModes,
                  "how bytes reach the kernel: send(), MSG_ZEROCOPY or io_uring SEND_ZC");
  cli::SizeOption(cmd, "--sndbuf", &f->run.sndbuf, "SO_SNDBUF per socket (default: kernel)");
  cli::SizeOption(cmd, "--rcvbuf", &f->run.rcvbuf, "SO_RCVBUF per socket (default: kernel)");
  cmd.add_option("--json", f->run.json_path,
                 "write the report as JSON to this file ('-': standard output, and the "
                 "report a person reads to standard error)");
  cmd.add_option("--html", f->run.html_path,
                 "write the report as one self-contained HTML page with charts");
  cmd.add_option("--latency-hgrm", f->run.latency_hgrm_path,
                 "write the merged round-trip distribution in HdrHistogram's percentile "
                 "format (values in milliseconds), for its plotting tools");
  cmd.add_option("--metrics-listen", f->run.metrics_listen,
                 "serve /metrics for Prometheus on HOST:PORT while the run lasts");
  cli::DurationOption(cmd, "--metrics-linger", &f->run.metrics_linger,
                      "keep serving /metrics this long after the run, so that a last "
                      "scrape sees the final figures (default 0s)");
  cmd.add_option("--csv", f->run.csv_path,
                 "write the interval series as CSV: a row per agent and interval, and a "
                 "total row per interval");
  cmd.add_option("--threshold", f->thresholds,
                 "pass/fail criterion, repeatable: 'round_trip.p99_us<2000', "
                 "'completions_per_sec>100000', 'fairness.jain>0.9', 'errors==0'; a "
                 "failed one exits 4");
  cmd.add_flag(
      "--no-live", [f](int64_t) { f->run.live = false; }, "no per-interval lines");
  cmd.add_option_function<std::string>(
         "--units", [f](const std::string& v) { f->run.bits = v == "bits"; },
         "throughput in bytes (decimal MB/s, default) or bits (Gbit/s, as iperf3)")
      ->check(CLI::IsMember({"bytes", "bits"}));
}

std::optional<int> ApplyScenario(CLI::App& app, int argc, char** argv, absl::string_view command,
                                 RunFlags* f, std::ostream& err) {
  if (f->scenario.empty()) return std::nullopt;
  if (absl::Status s = LoadScenario(f->scenario, &f->run); !s.ok()) {
    err << command << ": " << s.message() << "\n";
    return 2;
  }
  app.clear();
  return cli::Parse(app, argc, argv);
}

absl::Status FinishRunFlags(const CLI::App& cmd, RunFlags* f) {
  if (!f->agents.empty()) {
    SALVO_RETURN_IF_ERROR(driver::ParseAgentList(f->agents, &f->run.agents, &f->run.agent_weights));
  }
  for (const std::string& text : f->thresholds) {
    SALVO_ASSIGN_OR_RETURN(driver::Threshold t, driver::ParseThreshold(text));
    f->run.thresholds.push_back(t);
  }
  if (cmd.count("--timer-spin") > 0) {
    if (f->timer_spin < absl::ZeroDuration() ||
        f->timer_spin > absl::Microseconds(plan::kMaxTimerSpinUs)) {
      return absl::InvalidArgumentError("--timer-spin must be 0 to 1ms");
    }
    if (f->run.rate == 0 && f->stages.empty() && f->run.stages.empty()) {
      return absl::InvalidArgumentError(
          "--timer-spin paces an open loop's wake-ups: give --rate or --stages with it");
    }
    f->run.timer_spin_us = static_cast<uint32_t>(absl::ToInt64Microseconds(f->timer_spin));
  }
  if (cmd.count("--stages") > 0 && f->stages.empty()) {
    return absl::InvalidArgumentError(
        "--stages is empty: give DURATION:RATE stages, e.g. '10s:1k,30s:50k,10s:0'");
  }
  if (!f->stages.empty()) {
    SALVO_ASSIGN_OR_RETURN(f->run.stages, driver::ParseStages(f->stages));
    if (cmd.count("--duration") == 0) {
      absl::Duration total;
      for (const auto& s : f->run.stages) total += s.duration;
      if (total <= f->run.warmup) {
        return absl::InvalidArgumentError(
            absl::StrCat("--stages last ", absl::FormatDuration(total), ", which the warm-up (",
                         absl::FormatDuration(f->run.warmup),
                         ") uses up: lengthen the stages, shorten --warmup or give --duration"));
      }
      f->run.duration = total - f->run.warmup;
    }
  }
  for (const std::string& text : f->source_ips)
    SALVO_RETURN_IF_ERROR(driver::AddSourceIps(text, &f->run));
  return LoadRequest(f->request_file, f->response_until, &f->run);
}

}  // namespace salvo::run
