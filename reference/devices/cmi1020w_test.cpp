// The CMi1020W model: its telegrams decode with the project's wM-Bus decoder to the values of the
// real E350 readout (vectors/obis/lgz-zmf100ac-m26.readout; the expectations below are copied
// from the readout's text, not from the model), in the meter's order; nothing before the first
// meter read or without C.1.0; access numbers increase; each fault changes the telegram as named.
#include "metercert/devices/cmi1020w.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "metercert/wmbus/json.hpp"
#include "metercert/wmbus/telegram.hpp"

using namespace metercert;
using namespace metercert::devices;
using namespace std::chrono_literals;

namespace {

std::string file(const std::string& rel) {
    std::ifstream f(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

const wmbus::Key kKey = *wmbus::Key::from_hex("000102030405060708090A0B0C0D0E0F");

// readout line → (unit, value) as the canonical JSON must give it; in the readout's order
struct Expected {
    const char* line;
    const char* value;
};
const Expected kExpected[] = {
    {"C.1.0(13647123)", "13647123"},        {"1.8.0(061561.289*kWh)", "61561289"}, {"2.8.0(000010.490*kWh)", "10490"},
    {"15.8.0(061571.780*kWh)", "61571780"}, {"C.7.0(0008)", "8"},                 {"C.5.0(0401)", nullptr},
};

std::vector<nlohmann::json> records(const std::vector<std::uint8_t>& frame, const wmbus::Key* key, wmbus::Telegram* out = nullptr) {
    wmbus::Telegram t;
    wmbus::DecodeError err;
    const auto keys = key ? std::optional(wmbus::single_key(*key)) : std::nullopt;
    EXPECT_TRUE(wmbus::decode(frame, t, err, {.crc = wmbus::CrcFormat::a, .keys = keys ? &*keys : nullptr}))
        << err.name() << " " << err.message();
    if (out) *out = t;
    std::vector<nlohmann::json> rs;
    const auto doc = nlohmann::json::parse(wmbus::to_json(t));
    for (const auto& r : doc["records"])
        if (r["dif"] != "2F") rs.push_back(r);
    return rs;
}

struct Rig {
    E350 meter{file("obis/lgz-zmf100ac-m26.readout")};
    Cmi1020W w;
    explicit Rig(Cmi1020WOptions o = {}) : w(meter, std::move(o)) {}
    std::vector<std::uint8_t> next() {
        auto t = w.on_time(w.next_deadline());
        EXPECT_TRUE(t);
        return t ? *t : std::vector<std::uint8_t>{};
    }
};

void expect_meter_values(const std::vector<nlohmann::json>& rs) {
    const std::string readout = file("obis/lgz-zmf100ac-m26.readout");
    ASSERT_EQ(rs.size(), std::size(kExpected));
    for (std::size_t i = 0; i < rs.size(); ++i) {
        ASSERT_NE(readout.find(kExpected[i].line), std::string::npos) << kExpected[i].line;
        if (kExpected[i].value) {
            EXPECT_EQ(rs[i]["value"], kExpected[i].value) << i << " " << rs[i].dump();
        }
    }
    EXPECT_EQ(rs[1]["unit"], "Wh");
    EXPECT_EQ(rs[5]["raw"].get<std::string>().find("0104"), rs[5]["raw"].get<std::string>().size() - 4);  // "0401" LSB first
}

}  // namespace

TEST(Cmi1020W, NothingBeforeTheFirstMeterRead) {
    Rig r;
    EXPECT_EQ(r.w.next_deadline(), TimePoint{} + 15s);
    EXPECT_FALSE(r.w.on_time(TimePoint{} + 14s));
    EXPECT_EQ(r.meter.reads, 0u);
    EXPECT_TRUE(r.w.red_led());
    EXPECT_TRUE(r.w.on_time(TimePoint{} + 15s));
    EXPECT_FALSE(r.w.red_led());
    EXPECT_EQ(r.w.next_deadline(), TimePoint{} + 15s + kDefaultInterval);
}

TEST(Cmi1020W, PlainTelegramHasTheMeterValuesInMeterOrder) {
    Rig r;
    wmbus::Telegram t;
    expect_meter_values(records(r.next(), nullptr, &t));
    EXPECT_EQ(t.link.c, 0x44);
    EXPECT_EQ(t.link.manufacturer, 0x1596);  // ELV
    EXPECT_EQ(t.link.id, 0x13647123u);       // C.1.0
    EXPECT_EQ(t.link.medium, 0x02);
    EXPECT_EQ(t.tpl.ci, 0x7A);
    EXPECT_EQ(t.tpl.security_mode(), 0u);
    EXPECT_EQ(t.crc, wmbus::CrcFormat::a);
}

TEST(Cmi1020W, EncryptedTelegramDecryptsWithTheKeyOnly) {
    Rig r({.key = kKey});
    const auto f = r.next();
    wmbus::Telegram t;
    expect_meter_values(records(f, &kKey, &t));
    EXPECT_EQ(t.tpl.security_mode(), 5u);
    EXPECT_TRUE(t.security.decrypted);
    wmbus::DecodeError err;
    EXPECT_FALSE(wmbus::decode(f, t, err));
    EXPECT_EQ(err.name(), "no_key");
}

TEST(Cmi1020W, AccessNumbersIncrease) {
    Rig r({.key = kKey, .first_access_number = 254});
    std::vector<unsigned> acc;
    for (int i = 0; i < 4; ++i) {
        wmbus::Telegram t;
        records(r.next(), &kKey, &t);
        acc.push_back(t.tpl.header.access_number);
    }
    EXPECT_EQ(acc, (std::vector<unsigned>{254, 255, 0, 1}));
}

TEST(Cmi1020W, NothingWithoutMeterId) {
    E350 meter("1.8.0(061561.289*kWh)\r\n!\r\n");
    Cmi1020W w(meter, {});
    EXPECT_FALSE(w.on_time(w.next_deadline()));
    EXPECT_TRUE(w.red_led());
    EXPECT_EQ(meter.reads, 1u);
    meter.set_readout("C.1(00001234)\r\n1.8.0(061561.289*kWh)\r\n!\r\n");  // the short code is enough
    const auto f = w.on_time(w.next_deadline());
    ASSERT_TRUE(f);
    wmbus::Telegram t;
    records(*f, nullptr, &t);
    EXPECT_EQ(t.link.id, 0x00001234u);
}

TEST(Cmi1020W, NothingWhenTheMeterDoesNotAnswer) {
    Rig r;
    r.meter.fault = MeterFault::readout_timeout;
    EXPECT_FALSE(r.w.on_time(r.w.next_deadline()));
    EXPECT_TRUE(r.w.red_led());
}

TEST(Cmi1020W, TariffFailureIsStatusBit6) {
    Rig r;
    r.w.tariff_set_failed = true;
    wmbus::Telegram t;
    records(r.next(), nullptr, &t);
    EXPECT_EQ(t.tpl.header.status, 0x40);
}

// The manual ("rate inputs"): disabled in the default configuration — driving them changes nothing.
TEST(Cmi1020W, RateInputsDisabledByDefault) {
    Rig r;
    EXPECT_FALSE(r.w.options().rate_inputs_enabled);
    r.w.set_rate_inputs(true, false);
    r.w.set_rate_inputs(true, true);
    EXPECT_TRUE(r.meter.executed.empty());
    EXPECT_EQ(r.meter.rate, 0);
    EXPECT_FALSE(r.w.tariff_set_failed);
}

// Enabled (ERRATA E-64): inputs A, B → rate 1 + 2B + A through 0xFF05; a refused command is bit 6.
TEST(Cmi1020W, EnabledRateInputsSetTheTariffOrStatusBit6) {
    Cmi1020WOptions o;
    o.rate_inputs_enabled = true;
    Rig r(o);
    r.w.set_rate_inputs(false, true);
    ASSERT_EQ(r.meter.executed.size(), 1u);
    EXPECT_EQ(r.meter.executed[0].code, 0xFF05);
    EXPECT_EQ(r.meter.rate, 3);
    EXPECT_FALSE(r.w.tariff_set_failed);
    r.meter.fault = MeterFault::command_failure;
    r.w.set_rate_inputs(true, true);
    EXPECT_TRUE(r.w.tariff_set_failed);
    wmbus::Telegram t;
    records(r.next(), nullptr, &t);
    EXPECT_EQ(t.tpl.header.status, 0x40);
    r.meter.fault = MeterFault::none;
    r.w.set_rate_inputs(false, false);
    EXPECT_EQ(r.meter.rate, 1);
    EXPECT_FALSE(r.w.tariff_set_failed);
}

// ------------------------------------------------------------------------------------ faults
TEST(Cmi1020WFaults, ListIsRegisteredByName) {
    EXPECT_GE(cmi1020w_fault_specs().size(), 8u);
    for (const auto& f : cmi1020w_faults()) {
        EXPECT_EQ(cmi1020w_fault_from_name(f.spec.name), f.fault);
        EXPECT_EQ(cmi1020w_fault_name(f.fault), f.spec.name);
    }
    EXPECT_EQ(cmi1020w_fault_from_name("none"), Cmi1020WFault::none);
    EXPECT_FALSE(cmi1020w_fault_from_name("nope"));
}

TEST(Cmi1020WFaults, BadCrc) {
    Rig r({.key = std::nullopt, .fault = Cmi1020WFault::bad_crc});
    wmbus::Telegram t;
    wmbus::DecodeError err;
    EXPECT_FALSE(wmbus::decode(r.next(), t, err, {.crc = wmbus::CrcFormat::a}));
    EXPECT_EQ(err.name(), "crc_mismatch");
}

TEST(Cmi1020WFaults, AccessNumberNotInIv) {
    Rig r({.key = kKey, .fault = Cmi1020WFault::access_number_not_in_iv, .first_access_number = 7});
    const auto f = r.next();
    EXPECT_EQ(f[13], 7);  // the header says 7 (wire offset: L C M A CRC CRC CI ACC)
    // CBC: the IV's last 8 bytes (the access number) change bytes 8–15 of the first block only, so
    // the 2F2F check and C.1.0 (bytes 2–7) pass; 1.8.0 (from byte 8) does not come out
    wmbus::Telegram t;
    wmbus::DecodeError err;
    const auto keys = wmbus::single_key(kKey);
    if (wmbus::decode(f, t, err, {.crc = wmbus::CrcFormat::a, .keys = &keys})) {
        const auto doc = nlohmann::json::parse(wmbus::to_json(t));
        std::vector<std::string> values;
        for (const auto& rec : doc["records"])
            if (rec.contains("value")) values.push_back(rec["value"].dump());
        EXPECT_EQ(std::count(values.begin(), values.end(), "\"61561289\""), 0) << doc.dump();
        EXPECT_EQ(std::count(values.begin(), values.end(), "\"13647123\""), 1);
    }
}

TEST(Cmi1020WFaults, AccessNumberFrozen) {
    Rig r({.key = std::nullopt, .fault = Cmi1020WFault::access_number_frozen, .first_access_number = 3});
    for (int i = 0; i < 3; ++i) {
        wmbus::Telegram t;
        records(r.next(), nullptr, &t);
        EXPECT_EQ(t.tpl.header.access_number, 3);
    }
}

TEST(Cmi1020WFaults, FieldOrderChanged) {
    Rig r({.key = std::nullopt, .fault = Cmi1020WFault::field_order_changed});
    const auto rs = records(r.next(), nullptr);
    ASSERT_EQ(rs.size(), std::size(kExpected));
    EXPECT_EQ(rs.back()["value"], "13647123");
    EXPECT_EQ(rs[rs.size() - 2]["value"], "61561289");
}

TEST(Cmi1020WFaults, PlainWhileEncrypted) {
    Rig r({.key = kKey, .fault = Cmi1020WFault::plain_while_encrypted});
    wmbus::Telegram t;
    expect_meter_values(records(r.next(), nullptr, &t));
    EXPECT_EQ(t.tpl.security_mode(), 0u);
}

TEST(Cmi1020WFaults, WrongKey) {
    Rig r({.key = kKey, .fault = Cmi1020WFault::wrong_key});
    wmbus::Telegram t;
    wmbus::DecodeError err;
    const auto keys = wmbus::single_key(kKey);
    EXPECT_FALSE(wmbus::decode(r.next(), t, err, {.crc = wmbus::CrcFormat::a, .keys = &keys}));
    EXPECT_EQ(err.name(), "decryption_check_failed");
}

TEST(Cmi1020WFaults, DefaultFieldMissing) {
    Rig r({.key = std::nullopt, .fault = Cmi1020WFault::default_field_missing});
    const auto rs = records(r.next(), nullptr);
    ASSERT_EQ(rs.size(), std::size(kExpected) - 1);
    EXPECT_EQ(rs[1]["value"], "10490");  // 2.8.0 follows C.1.0: 1.8.0 is gone
}

TEST(Cmi1020WFaults, WrongDeviceType) {
    Rig r({.key = std::nullopt, .fault = Cmi1020WFault::wrong_device_type});
    wmbus::Telegram t;
    records(r.next(), nullptr, &t);
    EXPECT_EQ(t.link.medium, 0x07);
}
