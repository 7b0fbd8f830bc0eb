// `metercert faults [--json] [DEVICE]`: every fault of every device — the one list each device
// keeps (reference/include/metercert/devices/fault_lists.hpp): name, the clause it deviates from,
// one-line summary. A table by default (per device: how a fault is switched on, then one line per
// fault); --json prints {"cmi1020": [{"name", "clause", "summary"}, …], "e350": […],
// "cme3100": […], "cme3000": […]}, DEVICE alone keeps that device's key. The profiles' faults.json
// name the cases that catch each fault (conformance/tests/test_faults.py holds them to this list).
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "metercert/devices/fault_lists.hpp"

namespace metercert::cli {

namespace {

struct FaultsOptions {
    bool json = false;
    std::string device;
};

// Width in characters of UTF-8 text (fmt pads by characters: "§" is one).
std::size_t width(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

int run_faults(const FaultsOptions& o) {
    std::vector<const devices::DeviceFaults*> shown;
    for (const auto& d : devices::device_faults())
        if (o.device.empty() || d.device == o.device) shown.push_back(&d);
    if (shown.empty()) {
        std::string names;
        for (const auto& d : devices::device_faults()) names += fmt::format("{}{}", names.empty() ? "" : ", ", d.device);
        std::cerr << fmt::format("error: faults: unknown device '{}' (devices: {})\n", o.device, names);
        return 2;
    }
    if (o.json) {
        nlohmann::ordered_json j = nlohmann::ordered_json::object();
        for (const auto* d : shown) {
            auto& list = j[std::string(d->device)] = nlohmann::ordered_json::array();
            for (const auto& f : d->faults)
                list.push_back({{"name", f.name}, {"clause", f.clause}, {"summary", f.summary}});
        }
        std::cout << j.dump(1) << "\n";
        return 0;
    }
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const auto& d = *shown[i];
        std::size_t name_w = 4, clause_w = 6;
        for (const auto& f : d.faults) name_w = std::max(name_w, width(f.name)), clause_w = std::max(clause_w, width(f.clause));
        std::cout << fmt::format("{}{}: {} fault{} — {}\n", i ? "\n" : "", d.device, d.faults.size(),
                                 d.faults.size() == 1 ? "" : "s", d.injection);
        for (const auto& f : d.faults)
            std::cout << fmt::format("  {:<{}}  {:<{}}  {}\n", f.name, name_w, f.clause, clause_w, f.summary);
    }
    return 0;
}

}  // namespace

void add_faults(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<FaultsOptions>();
    auto* cmd = app.add_subcommand("faults",
                                   "List every fault-injected deviation of every simulated device: name, the clause it\n"
                                   "deviates from, summary (cmi1020: sim:cmi1020?fault=NAME; e350: the meter model,\n"
                                   "simulate cmi1020 --meter-fault NAME; cme3100: sim:cme3100?fault=NAME; cme3000;\n"
                                   "cmi1020w: simulate cmi1020w --fault NAME; cmi6110: sim:cmi6110?fault=NAME).");
    cmd->add_flag("--json", o->json,
                  "print {\"DEVICE\": [{\"name\", \"clause\", \"summary\"}, ...], ...} instead of a table");
    cmd->add_option("device", o->device, "only this device: cmi1020, e350, cme3100, cme3000, cmi1020w or cmi6110");
    cmd->callback([o, &exit_code] { exit_code = run_faults(*o); });
}

}  // namespace metercert::cli
