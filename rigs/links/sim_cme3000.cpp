// sim:cme3000 — metercert's reference CMe3000 transparent gateway as a process (`metercert
// simulate cme3000`, Table 3 factory settings) in front of simulated CMi1020 slaves, reached over
// TCP as a real CMe3000 is. Capabilities: mbus.request (through the gateway, as tcp://) and
// sim.cme3000 (the simulator itself: the process, its statistics file of Figures 6 and 9 in
// its working directory, simulator()->messages()).
//
//   sim:cme3000?count=1&secondary=NNNNNNNN&disconnect_timeout=10&time_scale=1&fault=none
//
// A profile that keeps one gateway for a whole run and opens its own connections to it (the
// cme3000 profile: raw sockets, one client at a time) starts it with simulator_command(url,
// {"--stats", FILE}) and a SimulatorProcess instead of opening the link.
#include <fmt/format.h>

#include "metercert/devices/fault_lists.hpp"
#include "params.hpp"

namespace metercert::rigs::links {
namespace {

struct Config {
    SimulatedBus bus;
    std::string disconnect_timeout;
    std::string time_scale;
    std::string fault;
};

Config parse(const DutUrl& u) {
    Params p{u};
    Config c;
    c.bus = simulated_bus_params(p);
    if (p.has("disconnect_timeout"))
        c.disconnect_timeout = std::to_string(p.num("disconnect_timeout", 10, 0, 86400UL * 365));
    if (p.has("time_scale")) c.time_scale = std::to_string(p.num("time_scale", 1, 1, 1000));
    const std::string fault = c.fault = p.str("fault", "none");
    const auto* faults = devices::find_device_faults("cme3000");
    if (fault != "none" && !(faults && devices::find_fault(faults->faults, fault)))
        fail(u, fmt::format("fault={} is unknown ({})", fault, devices::fault_choices(faults ? faults->faults : std::span<const devices::FaultSpec>{})));
    p.check_all_used();
    return c;
}

SimulatorCommand command(const DutUrl& u, const std::vector<std::string>& extra) {
    const Config c = parse(u);
    SimulatorCommand cmd{"cme3000", {}};
    add_bus_option(u, c.bus, extra, cmd.options);
    if (!c.disconnect_timeout.empty()) cmd.options.insert(cmd.options.end(), {"--disconnect-timeout", c.disconnect_timeout});
    if (!c.time_scale.empty()) cmd.options.insert(cmd.options.end(), {"--time-scale", c.time_scale});
    if (c.fault != "none") cmd.options.insert(cmd.options.end(), {"--fault", c.fault});
    cmd.options.insert(cmd.options.end(), extra.begin(), extra.end());
    return cmd;
}

const bool registered = register_link({
    .name = "sim:cme3000",
    .form = "sim:cme3000",
    .summary = "metercert's reference CMe3000 gateway as a process (simulate cme3000) in front of simulated CMi1020 slaves",
    .params = {{"count", "simulated CMi1020 slaves behind it, 1…250 (default 1)"},
               {"secondary", "8-digit identification number of the first slave"},
               {"disconnect_timeout", "Table 3's disconnect timeout, whole s (default 10; 0 = never)"},
               {"time_scale", "gateway seconds per real second for the disconnect timeout, 1…1000 (default 1; the profile's default DUT: 5)"},
               {"fault", "none, or a deliberate deviation of the gateway (metercert faults cme3000)"}},
    .offers = {std::string(cap::mbus_request), std::string(cap::sim_cme3000)},
    .check = [](const DutUrl& u) {
        (void)parse(u);
        return std::vector<std::string>{std::string(cap::mbus_request), std::string(cap::sim_cme3000)};
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> {
        auto link = std::make_unique<ProcessLink>(u, o);
        link->start(o, command(u, {"--stats", (link->workdir() / "stats.json").string()}), cap::sim_cme3000,
                    "metercert's reference CMe3000 (simulate cme3000)");
        return link;
    },
    .simulator = command,
});

}  // namespace
}  // namespace metercert::rigs::links
