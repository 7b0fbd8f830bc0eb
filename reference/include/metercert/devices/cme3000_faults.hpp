// The CMe3000's faults: deliberate deviations of the reference CMe3000 (`--dut
// 'sim:cme3000?fault=NAME'`, `metercert simulate cme3000 --fault NAME`), each caught by the cases
// conformance/cme3000/faults.json names. One list (fault_spec.hpp), each entry with its hook on
// the model's settings (cme3000.hpp: Cme3000Settings, its `deviations`), applied by the simulator
// after the command line's settings. Header only, so that the readers of names only
// (fault_lists.hpp) need not link the model.
//
// Faults that need two clients served at once (cross-talk) are not here: the simulator's TCP
// listener serves one client at a time by construction; conformance/tests/test_gateway_faults.py
// keeps that faulty gateway.
#pragma once

#include <span>
#include <string_view>

#include "metercert/devices/cme3000.hpp"
#include "metercert/devices/fault_spec.hpp"

namespace metercert::devices {

struct Cme3000FaultSpec {
    FaultSpec spec;
    void (*settings)(Cme3000Settings& s) = nullptr;  // changes the model's settings / deviations
};

inline constexpr Cme3000FaultSpec kCme3000Faults[] = {
    {{"idle_timeout_3s", "CMe3000 Table 3 (disconnect timeout 10 s; ERRATA E-22)",
      "closes a connection idle for 3 s instead of Table 3's 10 s"},
     [](Cme3000Settings& s) { if (s.disconnect_timeout_s != 0) s.disconnect_timeout_s = 3; }},
    {{"no_idle_disconnect", "CMe3000 Table 3 (disconnect timeout 10 s; ERRATA E-22)",
      "never closes an idle connection, whatever the disconnect timeout says"},
     [](Cme3000Settings& s) { s.disconnect_timeout_s = 0; }},
    {{"dropped_accept_as_completed", "CMe3000 §6.3 Figure 6 (Completed / Dropped Accepts)",
      "counts a connection refused while another is open as a Completed Accept, not a Dropped one"},
     [](Cme3000Settings& s) { s.deviations.dropped_counted_as_completed = true; }},
    {{"serial_octets_not_counted", "CMe3000 §6.3 Figure 6 (Octets forwarded from Serial)",
      "relays the slave's bytes to the client but does not count them as Octets forwarded from Serial"},
     [](Cme3000Settings& s) { s.deviations.serial_octets_not_counted = true; }},
};
inline constexpr auto kCme3000FaultSpecs = specs_of(kCme3000Faults);

// Every fault of the reference CMe3000, in kCme3000Faults' order.
constexpr std::span<const FaultSpec> cme3000_fault_specs() noexcept { return kCme3000FaultSpecs; }
// The fault named `name` (nullptr: no such fault; "none" is the reference).
constexpr const Cme3000FaultSpec* find_cme3000_fault(std::string_view name) noexcept {
    const FaultSpec* f = find_fault(kCme3000FaultSpecs, name);
    return f ? &kCme3000Faults[f - kCme3000FaultSpecs.data()] : nullptr;
}

}  // namespace metercert::devices
