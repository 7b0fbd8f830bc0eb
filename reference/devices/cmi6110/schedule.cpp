#include "metercert/devices/cmi6110/schedule.hpp"

#include <algorithm>

namespace metercert::devices::cmi6110 {

using std::chrono::minutes;

TransmitWindow effective_window(const ScheduleConfig& c) noexcept {
    TransmitWindow w{c.transmit_offset, c.transmit_delay, false};
    if (c.transmit_offset + c.transmit_delay > c.transmit_interval) {  // §7.3.3 second condition
        w.offset = Duration{0};
        w.delay = c.transmit_interval;
        w.clamped = true;
    }
    return w;
}

UtcTime next_grid_point(UtcTime meter_time, minutes interval, bool after) noexcept {
    const auto midnight = std::chrono::floor<std::chrono::days>(meter_time);
    const UtcTime day_start{midnight};
    const auto into = meter_time - day_start;
    auto k = into / interval;  // whole intervals since midnight
    UtcTime p = day_start + k * interval;
    if (p < meter_time || (after && p == meter_time)) p += interval;
    const UtcTime next_midnight = day_start + std::chrono::days{1};
    return std::min(p, next_midnight);  // ERRATA E-59: the grid restarts at midnight
}

Schedule::Schedule(ScheduleConfig config, UtcMapping meter_clock, std::uint64_t seed, TimePoint now)
    : config_(config), window_(effective_window(config)), clock_(meter_clock), gen_(seed) {
    plan_from(now, true);
}

TimePoint Schedule::next_deadline() const noexcept { return std::min(next_readout_, next_tx_); }

void Schedule::plan_transmission(UtcTime t1_meter) {
    next_tx_t1_meter_ = t1_meter;
    next_tx_planned_ = clock_.from_utc(t1_meter);
    const auto delay_s = std::chrono::duration_cast<std::chrono::seconds>(window_.delay).count();
    const auto draw = static_cast<std::int64_t>(gen_() % static_cast<std::uint64_t>(delay_s + 1));
    next_tx_ = next_tx_planned_ + window_.offset + std::chrono::seconds{draw};
}

void Schedule::plan_from(TimePoint now, bool inclusive) {
    const UtcTime m = clock_.to_utc(now);
    next_readout_ = clock_.from_utc(next_grid_point(m, config_.readout_interval, !inclusive));
    plan_transmission(next_grid_point(m, config_.transmit_interval, !inclusive));
}

ScheduleEvent Schedule::event(ScheduleEventKind kind, TimePoint at, TimePoint planned, bool sync) const {
    ScheduleEvent e;
    e.kind = kind;
    e.at = at;
    e.planned = planned;
    e.meter_time = clock_.to_utc(at);
    e.timestamp = to_utc_timestamp(e.meter_time, config_.utc_offset);
    e.synchronisation = sync;
    return e;
}

std::vector<ScheduleEvent> Schedule::advance_to(TimePoint t) {
    std::vector<ScheduleEvent> out;
    for (;;) {
        if (next_readout_ <= t && next_readout_ <= next_tx_) {
            out.push_back(event(ScheduleEventKind::readout, next_readout_, next_readout_, false));
            next_readout_ = clock_.from_utc(next_grid_point(clock_.to_utc(next_readout_), config_.readout_interval, true));
        } else if (next_tx_ <= t) {
            out.push_back(event(ScheduleEventKind::transmission, next_tx_, next_tx_planned_, false));
            plan_transmission(next_grid_point(next_tx_t1_meter_, config_.transmit_interval, true));
        } else {
            break;
        }
    }
    return out;
}

std::vector<ScheduleEvent> Schedule::synchronise(UtcMapping new_clock, TimePoint now) {
    clock_ = new_clock;
    std::vector<ScheduleEvent> out{event(ScheduleEventKind::readout, now, now, true),
                                   event(ScheduleEventKind::transmission, now, now, true)};
    plan_from(now, false);  // the next grid points strictly after the new meter time
    return out;
}

}  // namespace metercert::devices::cmi6110
