// CMe3000 connection policy, timers and statistics (CMe3000 manual §6.3, Figures 6 and 9,
// Table 3 factory defaults).
#include <gtest/gtest.h>

#include "metercert/devices/cme3000.hpp"

using metercert::devices::Cme3000;

TEST(Cme3000, FactoryDefaultsOfTable3) {
    Cme3000 g;
    EXPECT_EQ(g.settings().port, 10001);
    EXPECT_EQ(g.settings().keep_alive_s, 45u);
    EXPECT_EQ(g.settings().disconnect_timeout_s, 10u);
    EXPECT_EQ(g.settings().baud, 2400u);
}

TEST(Cme3000, OneClientAtATimeASecondIsDropped) {
    Cme3000 g;
    EXPECT_EQ(g.on_connect(0), Cme3000::AcceptDecision::accept);
    EXPECT_EQ(g.on_connect(100), Cme3000::AcceptDecision::drop);
    EXPECT_EQ(g.statistics().completed_accepts, 1u);
    EXPECT_EQ(g.statistics().dropped_accepts, 1u);
    g.on_disconnect(5000);
    EXPECT_EQ(g.on_connect(6000), Cme3000::AcceptDecision::accept);
    EXPECT_EQ(g.statistics().completed_accepts, 2u);
    EXPECT_EQ(g.statistics().disconnects, 1u);
    EXPECT_EQ(g.statistics().accept_connection_ms, 5000u);
}

TEST(Cme3000, DisconnectAfterTenSecondsWithoutTraffic) {
    Cme3000 g;
    g.on_connect(1000);
    EXPECT_FALSE(g.should_disconnect(10999));
    g.on_network_bytes(5, 8000);  // traffic restarts the timer
    EXPECT_FALSE(g.should_disconnect(17999));
    EXPECT_EQ(g.ms_until_disconnect(17999), 1);
    EXPECT_TRUE(g.should_disconnect(18000));
}

TEST(Cme3000, StatisticsCountBothDirections) {
    Cme3000 g;
    g.on_connect(0);
    g.on_network_bytes(5, 10);
    g.on_serial_bytes(1, 20);
    g.on_parity_error(2);
    const auto& s = g.statistics();
    EXPECT_EQ(s.octets_from_network, 5u);
    EXPECT_EQ(s.octets_from_serial, 1u);
    EXPECT_EQ(s.tx_bytes, 5u);
    EXPECT_EQ(s.rx_bytes, 1u);
    EXPECT_EQ(s.parity_errors, 2u);
    EXPECT_NE(s.to_json().find("\"dropped_accepts\":0"), std::string::npos);
}
