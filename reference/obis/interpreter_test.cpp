#include "metercert/obis/interpreter.hpp"

#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"

using namespace metercert::obis;

namespace {
std::string file(const std::string& rel) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
std::string hex(const std::vector<std::uint8_t>& v) {
    std::string s;
    for (auto b : v) s += fmt::format("{:02X}", b);
    return s;
}
std::vector<std::uint8_t> le(std::uint64_t v, int n) {
    std::vector<std::uint8_t> o;
    for (int i = 0; i < n; ++i) o.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return o;
}
std::vector<std::uint8_t> cat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}
Readout readout_of(const std::string& lines) {
    const std::string body = lines + "!\r\n\x03";
    std::uint8_t x = 0;
    for (char c : body) x ^= static_cast<std::uint8_t>(c);
    return parse_readout("/LGZ4ZMF100AC.M26\r\n\x02" + body + static_cast<char>(x));
}
}  // namespace

TEST(Interpreter, Table6HasAll68RowsInOrder) {
    ASSERT_EQ(table6().size(), 68u);
    for (unsigned i = 0; i < 68; ++i) EXPECT_EQ(table6()[i].sel, i);
    EXPECT_STREQ(table6()[58].obis, "0.0");
    EXPECT_STREQ(table6()[53].obis, "F.F");
}

TEST(Interpreter, EveryRowFromAHandWrittenReadout) {
    // vectors/obis/table6-all-rows.*: expected records derived by hand from Table 6.
    const auto expect = nlohmann::json::parse(file("obis/table6-all-rows.json"));
    const Interpretation in = interpret(parse_readout(file("obis/table6-all-rows.readout")));
    EXPECT_TRUE(in.diagnostics.empty());
    ASSERT_EQ(in.records.size(), expect["records"].size());
    for (std::size_t i = 0; i < in.records.size(); ++i) {
        EXPECT_EQ(in.record_sel[i], expect["records"][i]["sel"].get<unsigned>()) << i;
        EXPECT_EQ(hex(in.records[i]), expect["records"][i]["record"].get<std::string>())
            << "sel " << expect["records"][i]["sel"] << " OBIS " << expect["records"][i]["obis"];
    }
    ASSERT_TRUE(in.header_id);
    EXPECT_EQ(*in.header_id, 0x12345678u);
}

TEST(Interpreter, RealE350ReadoutInOrder) {
    const Interpretation in = interpret(parse_readout(file("obis/lgz-zmf100ac-m26.readout")));
    // Table 4: 0.0 "          120858" is not 8 BCD digits → C.1.0 13647123.
    ASSERT_TRUE(in.header_id);
    EXPECT_EQ(*in.header_id, 0x13647123u);
    // F.F first; C.1.1 blank → no record; 0.0 → header only.
    const std::vector<unsigned> sel{53, 56, 1, 2, 8, 9, 0, 7, 28, 47, 41, 42, 43, 44, 45, 46, 54, 55, 59, 52};
    EXPECT_EQ(in.record_sel, sel);
    EXPECT_TRUE(in.diagnostics.empty());
    EXPECT_EQ(hex(in.records[0]), "02FD170000");
    EXPECT_EQ(hex(in.records[1]), "0C7823716413");
    EXPECT_EQ(in.records[2], cat({0x84, 0x10, 0x83, 0x3B}, le(42951721, 4)));  // 042951.721 kWh, 3 decimals → VIF 83
    EXPECT_EQ(in.records[10], cat({0x83, 0x40, 0xFD, 0x49}, le(241, 3)));      // 241 V, 0 decimals → FD 49
    EXPECT_EQ(in.records[13], cat({0x83, 0x40, 0xFD, 0x5A}, le(35, 3)));       // 000.35 A → FD 5A
    EXPECT_EQ(in.records[18], (std::vector<std::uint8_t>{0x0D, 0xFD, 0x0E, 0x03, '6', '2', 'M'}));
    EXPECT_EQ(in.records[19], cat({0x02, 0x7C, 0x02, 0x43, 0x53}, le(0x0401, 2)));  // C.5.0 hex 0401
}

TEST(Interpreter, SelectionMaskFiltersRows) {
    SelectionMask m = kSelectAll;
    m[0] &= static_cast<std::uint8_t>(~(1u << 1));  // bit 1: 1.8.1
    m[6] &= static_cast<std::uint8_t>(~(1u << 5));  // bit 53: F.F
    const Interpretation in = interpret(parse_readout(file("obis/lgz-zmf100ac-m26.readout")), m);
    for (unsigned s : in.record_sel) {
        EXPECT_NE(s, 1u);
        EXPECT_NE(s, 53u);
    }
    EXPECT_EQ(in.records.size(), 18u);
}

TEST(Interpreter, NoSilentTruncation) {
    const Interpretation in = interpret(readout_of(
        "1.8.0(4000000.000*kWh)\r\n"    // 4000000000 > int32: one trailing zero dropped → 400000000 at n = 4 (VIF 84)
        "1.8.1(2147483.648*kWh)\r\n"    // 2147483648 > int32, last digit not 0 → left out
        "1.8.2(1.2345*kWh)\r\n"         // 4 decimals: finer than 10^0 Wh → left out
        "1.8.3(1.2340*kWh)\r\n"         // trailing zero dropped → 3 decimals, VIF 83
        "1.8.4(100*Wh)\r\n"             // not the unit of the row → left out
        "32.7(99999999*V)\r\n"          // int24 overflow → left out
        "C.1.0(123456789)\r\n"          // 9 digits for BCD8 → left out
        "F.F(00012345)\r\n"             // 32-bit error register into DIF 02 → left out
        "C.7.0(0003)\r\n"));
    ASSERT_EQ(in.records.size(), 3u);
    EXPECT_EQ(in.records[0], cat({0x04, 0x84, 0x3B}, le(400000000, 4)));
    EXPECT_EQ(in.records[1], cat({0x84, 0x30, 0x83, 0x3B}, le(1234, 4)));
    EXPECT_EQ(in.records[2], cat({0x02, 0xFD, 0x75}, le(3, 2)));
    std::vector<std::string> what;
    for (const auto& d : in.diagnostics) what.push_back(d.obis + ":" + d.what);
    EXPECT_EQ(what, (std::vector<std::string>{"1.8.1:value_overflow", "1.8.2:too_many_decimals", "1.8.4:unexpected_unit",
                                              "32.7:value_overflow", "C.1.0:value_overflow", "F.F:value_overflow"}));
    EXPECT_EQ(in.diagnostics[0].line, 3u);
}

TEST(Interpreter, EveryRecordDecodesWithTheCodec) {
    // Every byte the interpreter builds must decode with the M-Bus codec.
    const Interpretation in = interpret(parse_readout(file("obis/table6-all-rows.readout")));
    for (const auto& r : in.records) {
        const auto f = metercert::mbus::build_long(0x08, 1, 0x78, r);
        metercert::mbus::Telegram t;
        metercert::mbus::DecodeError e;
        ASSERT_TRUE(metercert::mbus::decode(f, t, e)) << e.message() << " " << hex(r);
        EXPECT_EQ(t.records.size(), 1u);
    }
}
