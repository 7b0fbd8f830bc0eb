#include "metercert/mbus/bcd.hpp"

#include <gtest/gtest.h>

using namespace metercert::mbus;

TEST(Bcd, BcdAdd) {
    EXPECT_EQ(bcd_add(0x13647123, 1), 0x13647124u);
    EXPECT_EQ(bcd_add(0x13647129, 1), 0x13647130u);
    EXPECT_EQ(bcd_add(0x99999999, 1), 0x00000000u);
}

TEST(Bcd, DecimalAndBack) {
    EXPECT_EQ(to_bcd(13647123), 0x13647123u);
    EXPECT_EQ(to_bcd(113647123), 0x13647123u);  // modulo 10^8
    EXPECT_EQ(from_bcd(0x00120858), 120858u);
    EXPECT_TRUE(is_bcd(0x99999999));
    EXPECT_FALSE(is_bcd(0x1364A123));
    EXPECT_TRUE(is_bcd_byte(0x99));
    EXPECT_FALSE(is_bcd_byte(0x9A));
    EXPECT_FALSE(is_bcd_byte(0xA9));
}

TEST(Bcd, ParseDigitsRightAligned) {
    EXPECT_EQ(parse_bcd("13647123"), 0x13647123u);
    EXPECT_EQ(parse_bcd("120858"), 0x00120858u);
    EXPECT_EQ(parse_bcd(""), std::nullopt);
    EXPECT_EQ(parse_bcd("123456789"), std::nullopt);
    EXPECT_EQ(parse_bcd("1234567A"), std::nullopt);
    EXPECT_EQ(parse_bcd(" 1234567"), std::nullopt);
}

TEST(Bcd, RegistersBothWays) {
    std::vector<std::uint8_t> out;
    EXPECT_TRUE(append_bcd(out, -999, 2));
    EXPECT_EQ(out, (std::vector<std::uint8_t>{0x99, 0xF9}));
    Decimal d;
    EXPECT_TRUE(read_bcd(out.data(), out.size(), d));
    EXPECT_EQ(d, (Decimal{-999, 0}));
    out.clear();
    EXPECT_FALSE(append_bcd(out, -1000, 2));  // 3 digits and the sign nibble
    EXPECT_FALSE(append_bcd(out, 10000, 2));
    EXPECT_TRUE(out.empty());
}

TEST(Bcd, ErrorStateAndNegative) {
    Decimal d;
    const std::uint8_t neg[] = {0x23, 0xF1};
    EXPECT_TRUE(read_bcd(neg, 2, d));
    EXPECT_EQ(d, (Decimal{-123, 0}));
    const std::uint8_t err[] = {0x2A, 0x01};
    EXPECT_FALSE(read_bcd(err, 2, d));
    const std::uint8_t f_low[] = {0xF1, 0x01};  // F not in the sign position
    EXPECT_FALSE(read_bcd(f_low, 2, d));
    const std::uint8_t lvar_digits[] = {0x66, 0xF0};  // LVAR C2: the sign is in the LVAR (found by ci/fuzz)
    EXPECT_FALSE(read_bcd(lvar_digits, 2, d, false));
}
