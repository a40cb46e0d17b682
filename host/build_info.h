// The build, as reports name it.
#pragma once

namespace salvo::host {

// `git describe --always --dirty` of the source tree when it was built ("unknown" outside git).
extern const char* const kBuildCommit;

}  // namespace salvo::host
