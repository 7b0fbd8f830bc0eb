// The CMi6110's SenML/CBOR payload against the bytes of its manual (§7.4.2.3 "Example and Data
// Size": the first record, the encoder-version record, one further record) and against RFC 8949 /
// RFC 8428 rules, each error at the byte where the manual's bytes were changed.
#include <gtest/gtest.h>

#include "../../testing/hex.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metercert/devices/cmi6110/senml_payload.hpp"
#include "metercert/senml/senml.hpp"

using metercert::devices::cmi6110::decode_senml;
using metercert::devices::cmi6110::encode_senml;
using metercert::devices::cmi6110::SenmlError;
using metercert::devices::cmi6110::SenmlErrorCode;
using metercert::devices::cmi6110::SenmlPayload;

namespace {

using metercert::testing::hex;

// §7.4.2.3, lines 3–38 of the breakdown, with the array header for these three records (0x83
// instead of the 24-item 98 18).
const std::string kFirst =
    "A3 21 68 3132333435363738 22 1A 5DE02740 08 58 21 "
    "04064E61BC000415 07870000022B9413 023BD400025A2303 025E1A0202FD1712 40";
const std::string kVersion = "A2 00 61 56 02 00";
const std::string kLater = "A2 06 39 0E0F 08 46 0406F24FBC00";
const std::string kDibs1 = "04064E61BC00041507870000022B9413023BD400025A2303025E1A0202FD171240";

std::vector<std::uint8_t> manual() { return hex("83 " + kFirst + kVersion + kLater); }

SenmlError refused(const std::vector<std::uint8_t>& b) {
    SenmlPayload p;
    SenmlError e;
    EXPECT_FALSE(decode_senml(b, p, e)) << "accepted";
    return e;
}

}  // namespace

TEST(Cmi6110Senml, ManualExampleDecodes) {
    SenmlPayload p;
    SenmlError e;
    ASSERT_TRUE(decode_senml(manual(), p, e)) << e.message();
    EXPECT_EQ(p.meter_id, "12345678");
    EXPECT_EQ(p.base_time, 1574971200);  // "2019-11-28T20:00Z"
    EXPECT_TRUE(p.version_record);
    EXPECT_EQ(p.encoder, 0x0000);
    ASSERT_EQ(p.readouts.size(), 2u);
    EXPECT_EQ(p.readouts[0].time, 1574971200);
    EXPECT_EQ(p.readouts[0].dibs, hex(kDibs1));
    EXPECT_EQ(p.readouts[0].dibs.size(), 33u);  // "Byte array, length 33"
    EXPECT_EQ(p.readouts[0].dibs_offset, 21u);  // 83, A3, 21 68 + 8, 22 1A + 4, 08 58 21
    EXPECT_EQ(p.readouts[1].time, 1574971200 - 3600);  // "2019-11-28T19:00Z"
    EXPECT_EQ(p.readouts[1].dibs, hex("0406F24FBC00"));  // "Energy = 12341,234 MWh"
    EXPECT_TRUE(p.ignored.empty());
}

TEST(Cmi6110Senml, EncoderWritesTheManualsBytes) {
    SenmlPayload p;
    p.meter_id = "12345678";
    p.version_record = true;
    p.readouts = {{1574971200, hex(kDibs1)}, {1574971200 - 3600, hex("0406F24FBC00")}};
    EXPECT_EQ(encode_senml(p), manual());
    // the 24-item pack of the breakdown starts 98 18 (an array count of 24 in one extra byte)
    for (int i = 0; i < 21; ++i) p.readouts.push_back({1574971200 - 3600 * (i + 2), hex("0406F24FBC00")});
    const auto b = encode_senml(p);
    EXPECT_EQ(b[0], 0x98);
    EXPECT_EQ(b[1], 0x18);
    EXPECT_THROW(encode_senml(SenmlPayload{}), std::invalid_argument);
}

TEST(Cmi6110Senml, WithoutTheVersionRecordTheEncoderIsMbus) {
    SenmlPayload p;
    SenmlError e;
    ASSERT_TRUE(decode_senml(hex("82 " + kFirst + kLater), p, e)) << e.message();
    EXPECT_FALSE(p.version_record);
    EXPECT_EQ(p.encoder, 0x0000);  // "If record is excluded, encoder type is 0 and encoder version is 0"
    EXPECT_EQ(p.readouts.size(), 2u);
}

