#include "load/local_agent.h"

#include <thread>

#include "host/environment.h"
#include "net/cidr.h"
#include "net/engine_factory.h"
#include "wire/enums.h"
#include "wire/protocol.h"
#include "worker/agent_run.h"

namespace salvo::load {
namespace {

// The agent's side of the Run stream, in this process: requests become RunSignals, responses
// go straight to the driver's sink.
class LocalLink final : public driver::AgentLink {
 public:
  explicit LocalLink(size_t index) : index_(index) {}
  ~LocalLink() override {
    Cancel();
    Join();
  }

  void Open(const v1::RunSpec& spec, std::function<void(driver::LinkEvent)> sink) override {
    thread_ = std::thread([this, spec, sink = std::move(sink)] {
      // The user runs this load themselves, from their own machine: no target is off limits
      // here, unlike an agent that takes orders over the network.
      std::vector<net::Cidr> anywhere = {*net::Cidr::Parse("0.0.0.0/0"), *net::Cidr::Parse("::/0")};
      absl::StatusOr<worker::LoadPlan> plan = worker::PrepareRun(spec, anywhere);
      absl::Status status = plan.status();
      if (plan.ok()) {
        status = worker::CarryOutRun(spec, *plan, worker::AgentIdentity{host::Hostname()}, signals_,
                                     [&](const v1::RunResponse& r) {
                                       sink(driver::LinkEvent{index_, r, absl::OkStatus()});
                                       return true;
                                     });
      }
      sink(driver::LinkEvent{index_, std::nullopt, status});
    });
  }
  void Send(const v1::RunRequest& request) override {
    if (request.has_start()) {
      signals_.start_at_unix_ns.store(request.start().start_at_unix_ns());
      signals_.NotifyStart();
    }
    if (request.has_stop()) signals_.NotifyStop(/*abort_now=*/false);
  }
  void CloseSend() override {}
  void Cancel() override { signals_.NotifyStop(/*abort_now=*/true); }
  void Join() override {
    if (thread_.joinable()) thread_.join();
  }

 private:
  const size_t index_;
  worker::RunSignals signals_;
  std::thread thread_;
};

}  // namespace

driver::AgentAccess LocalAgentAccess() {
  driver::AgentAccess access;
  access.probe = [](const std::vector<std::string>& agents) {
    std::vector<driver::AgentProbe> probes;
    for (const std::string& name : agents) {
      driver::AgentProbe p;
      p.agent = name;
      p.reachable = true;
      p.info.set_version(SALVO_VERSION);
      p.info.set_hostname(host::Hostname());
      p.info.set_cores(std::thread::hardware_concurrency());
      for (net::EngineKind e : net::AvailableEngines()) p.info.add_engines(wire::ToProto(e));
      p.info.set_protocol_major(wire::kProtocolMajor);
      p.info.set_protocol_minor(wire::kProtocolMinor);
      probes.push_back(std::move(p));
    }
    return probes;
  };
  access.link = [](size_t index, const std::string&) -> driver::AgentLinkPtr {
    return std::make_unique<LocalLink>(index);
  };
  return access;
}

}  // namespace salvo::load
