// The CMi1020's faults: deliberate deviations of fault-injected simulators (`sim:cmi1020?fault=NAME`):
// "a suite that cannot fail proves nothing" (metercert DESIGN). Each fault bends the reference
// CMi1020's behaviour in one way a faulty firmware could; the conformance profile must fail exactly
// the cases that cover it (conformance/cmi1020/faults.json, checked in ci/test).
//
// One list (fault_spec.hpp): each entry is the fault's name, the clause it deviates from, a
// one-line summary, and its hooks — the points where it acts:
//
//   received  the frame every slave receives instead of the master's     Cmi1020Bus::on_frame
//   sent      the reply it sends instead of the reference's               Cmi1020Bus::on_frame
//   silence   a reply where the reference stays silent                    Cmi1020Bus::on_frame
//   reply delay  time added to every reply's start                        rigs/ (sim:cmi1020: SimPort)
//   power cycle  what the slave does after a power cycle                  Cmi1020::power_cycle
//   meter ID  the header ID it derives from the meter's 0.0               Cmi1020 (readout interpretation)
//   slave logic  Table 5 data in every telegram; values the manual excludes taken   Cmi1020
//
// A hook left empty means the reference's behaviour at that point; no fault (nullptr) is the
// reference itself, byte for byte.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "metercert/devices/fault_spec.hpp"
#include "metercert/time.hpp"

namespace metercert::devices {

class Cmi1020;

struct Cmi1020FaultHooks {
    // Received frame: what every slave receives instead of `frame` (empty: it ignores the frame),
    // given its primary address `own`.
    std::vector<std::uint8_t> (*received)(std::span<const std::uint8_t> frame, std::uint8_t own) = nullptr;
    // Sent frame: the reply the slave sends to `request` (as the master sent it) instead of
    // `reply` (empty: nothing readable reaches the master).
    std::vector<std::uint8_t> (*sent)(std::span<const std::uint8_t> request, std::vector<std::uint8_t> reply) = nullptr;
    // Silence: what the slave sends to `request` (the frame it received) where the reference stays
    // silent (empty: silence), given its primary address `own`.
    std::vector<std::uint8_t> (*silence)(std::span<const std::uint8_t> request, std::uint8_t own) = nullptr;
    // Reply delay: added to the start of every reply at `baud` (negative: earlier; to the µs).
    Duration (*reply_delay)(unsigned baud) = nullptr;
    // Power cycle: what happens to the slave after Cmi1020::power_cycle() (RAM lost, EEPROM kept).
    void (*power_cycle)(Cmi1020& slave) = nullptr;
    // Meter ID: the header ID derived from the meter's 0.0 value as sent, padding included;
    // nullopt: the ID Table 4 gives.
    std::optional<std::uint32_t> (*meter_id)(std::string_view customer_number_raw) = nullptr;
    // Slave logic: the Table 5 static data opens every telegram, not only the first (§6.6).
    bool static_data_every_telegram = false;
    // Slave logic: SND_UD values the manual excludes are taken (and ACKed) instead of refused.
    bool out_of_range_applied = false;
    // Slave logic: after its first good readout the slave keeps those records: later readouts of
    // the meter succeed (flags as the reference) but never reach the telegrams (a stale register).
    bool stale_records = false;
};

struct Cmi1020FaultSpec {
    FaultSpec spec;
    Cmi1020FaultHooks hooks;
};

// Every fault of the CMi1020 simulator, in a fixed order.
std::span<const Cmi1020FaultSpec> cmi1020_faults() noexcept;
// The same list as name, clause and summary (same order).
std::span<const FaultSpec> cmi1020_fault_specs() noexcept;
// The fault named `name`; nullptr when there is none ("none" is the reference, no fault).
const Cmi1020FaultSpec* find_cmi1020_fault(std::string_view name) noexcept;

}  // namespace metercert::devices
