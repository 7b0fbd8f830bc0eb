// libcoap's logging, with no secret in it.
//
// libcoap logs through one process-wide handler (coap_set_log_handler, libcoap coap_logging(3)).
// metercert installs its own at the first Endpoint: every message first has each registered
// secret (a PSK's bytes, and their hex in lower and upper case) replaced by "<redacted>", then goes
// to the sink (default: stderr, "libcoap: <message>"). The level is capped at LOG_INFO for both
// coap_set_log_level and coap_dtls_set_log_level: libcoap's LOG_DEBUG shows PDUs and DTLS state,
// which the suite never needs in a log. Levels are syslog's (RFC 5424 §6.2.1: 3 error, 4 warning,
// 6 info).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace metercert::rigs::coap {

inline constexpr int kLogError = 3, kLogWarning = 4, kLogNotice = 5, kLogInfo = 6;

// Installs the handler (idempotent) and sets libcoap's and its DTLS level to min(level, kLogInfo).
// Default level: kLogWarning.
void set_log_level(int level);
// Where scrubbed messages go (nullptr: back to stderr).
void set_log_sink(std::function<void(int level, std::string_view message)> sink);
// Registers a secret to scrub (Server/Client register every PSK they are given). Empty: ignored.
void register_secret(const std::vector<std::uint8_t>& secret);
// The scrubbing alone (exposed for tests): `text` with every registered secret replaced.
std::string scrub(std::string text);
// Installs the handler without changing the level (called by every Endpoint).
void install_log_handler();

}  // namespace metercert::rigs::coap
