#include <iostream>

#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "controller/commands.h"
#include "controller/deploy.h"
#include "proto/grpc_logging.h"

namespace {

// The control-plane flags every subcommand that talks to agents takes.
struct SecurityFlags {
  std::string token_file, tls_ca, tls_cert, tls_key;

  void AddTo(CLI::App* cmd) {
    cmd->add_option("--token-file", token_file, "send the shared token in this file to agents");
    cmd->add_option("--tls-ca", tls_ca, "TLS: the CA that signed the agents' certificates");
    cmd->add_option("--tls-cert", tls_cert, "mutual TLS: this controller's certificate");
    cmd->add_option("--tls-key", tls_key, "mutual TLS: this controller's private key");
  }
  // Loads the files; on error prints one line and returns false.
  bool Load(const char* command, salvo::controller::ControlSecurity* out) const {
    absl::StatusOr<salvo::controller::ControlSecurity> s =
        salvo::controller::LoadControlSecurity(token_file, tls_ca, tls_cert, tls_key);
    if (!s.ok()) {
      std::cerr << "salvo " << command << ": " << s.status().message() << "\n";
      return false;
    }
    *out = *s;
    return true;
  }
};

// "a:1@2,b:1" into agents and weights; on error prints one line and returns false.
bool ParseAgents(const char* command, const std::string& list, std::vector<std::string>* agents,
                 std::vector<double>* weights) {
  if (absl::Status s = salvo::controller::ParseAgentList(list, agents, weights); !s.ok()) {
    std::cerr << "salvo " << command << ": " << s.message() << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  salvo::cli::TuneProcess();
  CLI::App app{"salvo: a distributed TCP load generator", "salvo"};
  app.require_subcommand(1);
  salvo::cli::AddVersionFlag(app);

  salvo::controller::RunConfig run;
  std::string agents;
  CLI::App* run_cmd = app.add_subcommand("run", "drive a run through one or more agents");
  // Required unless a --scenario names them; Validate says so in one line.
  run_cmd->add_option("--agents", agents,
                      "HOST:PORT[@WEIGHT][,...] of the salvo-agents; connections split by weight");
  std::string scenario;
  bool print_scenario = false;
  run_cmd->add_option("--scenario", scenario,
                      "read the run spec from this JSON file (as --print-scenario writes it, or "
                      "a report's \"spec\"); flags given beside it override its fields");
  run_cmd->add_flag("--print-scenario", print_scenario,
                    "print the run spec these flags make, as JSON, and exit without running");
  salvo::cli::EnumOption(*run_cmd, "--on-agent-loss", &run.on_agent_loss,
                         salvo::plan::kLossPolicies,
                         "what a lost agent does to the run (continue: the report is partial)");
  run_cmd->add_option("--min-agents", run.min_agents, "fail the run when fewer agents remain");
  SecurityFlags run_security;
  run_security.AddTo(run_cmd);
  run_cmd->add_option("--target", run.target, "HOST:PORT of the server to load");
  salvo::cli::EnumOption(*run_cmd, "--workload", &run.workload, salvo::workload::kKinds,
                         "what each connection does");
  run_cmd->add_option("--connections", run.connections, "total connections, split across agents")
      ->check(CLI::Range(1u, 10000000u))
      ->capture_default_str();
  std::string request_file, response_until;
  run_cmd->add_option("--request-file", request_file,
                      "rr: the bytes of each request (for example a redis \"PING\\r\\n\")");
  run_cmd->add_option("--response-bytes", run.response_bytes,
                      "rr: each response is this many bytes");
  run_cmd->add_option("--response-until", response_until,
                      "rr: each response ends with this string; C escapes such as '\\r\\n'");
  salvo::cli::SizeOption(*run_cmd, "--size", &run.message_size,
                         "bytes per message: 64, 4k, 1m (default 64)");
  salvo::cli::DurationOption(*run_cmd, "--duration", &run.duration,
                             "measured time: 10, 10s, 1m (default 10s)");
  salvo::cli::DurationOption(*run_cmd, "--warmup", &run.warmup,
                             "load before measuring, not counted (default 1s)");
  salvo::cli::DurationOption(*run_cmd, "--interval", &run.interval, "report interval (default 1s)");
  salvo::cli::DurationOption(*run_cmd, "--connect-timeout", &run.connect_timeout,
                             "time for every connection to be established (default 5s)");
  salvo::cli::DurationOption(*run_cmd, "--lease", &run.lease,
                             "agents stop their load when the controller is silent this long "
                             "(default 10s)");
  salvo::cli::DurationOption(*run_cmd, "--drain", &run.drain,
                             "at the end, wait this long for the peer to acknowledge every byte "
                             "sent; 0: no wait (default 2s)");
  run_cmd
      ->add_option("--tcp-info-sample", run.tcp_info_sample,
                   "read TCP_INFO for at most this many connections per agent and interval")
      ->capture_default_str();
  run_cmd->add_option("--pipeline", run.pipeline, "echo: messages in flight per connection")
      ->check(CLI::Range(1u, 65536u))
      ->capture_default_str();
  run_cmd
      ->add_option("--rate", run.rate,
                   "open loop: messages per second over all agents, each sent at its intended "
                   "time whatever the server's pace (echo latency counts from that time); "
                   "default: closed loop")
      ->check(CLI::PositiveNumber);
  salvo::cli::EnumOption(*run_cmd, "--arrival", &run.arrival, salvo::workload::kArrivals,
                         "open loop: intended send times evenly spaced or a Poisson process");
  std::string stages;
  run_cmd->add_option("--stages", stages,
                      "open loop with a changing rate: '10s:1k,30s:50k,10s:0' ramps linearly "
                      "from 0 to each rate over its stage, from the start of the warm-up; "
                      "--duration defaults to the stages' total less the warm-up");
  run_cmd
      ->add_option("--connect-rate", run.connect_rate,
                   "open the connections at this many per second over all agents (default: all "
                   "at once); the load starts once all are open")
      ->check(CLI::PositiveNumber);
  salvo::cli::EnumOption(*run_cmd, "--close", &run.close, salvo::workload::kCloseModes,
                         "connect-rr: end each connection with a FIN (the client keeps "
                         "TIME_WAIT) or a RST (none kept)");
  std::vector<std::string> source_ips;
  run_cmd->add_option("--source-ips", source_ips,
                      "source addresses to connect from, each with its own port range: "
                      "'127.0.0.2-127.0.0.40,10.1.0.0/30' for every agent, or "
                      "'AGENT=LIST' for one (repeatable)");
  run_cmd
      ->add_option_function<std::string>(
          "--coalesce", [&run](const std::string& v) { run.coalesce = v == "on"; },
          "stream-out: on, a send carries as many whole messages as fit in 64 KiB; off, one "
          "send per message (default on)")
      ->check(CLI::IsMember({"on", "off"}));
  run_cmd->add_option("--threads", run.threads, "worker threads per agent (0: one per core)")
      ->capture_default_str();
  run_cmd->add_flag("--verify", run.verify, "check every received byte against the pattern");
  salvo::cli::EnumOption(*run_cmd, "--engine", &run.engine, salvo::net::kEngineKinds,
                         "the I/O engine; auto takes io_uring where it works");
  salvo::cli::EnumOption(*run_cmd, "--send-mode", &run.send_mode, salvo::net::kSendModes,
                         "how bytes reach the kernel: send(), MSG_ZEROCOPY or io_uring SEND_ZC");
  salvo::cli::SizeOption(*run_cmd, "--sndbuf", &run.sndbuf,
                         "SO_SNDBUF per socket (default: kernel)");
  salvo::cli::SizeOption(*run_cmd, "--rcvbuf", &run.rcvbuf,
                         "SO_RCVBUF per socket (default: kernel)");
  run_cmd->add_option("--json", run.json_path,
                      "write the report as JSON to this file ('-': standard output, and the "
                      "report a person reads to standard error)");
  run_cmd->add_option("--html", run.html_path,
                      "write the report as one self-contained HTML page with charts");
  run_cmd->add_option("--latency-hgrm", run.latency_hgrm_path,
                      "write the merged round-trip distribution in HdrHistogram's percentile "
                      "format (values in milliseconds), for its plotting tools");
  run_cmd->add_option("--metrics-listen", run.metrics_listen,
                      "serve /metrics for Prometheus on HOST:PORT while the run lasts");
  salvo::cli::DurationOption(*run_cmd, "--metrics-linger", &run.metrics_linger,
                             "keep serving /metrics this long after the run, so that a last "
                             "scrape sees the final figures (default 0s)");
  run_cmd->add_option("--csv", run.csv_path,
                      "write the interval series as CSV: a row per agent and interval, and a "
                      "total row per interval");
  std::vector<std::string> thresholds;
  run_cmd->add_option("--threshold", thresholds,
                      "pass/fail criterion, repeatable: 'round_trip.p99_us<2000', "
                      "'completions_per_sec>100000', 'fairness.jain>0.9', 'errors==0'; a "
                      "failed one exits 4");
  run_cmd->add_flag(
      "--no-live", [&run](int64_t) { run.live = false; }, "no per-interval lines");
  run_cmd
      ->add_option_function<std::string>(
          "--units", [&run](const std::string& v) { run.bits = v == "bits"; },
          "throughput in bytes (decimal MB/s, default) or bits (Gbit/s, as iperf3)")
      ->check(CLI::IsMember({"bytes", "bits"}));

  salvo::controller::SweepConfig sweep;
  std::string sweep_agents, sizes = "1k,4k,16k,64k,256k", modes = "copy,zerocopy,uring-zc",
                            conns = "10", engines = "auto", workloads = "stream-out";
  sweep.base.duration = absl::Seconds(3);
  // A size sweep compares sends of each size (the copy/zero-copy crossover is per send), so its
  // sends carry one message each unless asked otherwise.
  sweep.base.coalesce = false;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep", "run a matrix of sizes x send modes x connections (x engines, x workloads)");
  sweep_cmd->add_option("--agents", sweep_agents, "HOST:PORT[@WEIGHT][,...] of the salvo-agents")
      ->required();
  SecurityFlags sweep_security;
  sweep_security.AddTo(sweep_cmd);
  sweep_cmd->add_option("--target", sweep.base.target, "HOST:PORT of the server to load")
      ->required();
  sweep_cmd->add_option("--sizes", sizes, "message sizes")->capture_default_str();
  sweep_cmd->add_option("--send-modes", modes, "copy, zerocopy, uring-zc")->capture_default_str();
  sweep_cmd->add_option("--connections", conns, "connection counts")->capture_default_str();
  sweep_cmd->add_option("--engines", engines, "auto, io_uring, epoll")->capture_default_str();
  sweep_cmd->add_option("--workloads", workloads, "echo, stream-out, stream-in")
      ->capture_default_str();
  salvo::cli::DurationOption(*sweep_cmd, "--duration", &sweep.base.duration,
                             "measured time per point (default 3s)");
  salvo::cli::DurationOption(*sweep_cmd, "--warmup", &sweep.base.warmup,
                             "warm-up before each point (default 1s)");
  sweep_cmd->add_option("--pipeline", sweep.base.pipeline, "echo: messages in flight")
      ->check(CLI::Range(1u, 65536u));
  sweep_cmd->add_option("--threads", sweep.base.threads, "worker threads per agent (0: per core)");
  sweep_cmd
      ->add_option_function<std::string>(
          "--coalesce", [&sweep](const std::string& v) { sweep.base.coalesce = v == "on"; },
          "stream-out: on, sends carry several messages; off, one send per message (default "
          "off: the sweep compares sends of each size)")
      ->check(CLI::IsMember({"on", "off"}));
  salvo::cli::SizeOption(*sweep_cmd, "--sndbuf", &sweep.base.sndbuf, "SO_SNDBUF per socket");
  salvo::cli::SizeOption(*sweep_cmd, "--rcvbuf", &sweep.base.rcvbuf, "SO_RCVBUF per socket");
  sweep_cmd
      ->add_option("--repeat", sweep.repeat,
                   "runs per point: each figure is the median run's, with the lowest and "
                   "highest (error bars in --svg, columns in --csv)")
      ->check(CLI::Range(1u, 100u))
      ->capture_default_str();
  sweep_cmd->add_option("--json", sweep.json_path, "write the sweep as JSON");
  sweep_cmd->add_option("--csv", sweep.csv_path, "write one CSV row per point");
  sweep_cmd->add_option("--svg", sweep.svg_path, "write throughput and completion charts");

  std::string probe_agents;
  CLI::App* agents_cmd =
      app.add_subcommand("agents", "one line per agent: reachable, version, engines, clock");
  agents_cmd->add_option("--agents", probe_agents, "HOST:PORT[,HOST:PORT...]")->required();
  SecurityFlags agents_security;
  agents_security.AddTo(agents_cmd);

  salvo::controller::DeployConfig deploy;
  CLI::App* deploy_cmd = app.add_subcommand(
      "deploy",
      "install salvo-agent on hosts over ssh (the .deb, or the binary), start it, wait until it "
      "answers on each host's address, print the --agents list");
  deploy_cmd->add_option("--hosts", deploy.hosts_file, "file: one [user@]host[:sshport] per line")
      ->required();
  deploy_cmd->add_option("--ssh-key", deploy.ssh_key, "private key for ssh");
  deploy_cmd->add_option("--package", deploy.package,
                         "the salvo .deb to install (root or sudo -n on the host); the agent runs "
                         "as the systemd unit");
  deploy_cmd->add_flag("--binary", deploy.binary,
                       "copy only the salvo-agent binary and run it detached (the host needs the "
                       "same libraries)");
  deploy_cmd->add_option("--agent-binary", deploy.agent_binary,
                         "with --binary: the salvo-agent to copy (default: the one beside salvo)");
  deploy_cmd->add_option("--agent-args", deploy.agent_args,
                         "arguments for the remote agent (default --listen 0.0.0.0:7100), e.g. "
                         "\"--listen 0.0.0.0:7100 --allow-target 10.0.0.0/8\"");
  deploy_cmd->add_option("--agent-tls-cert", deploy.agent_tls_cert,
                         "the agents' TLS certificate, copied with mode 0600 ({host}: the host)");
  deploy_cmd->add_option("--agent-tls-key", deploy.agent_tls_key, "and its private key");
  deploy_cmd->add_option("--agent-tls-ca", deploy.agent_tls_ca,
                         "mutual TLS: the CA the agents require of controllers");
  deploy_cmd
      ->add_option("--remote-dir", deploy.remote_dir,
                   "directory on the host for the package or binary, the log and the pid file")
      ->capture_default_str();
  deploy_cmd->add_option("--known-hosts", deploy.known_hosts, "known_hosts file for ssh");
  deploy_cmd->add_flag("--stop", deploy.stop, "stop the agents (and disable the unit)");
  deploy_cmd->add_flag("--status", deploy.status,
                       "whether each agent runs and answers; deploys nothing");
  SecurityFlags deploy_security;
  deploy_security.AddTo(deploy_cmd);

  salvo::controller::DemoConfig demo;
  CLI::App* demo_cmd =
      app.add_subcommand("demo", "run a short echo test against a local target and two agents");
  salvo::cli::DurationOption(*demo_cmd, "--duration", &demo.duration, "measured time (4s)");
  demo_cmd->add_option("--json", demo.json_path, "write the report as JSON to this file");

  std::string help_topic;
  CLI::App* help_cmd = app.add_subcommand("help", "this help, or a command's: salvo help run");
  help_cmd->add_option("command", help_topic, "the command to explain");

  if (auto code = salvo::cli::Parse(app, argc, argv)) return *code;
  if (help_cmd->parsed()) {
    if (help_topic.empty()) {
      // Not app.help(): with a subcommand selected, CLI11 prints that one's help instead.
      std::cout << app.get_formatter()->make_help(&app, "", CLI::AppFormatMode::Normal);
      return 0;
    }
    for (const CLI::App* c : app.get_subcommands({})) {
      if (c->get_name() == help_topic) {
        std::cout << c->help();
        return 0;
      }
    }
    std::cerr << "salvo help: unknown command '" << help_topic << "'\n";
    return 2;
  }
  salvo::v1::QuietGrpcLogs();
  if (run_cmd->parsed() && !scenario.empty()) {
    // The file first, then every flag given beside it again, on top of it.
    if (absl::Status s = salvo::controller::LoadScenario(scenario, &run); !s.ok()) {
      std::cerr << "salvo run: " << s.message() << "\n";
      return 2;
    }
    app.clear();
    if (auto code = salvo::cli::Parse(app, argc, argv)) return *code;
  }
  if (run_cmd->parsed()) {
    if ((!agents.empty() && !ParseAgents("run", agents, &run.agents, &run.agent_weights)) ||
        !run_security.Load("run", &run.security)) {
      return 2;
    }
    for (const std::string& text : thresholds) {
      absl::StatusOr<salvo::controller::Threshold> t = salvo::controller::ParseThreshold(text);
      if (!t.ok()) {
        std::cerr << "salvo run: " << t.status().message() << "\n";
        return 2;
      }
      run.thresholds.push_back(*t);
    }
    if (!stages.empty()) {
      absl::StatusOr<std::vector<salvo::controller::RunConfig::Stage>> parsed =
          salvo::controller::ParseStages(stages);
      if (!parsed.ok()) {
        std::cerr << "salvo run: " << parsed.status().message() << "\n";
        return 2;
      }
      run.stages = *std::move(parsed);
      if (run_cmd->count("--duration") == 0) {
        absl::Duration total;
        for (const auto& s : run.stages) total += s.duration;
        run.duration = total - run.warmup;
      }
    }
    for (const std::string& text : source_ips) {
      if (absl::Status s = salvo::controller::AddSourceIps(text, &run); !s.ok()) {
        std::cerr << "salvo run: " << s.message() << "\n";
        return 2;
      }
    }
    if (absl::Status s = salvo::controller::LoadRequest(request_file, response_until, &run);
        !s.ok()) {
      std::cerr << "salvo run: " << s.message() << "\n";
      return 2;
    }
    if (print_scenario) return salvo::controller::PrintScenario(run, std::cout, std::cerr);
    return salvo::controller::RunCommand(run, std::cout, std::cerr);
  }
  if (sweep_cmd->parsed()) {
    if (!ParseAgents("sweep", sweep_agents, &sweep.base.agents, &sweep.base.agent_weights) ||
        !sweep_security.Load("sweep", &sweep.base.security)) {
      return 2;
    }
    if (absl::Status s =
            salvo::controller::ParseSweepLists(sizes, modes, conns, engines, workloads, &sweep);
        !s.ok()) {
      std::cerr << "salvo sweep: " << s.message() << "\n";
      return 2;
    }
    return salvo::controller::SweepCommand(sweep, std::cout, std::cerr);
  }
  if (deploy_cmd->parsed()) {
    if (!deploy_security.Load("deploy", &deploy.security)) return 2;
    return salvo::controller::DeployCommand(deploy, std::cout, std::cerr);
  }
  if (agents_cmd->parsed()) {
    std::vector<std::string> list;
    std::vector<double> weights;
    salvo::controller::ControlSecurity security;
    if (!ParseAgents("agents", probe_agents, &list, &weights) ||
        !agents_security.Load("agents", &security)) {
      return 2;
    }
    return salvo::controller::AgentsCommand(list, security, std::cout, std::cerr);
  }
  return salvo::controller::DemoCommand(demo, std::cout, std::cerr);
}
