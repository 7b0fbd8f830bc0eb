// The real clocks: the only place metercert reads one (metercert DESIGN "Models": only rigs/
// reads a real clock). Everything below rigs/ takes time as a parameter on the one clock of
// reference/include/metercert/time.hpp; this header says where that time comes from on a host.
//
// - CLOCK_MONOTONIC is the one clock's time on a host (TimePoint, µs): FdPort's timestamps,
//   reply gaps and waits. SimPort keeps a simulated clock instead (no wall-clock waits).
// - CLOCK_REALTIME gives the tap records' wall time (µs since the Unix epoch) and, once, the
//   UtcMapping of a simulator's clock.
#pragma once

#include <cstdint>

#include "metercert/time.hpp"

namespace metercert::rigs {

// CLOCK_MONOTONIC as a TimePoint (µs; its epoch is the kernel's, usually boot).
TimePoint monotonic_now() noexcept;
// CLOCK_REALTIME, µs since the Unix epoch (TapRecord::wall_us, pcap timestamps).
std::int64_t wall_clock_us() noexcept;
// CLOCK_REALTIME as UTC.
inline UtcTime utc_now() noexcept { return UtcTime{Duration{wall_clock_us()}}; }

// The clock of a simulator's devices: TimePoint{} is the simulator's start (its devices'
// power-on: a CMi1020's first readout is 2 s later), advancing with CLOCK_MONOTONIC; its one
// UtcMapping is taken at that start (calendar devices: the CMe3100's schedule and readouts).
class PowerOnClock {
public:
    PowerOnClock() noexcept;
    [[nodiscard]] TimePoint now() const noexcept { return TimePoint{monotonic_now() - start_}; }
    [[nodiscard]] const UtcMapping& utc() const noexcept { return utc_; }
    // The UTC second of now() (calendar devices read whole seconds).
    [[nodiscard]] std::chrono::sys_seconds utc_seconds() const noexcept { return utc_.utc_seconds(now()); }

private:
    TimePoint start_;
    UtcMapping utc_;
};

}  // namespace metercert::rigs
