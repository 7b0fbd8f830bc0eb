// Meter List (CMe3100 §6.5, Figures 5 and 6): the manual's own example files, typed in from the
// figures, and the errors each bad row gets. Problems of the whole file: csv_test.cpp.
#include <gtest/gtest.h>

#include "manual_figures_test.hpp"
#include "metercert/devices/cme3100/meter_list.hpp"

using namespace metercert::devices::cme3100;

TEST(MeterList, Figure5WiredExample) {
    const std::string csv = std::string(figures::kMeterListHeader) + figures::kFigure5Rows;
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
