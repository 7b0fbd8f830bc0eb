// The CMi6110's M-Bus and JSON encodings (manual §7.4.2.1 Table 6, §7.4.2.2 Table 7) against the
// manual's JSON example and its SenML example's M-Bus records (the same meter values): the bytes
// and the text are the manual's, the date bits worked out by hand from Table 6 DIB 1.
#include <gtest/gtest.h>

#include "../../testing/hex.hpp"

#include <fstream>
#include <iterator>
#include <string>

#include "metercert/devices/cmi6110/readout.hpp"

using namespace metercert::devices::cmi6110;

namespace {

using metercert::testing::hex;

// §7.4.2.2 "Example payload, JSON", as printed (vectors/cmi6110/manual_json_example.json)
std::string manual_json() {
    std::ifstream f(METERCERT_VECTORS_DIR "/cmi6110/manual_json_example.json");
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
const std::string kManualJson = manual_json();

Readout manual_readout() {
    Readout r;
    MessageFormat f{};
    JsonError e;
    EXPECT_TRUE(decode_json(kManualJson, r, f, e)) << e.message();
    EXPECT_EQ(f, MessageFormat::standard);
    return r;
}

}  // namespace

TEST(Cmi6110Readout, ManualJsonExampleDecodes) {
    const Readout r = manual_readout();
    EXPECT_EQ(r.time.year, 2019);
    EXPECT_EQ(r.time.month, 11);
    EXPECT_EQ(r.time.day, 28);
    EXPECT_EQ(r.time.hour, 20);
    EXPECT_EQ(r.time.minute, 39);
    EXPECT_EQ(r.meter_id, 87654321u);
    EXPECT_EQ(r.energy, (Register{{0x06}, 12345678}));  // 12345.678 MWh = 12345678 × 0.001 MWh (0406)
    EXPECT_EQ(r.volume, (Register{{0x15}, 34567}));     // 3456.7 m3 (0415: × 0.1 m3)
    EXPECT_EQ(r.power, (Register{{0x2B}, 5012}));
    EXPECT_EQ(r.flow, (Register{{0x3B}, 212}));         // 212 l/h = 212 × 0.001 m3/h
    EXPECT_EQ(r.forward_temperature, (Register{{0x5A}, 803}));
    EXPECT_EQ(r.return_temperature, (Register{{0x5E}, 538}));
    EXPECT_EQ(r.error_flags, 0x4012);
}

TEST(Cmi6110Readout, JsonEncodingIsTheManualsExample) {
    std::string compact;
    for (char c : kManualJson)
        if (c != ' ' && c != '\n') compact += c;
    EXPECT_EQ(encode_json(manual_readout(), MessageFormat::standard), compact);
}

TEST(Cmi6110Readout, MbusEncodingIsTable6WithTheSenmlExamplesRecords) {
    // DIB 1 04 6D: minute 39, hour 20, century 1 (bit 13), day 28, year 19 = 0010 011, month 11
    //   = 0x2B7C3427 → 27 34 7C 2B; DIB 2 0C 78: 87654321 in BCD, LSB first; DIB 3–9 as the
    //   SenML example's data value (§7.4.2.3), which carries the same meter values
    const auto expected = hex("046D 27347C2B  0C78 21436587  04064E61BC00 041507870000 022B9413 023BD400 025A2303 025E1A02 02FD171240");
    EXPECT_EQ(encode_mbus(manual_readout(), MessageFormat::standard), expected);
}

TEST(Cmi6110Readout, ExtendedAddsTariffsAndMissingTime) {
    Readout r = manual_readout();
    r.tariff[0] = {{0x06}, 1000};    // 1000 kWh
    r.tariff[1] = {{0x03}, 5};       // 5 Wh
    r.tariff[2] = {{0x0E}, 70};      // 70 MJ
    r.missing_time = {{0x22}, 1234};  // hours
    const auto b = encode_mbus(r, MessageFormat::extended);
    const auto tail = hex("841006E8030000 842003 05000000 84300E 46000000 3C22 34120000");
    ASSERT_GT(b.size(), tail.size());
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(), b.end() - static_cast<long>(tail.size())));
    const std::string j = encode_json(r, MessageFormat::extended);
    EXPECT_NE(j.find(R"("T1":1,"U1":"MWh","T2":0.000005,"U2":"MWh","T3":0.07,"U3":"GJ","MT":1234,"MU":"h"})"), std::string::npos) << j;
    Readout back;
    MessageFormat f{};
    JsonError e;
    ASSERT_TRUE(decode_json(j, back, f, e)) << e.message();
    EXPECT_EQ(f, MessageFormat::extended);
    EXPECT_EQ(back.tariff[1], (Register{{0x03}, 5}));
    EXPECT_EQ(back.missing_time, (Register{{0x22}, 1234}));
    // JSON does not keep the meter's VIB: 1 MWh comes back in the coarsest register that holds it
    // exactly, 100 × 10 kWh (VIF 07)
    EXPECT_EQ(back.tariff[0], (Register{{0x07}, 100}));
    EXPECT_THROW(encode_mbus(Readout{.energy = {{0x03}, 1}}, MessageFormat::standard), std::invalid_argument);
}

