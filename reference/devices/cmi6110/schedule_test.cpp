// The CMi6110 schedule (manual §7.3): expectations typed from §7.3.1–§7.3.3
#include "metercert/devices/cmi6110/schedule.hpp"

#include <gtest/gtest.h>

using namespace metercert;
using namespace metercert::devices::cmi6110;
using namespace std::chrono_literals;
using std::chrono::sys_days;
using std::chrono::year;

namespace {
UtcTime at(int h, int m, int day = 28) { return UtcTime{sys_days{year{2019} / 11 / day}} + std::chrono::hours{h} + std::chrono::minutes{m}; }
// the meter's clock reads 2019-11-28 10:30 at simulated time 0
const UtcMapping kClock{TimePoint{}, at(10, 30)};

std::vector<UtcTime> readout_meter_times(Schedule& s, TimePoint until) {
    std::vector<UtcTime> out;
    for (const auto& e : s.advance_to(until))
        if (e.kind == ScheduleEventKind::readout) out.push_back(e.meter_time);
    return out;
}
}  // namespace

TEST(Cmi6110Schedule, UtcOffsetIsSubtractedFromTheTimestamp) {
    // §7.3.1: Sweden +60: "at time 12.00 a telegram is sent with timestamp 11.00"
    EXPECT_EQ(to_utc_timestamp(at(12, 0), 60min), at(11, 0));
    // New York −300 (−5 h): 12.00 local standard time is 17.00 UTC
    EXPECT_EQ(to_utc_timestamp(at(12, 0), -300min), at(17, 0));
    // "A UTC offset of 0 means the meter time is used as-is"
    EXPECT_EQ(to_utc_timestamp(at(12, 0), 0min), at(12, 0));
    // and the schedule's readout events carry it
    ScheduleConfig c;
    c.utc_offset = 60min;
    Schedule s(c, kClock, 1, TimePoint{});
    const auto ev = s.advance_to(TimePoint{} + 90min);  // meter 10:30 → 12:00
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(ev.back().meter_time, at(12, 0));
    EXPECT_EQ(ev.back().timestamp, at(11, 0));
}

TEST(Cmi6110Schedule, SixtyMinutesIsOnTopOfTheHour) {
    // §7.3.2: "60 minutes ... 11:00, 12:00, 13:00 etc."
    ScheduleConfig c;
    c.readout_interval = 60min;
    Schedule s(c, kClock, 1, TimePoint{});
    EXPECT_EQ(s.meter_clock().to_utc(s.next_readout()), at(11, 0));
    EXPECT_EQ(readout_meter_times(s, TimePoint{} + 150min), (std::vector{at(11, 0), at(12, 0), at(13, 0)}));
}

TEST(Cmi6110Schedule, OneHundredTwentyMinutesIsEveryOtherEvenHour) {
    // §7.3.2: "120 minutes will give 12:00, 14:00, 16:00 etc."
    ScheduleConfig c;
    c.readout_interval = 120min;
    Schedule s(c, kClock, 1, TimePoint{});
    EXPECT_EQ(readout_meter_times(s, TimePoint{} + 330min), (std::vector{at(12, 0), at(14, 0), at(16, 0)}));
}

TEST(Cmi6110Schedule, AnIntervalThatDoesNotDivideTheDayRestartsAtMidnight) {
    // ERRATA E-59: 00:00 + k·Treadout of each day (§7.4 "related to meter's clock at time 00:00:00")
    EXPECT_EQ(next_grid_point(at(23, 30), 420min, false), at(0, 0, 29));  // 21:00 then midnight
    EXPECT_EQ(next_grid_point(at(0, 0, 29), 420min, true), at(7, 0, 29));
    EXPECT_EQ(next_grid_point(at(12, 0), 60min, false), at(12, 0));
    EXPECT_EQ(next_grid_point(at(12, 0), 60min, true), at(13, 0));
}

