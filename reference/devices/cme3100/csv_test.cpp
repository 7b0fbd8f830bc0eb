// Problems of the whole file (csv.hpp), met through both importers.
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "manual_figures_test.hpp"
#include "metercert/devices/cme3100/key_file.hpp"
#include "metercert/devices/cme3100/meter_list.hpp"

using namespace metercert::devices::cme3100;

using figures::kFigure8;

namespace {
const char* kFigure5Header = figures::kMeterListHeader;  // 81 bytes
struct FileError {
    std::string name;
    std::size_t row, offset;
    std::string what;
    friend bool operator==(const FileError&, const FileError&) = default;
};
std::ostream& operator<<(std::ostream& o, const FileError& e) {
    return o << e.name << " row " << e.row << " offset " << e.offset << " '" << e.what << "'";
}
template <class F>
FileError file_error(F&& f) {
    try {
        f();
        return {"accepted", 0, 0, ""};
    } catch (const CsvError& e) {
        return {e.name, e.row, e.offset, e.what()};
    }
}
FileError meter_list_error(const std::string& csv) { return file_error([&] { import_meter_list(csv); }); }
FileError key_file_error(const std::string& csv) { return file_error([&] { import_key_file(csv); }); }
}  // namespace

TEST(MeterList, Figure5AsExcelSavesItWithBomAndCrLf) {
    // Excel's "CSV UTF-8": byte-order mark EF BB BF, CR LF line ends; Figure 5's three rows
    const std::string csv =
        "\xEF\xBB\xBFPosition,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\r\n"
        "Cafeteria,13001651,2400,Secondary,,\r\n"
        "Sales office,14290591,2400,Primary,221,\r\n"
        "Reception,67690871,2400,Secondary,,\r\n";
    const auto r = import_meter_list(csv);
    ASSERT_TRUE(r.errors.empty()) << r.errors[0].message();
    ASSERT_EQ(r.meters.size(), 3u);
    EXPECT_EQ(r.meters[0].position, "Cafeteria");
    EXPECT_EQ(r.meters[0].secondary, 0x13001651u);
    EXPECT_EQ(r.meters[1].primary, std::optional<std::uint8_t>(221));
    EXPECT_EQ(r.meters[2].position, "Reception");
    EXPECT_EQ(r.meters[2].secondary, 0x67690871u);
}

TEST(MeterList, Figure6AllThreeRows) {
    const auto r = import_meter_list(
        "Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
        "Cafeteria,61007338,2400,esecondary,,\nSales office,63000040,2400,esecondary,,\nReception,74109179,2400,esecondary,,\n");
    ASSERT_TRUE(r.errors.empty());
    ASSERT_EQ(r.meters.size(), 3u);
    for (const auto& m : r.meters) EXPECT_EQ(m.mode, AddressingMode::esecondary);
    EXPECT_EQ(r.meters[2].secondary, 0x74109179u);
}

TEST(MeterList, UnterminatedQuoteIsAFileErrorOnItsRow) {
    // Figure 5 with the quote of row 3 never closed. Row 2 "Cafeteria,13001651,2400,Secondary,,\n"
    // is 36 bytes, so the quote is at 81 + 36 = 117.
    const std::string csv = std::string(kFigure5Header) + "Cafeteria,13001651,2400,Secondary,,\n"
                            "\"Sales office,14290591,2400,Primary,221,\n"
                            "Reception,67690871,2400,Secondary,,\n";
    EXPECT_EQ(meter_list_error(csv), (FileError{"unterminated_quoted_field", 3, 117, "row 3: unterminated quoted field"}));
    // the same behind a byte-order mark: offsets count the file's bytes
    EXPECT_EQ(meter_list_error("\xEF\xBB\xBF" + csv), (FileError{"unterminated_quoted_field", 3, 120, "row 3: unterminated quoted field"}));
    // an earlier quoted field that closes (spanning a line end) does not move the row
    const std::string two = std::string(kFigure5Header) + "\"Cafe\nteria\",13001651,2400,Secondary,,\n\"Sales";
    EXPECT_EQ(meter_list_error(two).row, 3u);
    EXPECT_EQ(meter_list_error(two).offset, 81u + 39u);  // row 2 "\"Cafe\nteria\",13001651,2400,Secondary,,\n" is 39 bytes
}

