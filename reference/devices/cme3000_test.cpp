// CMe3000 connection policy, timers and statistics (CMe3000 manual §6.3, Figures 6 and 9,
// Table 3 factory defaults).
#include <gtest/gtest.h>

#include "metercert/devices/cme3000.hpp"

using metercert::TimePoint;
using metercert::devices::Cme3000;
using metercert::devices::Cme3000Settings;

namespace {
TimePoint at_ms(std::int64_t ms) { return TimePoint{std::chrono::milliseconds(ms)}; }
}  // namespace

TEST(Cme3000, FactoryDefaultsOfTable3) {
    Cme3000 g;
    EXPECT_EQ(g.settings().port, 10001);
    EXPECT_EQ(g.settings().keep_alive_s, 45u);
    EXPECT_EQ(g.settings().disconnect_timeout_s, 10u);
    EXPECT_EQ(g.settings().baud, 2400u);
}

TEST(Cme3000, OneClientAtATimeASecondIsDropped) {
    Cme3000 g;
    EXPECT_EQ(g.on_connect(at_ms(0)), Cme3000::AcceptDecision::accept);
    EXPECT_EQ(g.on_connect(at_ms(100)), Cme3000::AcceptDecision::drop);
    EXPECT_EQ(g.statistics().completed_accepts, 1u);
    EXPECT_EQ(g.statistics().dropped_accepts, 1u);
    g.on_disconnect(at_ms(5000));
    EXPECT_EQ(g.on_connect(at_ms(6000)), Cme3000::AcceptDecision::accept);
    EXPECT_EQ(g.statistics().completed_accepts, 2u);
    EXPECT_EQ(g.statistics().disconnects, 1u);
    EXPECT_EQ(g.statistics().accept_connection_ms, 5000u);
}

TEST(Cme3000, DisconnectAfterTenSecondsWithoutTraffic) {
    Cme3000 g;
    g.on_connect(at_ms(1000));
    EXPECT_FALSE(g.should_disconnect(at_ms(10999)));
    g.on_network_bytes(5, at_ms(8000));  // traffic restarts the timer
    EXPECT_FALSE(g.should_disconnect(at_ms(17999)));
    EXPECT_EQ(g.next_deadline(), at_ms(18000));
    EXPECT_TRUE(g.should_disconnect(at_ms(18000)));
}

TEST(Cme3000, StatisticsCountBothDirections) {
    Cme3000 g;
    g.on_connect(at_ms(0));
    g.on_network_bytes(5, at_ms(10));
    g.on_serial_bytes(1, at_ms(20));
    g.on_parity_error(2);
    const auto& s = g.statistics();
    EXPECT_EQ(s.octets_from_network, 5u);
    EXPECT_EQ(s.octets_from_serial, 1u);
    EXPECT_EQ(s.tx_bytes, 5u);
    EXPECT_EQ(s.rx_bytes, 1u);
    EXPECT_EQ(s.parity_errors, 2u);
    EXPECT_NE(s.to_json().find("\"dropped_accepts\":0"), std::string::npos);
}

// Table 3: "M-Bus TCP/IP Server disconnect timeout" 10 s by default: the model's next deadline is
// 10 s after the last byte either way; none without a client or with the timeout off (0).
TEST(Cme3000, NextDeadlineIsTheTable3DisconnectTimeout) {
    Cme3000 g;
    EXPECT_EQ(g.next_deadline(), std::nullopt);  // no client
    g.on_connect(at_ms(1000));
    EXPECT_EQ(g.next_deadline(), at_ms(11000));
    g.on_serial_bytes(3, at_ms(4500));           // the slave's reply is traffic too
    EXPECT_EQ(g.next_deadline(), at_ms(14500));
    g.on_disconnect(at_ms(6000));
    EXPECT_EQ(g.next_deadline(), std::nullopt);
    Cme3000Settings off;
    off.disconnect_timeout_s = 0;
    Cme3000 never(off);
    never.on_connect(at_ms(0));
    EXPECT_EQ(never.next_deadline(), std::nullopt);
    EXPECT_FALSE(never.should_disconnect(at_ms(86400000)));
}

// The faults' deviations (cme3000_faults.hpp) change only what they name: Figure 6's counters.
TEST(Cme3000, FaultDeviationsChangeOnlyTheirCounter) {
    Cme3000Settings s;
    s.deviations.dropped_counted_as_completed = true;
    Cme3000 g(s);
    EXPECT_EQ(g.on_connect(at_ms(0)), Cme3000::AcceptDecision::accept);
    EXPECT_EQ(g.on_connect(at_ms(5)), Cme3000::AcceptDecision::drop);  // still refused
    EXPECT_EQ(g.statistics().completed_accepts, 2u);
    EXPECT_EQ(g.statistics().dropped_accepts, 0u);

    Cme3000Settings q;
    q.deviations.serial_octets_not_counted = true;
    Cme3000 h(q);
    h.on_connect(at_ms(0));
    h.on_serial_bytes(3, at_ms(100));
    EXPECT_EQ(h.statistics().octets_from_serial, 0u);
    EXPECT_EQ(h.statistics().rx_bytes, 3u);                // Figure 9 still counts the line
    EXPECT_EQ(h.next_deadline(), at_ms(10100));            // and the reply still is traffic
}
