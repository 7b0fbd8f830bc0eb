#include "metercert/rigs/clock.hpp"

#include <ctime>

namespace metercert::rigs {

namespace {
Duration read(clockid_t id) noexcept {
    timespec ts{};
    clock_gettime(id, &ts);
    return Duration{static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000};
}
}  // namespace

TimePoint monotonic_now() noexcept { return TimePoint{read(CLOCK_MONOTONIC)}; }

std::int64_t wall_clock_us() noexcept { return read(CLOCK_REALTIME).count(); }

PowerOnClock::PowerOnClock() noexcept : start_(monotonic_now()), utc_{TimePoint{}, utc_now()} {}

}  // namespace metercert::rigs
