#include "metercert/mbus/tables.hpp"

#include <gtest/gtest.h>

using namespace metercert::mbus;

TEST(Tables, TenUnitSuffixesAreKeptWhole) {
    // VIF 0xB7 (J/h, extension) and ten VIFEs "multiplied by s/V" (0xB7 … 0x37): found by ci/fuzz,
    // the unit used to be cut inside the two-byte '·'.
    std::uint8_t vife[10];
    for (auto& v : vife) v = 0xB7;
    vife[9] = 0x37;
    const VibMeaning m = interpret_vib(0xB7, vife, 10);
    std::string want = "J/h";
    for (int i = 0; i < 10; ++i) want += "·s/V";
    EXPECT_EQ(m.unit_view(), want);
}
