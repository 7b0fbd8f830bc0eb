// Value Period (CMe3100 §6.32.2) and Table 8's aggregated status, against the manual's words and
// its worked example (Push Reports every 15 min failing: Auto goes back 180 readouts = 45 h).
#include <gtest/gtest.h>

#include "metercert/devices/cme3100/reporting.hpp"

using namespace metercert::devices::cme3100;
using namespace std::chrono;

TEST(ValuePeriod, AutoGoesBack180ReadoutsThe45HoursOfTheManualsExample) {
    // readouts every 15 minutes for 60 hours (240), none sent since the network went down
    const sys_seconds t0 = sys_days{year{2026} / 11 / 1};
    std::vector<StoredReadout> r;
    for (int i = 0; i < 240; ++i) r.push_back({t0 + minutes(15 * i), false});
    const sys_seconds now = r.back().time;
    const auto idx = values_to_send(r, now, {});
    ASSERT_EQ(idx.size(), 180u);
    EXPECT_EQ(r[idx.back()].time, now);
    EXPECT_EQ(now - r[idx.front()].time, hours(45) - minutes(15));  // 180 readouts span 45 h
    // already sent readouts are never sent again
    for (int i = 200; i < 240; ++i) r[static_cast<std::size_t>(i)].sent = true;
    const auto rest = values_to_send(r, now, {});
    EXPECT_EQ(rest.size(), 180u);
    EXPECT_EQ(r[rest.back()].time, t0 + minutes(15 * 199));
}

TEST(ValuePeriod, FixedLooksExactlyThatFarBack) {
    const sys_seconds t0 = sys_days{year{2026} / 11 / 1};
    std::vector<StoredReadout> r;
    for (int i = 0; i < 10; ++i) r.push_back({t0 + hours(i), false});
    const auto idx = values_to_send(r, t0 + hours(9), {.fixed = hours(3)});
    ASSERT_EQ(idx.size(), 3u);  // 07:00, 08:00, 09:00; the older unsent ones are left out
    EXPECT_EQ(r[idx.front()].time, t0 + hours(7));
}

TEST(AggregatedStatus, Table8) {
    using M = MeterResult;
    EXPECT_EQ(aggregated_status({M::read, M::read}, {true, true}), Status::ok);
    EXPECT_EQ(aggregated_status({M::read, M::failed}, {true}), Status::warning);   // some meters
    EXPECT_EQ(aggregated_status({M::read}, {true, false}), Status::warning);       // some reports
    EXPECT_EQ(aggregated_status({M::failed, M::failed}, {true}), Status::error);   // all meters
    EXPECT_EQ(aggregated_status({M::read}, {false, false}), Status::error);        // all reports
    EXPECT_EQ(aggregated_status({M::read, M::unknown}, {true}), Status::warning);
    EXPECT_EQ(aggregated_status({}, {}), Status::ok);
    EXPECT_EQ(status_name(Status::warning), "WARNING");
    // Meter Status List codes: 1 read, 3 failed, 2 never read / not decrypted
    EXPECT_EQ(static_cast<int>(meter_status(M::read)), 1);
    EXPECT_EQ(static_cast<int>(meter_status(M::failed)), 3);
    EXPECT_EQ(static_cast<int>(meter_status(M::unknown)), 2);
}