TEST(MeterList, StrayQuoteIsNamed) {
    // row 2: "Cafe" then a quote inside an unquoted field at 81 + 4 = 85
    const auto e = meter_list_error(std::string(kFigure5Header) + "Cafe\"teria,13001651,2400,Secondary,,\n");
    EXPECT_EQ(e.name, "bad_quote");
    EXPECT_EQ(e.row, 2u);
    EXPECT_EQ(e.offset, 85u);
    // text after a closing quote: "\"Cafe\"x" — the x at 81 + 6 = 87
    EXPECT_EQ(meter_list_error(std::string(kFigure5Header) + "\"Cafe\"x,13001651,2400,Secondary,,\n").offset, 87u);
}

TEST(MeterList, BinaryContentIsAFileError) {
    const std::string rows = "Cafeteria,13001651,2400,Secondary,,\n"  // row 2, 36 bytes
                             "Sales office,14290591,2400,Primary,221,\n";  // row 3, 40 bytes
    // NUL in row 4 at its 5th byte: 81 + 36 + 40 + 4 = 161
    const std::string nul = std::string(kFigure5Header) + rows + std::string("Rece\0ption,67690871,2400,Secondary,,\n", 37);
    EXPECT_EQ(meter_list_error(nul).name, "binary_content");
    EXPECT_EQ(meter_list_error(nul).row, 4u);
    EXPECT_EQ(meter_list_error(nul).offset, 161u);
    EXPECT_EQ(meter_list_error(nul).what, "row 4: binary content at byte 161: a NUL byte");
    // an ANSI (Windows-1252) export: "Göteborg" with ö = 0xF6 is not UTF-8; 0xF6 at 81 + 1 = 82
    const auto ansi = meter_list_error(std::string(kFigure5Header) + "G\xF6teborg,13001651,2400,Secondary,,\n");
    EXPECT_EQ(ansi.name, "binary_content");
    EXPECT_EQ(ansi.offset, 82u);
    // the same in UTF-8 (C3 B6) is text
    EXPECT_EQ(import_meter_list(std::string(kFigure5Header) + "G\xC3\xB6teborg,13001651,2400,Secondary,,\n").meters.at(0).position,
              "G\xC3\xB6teborg");
    // UTF-16 (Excel's "Unicode text"): FF FE then 'P' 00
    const auto utf16 = meter_list_error(std::string("\xFF\xFEP\0o\0", 6));
    EXPECT_EQ(utf16.name, "binary_content");
    EXPECT_EQ(utf16.row, 1u);
    EXPECT_EQ(utf16.offset, 0u);
    EXPECT_NE(utf16.what.find("UTF-16"), std::string::npos);
    // overlong, surrogate and truncated sequences are not UTF-8 either
    for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xE2\x82", "\xF4\x90\x80\x80"})
        EXPECT_EQ(meter_list_error(std::string(kFigure5Header) + bad).offset, 81u) << bad;
    // random bytes: a named error, never an abort
    std::string junk;
    std::uint32_t x = 3100;
    for (int i = 0; i < 1 << 20; ++i) junk += static_cast<char>((x = x * 1664525u + 1013904223u) >> 24);
    EXPECT_EQ(meter_list_error(junk).name, "binary_content");
}

TEST(MeterList, SizeLimit) {
    std::string big = kFigure5Header;
    big.resize(kMaxCsvBytes + 1, '\n');
    EXPECT_EQ(meter_list_error(big).name, "too_large");
}

