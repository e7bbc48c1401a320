#include "accounts/credentials.h"

#include "auth/password.h"
#include "auth/scram.h"

namespace kurier::accounts {

Credentials make_credentials(std::string_view password) {
  return {auth::hash_password(password), auth::serialize_scram_secret(auth::make_scram_secret(password))};
}

}  // namespace kurier::accounts
