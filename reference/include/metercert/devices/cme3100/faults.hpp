// The CMe3100's faults: deliberate deviations of the reference CMe3100 (`--dut
// 'sim:cme3100?fault=NAME'`, `metercert simulate cme3100 --fault NAME`), each caught by the cases
// conformance/cme3100-master/faults.json names. One list (fault_spec.hpp), each entry with its hooks:
//
//   master settings — what the gateway's M-Bus master reads the meters with (§6.25.2 Table 7),
//                     applied where the gateway builds its master (conformance/cli/gateway_cmd.cpp)
//
// A hook left empty means the reference's behaviour at that point.
#pragma once

#include <span>
#include <string_view>

#include "metercert/devices/fault_spec.hpp"
#include "metercert/master/master.hpp"

namespace metercert::devices::cme3100 {

struct FaultHooks {
    // Master settings: changes the settings the gateway reads its meters with.
    void (*master_settings)(master::MasterSettings& settings) = nullptr;
};

struct GatewayFaultSpec {
    FaultSpec spec;
    FaultHooks hooks;
};

inline constexpr GatewayFaultSpec kFaults[] = {
    {{"no_selection_retry", "CMe3100 §6.25.2 Table 7",
      "a meter that does not answer its selection is selected once, whatever 'Selection retries' says"},
     {.master_settings = [](master::MasterSettings& s) { s.selection_retries = 0; }}},
};
inline constexpr auto kFaultSpecs = specs_of(kFaults);

// Every fault of the reference CMe3100, in kFaults' order.
constexpr std::span<const FaultSpec> fault_specs() noexcept { return kFaultSpecs; }
// The fault named `name` (nullptr: no such fault; "none" is the reference).
constexpr const GatewayFaultSpec* find_fault(std::string_view name) noexcept {
    const FaultSpec* f = devices::find_fault(kFaultSpecs, name);
    return f ? &kFaults[f - kFaultSpecs.data()] : nullptr;
}

}  // namespace metercert::devices::cme3100
