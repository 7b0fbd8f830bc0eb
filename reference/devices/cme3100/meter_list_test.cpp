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

// ------------------------------------------------------------ problems of the whole file
namespace {
const char* kFigure5Header = "Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n";  // 81 bytes
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
