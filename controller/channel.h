// How the controller reaches its agents: plain or TLS (mutual when it has a client certificate)
// channels, and the shared token sent with every call.
#pragma once

#include <memory>
#include <string>

#include "auth/credentials.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace salvo::controller {

std::shared_ptr<grpc::Channel> MakeAgentChannel(const std::string& address,
                                                const auth::ControlSecurity& security);

// Adds the token to a call.
void Authorize(grpc::ClientContext* context, const auth::ControlSecurity& security);

}  // namespace salvo::controller
