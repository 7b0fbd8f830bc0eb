#include "metercert/devices/cme3100/reporting.hpp"

#include <algorithm>
#include <numeric>

namespace metercert::devices::cme3100 {

std::vector<std::size_t> values_to_send(const std::vector<StoredReadout>& readouts, std::chrono::sys_seconds now,
                                        const ValuePeriod& period) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < readouts.size(); ++i) {
        const auto& r = readouts[i];
        if (r.sent || r.time > now) continue;
        if (period.fixed && r.time <= now - *period.fixed) continue;
        idx.push_back(i);
    }
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return readouts[a].time < readouts[b].time; });
    if (!period.fixed && idx.size() > ValuePeriod::kAutoLimit)
        idx.erase(idx.begin(), idx.end() - static_cast<long>(ValuePeriod::kAutoLimit));
    return idx;
}

std::string_view status_name(Status s) noexcept {
    switch (s) {
        case Status::ok: return "OK";
        case Status::warning: return "WARNING";
        case Status::error: return "ERROR";
    }
    return "?";
}

Status meter_status(MeterResult r) noexcept {
    switch (r) {
        case MeterResult::read: return Status::ok;
        case MeterResult::failed: return Status::error;
        case MeterResult::unknown: return Status::warning;
    }
    return Status::warning;
}

Status aggregated_status(const std::vector<MeterResult>& meters, const std::vector<bool>& reports_ok) {
    const auto read = static_cast<std::size_t>(std::count(meters.begin(), meters.end(), MeterResult::read));
    const auto sent = static_cast<std::size_t>(std::count(reports_ok.begin(), reports_ok.end(), true));
    if ((!meters.empty() && read == 0) || (!reports_ok.empty() && sent == 0)) return Status::error;
    if (read < meters.size() || sent < reports_ok.size()) return Status::warning;
    return Status::ok;
}

}  // namespace metercert::devices::cme3100
