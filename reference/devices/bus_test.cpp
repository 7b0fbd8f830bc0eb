#include "metercert/devices/bus.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "metercert/mbus/frame_reader.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"

using namespace metercert::devices;
using metercert::mbus::build_long;
using metercert::mbus::build_short;

namespace {
std::string e350() {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/obis/lgz-zmf100ac-m26.readout", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST(Bus, DistinctConsecutiveIdentificationNumbers) {
    Cmi1020Bus bus({.count = 3, .secondary = 0x00000098, .address = 0, .readout = e350()});
    bus.advance_to(metercert::TimePoint{std::chrono::milliseconds(2000)});
    EXPECT_EQ(bus.slave(0).secondary_address(), 0x00000098u);
    EXPECT_EQ(bus.slave(1).secondary_address(), 0x00000099u);
    EXPECT_EQ(bus.slave(2).secondary_address(), 0x00000100u);
}

TEST(Bus, SelectionAddressesOneSlaveOfMany) {
    Cmi1020Bus bus({.count = 5, .secondary = 0x20000001, .address = 0, .readout = e350()});
    // ID 20000003 exactly: one ACK
    auto r = bus.on_frame(build_long(0x53, 253, 0x52, std::vector<std::uint8_t>{0x03, 0x00, 0x00, 0x20}), metercert::TimePoint{std::chrono::milliseconds(2000)});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, std::vector<std::uint8_t>{0xE5});
    auto t = metercert::mbus::decode_or_throw(*bus.on_frame(build_short(0x5B, 253), metercert::TimePoint{std::chrono::milliseconds(2100)}));
    EXPECT_EQ(t.header.id, 0x20000003u);
    EXPECT_EQ(bus.collisions(), 0u);
}

TEST(Bus, CollidingRepliesAreGarbled) {
    Cmi1020Bus bus({.count = 3, .secondary = 0x20000001, .address = 0, .readout = e350()});
    // wildcard selection matching all three: three E5 starting at different fractions of a bit
    // overlap into something that is not a single clean E5
    auto ack = bus.on_frame(build_long(0x53, 253, 0x52, std::vector<std::uint8_t>{0xFF, 0xFF, 0xFF, 0xFF}), metercert::TimePoint{std::chrono::milliseconds(2000)});
    ASSERT_TRUE(ack);
    EXPECT_NE(*ack, std::vector<std::uint8_t>{0xE5});
    // all three answer REQ_UD2 on address 253: the AND of three different RSP_UD
    auto wire = bus.on_frame(build_short(0x5B, 253), metercert::TimePoint{std::chrono::milliseconds(2100)});
    ASSERT_TRUE(wire);
    EXPECT_EQ(bus.collisions(), 2u);
    // the reply window as a whole is no valid frame (bytes inside may look like E5 by chance)
    metercert::mbus::LinkFrame f;
    metercert::mbus::DecodeError err;
    EXPECT_FALSE(metercert::mbus::parse_link(*wire, f, err));
}


// The bus's next deadline is its slaves' earliest (each CMi1020's first readout 2 s after power-on,
// BusOptions::first_readout).
TEST(Cmi1020Bus, NextDeadlineIsTheEarliestSlaves) {
    BusOptions o;
    o.count = 3;
    o.readout = e350();
    o.first_readout = std::chrono::milliseconds(1500);
    Cmi1020Bus bus(o);
    EXPECT_EQ(bus.next_deadline(), metercert::TimePoint{std::chrono::milliseconds(1500)});
    bus.advance_to(metercert::TimePoint{std::chrono::milliseconds(1500)});
    EXPECT_EQ(bus.next_deadline(), metercert::TimePoint{std::chrono::seconds(10)});  // the disconnector pulses
}
