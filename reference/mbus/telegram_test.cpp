#include "metercert/mbus/telegram.hpp"

#include <random>

#include <gtest/gtest.h>

#include "../testing/hex.hpp"

#include "metercert/mbus/encode.hpp"
#include "metercert/mbus/json.hpp"

using namespace metercert::mbus;

namespace {
using metercert::testing::hex;
const auto& hx = metercert::testing::hex;
}  // namespace

TEST(Telegram, SenmlExamplePayloadOfTheCmi6110Manual) {
    // CMi6110 manual §7.4.2.3: 12345678 kWh, 3456.7 m3, 5012 W, 212 l/h, 80.3 °C, 53.8 °C, 0x4012.
    const auto f = build_long(0x08, 0, 0x78, hx("04064E61BC000415 07870000022B9413 023BD400025A2303 025E1A0202FD1712 40"));
    const Telegram t = decode_or_throw(f);
    ASSERT_EQ(t.records.size(), 7u);
    EXPECT_EQ(t.records[0].value, (Decimal{12345678, 3}));
    EXPECT_EQ(t.records[0].meaning.unit_view(), "Wh");
    EXPECT_EQ(t.records[1].value, (Decimal{34567, -1}));
    EXPECT_EQ(t.records[2].value, (Decimal{5012, 0}));
    EXPECT_EQ(t.records[3].value, (Decimal{212, -3}));  // m3/h: 212 l/h
    EXPECT_EQ(t.records[4].value, (Decimal{803, -1}));
    EXPECT_EQ(t.records[5].value, (Decimal{538, -1}));
    EXPECT_EQ(t.records[6].number, (Decimal{0x4012, 0}));
}

TEST(Telegram, Cmi1020PlainTextLayoutAndStandardLayout) {
    // Table 6 row 37: 02 FC 06 "ihPsoC" 74 → text before the VIFE.
    Telegram t = decode_or_throw(build_long(0x08, 1, 0x78, hx("02 FC06696850736F4374 6200")));
    ASSERT_EQ(t.records.size(), 1u);
    EXPECT_EQ(t.records[0].text_layout, TextLayout::length_before_vife);
    EXPECT_EQ(t.text(t.records[0].unit_text), "ihPsoC");
    EXPECT_EQ(t.records[0].value, (Decimal{98, -2}));
    // EN 13757-3 layout: FC 74 01 'W' → VIFE before the text.
    t = decode_or_throw(build_long(0x08, 1, 0x78, hx("02 FC740157 7B00")));
    EXPECT_EQ(t.records[0].text_layout, TextLayout::standard);
    EXPECT_EQ(t.text(t.records[0].unit_text), "W");
    EXPECT_EQ(t.records[0].value, (Decimal{123, -2}));
}

TEST(Telegram, MsbFirstModeCi76) {
    // CI 0x76 (mode 2): header ID and multi-byte data MSB first. ID 12345678, ELV 15 96.
    const auto f = build_long(0x08, 1, 0x76, hx("12345678 1596 01 02 00 00 0000 0406 00000001"));
    const Telegram t = decode_or_throw(f);
    EXPECT_EQ(t.header.id, 0x12345678u);
    EXPECT_EQ(manufacturer_letters(t.header.manufacturer), "ELV");
    EXPECT_EQ(t.records[0].value, (Decimal{1000, 0}));
    EXPECT_EQ(encode(t), f);
}

TEST(Telegram, DateTimeTypes) {
    // CMi6110 §7.4.2.1 Table 6: type F bit layout; 2019-11-28 20:00, century 01.
    const DateTime f = DateTime::decode('F', 0x2B7C3400);
    EXPECT_EQ(f.year, 2019);
    EXPECT_EQ(f.month, 11);
    EXPECT_EQ(f.day, 28);
    EXPECT_EQ(f.hour, 20);
    EXPECT_EQ(f.minute, 0);
    EXPECT_EQ(f.hundred_year(), 1u);
    EXPECT_EQ(f.iso(), "2019-11-28T20:00");
    EXPECT_EQ(DateTime::make('F', 2019, 11, 28, 20, 0).bits, 0x2B7C3400u);
    // compatibility rule: hundred-year 0 and y = 19 is 2019 as well; y = 99 is 1999
    EXPECT_EQ(f.with_hundred_year(0).year, 2019);
    EXPECT_EQ(DateTime::decode('G', 0x0000 | 31 | (12 << 8) | (3 << 5) | (12 << 12)).year, 1999);
    const DateTime g = DateTime::make('G', 2024, 5, 17);
    EXPECT_EQ(g.bits, 0x3511u);
    EXPECT_EQ(DateTime::make('J', 0, 0, 0, 12, 30, 5).bits, 0x0C1E05u);
}

