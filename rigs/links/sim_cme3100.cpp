// sim:cme3100 — metercert's reference CMe3100 metering gateway as a process (`metercert simulate
// cme3100`): it installs the meters of a simulated CMi1020 bus by search, reads them, and serves
// them as Virtual M-Bus on its TCP port. Capabilities: mbus.request (the Virtual M-Bus port) and
// sim.cme3100 (the simulator itself: the process, its messages, its working directory).
//
//   sim:cme3100?count=1&secondary=NNNNNNNN&fault=NAME     (fault: `metercert faults cme3100`)
//
// The cme3100-master profile starts one gateway per case with the meters and files the case
// gives it: simulator_command(url, {"--bus", …, "--meter-list", …}) — the URL adds its fault;
// a caller's --bus/--serial and --meter-list/--search replace the URL's simulated bus and search.
#include <fmt/format.h>

#include "metercert/devices/cme3100/faults.hpp"
#include "params.hpp"

namespace metercert::rigs::links {
namespace {

struct Config {
    SimulatedBus bus;
    std::string fault = "none";
};

Config parse(const DutUrl& u) {
    Params p{u};
    Config c;
    c.bus = simulated_bus_params(p);
    c.fault = p.str("fault", "none");
    if (c.fault != "none" && !devices::cme3100::find_fault(c.fault))
        fail(u, fmt::format("fault={} is unknown ({})", c.fault, devices::fault_choices(devices::cme3100::fault_specs())));
    p.check_all_used();
    return c;
}

SimulatorCommand command(const DutUrl& u, const std::vector<std::string>& extra) {
    const Config c = parse(u);
    SimulatorCommand cmd{"cme3100", {}};
    add_bus_option(u, c.bus, extra, cmd.options);
    if (!has_option(extra, {"--meter-list", "--search"})) cmd.options.emplace_back("--search");
    if (c.fault != "none") cmd.options.insert(cmd.options.end(), {"--fault", c.fault});
    cmd.options.insert(cmd.options.end(), extra.begin(), extra.end());
    return cmd;
}

const bool registered = register_link({
    .name = "sim:cme3100",
    .form = "sim:cme3100",
    .summary = "metercert's reference CMe3100 gateway as a process (simulate cme3100), serving the simulated CMi1020 "
               "slaves it read as Virtual M-Bus",
    .params = {{"count", "simulated CMi1020 slaves it installs by search, 1…250 (default 1)"},
               {"secondary", "8-digit identification number of the first slave"},
               {"fault", "the gateway deviates one way (metercert faults cme3100)"}},
    .offers = {std::string(cap::mbus_request), std::string(cap::sim_cme3100)},
    .check = [](const DutUrl& u) {
        (void)parse(u);
        return std::vector<std::string>{std::string(cap::mbus_request), std::string(cap::sim_cme3100)};
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> {
        auto link = std::make_unique<ProcessLink>(u, o);
        link->start(o, command(u, {"--db", (link->workdir() / "cme3100.db").string(), "--commission-report",
                                   (link->workdir() / "commission.csv").string()}),
                    cap::sim_cme3100, "metercert's reference CMe3100 (simulate cme3100), Virtual M-Bus");
        return link;
    },
    .simulator = command,
});

}  // namespace
}  // namespace metercert::rigs::links
