#include "queue/envelope_json.h"

namespace kurier::queue {

nlohmann::json envelope_json(const Envelope& e) {
  auto rcpts = nlohmann::json::array();
  for (const auto& r : e.recipients)
    rcpts.push_back({{"address", r.address},
                     {"state", to_string(r.state)},
                     {"status", r.status},
                     {"diagnostic", r.diagnostic},
                     {"remote_mta", r.remote_mta},
                     {"notify", notify_text(r.notify)},
                     {"orcpt", r.orcpt}});
  return {{"id", e.id},
          {"state", to_string(e.state)},
          {"sender", e.sender},
          {"size", e.size},
          {"created", e.created},
          {"next_attempt", e.next_attempt},
          {"last_attempt", e.last_attempt},
          {"attempts", e.attempts},
          {"last_error", e.last_error},
          {"envid", e.envid},
          {"ret", to_string(e.ret)},
          {"dkim_signed", !e.prefix.empty()},
          {"recipients", rcpts}};
}

}  // namespace kurier::queue
