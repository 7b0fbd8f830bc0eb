// Meter List (CMe3100 §6.5, Figures 5 and 6) and encryption key file (§6.15, Figure 8): the
// manual's own example files, typed in from the figures, and the errors each bad row gets.
#include <gtest/gtest.h>

#include "metercert/devices/cme3100/meter_list.hpp"

using namespace metercert::devices::cme3100;

TEST(MeterList, Figure5WiredExample) {
    const std::string csv =
        "Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
        "Cafeteria,13001651,2400,Secondary,,\n"
        "Sales office,14290591,2400,Primary,221,\n"
        "Reception,67690871,2400,Secondary,,\n";
    const auto r = import_meter_list(csv);
    ASSERT_TRUE(r.errors.empty()) << r.errors[0].message();
    ASSERT_EQ(r.meters.size(), 3u);
    EXPECT_EQ(r.meters[0].position, "Cafeteria");
    EXPECT_EQ(r.meters[0].secondary, 0x13001651u);
    EXPECT_EQ(r.meters[0].mode, AddressingMode::secondary);
    EXPECT_EQ(r.meters[1].mode, AddressingMode::primary);
    EXPECT_EQ(r.meters[1].primary, std::optional<std::uint8_t>(221));
    EXPECT_EQ(r.meters[2].secondary, 0x67690871u);
    // export and import again: the same list
    const auto again = import_meter_list(export_meter_list(r.meters));
    ASSERT_EQ(again.meters.size(), 3u);
    EXPECT_EQ(again.meters[1].position, "Sales office");
    EXPECT_EQ(again.meters[1].primary, r.meters[1].primary);
}

TEST(MeterList, Figure6WirelessExampleSemicolonsAndQuotes) {
    const std::string csv =
        "Position;SecondaryAddress;BaudRate;AddressingMode;PrimaryAddress;EnhancedAddress\r\n"
        "Cafeteria;61007338;2400;esecondary;;\r\n"
        "\"Sales office; 2nd floor\";63000040;2400;esecondary;;\r\n";
    const auto r = import_meter_list(csv);
    ASSERT_TRUE(r.errors.empty());
    ASSERT_EQ(r.meters.size(), 2u);
    EXPECT_EQ(r.meters[1].position, "Sales office; 2nd floor");
    EXPECT_EQ(r.meters[1].mode, AddressingMode::esecondary);
}

TEST(MeterList, EveryBadRowIsNamedWithItsRowAndTheRestImported) {
    const std::string csv =
        "Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
        "ok,13001651,2400,secondary,,\n"       // row 2
        "a,1300165,2400,secondary,,\n"         // row 3: 7 digits
        "b,13001652,9600,secondary,,\n"        // row 4
        "c,13001653,2400,tertiary,,\n"         // row 5
        "d,13001654,300,primary,,\n"           // row 6
        "e,13001655,300,primary,251,\n"        // row 7: 251–255 are not primary addresses
        "f,13001651,2400,secondary,,\n"        // row 8: duplicate of row 2
        "\n"                                    // blank: skipped
        "g,13001656,2400,secondary,,,extra\n"; // row 10
    const auto r = import_meter_list(csv);
    ASSERT_EQ(r.meters.size(), 1u);
    std::vector<std::pair<std::size_t, std::string>> got;
    for (const auto& e : r.errors) got.emplace_back(e.row, e.name);
    EXPECT_EQ(got, (std::vector<std::pair<std::size_t, std::string>>{{3, "bad_secondary_address"},
                                                                      {4, "bad_baud_rate"},
                                                                      {5, "bad_addressing_mode"},
                                                                      {6, "missing_primary_address"},
                                                                      {7, "bad_primary_address"},
                                                                      {8, "duplicate_meter"},
                                                                      {10, "wrong_field_count"}}));
    EXPECT_EQ(r.errors[0].message(), "row 3: bad_secondary_address: '1300165' is not an 8-digit number");
}

TEST(MeterList, MissingHeaderAndLicenceLimit) {
    EXPECT_EQ(import_meter_list("13001651,2400\n").errors.at(0).name, "missing_header");
    EXPECT_EQ(import_meter_list("").errors.at(0).name, "missing_header");
    const std::string csv =
        "Position,SecondaryAddress,BaudRate,AddressingMode\n"
        "a,00000001,2400,secondary\nb,00000002,2400,secondary\nc,00000003,2400,secondary\n";
    const auto r = import_meter_list(csv, 2);
    ASSERT_EQ(r.meters.size(), 3u);
    EXPECT_FALSE(r.meters[1].passive);
    EXPECT_TRUE(r.meters[2].passive);  // above the licence: installed as passive (§6.5)
    EXPECT_THROW(parse_csv("a,\"unterminated\n"), std::runtime_error);
}

namespace {
// Figure 8 exactly as printed (its rows 2, 5 and 6 have keys of 31, 33 and 31 characters).
const char* kFigure8 =
    "address,key,manufacturer,deviceType,version\n"
    "-1,AAAABBBCCCCDDDDEEEEFFFF11112222,*,-1,-1\n"
    "13360079,A1B2C3D4E5F6A1B2C3D4E5F678910111,ELV,-1,-1\n"
    "-1,FFEEDDCCBBAA99887766554433221100,*,-1,-1\n"
    "-1,AAAA1111BBBB2222CCCC3333DDDD44444,ACA,-1,-1\n"
    "-1,9999AAAA888BBBB7777CCCC6666DDDD,ELV,-1,2\n";
}  // namespace

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
    auto row_for = [&](MeterIdentity m) {
        const KeyEntry* k = match_key(r.keys, m);
        return k ? k->row : 0;
    };
    constexpr std::uint16_t ELV = 0x1596, KAM = 0x2C2D;
    EXPECT_EQ(row_for({0x13360079, ELV, 7, 2}), 6u);  // the address beats every other criterion
    EXPECT_EQ(row_for({0x11111111, ELV, 2, 2}), 4u);  // ELV+version (2 criteria) beats ELV (1)
    EXPECT_EQ(row_for({0x11111111, ELV, 7, 2}), 4u);  // tie 2–2 (rows 4 and 5): the earlier row
    EXPECT_EQ(row_for({0x11111111, ELV, 2, 1}), 3u);
    EXPECT_EQ(row_for({0x11111111, KAM, 2, 1}), 7u);
    EXPECT_EQ(row_for({0x11111111, 0x0001, 2, 1}), 2u);  // only the catch-all
    EXPECT_EQ(match_key({}, {1, ELV, 2, 1}), nullptr);
    const KeyEntry linked = r.keys[0];
    EXPECT_EQ(match_key(r.keys, {0x13360079, ELV, 7, 2}, &linked)->row, 2u);  // §6.15.3: a linked key wins
}
