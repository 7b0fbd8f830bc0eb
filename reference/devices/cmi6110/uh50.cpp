#include "metercert/devices/cmi6110/uh50.hpp"

#include <array>
#include <random>

namespace metercert::devices::cmi6110 {

namespace {
constexpr std::array<std::string_view, kUh50ErrorCount> kNames{"F0", "F1", "F2", "F3", "F41", "F5",
                                                              "F6", "F7", "F8", "F9", "F0V", "F7V2"};
constexpr std::int64_t kUsPerHour = 3'600'000'000;
}  // namespace

std::string_view error_name(Uh50Error e) noexcept { return kNames.at(static_cast<unsigned>(e)); }

bool parse_uh50_error(std::string_view name, Uh50Error& out) noexcept {
    for (unsigned i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) {
            out = static_cast<Uh50Error>(i);
            return true;
        }
    return false;
}

Uh50::Uh50(std::uint32_t meter_id, std::uint64_t seed, TimePoint start) : meter_id_(meter_id), now_(start) {
    std::mt19937_64 gen(seed);
    power_w_ = 5000 + static_cast<std::int64_t>(gen() % 15001);      // 5000..20000 W
    forward_dc_ = 600 + static_cast<std::int64_t>(gen() % 201);      // 60.0..80.0 °C
    const auto delta_dc = 200 + static_cast<std::int64_t>(gen() % 101);  // 20.0..30.0 K
    return_dc_ = forward_dc_ - delta_dc;
    // q [l/h] = P [W] · 3600 s/h / (4186 J/(l·K) · ΔT [K]), ΔT = delta_dc / 10
    flow_l_h_ = power_w_ * 3600 * 10 / (4186 * delta_dc);
}

void Uh50::advance_to(TimePoint t) {
    if (t <= now_) return;
    const auto dt = (t - now_).count();
    energy_rem_ += power_w_ * dt;
    energy_wh_ += energy_rem_ / kUsPerHour;
    energy_rem_ %= kUsPerHour;
    volume_rem_ += flow_l_h_ * dt;
    volume_l_ += volume_rem_ / kUsPerHour;
    volume_rem_ %= kUsPerHour;
    if (flags_ != 0) error_time_ += t - now_;
    now_ = t;
}

void Uh50::set_error(Uh50Error e, bool on, TimePoint t) {
    advance_to(t);
    const auto bit = static_cast<std::uint16_t>(1u << static_cast<unsigned>(e));
    flags_ = on ? static_cast<std::uint16_t>(flags_ | bit) : static_cast<std::uint16_t>(flags_ & ~bit);
}

Readout Uh50::read(TimePoint t, const UtcMapping& meter_clock) {
    advance_to(t);
    Readout r;
    const auto local = std::chrono::floor<std::chrono::minutes>(meter_clock.to_utc(t));
    const auto day = std::chrono::floor<std::chrono::days>(local);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{local - day};
    r.time = mbus::DateTime::make('F', static_cast<unsigned>(static_cast<int>(ymd.year())),
                                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                  static_cast<unsigned>(hms.hours().count()), static_cast<unsigned>(hms.minutes().count()));
    r.meter_id = meter_id_;
    const auto kwh = energy_wh_ / 1000;
    r.energy = {{0x06}, kwh};
    r.volume = {{0x13}, volume_l_};
    r.power = {{0x2B}, power_w_};
    r.flow = {{0x3B}, flow_l_h_};
    r.forward_temperature = {{0x5A}, forward_dc_};
    r.return_temperature = {{0x5E}, return_dc_};
    r.error_flags = flags_;
    r.tariff[0] = {{0x06}, kwh};
    r.tariff[1] = {{0x06}, 0};
    r.tariff[2] = {{0x06}, 0};
    r.missing_time = {{0x22}, std::chrono::floor<std::chrono::hours>(error_time_).count()};
    return r;
}

}  // namespace metercert::devices::cmi6110
