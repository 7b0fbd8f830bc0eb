#include "metercert/mbus/collision.hpp"

#include <gtest/gtest.h>

using namespace metercert::mbus;

TEST(Collision, AndOfRepliesInBitSynchrony) {
    EXPECT_EQ(collide({{0xF0, 0x0F}, {0x3C}}), (std::vector<std::uint8_t>{0x30, 0x0F}));
}

TEST(Collision, UartCollisionOfTwoAcksOneBitApart) {
    // E5 on the wire, LSB first: start 0, data 1 0 1 0 0 1 1 1, parity 1 (five ones), stop 1.
    // Slave B starts one bit later. AND per bit time: 0 0 0 0 0 0 0 1 1 | 1 | 1: the UART reads
    // data bits 0 0 0 0 0 0 1 1 = 0xC0 (two ones: even parity wants 0, the line says 1) and a
    // good stop bit; B's stop bit follows on an idle line.
    const auto u = collide_uart({{0xE5}, {0xE5}}, {0, 10});
    EXPECT_EQ(u.bytes, std::vector<std::uint8_t>{0xC0});
    EXPECT_EQ(u.parity_errors, 1u);
    EXPECT_EQ(u.framing_errors, 0u);
    // In exact synchrony the AND of identical bytes is the byte itself, with no error.
    const auto same = collide_uart({{0xE5, 0x10}, {0xE5, 0x10}}, {3, 3});
    EXPECT_EQ(same.bytes, (std::vector<std::uint8_t>{0xE5, 0x10}));
    EXPECT_EQ(same.parity_errors + same.framing_errors, 0u);
}
