// `metercert rig check FILE [--exercise] [--json]`: a rig file — a labgrid environment file naming,
// per DUT, the drivers of its supply, rate inputs, button and LED (README "Rigs") — loaded by
// labgrid and checked by metercert.rig (bindings/metercert/rig/__main__.py), which does the work.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "python.hpp"

namespace metercert::cli {

namespace {

struct RigCheckOptions {
    std::string file;
    bool exercise = false;
    bool json = false;
};

}  // namespace

void add_rig(CLI::App& app, int& exit_code) {
    auto* rig = app.add_subcommand("rig", "Rig files: the relays in front of a DUT, as a labgrid environment file (README 'Rigs').");
    rig->require_subcommand(1);
    auto o = std::make_shared<RigCheckOptions>();
    auto* check = rig->add_subcommand(
        "check",
        "Check a rig file: labgrid loads it (labgrid.Environment), makes every target, and each role the\n"
        "target's options name — power (a PowerProtocol driver, with power_safe: on|off), rate_input_a /\n"
        "rate_input_b, button, led (DigitalOutputProtocol drivers; led is only read, led_colour: red|green\n"
        "the LED it watches) — names an existing driver of that protocol; probe (an IEC 62056-21 optical\n"
        "probe on the meter) names a RawSerialPort or USBSerialPort resource (probe_max_baud: its highest\n"
        "rate, optional); network (the module's network service, a CMi6110's LwM2M) names a NetworkService\n"
        "resource. Each problem is one line 'FILE: targets.T.options.ROLE: what' on stderr. Nothing is\n"
        "activated and nothing switches unless --exercise. Exit 0 usable, 1 problems (or a switch\n"
        "that failed), 2 no such file. LG_* environment variables fill the file's !template values.");
    check->add_option("file", o->file, "the rig file (YAML)")->required();
    check->add_flag("--exercise", o->exercise,
                    "switch every role once — supply off then on, each output on then off, read back where the\n"
                    "board answers — and leave the safe state; prints every switch; a led input is read,\n"
                    "never set; a probe makes one mode C readout of the meter");
    check->add_flag("--json", o->json, "print the targets' roles and problems as JSON on stdout");
    check->callback([o, &exit_code] {
        std::vector<std::string> args{"-m", "metercert.rig", "check", o->file};
        if (o->exercise) args.push_back("--exercise");
        if (o->json) args.push_back("--json");
        const auto res = run_python(args);
        exit_code = res.stop_signal ? 128 + res.stop_signal : res.status <= 2 ? res.status : 2;
    });
}

}  // namespace metercert::cli
