// Every device's fault list (fault_spec.hpp), for the readers that need names, clauses and
// summaries only: `metercert faults [--json] [DEVICE]`, the bindings, and through them the
// profiles. Header only: it adds no dependency between the device libraries; a reader links the
// libraries of the devices whose lists it shows (metercert_cmi1020 for cmi1020 and e350; the
// CMe3000's, the CMe3100's, the CMi1020W's and the CMi6110's lists are header only).
#pragma once

#include <span>
#include <string_view>

#include "metercert/devices/cme3000_faults.hpp"
#include "metercert/devices/cme3100/faults.hpp"
#include "metercert/devices/cmi1020w_faults.hpp"
#include "metercert/devices/cmi6110/faults.hpp"
#include "metercert/devices/e350.hpp"
#include "metercert/devices/fault_spec.hpp"
#include "metercert/devices/faults.hpp"

namespace metercert::devices {

struct DeviceFaults {
    std::string_view device;     // as in `simulate DEVICE` / sim:DEVICE ("e350": the meter model)
    std::string_view injection;  // how one of its faults is switched on
    std::span<const FaultSpec> faults;
};

// cmi1020, e350, cme3100, cme3000, cmi1020w, cmi6110 — in this order.
inline std::span<const DeviceFaults> device_faults() {
    static const DeviceFaults lists[] = {
        {"cmi1020", "--dut 'sim:cmi1020?fault=NAME' (every slave of the simulated bus)", cmi1020_fault_specs()},
        {"e350", "the meter behind each simulated CMi1020: simulate cmi1020 --meter-fault NAME; meter.fault = NAME in a case",
         e350_fault_specs()},
        {"cme3100", "--dut 'sim:cme3100?fault=NAME'; simulate cme3100 --fault NAME", cme3100::fault_specs()},
        // and a gateway serving two clients at once: conformance/tests/test_gateway_faults.py
        {"cme3000", "--dut 'sim:cme3000?fault=NAME'; simulate cme3000 --fault NAME", cme3000_fault_specs()},
        {"cmi1020w", "simulate cmi1020w --fault NAME (the telegrams of the module fed by the E350 model)",
         cmi1020w_fault_specs()},
        {"cmi6110", "--dut 'sim:cmi6110?fault=NAME'; simulate cmi6110 --fault NAME (the module's uplinks)",
         cmi6110::fault_specs()},
    };
    return lists;
}

// The list of `device`; nullptr when no device has that name.
inline const DeviceFaults* find_device_faults(std::string_view device) {
    for (const DeviceFaults& d : device_faults())
        if (d.device == device) return &d;
    return nullptr;
}

}  // namespace metercert::devices
