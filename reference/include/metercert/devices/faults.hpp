// Deliberate deviations for fault-injected simulators (`sim:cmi1020?fault=NAME`): "a suite that
// cannot fail proves nothing" (metercert DESIGN). Each fault bends the reference CMi1020's
// behaviour in one way a faulty firmware could; the conformance profile must fail exactly the
// cases that cover it (conformance/cmi1020/faults.json, checked in ci/test).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace metercert::devices {

enum class Cmi1020Fault : std::uint8_t {
    none,
    wrong_checksum,        // every long frame it sends has its checksum off by one
    ignored_fcb,           // REQ_UD2 is handled as if FCV were 0: no repeat on an untoggled FCB
    any_address,           // answers SND_NKE/REQ_UD2 for every primary address 0–250
    accepts_bad_checksum,  // takes frames whose checksum is wrong (EN 13757-2 §5.4 says: discard)
    literal_wildcard,      // treats nibble F in a selection's ID as a digit, not a wildcard
    late_reply,            // replies 60 ms after EN 13757-2's latest start (330 bit times + 50 ms)
    medium_zero,           // header medium 0x00 as §6.7.2.2's byte table prints (ERRATA E-1)
    wrong_manufacturer,    // header manufacturer ELW instead of ELV
    baud_ack_new_rate,     // switches rate before ACKing a baud switch: the ACK is unreadable at the old rate
    settings_lost,         // EEPROM settings lost on a power cycle (back to the §8.2 factory defaults)
    wrong_vif_exponent,    // energy records (VIF 0000 0nnn, Wh) sent with the exponent one too high: 10× the value
    table5_repeated,       // Table 5 static data in every telegram, not only the first (§6.6, §6.7.2.2)
    wrong_error_flag,      // FD17 bits 3 and 4 swapped: a receive error reported as a timeout and back (Table 5)
};
std::string_view fault_name(Cmi1020Fault f) noexcept;
std::optional<Cmi1020Fault> fault_from_name(std::string_view name) noexcept;
std::vector<std::string_view> fault_names();  // every fault but none

// The frame the faulty slaves receive instead of `frame` (empty: they ignore it), given their
// primary address `own`.
std::vector<std::uint8_t> fault_on_request(Cmi1020Fault f, std::span<const std::uint8_t> frame, std::uint8_t own);
// The reply the faulty slave sends to `request` instead of `reply` (empty: nothing readable).
std::vector<std::uint8_t> fault_on_reply(Cmi1020Fault f, std::span<const std::uint8_t> request, std::vector<std::uint8_t> reply);
// Extra reply delay of the fault, ms (late_reply), at `baud`.
double fault_extra_delay_ms(Cmi1020Fault f, unsigned baud) noexcept;

}  // namespace metercert::devices
