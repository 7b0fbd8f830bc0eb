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

// DTLS keylog for decrypting a capture (Wireshark/tshark `tls.keylog_file`, the NSS key log format:
// "CLIENT_RANDOM <client random hex> <master secret hex>"), ONLY when the user asks for one: after
// set_keylog_file(path), every DTLS handshake of every Endpoint in the process appends its line
// (OpenSSL SSL_CTX_set_keylog_callback, reached through libcoap's coap_session_get_tls). Empty path:
// off (the default). The file holds session secrets: it is created 0600; nothing else ever
// writes them. Throws std::runtime_error naming the path when it cannot be opened.
// Which suite a handshake gets is OpenSSL's choice from libcoap's list ("PSK:!NULL"-style, not
// settable through libcoap 4.3.1): a peer offering TLS_PSK_WITH_AES_128_CCM_8 (RFC 7252 §9.1.3.1's
// mandatory suite) gets it and tshark 4.0 decrypts it with the keylog; between two libcoap/OpenSSL
// endpoints TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 is negotiated, whose DTLS records tshark
// 4.0.17 fails to decrypt ("auth tag mismatch", also with openssl s_client/s_server alone).
void set_keylog_file(const std::string& path);
// Internal: hooks `ssl` (an OpenSSL SSL*) to the keylog when one is set.
void keylog_hook(void* ssl);

}  // namespace metercert::rigs::coap
