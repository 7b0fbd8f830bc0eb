// The interfaces of the CMi6110 capabilities (capabilities.hpp) a DUT link offers:
//
//   cmi6110.uplinks  Cmi6110Uplinks: the uplinks a CMi6110 sent, each with its transmit (or
//                    receive) time UTC, encoding and payload, and the §7.5 configuration the module
//                    had — from a capture (cmi6110+uplinks:FILE, the uplinks file of
//                    reference/include/metercert/devices/cmi6110/module.hpp) or from the built-in
//                    module (sim:cmi6110);
//   sim.cmi6110      SimCmi6110: the built-in reference module (sim:cmi6110) — its UH50's
//                    parameters (exact values) and further runs of it with other settings (the
//                    same readouts in every encoding, the manual's examples), the URL's fault kept.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "metercert/devices/cmi6110/module.hpp"

namespace metercert::rigs {

class Cmi6110Uplinks {
public:
    virtual ~Cmi6110Uplinks() = default;
    [[nodiscard]] virtual const devices::cmi6110::ModuleConfig& uplinks_config() const = 0;
    // in time order; Uplink::readouts is empty for a capture
    [[nodiscard]] virtual const std::vector<devices::cmi6110::Uplink>& uplinks() const = 0;
};

// One run of the built-in module: what it was given and what it did
struct Cmi6110Run {
    devices::cmi6110::ModuleConfig config;
    devices::cmi6110::SimulationRun run;
    devices::cmi6110::SimulationResult result;
};

class SimCmi6110 {
public:
    virtual ~SimCmi6110() = default;
    // The run of the URL itself
    [[nodiscard]] virtual const Cmi6110Run& sim_run() const = 0;
    // A further run: the URL's parameters with `params` replacing them (an empty value removes
    // one: its default); the URL's fault= is kept and may not be given. DutError for a bad one.
    [[nodiscard]] virtual Cmi6110Run rerun(const std::map<std::string, std::string>& params) const = 0;
};

}  // namespace metercert::rigs