TEST(Cmi6110Senml, CborRulesAreNamedWithTheirOffset) {
    // t = -3600 in the long form 3A 00000E0F instead of 39 0E0F (RFC 8949 §4.2.1)
    auto e = refused(hex("83 " + kFirst + kVersion + "A2 06 3A 00000E0F 08 46 0406F24FBC00"));
    EXPECT_EQ(e.name(), "not_shortest");
    EXPECT_EQ(e.offset, 62u);  // 1 (83) + 53 (first record) + 6 (V record) + A2 06
    // the array count 3 as 98 03
    e = refused(hex("98 03 " + kFirst + kVersion + kLater));
    EXPECT_EQ(e.name(), "not_shortest");
    EXPECT_EQ(e.offset, 0u);
    // an indefinite-length array 9F … FF
    e = refused(hex("9F " + kFirst + kVersion + kLater + "FF"));
    EXPECT_EQ(e.name(), "indefinite_length");
    EXPECT_EQ(e.offset, 0u);
    // the last byte missing
    auto b = manual();
    b.pop_back();
    e = refused(b);
    EXPECT_EQ(e.name(), "truncated");
    EXPECT_EQ(e.offset, b.size());
    // a byte after the pack
    b = manual();
    b.push_back(0x00);
    e = refused(b);
    EXPECT_EQ(e.name(), "trailing_data");
    EXPECT_EQ(e.offset, b.size() - 1);
    // a map, not an array
    e = refused(hex(kFirst));
    EXPECT_EQ(e.name(), "not_a_pack");
    // a label that is a byte string (41 06) instead of the integer 6
    e = refused(hex("83 " + kFirst + kVersion + "A2 41 06 39 0E0F 08 46 0406F24FBC00"));
    EXPECT_EQ(e.name(), "bad_label");
    EXPECT_EQ(e.offset, 61u);
    // the time as a text string
    e = refused(hex("83 " + kFirst + kVersion + "A2 06 61 30 08 46 0406F24FBC00"));
    EXPECT_EQ(e.name(), "wrong_type");
    EXPECT_EQ(e.offset, 62u);
    // a label twice
    e = refused(hex("83 " + kFirst + kVersion + "A3 06 39 0E0F 08 46 0406F24FBC00 06 00"));
    EXPECT_EQ(e.name(), "duplicate_label");
    // a must-understand extension label "x_" (RFC 8428 §4.4)
    e = refused(hex("83 " + kFirst + kVersion + "A3 06 39 0E0F 08 46 0406F24FBC00 62 785F 00"));
    EXPECT_EQ(e.name(), "must_understand");
    // a tag
    e = refused(hex("83 " + kFirst + kVersion + "A2 06 C1 39 0E0F 08 46 0406F24FBC00"));
    EXPECT_EQ(e.name(), "unsupported");
}

TEST(Cmi6110Senml, ManualRulesAreNamedWithTheirOffset) {
    // encoder type 1 version 2 ("value 0x0102 means Encoder type 0x01 and Encoder version 0x02"):
    // not defined, parsing stops with an error
    auto e = refused(hex("83 " + kFirst + "A2 00 61 56 02 19 0102" + kLater));
    EXPECT_EQ(e.name(), "unsupported_encoder");
    EXPECT_EQ(e.offset, 54u);  // the V record
    // a version value that is not a UINT16
    e = refused(hex("83 " + kFirst + "A2 00 61 56 02 1A 00010000" + kLater));
    EXPECT_EQ(e.name(), "bad_version_record");
    // a named record whose name is hexadecimal only
    e = refused(hex("84 " + kFirst + kVersion + "A2 00 62 3132 02 05" + kLater));
    EXPECT_EQ(e.name(), "bad_record_name");
    EXPECT_EQ(e.offset, 60u);
    // an unknown named record is ignored
    SenmlPayload p;
    SenmlError err;
    ASSERT_TRUE(decode_senml(hex("84 " + kFirst + kVersion + "A2 00 62 5874 02 05" + kLater), p, err)) << err.message();
    EXPECT_EQ(p.ignored, std::vector<std::string>{"Xt"});
    EXPECT_EQ(p.readouts.size(), 2u);
    // a unit ("(Base) Unit is not used")
    e = refused(hex("83 " + kFirst + kVersion + "A3 06 39 0E0F 01 62 5768 08 46 0406F24FBC00"));
    EXPECT_EQ(e.name(), "unit_not_allowed");
    EXPECT_EQ(e.offset, 60u);
    // no base name / base time in the first record
    e = refused(hex("82 A2 22 1A 5DE02740 08 46 0406F24FBC00" + kVersion));
    EXPECT_EQ(e.name(), "no_base_name");
    EXPECT_EQ(e.offset, 1u);
    e = refused(hex("82 A2 21 68 3132333435363738 08 46 0406F24FBC00" + kVersion));
    EXPECT_EQ(e.name(), "no_base_time");
    // a second meter
    e = refused(hex("83 " + kFirst + kVersion + "A3 21 68 3837363534333231 06 39 0E0F 08 46 0406F24FBC00"));
    EXPECT_EQ(e.name(), "second_meter");
    // a readout without a data value
    e = refused(hex("83 " + kFirst + kVersion + "A1 06 39 0E0F"));
    EXPECT_EQ(e.name(), "no_data_value");
    // a data value whose M-Bus record is cut short: the error at the byte in the payload
    e = refused(hex("83 " + kFirst + kVersion + "A2 06 39 0E0F 08 45 0406F24FBC"));
    EXPECT_EQ(e.name(), "bad_data_value");
    EXPECT_GE(e.offset, 67u);  // inside the 5-byte data value that starts at byte 67
    EXPECT_LE(e.offset, 72u);
    EXPECT_NE(e.detail.find("truncated_record"), std::string::npos) << e.detail;
    // a fractional time
    e = refused(hex("83 " + kFirst + kVersion + "A2 06 F9 3C00 08 46 0406F24FBC00"));
    EXPECT_EQ(e.name(), "time_not_integer");
}

