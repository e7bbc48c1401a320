// What is stored when a password is set: the crypt(3) hash for PLAIN/LOGIN and the SCRAM
// secret, always written together so SCRAM-SHA-256 works for every account.
#pragma once
#include <string>
#include <string_view>

namespace kurier::accounts {

struct Credentials {
  std::string hash;
  std::string scram;
};

Credentials make_credentials(std::string_view password);

}  // namespace kurier::accounts
