// The CMi1020W's faults (fault_spec.hpp): one list, name, clause and summary, in the order of
// Cmi1020WFault; the model (cmi1020w.hpp) acts on Cmi1020WOptions::fault. Header only, so that
// the readers of names only (fault_lists.hpp) need not link the model.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "metercert/devices/fault_spec.hpp"

namespace metercert::devices {

enum class Cmi1020WFault : std::uint8_t {
    none,
    bad_crc,
    access_number_not_in_iv,
    access_number_frozen,
    field_order_changed,
    plain_while_encrypted,
    wrong_key,
    default_field_missing,
    wrong_device_type,
    first_telegram_late,
    rate_inputs_enabled,
    red_led_not_lit_at_power_up,
};

struct Cmi1020WFaultSpec {
    FaultSpec spec;
    Cmi1020WFault fault;
};

inline constexpr Cmi1020WFaultSpec kCmi1020WFaults[] = {
    {{"bad_crc", "EN 13757-4 §5.3 (frame format A)", "the CRC of the first block is wrong (its low byte inverted)"},
     Cmi1020WFault::bad_crc},
    {{"access_number_not_in_iv", "OMS Vol. 2 §9.2.4 (mode 5 IV = M ‖ A ‖ access number × 8)",
      "encrypts with IV bytes 8-15 zero whatever the access number (seen from the 2nd telegram on; needs --key)"},
     Cmi1020WFault::access_number_not_in_iv},
    {{"access_number_frozen", "EN 13757-7 (access number +1 per telegram; ERRATA E-55)",
      "every telegram carries the first access number"},
     Cmi1020WFault::access_number_frozen},
    {{"field_order_changed", "CMi1020W manual \"configuration\" (fields in the meter's order)",
      "sends the default fields in the reverse of the meter's order"},
     Cmi1020WFault::field_order_changed},
    {{"plain_while_encrypted", "CMi1020W manual \"operation and function\" (encryption as configured)",
      "sends plain data (security mode 0) although a key is configured"},
     Cmi1020WFault::plain_while_encrypted},
    {{"wrong_key", "OMS Vol. 2 §9.2.4 (mode 5 with the configured key)",
      "encrypts with the configured key's bytes inverted (needs --key)"},
     Cmi1020WFault::wrong_key},
    {{"default_field_missing", "CMi1020W manual \"configuration\" (default fields)",
      "leaves out the first energy field the meter sends (1.8.0, else 2.8.0 or 15.8.0)"},
     Cmi1020WFault::default_field_missing},
    {{"wrong_device_type", "EN 13757-3 Table 3 (device type electricity 0x02; ERRATA E-53)",
      "gives device type 0x07 (water) in the A-field"},
     Cmi1020WFault::wrong_device_type},
    {{"first_telegram_late", "CMi1020W manual \"operation and function\" (~15 s red LED after power-up; ERRATA E-54)",
      "the first meter read and telegram 30 s after power-up, not ~15 s"},
     Cmi1020WFault::first_telegram_late},
    {{"rate_inputs_enabled", "CMi1020W manual \"rate inputs\" (disabled in the default configuration)",
      "the rate inputs set the meter's rate in the default configuration"},
     Cmi1020WFault::rate_inputs_enabled},
    {{"red_led_not_lit_at_power_up", "CMi1020W manual \"operation and function\" (red LED lit after power-up, \"LED indications\"; ERRATA E-144)",
      "the red LED stays dark from power-up until the first meter read (the telegrams are unchanged)"},
     Cmi1020WFault::red_led_not_lit_at_power_up},
};
inline constexpr auto kCmi1020WFaultSpecs = specs_of(kCmi1020WFaults);

constexpr std::span<const Cmi1020WFaultSpec> cmi1020w_faults() noexcept { return kCmi1020WFaults; }
constexpr std::span<const FaultSpec> cmi1020w_fault_specs() noexcept { return kCmi1020WFaultSpecs; }

// By the names of the list, and "none".
constexpr std::optional<Cmi1020WFault> cmi1020w_fault_from_name(std::string_view name) noexcept {
    if (name == "none") return Cmi1020WFault::none;
    for (const auto& f : kCmi1020WFaults)
        if (f.spec.name == name) return f.fault;
    return std::nullopt;
}
constexpr std::string_view cmi1020w_fault_name(Cmi1020WFault f) noexcept {
    for (const auto& s : kCmi1020WFaults)
        if (s.fault == f) return s.spec.name;
    return "none";
}

}  // namespace metercert::devices
