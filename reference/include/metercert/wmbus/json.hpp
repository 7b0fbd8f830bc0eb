// Canonical decoded JSON of a wireless M-Bus telegram (schema: vectors/README.md, "Wireless
// M-Bus"): `link`, `ell`, `afl`, `tpl`, `security`, then the same `records` as wired M-Bus.
// No key material ever appears in it.
#pragma once

#include <string>

#include "metercert/wmbus/telegram.hpp"

namespace metercert::wmbus {

void to_json(const Telegram& t, std::string& out);
std::string to_json(const Telegram& t);

}  // namespace metercert::wmbus