TEST(Senml, GenericPackRoundTripsInPreferredSerialization) {
    using namespace metercert::senml;
    Pack p;
    Record r;
    r.base_name = "urn:dev:ow:10e2073a01080063";  // RFC 8428 §5.1.1 example's base name
    r.unit = "Cel";
    r.value = Number::real(23.1);
    r.time = Number::integer(1276020076);
    p.records.push_back(r);
    Record h;
    h.value = Number::real(1.5);  // exact in binary16: F9 3E00
    p.records.push_back(h);
    const auto b = encode_pack(p);
    // 82 | A4 21 <bn> 01 63 "Cel" 02 FB <23.1> 06 1A 4C0FE06C | A1 02 F9 3E00
    EXPECT_EQ(b[0], 0x82);
    const std::vector<std::uint8_t> tail{0xA1, 0x02, 0xF9, 0x3E, 0x00};
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(), b.end() - 5));
    Pack q;
    PackError e;
    ASSERT_TRUE(decode_pack(b, q, e)) << e.message();
    ASSERT_EQ(q.records.size(), 2u);
    EXPECT_EQ(q.records[0].base_name, r.base_name);
    EXPECT_EQ(q.records[0].unit, r.unit);
    EXPECT_EQ(q.records[0].value, r.value);
    EXPECT_EQ(q.records[0].time, r.time);
    EXPECT_EQ(q.records[1].value, h.value);
    // an unknown integer label is ignored, with its place
    ASSERT_TRUE(decode_pack(std::vector<std::uint8_t>{0x81, 0xA2, 0x02, 0x01, 0x18, 0x64, 0x00}, q, e)) << e.message();
    ASSERT_EQ(q.records[0].unknown_labels.size(), 1u);
    EXPECT_EQ(q.records[0].unknown_labels[0].label, "100");
    EXPECT_EQ(q.records[0].unknown_labels[0].offset, 4u);
}

// §7.4.2.3 "Some example sizes" (vectors/cmi6110/sizes.json, ERRATA E-94): packs of the table's
// shape encoded by the encoder have the size the breakdown's part sizes add up to — not the
// table's totals, whose formula ("29 + payload1 + 6 + X·(7 + payload2)") adds 7 to the first
// record and leaves out the byte-string head of data values of 24 bytes or more.
TEST(Cmi6110Senml, SizeExamplesAreTheBreakdownsPartSizes) {
    const auto doc = nlohmann::json::parse(std::ifstream(std::string(METERCERT_VECTORS_DIR) + "/cmi6110/sizes.json"));
    ASSERT_EQ(doc.at("examples").size(), 3u);
    for (const auto& ex : doc.at("examples")) {
        const std::size_t p1 = ex.at("payload1"), p2 = ex.at("payload2"), n = ex.at("records");
        SenmlPayload p;
        p.meter_id = "12345678";
        p.version_record = true;
        p.readouts.push_back({1574971200, std::vector<std::uint8_t>(p1, 0x11)});
        for (std::size_t i = 1; i < n; ++i)
            p.readouts.push_back({1574971200 - static_cast<std::int64_t>(900 * i), std::vector<std::uint8_t>(p2, 0x22)});
        const std::size_t items = n + 1;  // the readouts and the encoder record
        // the breakdown's part sizes, added up here from the manual's lines, not from the encoder
        const std::size_t by_parts = (items < 24 ? 1 : 2) + 20 + p1 + 6 + (n - 1) * (6 + (p2 < 24 ? 1 : 2) + p2);
        EXPECT_EQ(by_parts, static_cast<std::size_t>(ex.at("encoded_total"))) << ex.dump();
        EXPECT_EQ(encode_senml(p).size(), by_parts) << ex.dump();
        // and the table's own figure follows its formula with X = records - 1
        EXPECT_EQ(29 + p1 + 6 + (n - 1) * (7 + p2), static_cast<std::size_t>(ex.at("manual_total"))) << ex.dump();
    }
}
