#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "api/api.h"

namespace kurier::api {
namespace {

nlohmann::json load_openapi() {
  std::ifstream in(std::string(KURIER_SOURCE_DIR) + "/docs/openapi.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

std::string upper(std::string s) {
  for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// docs/openapi.json describes exactly the routes the router has: none missing, none invented.
TEST(OpenApi, DescribesExactlyTheRoutesThatExist) {
  auto doc = load_openapi();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  std::set<std::pair<std::string, std::string>> documented, routed;
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) documented.emplace(upper(method), path);
  for (const auto& r : route_list()) routed.insert(r);
  for (const auto& r : routed) EXPECT_TRUE(documented.count(r)) << "not in docs/openapi.json: " << r.first << " " << r.second;
  for (const auto& d : documented) EXPECT_TRUE(routed.count(d)) << "documented but not routed: " << d.first << " " << d.second;
}

TEST(OpenApi, EveryPathParameterIsDeclared) {
  auto doc = load_openapi();
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      for (size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1)) {
        std::string name = path.substr(at + 1, path.find('}', at) - at - 1);
        bool declared = false;
        for (const auto& p : op.value("parameters", nlohmann::json::array()))
          declared = declared || (p["in"] == "path" && p["name"] == name);
        EXPECT_TRUE(declared) << method << " " << path << " lacks parameter " << name;
      }
    }
}

}  // namespace
}  // namespace kurier::api
