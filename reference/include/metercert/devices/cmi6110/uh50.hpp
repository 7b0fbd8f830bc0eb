// The heat meter behind a CMi6110: a Landis+Gyr UltraHeat UH50 as the module reads it (CMi6110
// manual §7.4.1 Tables 4/5, §6.3.1 Table 3). Pure logic: the registers evolve with simulated time
// only, deterministically from a seed:
//
//   * the seed fixes a constant power (5–20 kW, whole W), a forward temperature (60.0–80.0 °C)
//     and a return temperature 20.0–30.0 °C below it (0.1 °C steps); the flow follows from them
//     (q = P / (ρ·c·ΔT), ρ·c = 4.186 kJ/(l·K), whole l/h); the draws are std::mt19937_64(seed)
//     outputs taken modulo the range (the standard fixes the engine's outputs, not those of
//     std::uniform_int_distribution, so every library gives the same meter);
//   * energy and volume integrate power and flow over simulated time (µs exact, registers floor
//     to their resolution: kWh, litres); tariff 1 counts the same energy (the UH50's default
//     tariff register), tariffs 2 and 3 stay 0;
//   * "missing time" counts whole hours during which any error bit of Table 3 was set;
//   * the meter's date/time is its own clock: a UtcMapping whose "UTC" is the meter's local
//     standard time (§7.3.1: no DST), read at minute resolution (type F);
//   * the error bits of Table 3 are injected with set_error(); bit n of the error-flags register
//     (DIB 9, 02 FD 17) is the table's bit n.
#pragma once

#include <cstdint>
#include <string_view>

#include "metercert/devices/cmi6110/readout.hpp"
#include "metercert/time.hpp"

namespace metercert::devices::cmi6110 {

// Table 3 (TKB3448 V1.1): bit number = the enumerator's value
enum class Uh50Error : std::uint8_t { F0 = 0, F1, F2, F3, F41, F5, F6, F7, F8, F9, F0V, F7V2 };
inline constexpr unsigned kUh50ErrorCount = 12;
std::string_view error_name(Uh50Error e) noexcept;  // "F0", …, "F41", …, "F7V2"
// For the identifier as the table prints it; false for another name
bool parse_uh50_error(std::string_view name, Uh50Error& out) noexcept;

class Uh50 {
public:
    // `start`: the simulated time the registers start counting from (all zero then)
    Uh50(std::uint32_t meter_id, std::uint64_t seed, TimePoint start);

    [[nodiscard]] std::uint32_t meter_id() const noexcept { return meter_id_; }
    [[nodiscard]] std::int64_t power_w() const noexcept { return power_w_; }
    [[nodiscard]] std::int64_t flow_l_per_h() const noexcept { return flow_l_h_; }
    [[nodiscard]] std::int64_t forward_decidegrees() const noexcept { return forward_dc_; }
    [[nodiscard]] std::int64_t return_decidegrees() const noexcept { return return_dc_; }

    // Integrates up to `t` (earlier times are ignored: the meter does not run backwards)
    void advance_to(TimePoint t);
    // Sets or clears an error bit from time `t` on (advances to `t` first)
    void set_error(Uh50Error e, bool on, TimePoint t);
    [[nodiscard]] std::uint16_t error_flags() const noexcept { return flags_; }

    // The readout at `t` (advances to `t`); its date/time is `meter_clock.to_utc(t)` floored to
    // the minute. Energy VIF 06 (kWh), volume 13 (l), power 2B (W), flow 3B (l/h), temperatures
    // 5A/5E (0.1 °C), tariffs 06 (kWh), missing time 22 (h).
    Readout read(TimePoint t, const UtcMapping& meter_clock);

private:
    std::uint32_t meter_id_;
    std::int64_t power_w_ = 0, flow_l_h_ = 0, forward_dc_ = 0, return_dc_ = 0;
    TimePoint now_;
    // integrals: whole Wh and litres, plus the remainders in W·µs and (l/h)·µs (< 3.6e9); one
    // advance of up to 14 years stays within int64 at 20 kW
    std::int64_t energy_wh_ = 0, energy_rem_ = 0, volume_l_ = 0, volume_rem_ = 0;
    Duration error_time_{0};
    std::uint16_t flags_ = 0;
};

}  // namespace metercert::devices::cmi6110
