// The JSON shapes of directory records as the API answers them (docs/openapi.json). `kurier ...
// --json` prints domains in the same shape, from this same code, so the two cannot drift.
#pragma once
#include <nlohmann/json.hpp>

#include "directory/directory.h"

namespace kurier::api {

nlohmann::json domain_json(const directory::Domain& d);
nlohmann::json account_json(const directory::Account& a);
nlohmann::json alias_json(const directory::Alias& a);
nlohmann::json admin_json(const directory::Admin& a);

}  // namespace kurier::api
