#include "controller/grpc_agent_link.h"

#include <thread>

#include "absl/synchronization/mutex.h"
#include "controller/channel.h"
#include "grpcpp/grpcpp.h"
#include "salvo/v1/agent.grpc.pb.h"

namespace salvo::controller {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  // The canonical codes share their numbers.
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

class GrpcAgentLink final : public driver::AgentLink {
 public:
  GrpcAgentLink(size_t index, const std::string& address, const auth::ControlSecurity& security)
      : index_(index), stub_(v1::Agent::NewStub(MakeAgentChannel(address, security))) {
    Authorize(&context_, security);
  }

  ~GrpcAgentLink() override {
    Cancel();
    Join();
  }

  void Open(const v1::RunSpec& spec, std::function<void(driver::LinkEvent)> sink) override {
    stream_ = stub_->Run(&context_);
    v1::RunRequest request;
    *request.mutable_spec() = spec;
    Send(request);
    reader_ = std::thread([this, sink = std::move(sink)] {
      for (v1::RunResponse response; stream_->Read(&response); response.Clear()) {
        sink(driver::LinkEvent{index_, std::move(response), absl::OkStatus()});
      }
      sink(driver::LinkEvent{index_, std::nullopt, FromGrpc(stream_->Finish())});
    });
  }

  void Send(const v1::RunRequest& request) override {
    absl::MutexLock lock(&write_mu_);
    if (stream_ != nullptr && !writes_done_) stream_->Write(request);
  }

  void CloseSend() override {
    absl::MutexLock lock(&write_mu_);
    if (stream_ != nullptr && !writes_done_) {
      stream_->WritesDone();
      writes_done_ = true;
    }
  }

  void Cancel() override { context_.TryCancel(); }

  void Join() override {
    if (reader_.joinable()) reader_.join();
  }

 private:
  const size_t index_;
  std::unique_ptr<v1::Agent::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::RunRequest, v1::RunResponse>> stream_;
  std::thread reader_;
  absl::Mutex write_mu_;
  bool writes_done_ ABSL_GUARDED_BY(write_mu_) = false;
};

}  // namespace

driver::AgentLinkPtr MakeGrpcAgentLink(size_t index, const std::string& address,
                                       const auth::ControlSecurity& security) {
  return std::make_unique<GrpcAgentLink>(index, address, security);
}

}  // namespace salvo::controller
