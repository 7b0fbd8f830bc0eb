// lwm2m://HOST:PORT?endpoint=NAME&psk_id=ID&psk=HEX&bootstrap=1 — a CMi6110 (or any LwM2M client)
// that the lab points at the suite: the suite's LwM2M servers listen on HOST:PORT (the Bootstrap-
// Server with bootstrap=1, else the DM server; CMi6110 manual §6.2-§6.3, OMA LwM2M TS 1.1 §6.1-
// §6.2), the module connects. With psk_id and psk: DTLS 1.2 PSK (LwM2M Transport §5.2), without
// them NoSec (Table 1 allows both). gateway=GWHOST:GWPORT: the MQTT-SN gateway's address the uplink
// cases write into 33905/0/0 (ERRATA E-133; a wildcard HOST cannot name one). Capability coap.server (lwm2m_link.hpp); the profile starts
// the servers on these settings. The PSK is a secret (redact_url: psk=<redacted>).
#include <fmt/format.h>

#include "metercert/rigs/lwm2m_link.hpp"
#include "params.hpp"

namespace metercert::rigs::links {

void lwm2m_params(Params& p, Lwm2mListen& l, bool endpoint_required) {
    const DutUrl& u = p.u;
    if (endpoint_required && !p.has("endpoint")) fail(u, "endpoint=NAME is required (the module's LwM2M Endpoint Client Name)");
    l.endpoint = p.str("endpoint", l.endpoint);
    if (l.endpoint.empty() || l.endpoint.size() > 255 || l.endpoint.find_first_of("&?#/ ") != std::string::npos)
        fail(u, "endpoint= is not an LwM2M Endpoint Client Name (1…255 characters, none of &?#/ or space)");
    const bool has_id = p.has("psk_id"), has_key = p.has("psk");
    if (has_id != has_key) fail(u, "psk_id= and psk= go together (DTLS-PSK), or neither (NoSec)");
    if (has_id) {
        const std::string id = u.params.at("psk_id");
        if (id.empty() || id.size() > 128) fail(u, "psk_id= is not a PSK identity of 1…128 bytes (RFC 4279 §5.1)");
        const std::string& hex = u.params.at("psk");
        // never the value in a message: only its length and the position of a bad digit
        if (hex.empty() || hex.size() % 2 != 0 || hex.size() > 128) fail(u, "psk= is not 1…64 bytes of hex (an even number of digits)");
        std::vector<std::uint8_t> key;
        for (std::size_t i = 0; i < hex.size(); i += 2) {
            auto digit = [&](char c, std::size_t at) -> int {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                fail(u, fmt::format("psk=: character {} is not a hex digit", at + 1));
            };
            key.push_back(static_cast<std::uint8_t>(digit(hex[i], i) << 4 | digit(hex[i + 1], i + 1)));
        }
        l.psk_id = id;
        l.psk = std::move(key);
    }
    l.bootstrap = p.num("bootstrap", 0, 0, 1) == 1;
    l.locked = p.num("locked", 0, 0, 1) == 1;
}

namespace {

class Lwm2mLink : public DutLink, public Lwm2mListen {
public:
    Lwm2mLink(const DutUrl& u, const LinkOptions& o, Lwm2mListen l) : DutLink(u.text, o.tap), Lwm2mListen(std::move(l)) {
        set_description(fmt::format("an LwM2M client '{}' connecting to the suite's {} server on {}:{} ({})", endpoint,
                                    bootstrap ? "Bootstrap" : "DM", host, port, psk_id ? "DTLS-PSK" : "NoSec"));
        set_capabilities({std::string(cap::coap_server)});
    }
    const Lwm2mListen* lwm2m_listen() const override { return this; }
    void close() override {}
};

// gateway=HOST:PORT (IPv6: [ADDR]:PORT): a host name or address without spaces, a port 0…65535
void gateway_param(Params& p, Lwm2mListen& l) {
    if (!p.has("gateway")) return;
    const DutUrl& u = p.u;
    const std::string v = p.str("gateway", "");
    const auto colon = v.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == v.size())
        fail(u, fmt::format("gateway='{}' is not HOST:PORT (the address the module reaches the suite's MQTT-SN gateway at)", v));
    std::string host = v.substr(0, colon);
    const std::string port = v.substr(colon + 1);
    if (host.front() == '[') {
        if (host.back() != ']' || host.size() < 3) fail(u, fmt::format("gateway='{}': an IPv6 address goes in brackets, [ADDR]:PORT", v));
    } else if (host.find(':') != std::string::npos) {
        fail(u, fmt::format("gateway='{}': an IPv6 address goes in brackets, [ADDR]:PORT", v));
    }
    if (host.size() > 255 || host.find_first_of(" /?#&@") != std::string::npos)
        fail(u, fmt::format("gateway='{}': '{}' is not a host name or address", v, host));
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
        fail(u, fmt::format("gateway='{}': the port is not 0…65535 (0: any free port, the one chosen is written)", v));
    if (host == "0.0.0.0" || host == "[::]")
        fail(u, fmt::format("gateway='{}': a wildcard is no address a module can reach", v));
    l.gateway_host = std::move(host);
    l.gateway_port = static_cast<std::uint16_t>(std::stoul(port));
}

Lwm2mListen parse(const DutUrl& u) {
    Params p{u};
    Lwm2mListen l;
    const HostPort hp = host_port(u, true);
    l.host = hp.host;
    l.port = hp.port;
    lwm2m_params(p, l, true);
    gateway_param(p, l);
    p.check_all_used();
    return l;
}

const bool registered = register_link({
    .name = "lwm2m",
    .form = "lwm2m://HOST:PORT",
    .summary = "a CMi6110 (an LwM2M client) that connects to the suite's LwM2M servers listening on HOST:PORT (port 0: any; "
               "DTLS-PSK with psk_id/psk, else NoSec)",
    .params = {{"endpoint", "the module's LwM2M Endpoint Client Name (required)"},
               {"psk_id", "DTLS PSK identity the module presents (with psk=)"},
               {"psk", "DTLS PSK, hex (never shown)"},
               {"bootstrap", "1: HOST:PORT is the Bootstrap-Server (the module bootstraps first), 0 (default): the DM server"},
               {"gateway", "GWHOST:GWPORT the module reaches the suite's MQTT-SN gateway at, written into 33905/0/0 by the uplink "
                           "cases (needed when HOST is 0.0.0.0; the gateway listens on HOST:GWPORT, GWPORT 0: any free port)"},
               {"locked", "1: the lab locked the module through NFC (§7.2 Configuration Lock = Locked): 33906/0/5 must read true "
                          "and the lock cases 7.2/2-3 run (default 0: Open, 7.2/2-3 skipped; ERRATA E-164)"}},
    .offers = {std::string(cap::coap_server)},
    .check = [](const DutUrl& u) {
        (void)parse(u);
        return std::vector<std::string>{std::string(cap::coap_server)};
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> { return std::make_unique<Lwm2mLink>(u, o, parse(u)); },
});

}  // namespace
}  // namespace metercert::rigs::links
