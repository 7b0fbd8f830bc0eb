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
//   slave logic  Table 5 data in every telegram; values the manual excludes taken; the push
//                button, power-on and rate deviations                                  Cmi1020
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
    // Slave logic of the push button (§5.3, §5.4, §6.7.8): a press toggles while the capacitor
    // charges; the push-button enable bits are ignored; a toggle leaves the EEPROM setting as it
    // was; the hold at power-up that resets (zero: the reference's 10 s); the reset keeps the
    // primary address.
    bool button_ignores_capacitor = false;
    bool button_ignores_enable = false;
    bool button_keeps_eeprom = false;
    Duration factory_reset_hold{};
    bool factory_reset_keeps_address = false;
    // Slave logic after a power cycle (§5.2.1): the first readout a whole period (30 s) late; no
    // pulse of the disconnector to its EEPROM state; the rate not set.
    bool first_readout_late = false;
    bool no_power_on_pulse = false;
    bool rate_not_set_at_power_on = false;
    // Slave logic of the rate (§6.7.11, §7.2): a change of the rate inputs selects the rate even
    // when rate selection is off (0).
    bool rate_inputs_always = false;

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
