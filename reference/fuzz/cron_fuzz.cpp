// libFuzzer target (run by ci/fuzz): CMe3100 cron patterns (§6.39, Table 10, ERRATA E-25).
// Properties:
//  - nothing but CronError leaves CronSchedule::parse; its offset lies inside the text;
//  - an accepted pattern's resolved() text (every '?' drawn) parses to the same schedule;
//  - next(t) is a whole minute after t that matches, and nothing matches in between when the
//    gap is short.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "metercert/devices/cme3100/schedule.hpp"

using namespace metercert::devices::cme3100;
using namespace std::chrono;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    CronSchedule s;
    try {
        s = CronSchedule::parse(in);
    } catch (const CronError& e) {
        if (e.offset() > size || e.name().empty()) std::abort();
        return 0;
    }
    CronSchedule again;
    try {
        again = CronSchedule::parse(s.resolved());
    } catch (const CronError&) {
        std::abort();
    }
    if (again.resolved() != s.resolved() || again.patterns().size() != s.patterns().size()) std::abort();
    for (std::size_t i = 0; i < s.patterns().size(); ++i) {
        const auto &a = s.patterns()[i], &b = again.patterns()[i];
        if (a.minute != b.minute || a.hour != b.hour || a.dom != b.dom || a.month != b.month || a.dow != b.dow) std::abort();
    }
    const sys_seconds t0 = sys_days{2024y / February / 28} + hours(23) + minutes(58) + seconds(7);
    const auto n = s.next(t0);
    if (n) {
        if (*n <= t0 || *n - floor<minutes>(*n) != seconds(0) || !s.matches(*n)) std::abort();
        if (*n - t0 < hours(3))
            for (sys_seconds t = floor<minutes>(t0) + minutes(1); t < *n; t += minutes(1))
                if (s.matches(t)) std::abort();
    }
    (void)schedule_interval(s, t0);
    return 0;
}