TEST(Cmi6110Schedule, TransmissionIsUniformInTheWindowAfterT1) {
    // §7.3.4 example 1 settings: Ttransmit 60, Toffset 15, Tdelay 30: "between minute 15 and 45"
    ScheduleConfig c{60min, 60min, 15min, 30min, 0min};
    Schedule s(c, kClock, 42, TimePoint{});
    int n = 0;
    Duration lo = 1h, hi = 0h;
    for (const auto& e : s.advance_to(TimePoint{} + 2000h)) {
        if (e.kind != ScheduleEventKind::transmission) continue;
        ++n;
        const auto into = s.meter_clock().to_utc(e.at) - s.meter_clock().to_utc(e.planned);
        EXPECT_EQ(std::chrono::floor<std::chrono::hours>(s.meter_clock().to_utc(e.planned)), s.meter_clock().to_utc(e.planned));
        EXPECT_GE(into, 15min);
        EXPECT_LE(into, 45min);
        lo = std::min(lo, into);
        hi = std::max(hi, into);
    }
    EXPECT_GE(n, 1999);
    EXPECT_LT(lo, 16min);  // the draws cover the window
    EXPECT_GT(hi, 44min);
}

TEST(Cmi6110Schedule, SameSeedSameTimesOtherSeedOtherTimes) {
    ScheduleConfig c{60min, 60min, 15min, 30min, 0min};
    Schedule a(c, kClock, 1, TimePoint{}), b(c, kClock, 1, TimePoint{}), d(c, kClock, 2, TimePoint{});
    EXPECT_EQ(a.next_transmission(), b.next_transmission());
    EXPECT_NE(a.next_transmission(), d.next_transmission());
    EXPECT_EQ(a.next_deadline(), a.next_readout());  // 11:00 readout before the 11:15.. transmission
}

TEST(Cmi6110Schedule, OffsetPlusDelayBeyondTtransmitIsClamped) {
    // §7.3.3: "If Ttransmit is reduced below Toffset + Tdelay, then Toffset should be set to 0 and
    // Tdelay = Ttransmit"
    ScheduleConfig c{60min, 60min, 30min, 240min, 0min};
    const auto w = effective_window(c);
    EXPECT_TRUE(w.clamped);
    EXPECT_EQ(w.offset, 0min);
    EXPECT_EQ(w.delay, 60min);
    // Toffset + Tdelay ≤ Ttransmit holds: kept (equality included)
    const auto k = effective_window(ScheduleConfig{60min, 60min, 15min, 45min, 0min});
    EXPECT_FALSE(k.clamped);
    EXPECT_EQ(k.offset, 15min);
    EXPECT_EQ(k.delay, 45min);
    // §7.5 defaults: 30 + 240 ≤ 1440
    EXPECT_FALSE(effective_window(ScheduleConfig{}).clamped);
}

TEST(Cmi6110Schedule, SynchronisationAddsOneReadoutAndTransmissionAndReschedules) {
    // §7.3.2: time synchronisation moves the meter's clock 23.58 → 00.02 past the planned 00:00
    // readout; the module makes a readout and transmission at once and reschedules
    ScheduleConfig c{60min, 60min, 15min, 30min, 0min};
    const UtcMapping before{TimePoint{}, at(23, 58)};
    Schedule s(c, before, 1, TimePoint{});
    EXPECT_EQ(s.meter_clock().to_utc(s.next_readout()), at(0, 0, 29));
    const TimePoint now = TimePoint{} + 1min;  // meter 23:59, set to 00:02
    const UtcMapping after{now, at(0, 2, 29)};
    const auto ev = s.synchronise(after, now);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].kind, ScheduleEventKind::readout);
    EXPECT_EQ(ev[1].kind, ScheduleEventKind::transmission);
    for (const auto& e : ev) {
        EXPECT_TRUE(e.synchronisation);
        EXPECT_EQ(e.at, now);
        EXPECT_EQ(e.meter_time, at(0, 2, 29));
    }
    // the next readout follows the updated time: 01:00, and the 00:00 one is not made late
    EXPECT_EQ(s.meter_clock().to_utc(s.next_readout()), at(1, 0, 29));
    const auto later = s.advance_to(now + 57min);  // meter 00:59
    for (const auto& e : later) EXPECT_NE(e.kind, ScheduleEventKind::readout);
}
