// `metercert simulate DEVICE [options]`: one subcommand per simulated device, each with its own
// options, read from the registry the device files fill (simulate/registry.hpp; one file per
// device in simulate/, the event loop in rigs/include/metercert/rigs/sim_host.hpp). An option of
// another device is a usage error naming whose option it is (main.cpp, parse_error_line).
#include <map>
#include <memory>

#include "commands.hpp"
#include "simulate/registry.hpp"

namespace metercert::cli {

namespace {
std::map<std::string, SimulatedDevice>& registry() {
    static std::map<std::string, SimulatedDevice> devices;
    return devices;
}
}  // namespace

bool register_simulated_device(SimulatedDevice device) {
    registry()[device.name] = std::move(device);
    return true;
}

std::vector<SimulatedDevice> simulated_devices() {
    std::vector<SimulatedDevice> out;
    for (const auto& [name, d] : registry()) out.push_back(d);
    return out;
}

void add_simulate(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("simulate",
                                   "Run reference devices so that any M-Bus master can talk to them. Each prints one\n"
                                   "JSON line on stdout when it is ready (where it listens, what it is: README.md,\n"
                                   "\"simulate\"). `metercert simulate DEVICE --help` lists that device's options.");
    cmd->require_subcommand(1);
    for (const auto& device : simulated_devices()) {
        auto* c = cmd->add_subcommand(device.name, device.summary);
        auto start = std::make_shared<std::function<int()>>(device.add_options(*c));
        c->callback([start, &exit_code] { exit_code = (*start)(); });
    }
}

}  // namespace metercert::cli