TEST(Telegram, EveryTruncationOfAValidFrameIsANamedError) {
    const auto f = build_long(0x08, 1, 0x72,
                              hx("78563412 9615 01 02 05 00 0000 0406 01000000 8410833B 01000000 0DFD0F05 322E302E31 "
                                 "02FC06696850736F4374 6200 1FAA"));
    Telegram t;
    DecodeError e;
    ASSERT_TRUE(decode(f, t, e)) << e.message();
    for (std::size_t n = 0; n < f.size(); ++n) {
        const std::vector<std::uint8_t> cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_FALSE(decode(cut, t, e)) << n;
        EXPECT_FALSE(e.detail.empty() && e.code != ErrorCode::empty_input) << n;
        EXPECT_LE(e.offset, n) << n;
    }
}

TEST(Telegram, RandomBytesNeverCrashAndValidFramesRoundTrip) {
    // Long frames with random user data (valid link layer): decode either succeeds — and then
    // re-encodes byte for byte — or fails with a named error inside the frame.
    std::mt19937 rng(20261121);
    Telegram t;
    DecodeError e;
    std::string json;
    int decoded = 0;
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::uint8_t> ud(rng() % 60);
        for (auto& b : ud) b = static_cast<std::uint8_t>(rng());
        static constexpr std::uint8_t kCi[] = {0x72, 0x78, 0x7A, 0x51, 0x76};
        const std::uint8_t ci = kCi[rng() % 5];
        const auto f = build_long(0x08, 1, ci, ud);
        if (decode(f, t, e)) {
            ++decoded;
            ASSERT_EQ(encode(t), f) << to_json(t);
            json.clear();
            to_json(t, json);
            ASSERT_EQ(from_json(json), f) << json;
        } else {
            ASSERT_LT(e.offset, f.size() + 1) << i;
        }
    }
    EXPECT_GT(decoded, 1000);
}

TEST(Telegram, ViolationsAreListedOrStrictlyRejected) {
    // CI 72 header, ID bytes 23 71 6A 13 (digit A at byte 9), manufacturer 00 00 (letters 0: byte 11).
    const auto f = build_long(0x08, 1, 0x72, hx("23716A13 0000 01 02 07 00 0000 0403 01000000"));
    Telegram t;
    DecodeError err;
    ASSERT_TRUE(decode(f, t, err)) << err.message();
    EXPECT_EQ(t.header.id, 0x136A7123u);  // digits kept as sent
    ASSERT_EQ(t.violations.size(), 2u);
    EXPECT_EQ(t.violations[0].code, ErrorCode::bad_bcd);
    EXPECT_EQ(t.violations[0].offset, 9u);
    EXPECT_EQ(t.violations[1].code, ErrorCode::bad_manufacturer);
    EXPECT_EQ(t.violations[1].offset, 11u);
    EXPECT_EQ(encode(t), f);
    EXPECT_FALSE(decode(f, t, err, DecodeOptions{.strict = true}));
    EXPECT_EQ(err.code, ErrorCode::bad_bcd);
    EXPECT_EQ(err.offset, 9u);
    EXPECT_TRUE(is_violation(err.code));
    EXPECT_THROW(decode_or_throw(f, DecodeOptions{.strict = true}), DecodeFailure);
    // the telegram is reused: a conforming frame next leaves no violation behind
    ASSERT_TRUE(decode(build_long(0x08, 1, 0x72, hx("78563412 9615 01 02 07 00 0000")), t, err));
    EXPECT_TRUE(t.violations.empty());
}

