// The simulated devices of `metercert simulate` (metercert DESIGN "Transports, simulators, rigs":
// one file per simulated device with its own options). Each file of this folder registers its
// device at static initialisation: its name, a summary, and a function that adds the device's own
// options to its subcommand and returns its start function (which runs the device on a
// rigs::SimHost until SIGINT/SIGTERM and returns the exit code). `simulate` (simulate_cmd.cpp)
// reads the registry: one subcommand per device, no device named anywhere else.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace metercert::cli {

struct SimulatedDevice {
    std::string name;     // the subcommand: cmi1020, cme3000, cme3100
    std::string summary;  // its description in `simulate --help` and `simulate NAME --help`
    // Adds the device's options to `cmd` (bound to an options struct of its own) and returns the
    // function that starts it with the parsed options.
    std::function<std::function<int()>(CLI::App& cmd)> add_options;
};

// Registers a device (static initialisation of its file); returns true so a file can write
// `const bool registered = register_simulated_device({…});`.
bool register_simulated_device(SimulatedDevice device);
// Every registered device, by name.
std::vector<SimulatedDevice> simulated_devices();

}  // namespace metercert::cli
