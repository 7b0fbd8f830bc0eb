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
    // Faults of issue 11 ("a wrong value is a must failure"; "split every ambiguous point"): each is
    // caught by a must case unless it only picks another reading the manual allows (marked "reading").
    energy_plus_one,        // 1.8.0 (Table 6 row 0: 04 (83-86)3B) one register unit too high: 1 Wh at VIF 0x83
    extra_record,           // the last telegram carries one record no readout line gives (04 13: a volume, 0 l)
    blank_text_record,      // reading: a blank readout value (C.1.1) sent as an empty text record 0D FD0A 00
    medium_water,           // header medium 0x07 (water): neither reading of §6.7.2.2/§6.1 (ERRATA E-1)
    early_reply,            // replies 5 bit times after the request, before EN 13757-2's earliest 11
    padded_id_zero_filled,  // reading: a padded 0.0 taken with its padding as zeros (00120858; ERRATA E-17)
    padded_id_left_aligned, // a padded 0.0's digits left-aligned and zero-filled on the right (12085800)
    readout_flag_stuck,     // FD17 bit 8 "error during meter data readout" always set (Table 5)
    acks_refused_commands,  // reading: ACKs the SND_UD commands it refuses (values the manual excludes; ERRATA E-20)
    out_of_range_applied,   // takes values the manual excludes: address > 0xFA, non-BCD ID, P1 with non-digits,
                            // rate 7–0xFE, a 9-byte OBIS selection list, text index > 12
    medium_mask_ignored,    // a selection's medium byte is not compared: 0x07 selects an electricity meter (§6.7.7)
    medium_mask_literal,    // reading: only medium masks 0x00 and 0xFF match, 0x02 does not (§6.7.7; ERRATA E-1, E-20)
    signon_mask_msb_first,  // reading: the §6.7.15 method list taken MSByte first (ERRATA E-20)
    signon_mask_ignored,    // the §6.7.15 method list is ACKed and ignored: every command signs on with P1
    baud_switch_ignored,    // ACKs a baud switch (CI 0xB8–0xBD) and stays at its rate (§6.7.3)
    only_300_2400,          // reading: only 300 and 2400 baud (§6.3, §8.1); CI 0xB9, 0xBA, 0xBC, 0xBD get no reply
    fd1a_unknown_11,        // reading: the disconnector's unknown actual state sent as FD1A bits 1–0 = 11 (Table 5)
    fd1a_unknown_as_on,     // the unknown actual state (before the first pulse) reported as on, 01 (Table 5)
};
std::string_view fault_name(Cmi1020Fault f) noexcept;
std::optional<Cmi1020Fault> fault_from_name(std::string_view name) noexcept;
std::vector<std::string_view> fault_names();  // every fault but none

// The frame the faulty slaves receive instead of `frame` (empty: they ignore it), given their
// primary address `own`.
std::vector<std::uint8_t> fault_on_request(Cmi1020Fault f, std::span<const std::uint8_t> frame, std::uint8_t own);
// The reply the faulty slave sends to `request` instead of `reply` (empty: nothing readable).
std::vector<std::uint8_t> fault_on_reply(Cmi1020Fault f, std::span<const std::uint8_t> request, std::vector<std::uint8_t> reply);
// The reply the faulty slave sends to `request` it stayed silent to (empty: silence), given its
// primary address `own` (acks_refused_commands).
std::vector<std::uint8_t> fault_on_silence(Cmi1020Fault f, std::span<const std::uint8_t> request, std::uint8_t own);
// Extra reply delay of the fault, ms (late_reply; negative for early_reply), at `baud`.
double fault_extra_delay_ms(Cmi1020Fault f, unsigned baud) noexcept;
// The header ID a faulty slave derives from its meter's 0.0 (the padded_id_* faults), given the
// ID Table 4 gives (`id`) and the 0.0 value as sent, padding included; nullopt: `id` unchanged.
std::optional<std::uint32_t> fault_meter_id(Cmi1020Fault f, std::string_view customer_number_raw) noexcept;

}  // namespace metercert::devices
