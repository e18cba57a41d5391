// SessionRevocations: the sessions (refresh-token families) that have ended, asked on every
// authenticated request so that logout and reuse detection end access tokens at once. The
// check must cost no store query: implementations answer from memory (in-process now; a
// shared implementation keeps replicas' sets in step through Redis). Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"

namespace faceid::auth {

class SessionRevocations {
 public:
  virtual ~SessionRevocations() = default;
  // Ends a session; `forget_after` is when its last access token expires (after that the
  // entry is useless and may be dropped).
  virtual void revoke(const std::string& session_id, TimePoint forget_after) = 0;
  virtual bool is_revoked(const std::string& session_id) = 0;
};

using SessionRevocationsPtr = std::unique_ptr<SessionRevocations>;

}  // namespace faceid::auth
