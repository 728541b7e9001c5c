// AdminGet: one admin command (/commands/<cmd>) of a server under test, as
// JSON. Header-only; shared by the single-server and ensemble fixtures.
#ifndef ZABKEEPER_TESTS_INTEGRATION_ADMIN_GET_H_
#define ZABKEEPER_TESTS_INTEGRATION_ADMIN_GET_H_

#include <string>

#include "httplib.h"
#include "nlohmann/json.hpp"

namespace zabkeeper::testing {

// Null when the server does not answer or answers with an error status.
inline nlohmann::json AdminGet(int admin_port, const std::string& cmd) {
  httplib::Client http("127.0.0.1", admin_port);
  http.set_connection_timeout(1);
  http.set_read_timeout(2);
  auto res = http.Get(("/commands/" + cmd).c_str());
  if (!res || res->status != 200) return nullptr;
  return nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
}

}  // namespace zabkeeper::testing

#endif  // ZABKEEPER_TESTS_INTEGRATION_ADMIN_GET_H_
