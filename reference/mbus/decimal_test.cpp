#include "metercert/mbus/decimal.hpp"

#include <gtest/gtest.h>

using metercert::mbus::Decimal;

TEST(Decimal, PlainNotation) {
    EXPECT_EQ((Decimal{34567, -1}.to_string()), "3456.7");
    EXPECT_EQ((Decimal{12345678, 3}.to_string()), "12345678000");
    EXPECT_EQ((Decimal{-5, -1}.to_string()), "-0.5");
    EXPECT_EQ((Decimal{0, 4}.to_string()), "0");
    EXPECT_EQ((Decimal{212, -3}.to_string()), "0.212");
    EXPECT_EQ((Decimal{5000, -2}.to_string()), "50");
    EXPECT_EQ((Decimal{2, -9}.to_string()), "0.000000002");
    EXPECT_EQ((Decimal{-123, -1}.to_string()), "-12.3");
}

TEST(Decimal, ExtremeMantissas) {
    const metercert::mbus::i128 min64 = -(static_cast<metercert::mbus::i128>(1) << 63);
    EXPECT_EQ((Decimal{min64, 0}.to_string()), "-9223372036854775808");
    EXPECT_EQ((Decimal{min64 * 86400, 0}.to_string()), "-796899343984252629811200");
}

TEST(Decimal, ParseAndEquality) {
    EXPECT_EQ(Decimal::parse("3456.7"), (Decimal{34567, -1}));
    EXPECT_EQ(Decimal::parse("-0.50"), (Decimal{-5, -1}));
    EXPECT_EQ(Decimal::parse("12300"), (Decimal{123, 2}));
    EXPECT_FALSE(Decimal::parse(""));
    EXPECT_FALSE(Decimal::parse("1e5"));
    EXPECT_FALSE(Decimal::parse("1."));
    EXPECT_FALSE(Decimal::parse(".5"));
    EXPECT_FALSE(Decimal::parse("+1"));
    EXPECT_FALSE(Decimal::parse("1.2.3"));
    EXPECT_FALSE(Decimal::parse("123456789012345678901234567890123456789"));  // 39 digits
    EXPECT_NE((Decimal{1, 0}), (Decimal{1, 1}));
}

TEST(Decimal, ScaledTo) {
    EXPECT_EQ(*(Decimal{3456, -1}.scaled_to(-3)), 345600);
    EXPECT_EQ(*(Decimal{12300, 0}.scaled_to(2)), 123);
    EXPECT_FALSE((Decimal{12345, 0}.scaled_to(2)));  // 123.45 is not a whole register
}

TEST(Decimal, NoDigitIsEverDropped) {
    // a subnormal binary32 (≈ 9.18e-41) scaled by 10^-3: 44 zeros after the point
    const Decimal d{91835, -48};
    const std::string s = d.to_string();
    EXPECT_EQ(s, "0." + std::string(43, '0') + "91835");
    EXPECT_EQ(Decimal::parse(s), d);
    EXPECT_EQ((Decimal{7, 50}.to_string()), "7" + std::string(50, '0'));
    EXPECT_FALSE(Decimal::parse("0." + std::string(5000, '0') + "1"));
}
