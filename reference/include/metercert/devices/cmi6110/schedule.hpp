// The CMi6110's readout and transmission schedule (CMi6110 manual §7.3). Pure logic on the one
// clock: the schedule is given the meter's clock, never reads one, and exposes next_deadline().
//
//   * The meter's clock is a UtcMapping whose "UTC" is the meter's local standard time (§7.3.1:
//     the module relies on the meter's clock, local standard time, no DST).
//   * Readouts: at meter time 00:00 + k·Treadout of each meter day (§7.3.2, §7.4 "related to
//     meter's clock at time 00:00:00"); an interval that does not divide 1440 restarts the grid at
//     each midnight (ERRATA E-59).
//   * Timestamps: meter time − UTC offset (§7.3.1: +60 in Sweden turns 12:00 into 11:00 UTC).
//   * Transmissions: planned at T1 = 00:00 + k·Ttransmit of the meter day, sent at a time drawn
//     uniformly from [T1 + Toffset, T1 + Toffset + Tdelay] (§7.3.3), whole seconds, both ends
//     included. The draw is std::mt19937_64(seed): one engine output per transmission, taken
//     modulo (Tdelay in s + 1) — the standard fixes the engine's outputs but not those of
//     std::uniform_int_distribution, so this is reproducible on every library.
//   * Toffset + Tdelay ≤ Ttransmit, else Toffset = 0 and Tdelay = Ttransmit (§7.3.3; ERRATA E-60,
//     which also says why Toffset is minutes).
//   * Time synchronisation (§7.3.2): the schedule restarts from the new meter time, and one
//     readout and one transmission happen at the synchronisation itself (ERRATA E-61).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "metercert/time.hpp"

namespace metercert::devices::cmi6110 {

struct ScheduleConfig {
    std::chrono::minutes readout_interval{60};     // §7.5 5–1440, default 60
    std::chrono::minutes transmit_interval{1440};  // §7.5 5–1440, default 1440
    std::chrono::minutes transmit_offset{30};      // §7.5 default 30 (minutes: ERRATA E-60)
    std::chrono::minutes transmit_delay{240};      // §7.5 1–240, default 240
    std::chrono::minutes utc_offset{0};            // §7.5 −720–720, default 0
};

// Toffset and Tdelay as the module uses them: §7.3.3's clamp applied
struct TransmitWindow {
    Duration offset{0};
    Duration delay{0};
    bool clamped = false;
};
TransmitWindow effective_window(const ScheduleConfig& c) noexcept;

// §7.3.1: the UTC timestamp of a meter (local standard) time
constexpr UtcTime to_utc_timestamp(UtcTime meter_time, std::chrono::minutes utc_offset) noexcept {
    return meter_time - utc_offset;
}

// The first grid point 00:00 + k·interval (of the meter day, restarting at midnight) at or after
// `meter_time` (strictly after when `after` is true)
UtcTime next_grid_point(UtcTime meter_time, std::chrono::minutes interval, bool after) noexcept;

enum class ScheduleEventKind : std::uint8_t { readout, transmission };

struct ScheduleEvent {
    ScheduleEventKind kind = ScheduleEventKind::readout;
    TimePoint at{};              // simulated time
    UtcTime meter_time{};        // the meter's clock then (readouts: the grid point)
    UtcTime timestamp{};         // readouts: meter_time − UTC offset; transmissions: UTC of `at`
    TimePoint planned{};         // transmissions: T1; readouts: `at`
    bool synchronisation = false;  // the extra readout/transmission of §7.3.2
};

class Schedule {
public:
    // Starts at `now`: the first readout and transmission are the first grid points after the
    // meter's time then (at it, if it is one)
    Schedule(ScheduleConfig config, UtcMapping meter_clock, std::uint64_t seed, TimePoint now);

    [[nodiscard]] const ScheduleConfig& config() const noexcept { return config_; }
    [[nodiscard]] const TransmitWindow& window() const noexcept { return window_; }
    [[nodiscard]] const UtcMapping& meter_clock() const noexcept { return clock_; }
    [[nodiscard]] TimePoint next_readout() const noexcept { return next_readout_; }
    [[nodiscard]] TimePoint next_transmission() const noexcept { return next_tx_; }
    [[nodiscard]] TimePoint next_deadline() const noexcept;

    // Every event due at or before `t`, in time order (a readout before a transmission at the same
    // time, so that the transmission can carry it)
    std::vector<ScheduleEvent> advance_to(TimePoint t);

    // §7.3.2: the meter's clock is set at `now` (to `new_clock`); returns the extra readout and
    // transmission, both at `now`, and reschedules from the new meter time
    std::vector<ScheduleEvent> synchronise(UtcMapping new_clock, TimePoint now);

private:
    void plan_from(TimePoint now, bool inclusive);
    void plan_transmission(UtcTime t1_meter);
    ScheduleEvent event(ScheduleEventKind kind, TimePoint at, TimePoint planned, bool sync) const;

    ScheduleConfig config_;
    TransmitWindow window_;
    UtcMapping clock_;
    std::mt19937_64 gen_;
    TimePoint next_readout_{};
    TimePoint next_tx_{};
    TimePoint next_tx_planned_{};
    UtcTime next_tx_t1_meter_{};
};

}  // namespace metercert::devices::cmi6110
