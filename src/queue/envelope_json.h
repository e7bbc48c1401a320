// A queued message as JSON, the one shape `kurier queue list --json` and GET /api/v1/queue share.
#pragma once
#include <nlohmann/json.hpp>

#include "queue/spool.h"

namespace kurier::queue {

nlohmann::json envelope_json(const Envelope& e);

}  // namespace kurier::queue
