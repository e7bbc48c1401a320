#include "store/errors.h"

namespace kurier::store {

const char* to_string(StoreErrc code) {
  switch (code) {
    case StoreErrc::not_found: return "not found";
    case StoreErrc::already_exists: return "already exists";
    case StoreErrc::invalid_name: return "invalid mailbox name";
    case StoreErrc::invalid_argument: return "invalid argument";
    case StoreErrc::not_permitted: return "not permitted";
    case StoreErrc::limit_exceeded: return "limit exceeded";
    case StoreErrc::io: return "I/O error";
    case StoreErrc::database: return "database error";
    case StoreErrc::shut_down: return "store shut down";
  }
  return "unknown";
}

}  // namespace kurier::store
