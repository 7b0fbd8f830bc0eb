// tcp:// — a TCP connection to a transparent gateway (a CMe3000 on port 10001, any gateway that
// carries raw M-Bus bytes) or to a simulator behind a TCP port. Capability: mbus.request. Not
// mbus.line: the gateway's M-Bus side has a rate of its own (set in the gateway) and TCP hides
// the line's timing.
//
//   tcp://HOST:PORT?latency=MS&baud=2400
#include <fmt/format.h>

#include "params.hpp"

namespace metercert::rigs::links {
namespace {

struct Config {
    HostPort at;
    FdPortOptions fo;
};

Config parse(const DutUrl& u) {
    Params p{u};
    Config c;
    c.fo.latency_ms = static_cast<double>(p.num("latency", 50, 0, 60000));
    c.at = host_port(u, false);
    c.fo.baud = mbus_baud(u, p.num("baud", 2400, 300, 38400));  // the gateway's M-Bus rate (timeouts)
    p.check_all_used();
    return c;
}

// After a close, the time a gateway gets to see the connection go before the next client
// connects (a CMe3000 serves one client at a time and drops a second one).
constexpr double kReleaseMs = 300;

const bool registered = register_link({
    .name = "tcp",
    .form = "tcp://HOST:PORT",
    .summary = "a TCP connection to a transparent gateway (CMe3000) or a simulator",
    .params = {{"latency", "extra allowance for the network and the gateway, ms (default 50)"},
               {"baud", "the gateway's M-Bus rate, for the timeouts (default 2400)"}},
    .offers = {std::string(cap::mbus_request)},
    .check = [](const DutUrl& u) {
        (void)parse(u);
        return std::vector<std::string>{std::string(cap::mbus_request)};
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> {
        const Config c = parse(u);
        auto link = std::make_unique<FdLink>(u, o.tap);
        link->attach(tcp_connect(c.at.host, c.at.port, 5000), c.fo, false, fmt::format("TCP {}", u.target));
        link->release_ms_ = kReleaseMs;
        return link;
    },
});

}  // namespace
}  // namespace metercert::rigs::links