TEST(MeterList, ExportAndImportAgainGiveTheSameEntries) {
    std::vector<MeterListEntry> in(3);
    in[0] = {"Sales office; 2nd floor, \"east\"", 0x14290591, 2400, AddressingMode::primary, 221, "", false};
    in[1] = {"multi\nline", 0x13001651, 300, AddressingMode::secondary, std::nullopt, "E1", false};
    in[2] = {"G\xC3\xB6teborg", 0x61007338, 2400, AddressingMode::esecondary, std::nullopt, "", true};
    const auto out = import_meter_list(export_meter_list(in), 2);
    ASSERT_TRUE(out.errors.empty());
    ASSERT_EQ(out.meters.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(out.meters[i].position, in[i].position);
        EXPECT_EQ(out.meters[i].secondary, in[i].secondary);
        EXPECT_EQ(out.meters[i].baud, in[i].baud);
        EXPECT_EQ(out.meters[i].mode, in[i].mode);
        EXPECT_EQ(out.meters[i].primary, in[i].primary);
        EXPECT_EQ(out.meters[i].enhanced, in[i].enhanced);
        EXPECT_EQ(out.meters[i].passive, in[i].passive);
    }
}

TEST(KeyFile, Figure8WithBomAndFileErrors) {
    const auto r = import_key_file(std::string("\xEF\xBB\xBF") + kFigure8);
    EXPECT_EQ(r.keys.size(), 2u);
    EXPECT_EQ(r.errors.size(), 3u);
    // Figure 8's header "address,key,manufacturer,deviceType,version\n" is 44 bytes; row 2
    // "-1,AAAABBBCCCCDDDDEEEEFFFF11112222,*,-1,-1\n" 43 bytes; the quote opens row 3 at 87.
    const std::string header = "address,key,manufacturer,deviceType,version\n";
    const std::string row2 = "-1,AAAABBBCCCCDDDDEEEEFFFF11112222,*,-1,-1\n";
    const auto e = key_file_error(header + row2 + "\"13360079,A1B2C3D4E5F6A1B2C3D4E5F678910111,ELV,-1,-1\n");
    EXPECT_EQ(e, (FileError{"unterminated_quoted_field", 3, 87, "row 3: unterminated quoted field"}));
    // a NUL inside a key: named, and no key character in the message
    const auto nul = key_file_error(header + std::string("-1,A1B2C3D4\0E5F6A1B2C3D4E5F67891011,*,-1,-1\n", 44));
    EXPECT_EQ(nul.name, "binary_content");
    EXPECT_EQ(nul.row, 2u);
    EXPECT_EQ(nul.offset, 44u + 11u);
    EXPECT_EQ(nul.what.find("A1B2"), std::string::npos);
    const auto quote = key_file_error(header + "-1,A1B2C3D4\"E5F6A1B2C3D4E5F678910111,*,-1,-1\n");
    EXPECT_EQ(quote.name, "bad_quote");
    EXPECT_EQ(quote.what.find("A1B2"), std::string::npos);
}

TEST(KeyFile, KeyInTheWrongColumnNeverReachesAMessage) {
    // the key typed into the Address and Manufacturer columns
    const auto r = import_key_file(
        "address,key,manufacturer,deviceType,version\n"
        "00112233445566778899AABBCCDDEEFF,00112233445566778899AABBCCDDEEFF,*,-1,-1\n"
        "-1,00112233445566778899AABBCCDDEEFF,00112233445566778899AABBCCDDEEFF,-1,-1\n"
        "-1,00112233445566778899AABBCCDDEEFF,*,00112233445566778899AABBCCDDEEFF,-1\n");
    ASSERT_EQ(r.errors.size(), 3u);
    for (const auto& e : r.errors) {
        EXPECT_EQ(e.message().find("0011"), std::string::npos) << e.message();
        EXPECT_NE(e.message().find("32 characters"), std::string::npos) << e.message();
    }
    EXPECT_EQ(r.errors[0].name, "bad_address");
    EXPECT_EQ(r.errors[1].name, "bad_manufacturer");
    EXPECT_EQ(r.errors[2].name, "bad_device_type");
    // short values are still shown: "1336007" has 7 characters
    EXPECT_EQ(import_key_file("address,key,manufacturer,deviceType,version\n1336007,00112233445566778899AABBCCDDEEFF,*,-1,-1\n")
                  .errors.at(0)
                  .message(),
              "row 2: bad_address: '1336007': expected -1 or an 8-digit secondary address");
}
