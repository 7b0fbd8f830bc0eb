// tcp-listen:// — wait for a device that connects to us (a gateway in connect mode, CMe3000
// Figure 6 "Completed Connects"), then talk to it as over tcp://. Capability: mbus.request.
//
//   tcp-listen://HOST:PORT?wait=MS&latency=MS&baud=2400      (PORT 0: any free port, said through
//                                                            LinkOptions::on_listening)
#include <fmt/format.h>

#include "params.hpp"

namespace metercert::rigs::links {
namespace {

struct Config {
    HostPort at;
    FdPortOptions fo;
    double wait_ms = 60000;
};

Config parse(const DutUrl& u) {
    Params p{u};
    Config c;
    c.fo.latency_ms = static_cast<double>(p.num("latency", 20, 0, 60000));
    c.at = host_port(u, true);
    c.fo.baud = mbus_baud(u, p.num("baud", 2400, 300, 38400));
    c.wait_ms = static_cast<double>(p.num("wait", 60000, 1, 86400000));
    p.check_all_used();
    return c;
}

const bool registered = register_link({
    .name = "tcp-listen",
    .form = "tcp-listen://HOST:PORT",
    .summary = "a TCP connection a device opens to us (a gateway in connect mode)",
    .params = {{"wait", "how long to wait for the device, ms (default 60000)"},
               {"latency", "extra allowance for the network, ms (default 20)"},
               {"baud", "the gateway's M-Bus rate, for the timeouts (default 2400)"}},
    .offers = {std::string(cap::mbus_request)},
    .check = [](const DutUrl& u) {
        (void)parse(u);
        return std::vector<std::string>{std::string(cap::mbus_request)};
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> {
        const Config c = parse(u);
        auto link = std::make_unique<FdLink>(u, o.tap);
        link->attach(tcp_accept_one(c.at.host, c.at.port, c.wait_ms, o.on_listening), c.fo, false,
                     fmt::format("TCP connection accepted on {}", u.target));
        link->release_ms_ = 300;  // as tcp://: the device gets to see the connection go
        return link;
    },
});

}  // namespace
}  // namespace metercert::rigs::links