TEST(Cmi6110Readout, JsonErrorsNameTheKey) {
    auto refused = [](const std::string& text) {
        Readout r;
        MessageFormat f{};
        JsonError e;
        EXPECT_FALSE(decode_json(text, r, f, e)) << text;
        return e;
    };
    std::string good = encode_json(manual_readout(), MessageFormat::standard);
    auto with = [&](const std::string& from, const std::string& to) {
        std::string s = good;
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    auto e = refused(good.substr(0, 30));
    EXPECT_EQ(e.code, JsonErrorCode::bad_json);
    EXPECT_EQ(e.offset, 30u);  // the end of the text, where the object should go on
    e = refused(with(R"("U":"MWh")", R"("U":"kWh")"));
    EXPECT_EQ(e.code, JsonErrorCode::bad_unit);
    EXPECT_EQ(e.key, "U");
    e = refused(with("12345.678", "12345.6785"));  // 0.0001 MWh: no energy register is that fine
    EXPECT_EQ(e.code, JsonErrorCode::bad_value);
    EXPECT_EQ(e.key, "E");
    e = refused(with("87654321", R"("87654321")"));
    EXPECT_EQ(e.code, JsonErrorCode::wrong_type);
    EXPECT_EQ(e.key, "ID");
    e = refused(with("2019-11-28T20:39Z", "2019-11-28 20:39"));
    EXPECT_EQ(e.code, JsonErrorCode::bad_time);
    e = refused(with(R"("EF":"0x4012")", R"("EF":"0x4012","XX":1)"));
    EXPECT_EQ(e.code, JsonErrorCode::unknown_key);
    EXPECT_EQ(e.key, "XX");
    e = refused(with(R"(,"EF":"0x4012")", ""));
    EXPECT_EQ(e.code, JsonErrorCode::missing_key);
    EXPECT_EQ(e.key, "EF");
    e = refused(with(R"("EF":"0x4012")", R"("EF":"0x4012","T1":1)"));  // an Extended key: every Extended key then
    EXPECT_EQ(e.code, JsonErrorCode::missing_key);
    EXPECT_EQ(e.key, "U1");
    e = refused(with("5012", "32768"));  // power is two bytes: at most 32767 W in its finest register
    EXPECT_EQ(e.code, JsonErrorCode::bad_value);
    EXPECT_EQ(e.key, "P");
    e = refused("[1]");
    EXPECT_EQ(e.code, JsonErrorCode::bad_json);
}

TEST(Cmi6110Readout, MbusPayloadDecodesBackAndItsStructureIsTable6) {
    Readout r = manual_readout();
    Readout back;
    MessageFormat f{};
    MbusError e;
    ASSERT_TRUE(decode_mbus(encode_mbus(r, MessageFormat::standard), back, f, e)) << e.message();
    EXPECT_EQ(f, MessageFormat::standard);
    EXPECT_EQ(back, r);
    r.tariff[2] = {{0x0F}, 7};
    r.missing_time = {{0x23}, 3};
    ASSERT_TRUE(decode_mbus(encode_mbus(r, MessageFormat::extended), back, f, e)) << e.message();
    EXPECT_EQ(f, MessageFormat::extended);
    EXPECT_EQ(back, r);
    const auto standard = hex("046D 27347C2B 0C78 21436587 04064E61BC00 041507870000 022B9413 023BD400 025A2303 025E1A02 02FD171240");
    auto refused = [&](const std::vector<std::uint8_t>& b) {
        EXPECT_FALSE(decode_mbus(b, back, f, e));
        return e;
    };
    // volume before energy: the third record is not Table 6's energy row
    auto swapped = hex("046D 27347C2B 0C78 21436587 041507870000 04064E61BC00 022B9413 023BD400 025A2303 025E1A02 02FD171240");
    e = refused(swapped);
    EXPECT_EQ(e.code, MbusErrorCode::unexpected_record);
    EXPECT_EQ(e.offset, 12u);
    // energy in Wh (VIF 03): not a VIB Table 6 gives the energy row
    auto wh = standard;
    wh[13] = 0x03;
    e = refused(wh);
    EXPECT_EQ(e.code, MbusErrorCode::unexpected_record);
    EXPECT_EQ(e.offset, 12u);
    // the error flags row missing
    e = refused(std::vector<std::uint8_t>(standard.begin(), standard.end() - 5));
    EXPECT_EQ(e.code, MbusErrorCode::missing_record);
    EXPECT_EQ(e.offset, standard.size() - 5);
    // a record cut short
    e = refused(std::vector<std::uint8_t>(standard.begin(), standard.end() - 1));
    EXPECT_EQ(e.code, MbusErrorCode::records);
    // 14 records: one after the missing time
    auto extended = encode_mbus(r, MessageFormat::extended);
    const auto more = hex("02FD171240");
    extended.insert(extended.end(), more.begin(), more.end());
    e = refused(extended);
    EXPECT_EQ(e.code, MbusErrorCode::extra_record);
    EXPECT_EQ(e.offset, extended.size() - 5);
}