TEST(Telegram, FixedDataStructure) {
    // m-bus.com's CI 73 example: 78 56 34 12 | 0A | 00 | E9 7E | 01 00 00 00 | 35 01 00 00.
    // E9 = 11 101001 (unit 1 = 0x29 litres, medium bits 1..0 = 11), 7E = 01 111110 (unit 2 = 0x3E,
    // medium bits 3..2 = 01): medium 7 = water; 1 l and 135 l (historic, storage 1).
    const auto f = hx("68131368080573785634120A00E97E01000000350100003C16");
    const Telegram t = decode_or_throw(f);
    EXPECT_EQ(t.header.kind, Header::Kind::fixed);
    EXPECT_EQ(t.header.id, 0x12345678u);
    EXPECT_EQ(t.header.access_number, 10);
    EXPECT_EQ(t.header.medium, 7);
    ASSERT_EQ(t.records.size(), 2u);
    EXPECT_EQ(t.records[0].counter, 1);
    EXPECT_EQ(t.records[0].unit_code, 0x29);
    EXPECT_EQ(t.records[0].value, (Decimal{1, -3}));
    EXPECT_EQ(t.records[0].meaning.unit_view(), "m3");
    EXPECT_EQ(t.records[1].storage, 1u);
    EXPECT_EQ(t.records[1].value, (Decimal{135, -3}));
    EXPECT_EQ(encode(t), f);
    EXPECT_EQ(from_json(to_json(t)), f);
    // the builder: status 01 (binary), medium 4 heat, kWh and m3
    Header h;
    h.kind = Header::Kind::fixed;
    h.id = 0x00000001;
    h.status = kFixedStatusBinary;
    h.medium = 4;
    const std::uint8_t units[2] = {0x05, 0x2C};
    const Value values[2] = {Value::integer(-1), Value::integer(789)};
    const auto ud = fixed_user_data(h, units, values);
    // medium/unit: 0x05 | 0 << 6, 0x2C | 1 << 6 = 6C; counter 1: FF FF FF FF, counter 2: 0x315 LSB first
    EXPECT_EQ(ud, hx("01000000 00 01 05 6C FFFFFFFF 15030000"));
    const Telegram b = decode_or_throw(build_long(0x08, 5, 0x73, ud));
    EXPECT_EQ(b.records[0].value, (Decimal{-1000, 0}));  // −1 kWh in Wh
    const Value bcd_values[2] = {Value::bcd(1), Value::bcd(2)};
    EXPECT_THROW(fixed_user_data(h, units, bcd_values), DecodeFailure);  // status 01 says binary
    h.medium = 16;
    EXPECT_THROW(fixed_user_data(h, units, values), DecodeFailure);
}

TEST(Tables, FixedUnitsAndApplicationErrors) {
    // m-bus.com §6.2 unit table: 02 Wh … 0A 100 MWh; 0B kJ, 0D 100 kJ, 0E MJ (libmbus's code swaps 0D/0E); 29 l; 35 m3/h.
    EXPECT_EQ(fixed_unit(0x02).scale, (Decimal{1, 0}));
    EXPECT_EQ(fixed_unit(0x0A).scale, (Decimal{1, 8}));
    EXPECT_EQ(fixed_unit(0x0D).unit_view(), "J");
    EXPECT_EQ(fixed_unit(0x0D).scale, (Decimal{1, 5}));
    EXPECT_EQ(fixed_unit(0x0E).scale, (Decimal{1, 6}));
    EXPECT_EQ(fixed_unit(0x29).scale, (Decimal{1, -3}));
    EXPECT_EQ(fixed_unit(0x35).unit_view(), "m3/h");
    EXPECT_EQ(fixed_unit(0x38).scale, (Decimal{1, -3}));
    EXPECT_TRUE(fixed_unit(0x3B).reserved);
    EXPECT_EQ(fixed_medium_name(0x0D), "water_mode_2");
    EXPECT_EQ(application_error_name(8), "application_busy");
    EXPECT_EQ(application_error_name(0x0A), "reserved");
}

// A DIB list on its own (CMi6110 manual §7.4.2.3 data value): the same seven records as above,
// without the frame around them, offsets into the block.
TEST(DecodeRecords, ABlockOfDataRecordsWithoutAFrame) {
    const auto dibs = hx("04064E61BC000415 07870000022B9413 023BD400025A2303 025E1A0202FD1712 40");
    Telegram t;
    DecodeError err;
    ASSERT_TRUE(decode_records(dibs, t, err)) << err.message();
    ASSERT_EQ(t.records.size(), 7u);
    EXPECT_EQ(t.records[0].offset, 0u);
    EXPECT_EQ(t.records[0].value, (Decimal{12345678, 3}));
    EXPECT_EQ(t.records[6].offset, 28u);  // 02 FD 17 12 40
    const std::vector<std::uint8_t> cut(dibs.begin(), dibs.begin() + 5);  // 04 06 and 3 of its 4 data bytes
    EXPECT_FALSE(decode_records(cut, t, err));
    EXPECT_EQ(err.code, ErrorCode::truncated_record);
    EXPECT_LE(err.offset, 5u);
}
