// The CMe3100's faults: deliberate deviations of the reference CMe3100 (`--dut
// 'sim:cme3100?fault=NAME'`, `metercert simulate cme3100 --fault NAME`), each caught by the cases
// conformance/cme3100-master/faults.json names. One list (fault_spec.hpp), each entry with its hooks:
//
//   master settings — what the gateway's M-Bus master reads the meters with (§6.25.2 Table 7),
//                     applied where the gateway builds its master (conformance/cli/simulate/cme3100.cpp)
//   gateway config  — the gateway model's own deviations (GatewayConfig::deviations: the
//                     wireless meters of §6.5.2 / §6.15)
//
// A hook left empty means the reference's behaviour at that point.
#pragma once

#include <span>
#include <string_view>

#include "metercert/devices/cme3100/gateway.hpp"
#include "metercert/devices/fault_spec.hpp"
#include "metercert/master/master.hpp"

namespace metercert::devices::cme3100 {

struct FaultHooks {
    // Master settings: changes the settings the gateway reads its meters with.
    void (*master_settings)(master::MasterSettings& settings) = nullptr;
    // Gateway config: changes the model's configuration (its deviations).
    void (*gateway_config)(GatewayConfig& config) = nullptr;
};

struct GatewayFaultSpec {
    FaultSpec spec;
    FaultHooks hooks;
};

inline constexpr GatewayFaultSpec kFaults[] = {
    {{"no_selection_retry", "CMe3100 §6.25.2 Table 7",
      "a meter that does not answer its selection is selected once, whatever 'Selection retries' says"},
     {.master_settings = [](master::MasterSettings& s) { s.selection_retries = 0; }}},
    {{"wireless_any_key", "CMe3100 §6.15 (Table 6 matching criteria)",
      "decrypts every wireless meter with the key file's first key, whatever its address, manufacturer, device type and version"},
     {.gateway_config = [](GatewayConfig& c) { c.deviations.wireless_any_key = true; }}},
    {{"wireless_install_unlisted", "CMe3100 §6.5.2 (the wireless Meter List)",
      "installs and reads every wireless meter it hears, listed or not"},
     {.gateway_config = [](GatewayConfig& c) { c.deviations.wireless_install_unlisted = true; }}},
    {{"wireless_not_served", "CMe3100 §6.27 (Virtual M-Bus serves the meters read)",
      "stores a wireless meter's readout but does not serve it on the Virtual M-Bus"},
     {.gateway_config = [](GatewayConfig& c) { c.deviations.wireless_not_served = true; }}},
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
