#include <iostream>

#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "controller/commands.h"
#include "deploy/deploy.h"
#include "proto/grpc_logging.h"
#include "run/run_flags.h"

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
  bool Load(const char* command, salvo::auth::ControlSecurity* out) const {
    absl::StatusOr<salvo::auth::ControlSecurity> s =
        salvo::auth::LoadControlSecurity(token_file, tls_ca, tls_cert, tls_key);
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
  if (absl::Status s = salvo::driver::ParseAgentList(list, agents, weights); !s.ok()) {
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

  salvo::run::RunFlags run_flags;
  salvo::driver::RunConfig& run = run_flags.run;
  CLI::App* run_cmd = app.add_subcommand("run", "drive a run through one or more agents");
  salvo::run::AddRunFlags(*run_cmd, &run_flags, /*distributed=*/true);
  SecurityFlags run_security;
  run_security.AddTo(run_cmd);

  salvo::driver::SweepConfig sweep;
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

  salvo::deploy::DeployConfig deploy;
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
  if (run_cmd->parsed()) {
    if (auto code =
            salvo::run::ApplyScenario(app, argc, argv, "salvo run", &run_flags, std::cerr)) {
      return *code;
    }
  }
  if (run_cmd->parsed()) {
    if (!run_security.Load("run", &run.security)) return 2;
    if (absl::Status s = salvo::run::FinishRunFlags(*run_cmd, &run_flags); !s.ok()) {
      std::cerr << "salvo run: " << s.message() << "\n";
      return 2;
    }
    if (run_flags.print_scenario) {
      return salvo::run::PrintScenario(run, std::cout, std::cerr);
    }
    return salvo::controller::RunCommand(run, std::cout, std::cerr);
  }
  if (sweep_cmd->parsed()) {
    if (!ParseAgents("sweep", sweep_agents, &sweep.base.agents, &sweep.base.agent_weights) ||
        !sweep_security.Load("sweep", &sweep.base.security)) {
      return 2;
    }
    if (absl::Status s =
            salvo::driver::ParseSweepLists(sizes, modes, conns, engines, workloads, &sweep);
        !s.ok()) {
      std::cerr << "salvo sweep: " << s.message() << "\n";
      return 2;
    }
    return salvo::controller::SweepCommand(sweep, std::cout, std::cerr);
  }
  if (deploy_cmd->parsed()) {
    if (!deploy_security.Load("deploy", &deploy.security)) return 2;
    return salvo::deploy::DeployCommand(deploy, std::cout, std::cerr);
  }
  if (agents_cmd->parsed()) {
    std::vector<std::string> list;
    std::vector<double> weights;
    salvo::auth::ControlSecurity security;
    if (!ParseAgents("agents", probe_agents, &list, &weights) ||
        !agents_security.Load("agents", &security)) {
      return 2;
    }
    return salvo::controller::AgentsCommand(list, security, std::cout, std::cerr);
  }
  return salvo::controller::DemoCommand(demo, std::cout, std::cerr);
}
