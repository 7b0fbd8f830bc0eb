// Encryption key file (CMe3100 §6.15, Figure 8): the manual's own example file, typed in from the
// figure, the errors each bad row gets, and which key a meter gets. Problems of the whole file:
// csv_test.cpp.
#include <string>

#include <gtest/gtest.h>

#include "manual_figures_test.hpp"
#include "metercert/devices/cme3100/key_file.hpp"

using namespace metercert::devices::cme3100;

using figures::kFigure8;

TEST(KeyFile, Figure8AsPrinted) {
    const auto r = import_key_file(kFigure8);
    ASSERT_EQ(r.keys.size(), 2u);
    EXPECT_EQ(r.keys[0].row, 3u);
    EXPECT_EQ(r.keys[0].address, std::optional<std::uint32_t>(0x13360079));
    EXPECT_EQ(r.keys[0].manufacturer, std::optional<std::uint16_t>(0x1596));  // ELV
    EXPECT_EQ(r.keys[0].key[0], 0xA1);
    EXPECT_EQ(r.keys[0].key[15], 0x11);
    EXPECT_EQ(r.keys[1].row, 4u);
    EXPECT_FALSE(r.keys[1].manufacturer);
    ASSERT_EQ(r.errors.size(), 3u);
    EXPECT_EQ(r.errors[0].row, 2u);
    EXPECT_EQ(r.errors[0].name, "bad_key_length");
    EXPECT_EQ(r.errors[1].row, 5u);
    EXPECT_EQ(r.errors[2].row, 6u);
    for (const auto& e : r.errors) EXPECT_EQ(e.message().find("AAAA"), std::string::npos);  // no key material
    EXPECT_EQ(r.keys[0].describe(), "row 3: address 13360079, manufacturer ELV, device type any, version any");
}

TEST(KeyFile, BadFieldsAreNamed) {
    const auto r = import_key_file(
        "Address,Key,Manufacturer,DeviceType,Version\n"
        "1336007,00112233445566778899AABBCCDDEEFF,*,-1,-1\n"
        "-1,00112233445566778899AABBCCDDEEFG,*,-1,-1\n"
        "-1,00112233445566778899AABBCCDDEEFF,EL,-1,-1\n"
        "-1,00112233445566778899AABBCCDDEEFF,*,256,-1\n"
        "-1,00112233445566778899AABBCCDDEEFF,*,-1,x\n");
    std::vector<std::string> names;
    for (const auto& e : r.errors) names.push_back(e.name);
    EXPECT_EQ(names, (std::vector<std::string>{"bad_address", "bad_key", "bad_manufacturer", "bad_device_type", "bad_version"}));
    EXPECT_TRUE(r.keys.empty());
}

TEST(KeyFile, MatchingPrecedence) {
    const auto r = import_key_file(
        "address,key,manufacturer,deviceType,version\n"
        "-1,00000000000000000000000000000001,*,-1,-1\n"      // row 2: any meter
        "-1,00000000000000000000000000000002,ELV,-1,-1\n"    // row 3: ELV
        "-1,00000000000000000000000000000003,ELV,-1,2\n"     // row 4: ELV version 2
        "-1,00000000000000000000000000000004,*,7,2\n"        // row 5: device type 7 version 2
        "13360079,00000000000000000000000000000005,*,-1,-1\n"  // row 6: that meter
        "-1,00000000000000000000000000000006,KAM,-1,-1\n");  // row 7
    ASSERT_TRUE(r.errors.empty());
    auto row_for = [&](metercert::mbus::SecondaryAddress m) {
        const KeyEntry* k = match_key(r.keys, m);
        return k ? k->row : 0;
    };
    constexpr std::uint16_t ELV = 0x1596, KAM = 0x2C2D;
    EXPECT_EQ(row_for({0x13360079, ELV, 2, 7}), 6u);  // the address beats every other criterion
    EXPECT_EQ(row_for({0x11111111, ELV, 2, 2}), 4u);  // ELV+version (2 criteria) beats ELV (1)
    EXPECT_EQ(row_for({0x11111111, ELV, 2, 7}), 4u);  // tie 2–2 (rows 4 and 5): the earlier row
    EXPECT_EQ(row_for({0x11111111, ELV, 1, 2}), 3u);
    EXPECT_EQ(row_for({0x11111111, KAM, 1, 2}), 7u);
    EXPECT_EQ(row_for({0x11111111, 0x0001, 1, 2}), 2u);  // only the catch-all
    EXPECT_EQ(match_key({}, {1, ELV, 1, 2}), nullptr);
    const KeyEntry linked = r.keys[0];
    EXPECT_EQ(match_key(r.keys, {0x13360079, ELV, 2, 7}, &linked)->row, 2u);  // §6.15.3: a linked key wins
}
