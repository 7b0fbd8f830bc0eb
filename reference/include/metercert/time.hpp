// The one clock of metercert's models and ports (metercert DESIGN "Models": no I/O and no clock).
//
// - `TimePoint` (on `SimClock`, µs): simulated or monotonic time. Its epoch is wherever the owner
//   of the clock puts it — a simulated bus's power-on, a simulator's start, CLOCK_MONOTONIC's
//   own. Models take it as a parameter (`on_frame(bytes, time)`, `advance_to(time)`) and say when
//   they will next act on their own (`next_deadline()`); they never read a clock.
// - `Duration` (µs): every span of time — timeouts, idle times, reply gaps, bus time. Line timing
//   (EN 13757-2: one bit at 2400 baud is 416⅔ µs) is rounded to the nearest µs at the interface.
// - `UtcMapping`: the one mapping from that clock to UTC, for the devices that keep calendar time
//   (the CMe3100's cron schedule and readout times; the CMi6110 scheduler next).
//
// Only rigs/ reads a real clock (rigs/include/metercert/rigs/clock.hpp); `ci/layering` fails on
// a clock read anywhere in reference/. Milliseconds and seconds as `double` exist only at the
// edges (JSON, text, Python): `to_ms`, `from_ms`, `to_seconds`, `from_seconds`.
#pragma once

#include <chrono>
#include <cstdint>

namespace metercert {

using Duration = std::chrono::microseconds;

// The tag of simulated/monotonic time. It has no now(): whoever owns the clock (a simulated port,
// a rig) hands the time to the models.
struct SimClock {
    using rep = Duration::rep;
    using period = Duration::period;
    using duration = Duration;
    using time_point = std::chrono::time_point<SimClock, Duration>;
    static constexpr bool is_steady = true;
};
using TimePoint = SimClock::time_point;

// Milliseconds (display, JSON, Python) ↔ Duration. from_ms rounds to the nearest µs.
constexpr double to_ms(Duration d) noexcept { return std::chrono::duration<double, std::milli>(d).count(); }
constexpr Duration from_ms(double ms) noexcept {
    return std::chrono::round<Duration>(std::chrono::duration<double, std::milli>(ms));
}
constexpr double to_seconds(Duration d) noexcept { return std::chrono::duration<double>(d).count(); }
constexpr Duration from_seconds(double s) noexcept {
    return std::chrono::round<Duration>(std::chrono::duration<double>(s));
}
// A time point as ms since its clock's epoch (a simulated bus: since power-on).
constexpr double ms_since_epoch(TimePoint t) noexcept { return to_ms(t.time_since_epoch()); }

using UtcTime = std::chrono::sys_time<Duration>;  // UTC, µs since the Unix epoch (no leap seconds)

// The one mapping of TimePoint to UTC: `origin` on the clock is `utc_at_origin` in UTC, and both
// advance at the same rate. A rig makes it once from its real clocks (rigs::utc_mapping_now);
// a test states it (2024-03-01 10:07:30 UTC at power-on).
struct UtcMapping {
    TimePoint origin{};
    UtcTime utc_at_origin{};

    [[nodiscard]] constexpr UtcTime to_utc(TimePoint t) const noexcept { return utc_at_origin + (t - origin); }
    // (a sys_seconds converts implicitly)
    [[nodiscard]] constexpr TimePoint from_utc(UtcTime u) const noexcept { return origin + (u - utc_at_origin); }
    // The UTC second `t` falls in (calendar devices read whole seconds: cron, readout times).
    [[nodiscard]] constexpr std::chrono::sys_seconds utc_seconds(TimePoint t) const noexcept {
        return std::chrono::floor<std::chrono::seconds>(to_utc(t));
    }
};

}  // namespace metercert
