#include "proto/grpc_logging.h"

#include <grpc/support/log.h>

#include <cstdlib>

namespace salvo::v1 {

void QuietGrpcLogs() {
  if (std::getenv("SALVO_GRPC_LOG") != nullptr) return;
  gpr_set_log_function([](gpr_log_func_args*) {});
}

}  // namespace salvo::v1
