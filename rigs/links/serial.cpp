// serial:// — a serial M-Bus line: a level converter or UART, 8E1 (libserialport; termios for
// pseudo-terminals). Capabilities: mbus.request, and mbus.line on a real UART (the master sets its
// rate and sees its timing). A pseudo-terminal (a simulator's --pty, a socat link) carries bytes
// without a line: no parity, no rate, no bit timing — it offers mbus.request only.
//
//   serial:///dev/ttyUSB0?baud=2400&echo=1&latency=MS
#include <climits>
#include <cstdlib>

#include <fmt/format.h>

#include "params.hpp"

namespace metercert::rigs::links {
namespace {

struct Config {
    FdPortOptions fo;
};

Config parse(const DutUrl& u) {
    Params p{u};
    Config c;
    c.fo.latency_ms = static_cast<double>(p.num("latency", 20, 0, 60000));
    c.fo.is_tty = true;
    c.fo.baud = mbus_baud(u, p.num("baud", 2400, 300, 38400));
    c.fo.echo = p.num("echo", 0, 0, 1) == 1;
    p.check_all_used();
    return c;
}

// A pseudo-terminal, however it is named (a symlink, a socat link): its real path is under /dev/pts/.
bool is_pty(const std::string& path) {
    char real[PATH_MAX];
    return realpath(path.c_str(), real) && std::string(real).rfind("/dev/pts/", 0) == 0;
}

std::vector<std::string> offered(const DutUrl& u) {
    std::vector<std::string> caps{std::string(cap::mbus_request)};
    if (!is_pty(u.target)) caps.emplace_back(cap::mbus_line);
    return caps;
}

const bool registered = register_link({
    .name = "serial",
    .form = "serial:///dev/ttyUSB0",
    .summary = "a serial M-Bus line (a level converter or UART, 8E1; a pseudo-terminal has no line)",
    .params = {{"baud", "the line's rate, 300…38400 (default 2400)"},
               {"echo", "1 for converters that echo the master's bytes (default 0)"},
               {"latency", "extra allowance for a USB adapter, ms (default 20)"}},
    .offers = {std::string(cap::mbus_request), std::string(cap::mbus_line)},
    .check = [](const DutUrl& u) {
        (void)parse(u);
        return offered(u);
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> {
        const Config c = parse(u);
        auto link = std::make_unique<FdLink>(u, o.tap);
        const bool line = !is_pty(u.target);
        link->attach(open_serial(u.target, c.fo.baud), c.fo, line,
                     fmt::format("serial {} at {} baud 8E1{}", u.target, c.fo.baud, c.fo.echo ? ", echo suppressed" : ""));
        return link;
    },
});

}  // namespace
}  // namespace metercert::rigs::links
