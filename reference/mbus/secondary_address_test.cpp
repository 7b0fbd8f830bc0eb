#include "metercert/mbus/secondary_address.hpp"

#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

using namespace metercert::mbus;
using Bytes = std::vector<std::uint8_t>;

TEST(SecondaryMask, ParseFormatsAndMatches) {
    const auto m = SecondaryMask::parse("1364712315960102");
    EXPECT_EQ(m.id, 0x13647123u);
    EXPECT_EQ(m.manufacturer, 0x1596);
    EXPECT_EQ(m.user_data(), (Bytes{0x23, 0x71, 0x64, 0x13, 0x96, 0x15, 0x01, 0x02}));
    EXPECT_TRUE(SecondaryMask::parse("1364FFFF").matches({0x13647123, 0x1596, 1, 2}));
    EXPECT_FALSE(SecondaryMask::parse("1365FFFF").matches({0x13647123, 0x1596, 1, 2}));
    EXPECT_THROW(SecondaryMask::parse("1364A123"), std::invalid_argument);  // A is no BCD digit
    EXPECT_THROW(SecondaryMask::parse("123"), std::invalid_argument);
    EXPECT_EQ(m.with(0, 0xF).to_string(), "F364712315960102");
}

TEST(SecondaryMask, FromTheUserDataOfASelection) {
    const auto m = SecondaryMask::parse("1364712315960102");
    EXPECT_EQ(SecondaryMask::from_user_data(m.user_data()).to_string(), "1364712315960102");
    const Bytes id_only{0x23, 0x71, 0x64, 0x13};
    EXPECT_EQ(SecondaryMask::from_user_data(id_only).to_string(), "13647123FFFFFFFF");
}

TEST(SecondaryAddress, IdentificationNumbersAndTheirPrintedForm) {
    EXPECT_EQ(parse_identification("13647123"), 0x13647123u);
    EXPECT_EQ(parse_identification("1364712"), std::nullopt);  // 8 digits, no fewer
    EXPECT_EQ(parse_identification("1364712A"), std::nullopt);
    EXPECT_EQ((SecondaryAddress{0x13647123, 0x1596, 1, 2}).to_string(), "1364712315960102");
}
