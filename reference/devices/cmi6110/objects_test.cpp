// The CMi6110 objects and settings (manual §6.3 Tables 1–2, §6.4, §7.2, §7.5 Tables 8–12). Every
// expectation is typed from the manual (the row quoted beside it) or from LwM2M TS 1.1, never read
// back from the table under test.
#include "metercert/devices/cmi6110/objects.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

using namespace metercert::devices::cmi6110;
using namespace std::chrono_literals;

namespace {
Path P(std::string_view s) {
    auto p = parse_path(s);
    if (!p) throw std::invalid_argument(std::string(s));
    return *p;
}
Value I(std::int64_t v) { return Value{v}; }
Value S(std::string v) { return Value{std::move(v)}; }
Value B(bool v) { return Value{v}; }

std::optional<std::int64_t> read_int(const DeviceConfig& c, std::string_view path) {
    const auto r = c.read(P(path));
    if (r.outcome != Outcome::content) return std::nullopt;
    if (const auto* i = std::get_if<std::int64_t>(&r.value)) return *i;
    return std::nullopt;
}
std::optional<std::string> read_str(const DeviceConfig& c, std::string_view path) {
    const auto r = c.read(P(path));
    if (r.outcome != Outcome::content) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(&r.value)) return *s;
    return std::nullopt;
}
std::optional<bool> read_bool(const DeviceConfig& c, std::string_view path) {
    const auto r = c.read(P(path));
    if (r.outcome != Outcome::content) return std::nullopt;
    if (const auto* b = std::get_if<bool>(&r.value)) return *b;
    return std::nullopt;
}
FactoryData factory() { return {"70B3D5FFFE000001", "1.4.0", "B", "PAK-1234-5678"}; }

// §7.5 integer settings reached through their Table 2 resource: default, minimum, maximum
struct IntSetting {
    const char* path;
    std::int64_t def;
    std::optional<std::int64_t> min, max;
    const char* quote;
};
const IntSetting kIntSettings[] = {
    {"/33906/0/0", 60, 5, 1440, "Table 11: Readout interval | Number of minutes between each meter data readout | 5-1440 | 60"},
    {"/33906/0/17", 60, 5, 1440, "Table 11: Report interval | … | 5-1440 | 60"},
    {"/33906/0/18", 1440, 5, 1440, "Table 11: Transmit interval | Number of minutes between each data transmission. | 5-1440 | 1440"},
    {"/33906/0/19", 30, 1, std::nullopt, "Table 11: Transmit offset | … (in seconds) | 1.. | 30"},
    {"/33906/0/20", 240, 1, std::nullopt, "Table 11: Transmit delay | … (in minutes) | 1.. | 240"},
    {"/33906/0/21", 4, 1, std::nullopt, "Table 11: Max uploads per transmission | … | 1.. | 4"},
    {"/33906/0/22", 60, 1, std::nullopt, "Table 12: DTLS min timeout | … for MDM packages | 1.. | 60"},
    {"/33906/0/23", 90, 1, std::nullopt, "Table 12: DTLS max timeout | … for MDM packages | 1.. | 90"},
    {"/33906/0/24", 92, 1, std::nullopt, "Table 12: Communication timeout | MQTT-SN timeout … | 1.. | 92"},
    {"/33906/0/25", 2, 1, std::nullopt, "Table 12: Communication attempts | MQTT-SN max number of retries … | 1.. | 2"},
    {"/33906/0/30", 60, std::nullopt, std::nullopt, "Table 9: CoAP ack timeout | LWM2M CoAP timeout value. | See LWM2M specification | 60"},
    {"/33906/0/31", 1, std::nullopt, std::nullopt, "Table 9: CoAP max retransmit | LWM2M max retransmit value. | See LWM2M specification | 1"},
    {"/33906/0/32", 60, std::nullopt, std::nullopt, "Table 9: DTLS min timeout | … via DTLS for LWM2M | | 60"},
    {"/33906/0/33", 90, std::nullopt, std::nullopt, "Table 9: DTLS max timeout | … via DTLS for LWM2M | | 90"},
    {"/33906/0/34", 1, 0, std::nullopt, "Table 9: Communication retry count | … | 0.. | 1"},
    {"/33906/0/35", 3600, 1, std::nullopt, "Table 9: Communication retry delay | Delay in seconds … | 1.. | 3600"},
    {"/33906/0/36", 2, 1, std::nullopt, "Table 9: Sequence retry count | … | 1.. | 2"},
    {"/33906/0/37", 86400, 1, std::nullopt, "Table 9: Sequence retry delay | Delay in seconds … | 1.. | 86400"},
    {"/33906/0/38", 21600, 0, std::nullopt, "Table 10: Brown out delay | The maximum delay in seconds … | 0-… | 21600"},
    {"/33906/0/39", 21600, 0, std::nullopt, "Table 10: Search period | Maximum network search period in seconds. | 0… | 21600"},
    {"/33906/0/43", 255, 0, 255, "Table 8: Max meter retries | Maximum amount of quick retries … | 0-255 | 255"},
    {"/33906/0/44", 10080, 1, std::nullopt, "Table 11: Auto-upload max. age | Maximum age of the resent data (in minutes) | 1.. | 10080"},
};

// §7.5 enumerated settings: default and the values Table 2 enumerates
struct EnumSetting {
    const char* path;
    std::int64_t def;
    std::vector<std::int64_t> allowed;
    std::vector<std::int64_t> refused;
    const char* quote;
};
const EnumSetting kEnumSettings[] = {
    {"/33906/0/1", 0, {0, 1, 2}, {-1, 3}, "Table 2: 0 = SenML/CBOR 1 = JSON 2 = MBus; Table 11: Message encoding | M-Bus, JSON, SenML/CBOR | SenML/CBOR"},
    {"/33906/0/2", 42, {42, 43}, {0, 41, 44}, "Table 2: 42 = CMi6110_Standard 43 = CMi6110_Extended; Table 11: Message format | Standard, Extended | Standard"},
    {"/33906/0/45", 1, {0, 1}, {2}, "Table 2: 0 = FIFO, 1 = LIFO; Table 11: Auto-upload order | … | Latest first (LiFo)"},
    {"/33906/0/46", 1, {0, 1}, {2}, "Table 2: 0 = Manual, 1 = Network; Table 10: Time sync source | Network/Manual | Network"},
    {"/33906/0/49", 3, {0, 1, 2, 3}, {4}, "Table 2: 0..3 0 = Disabled, 1 = eDRX, 2 = PSM, 3 = PSM + eDRX; Table 10: Power saving mode | … | eDRX+PSM"},
    {"/33906/0/50", 1, {0, 1}, {2}, "Table 2: 0..1 0 = Automatic, 1 = Manual; Table 10: eDRX mode | Automatic / Manual | Manual"},
    {"/33905/0/10", 0, {0, 1}, {2}, "Table 2: 0..1 0 = Optimized 1 = Compliant; Table 11: MQTT/SN Connection | Optimized / Compliant | Optimized"},
};
}  // namespace

TEST(Cmi6110Objects, EveryIdOfTables1And2IsInTheTable) {
    // Table 1 and Table 2 as printed (resource IDs; "./" = instance 0; 0/x/4 is resource 5, E-85)
    const std::set<std::string> printed = {
        "0/0/0", "0/0/1", "0/0/2", "0/0/3", "0/0/4", "0/0/10", "1/0/0", "1/0/1", "1/0/9", "0/1/0", "0/1/1", "0/1/2",
        "0/1/3", "0/1/4", "0/1/10", "1/1/0", "1/1/1", "1/1/8", "3/0/0", "3/0/1", "3/0/2", "3/0/3", "3/0/4", "3/0/6/0",
        "3/0/7/0", "3/0/9", "3/0/11/0", "3/0/13", "3/0/14", "3/0/18", "4/0/0", "4/0/1/0", "4/0/2", "4/0/7/0", "4/0/8",
        "4/0/9", "4/0/10", "5/0/1", "5/0/2", "5/0/3", "5/0/5", "5/0/8/0", "5/0/9", "10/0/4", "10/0/5", "10/0/9",
        "10/0/11", "11/[0,1]/0", "11/[0,1]/1", "11/[0,1]/2", "11/[0,1]/4"};
    std::set<std::string> elvaco;
    for (int r : {0, 1, 2, 3, 4, 5, 6, 10, 13, 14, 15, 16}) elvaco.insert("33906/./" + std::to_string(r));
    for (int r = 17; r <= 54; ++r) elvaco.insert("33906/./" + std::to_string(r));
    for (int r : {0, 1, 2, 5, 10, 11}) elvaco.insert("33905/./" + std::to_string(r));
    for (int r : {0, 1, 2}) elvaco.insert("33911/./" + std::to_string(r));
    for (int r : {0, 1, 2, 3}) elvaco.insert("33908/./" + std::to_string(r));
    for (int r = 0; r <= 8; ++r) elvaco.insert("33909/./" + std::to_string(r));
    for (int r : {0, 1, 2, 3, 4, 5, 10, 11}) elvaco.insert("33907/./" + std::to_string(r));
    for (int r = 0; r <= 6; ++r) elvaco.insert("33910/./" + std::to_string(r));
    std::set<std::string> in_table;
    std::set<std::string> keys;
    for (const auto& s : object_table()) {
        EXPECT_TRUE(keys.insert(std::string(s.key)).second) << "duplicate key " << s.key;
        if (s.object != kNoObject) in_table.insert(std::string(s.printed));
        if (!s.erratum.empty()) {
            EXPECT_TRUE(s.erratum >= "E-85" && s.erratum <= "E-92") << s.key;
        }
        EXPECT_EQ(s.ops == Operations::e, s.type == Lwm2mType::none && s.action != Action::none) << s.key;
    }
    std::set<std::string> expected = printed;
    expected.insert(elvaco.begin(), elvaco.end());
    EXPECT_EQ(in_table, expected);
    // 33906/./7 … /9, /11, /12 are not in Table 2
    DeviceConfig c;
    for (auto r : {7, 8, 9, 11, 12, 55}) EXPECT_EQ(c.read(Path{33906, 0, static_cast<std::uint16_t>(r), {}}).outcome, Outcome::not_found) << r;
}

TEST(Cmi6110Objects, NoTwoRowsShareAPath) {
    std::set<std::tuple<int, int, int>> seen;
    for (const auto& s : object_table()) {
        if (s.object == kNoObject) continue;
        for (int i = s.first_instance; i <= s.last_instance; ++i)
            EXPECT_TRUE(seen.insert({s.object, i, s.resource}).second) << s.key;
    }
}

TEST(Cmi6110Objects, IntegerSettingsDefaultsAndRangesOfSection75) {
    for (const auto& t : kIntSettings) {
        SCOPED_TRACE(t.quote);
        DeviceConfig c;
        EXPECT_EQ(read_int(c, t.path), t.def);
        if (t.min) {
            EXPECT_EQ(c.write(P(t.path), I(*t.min - 1), Origin::dm), Outcome::bad_request);
            EXPECT_EQ(c.write(P(t.path), I(*t.min), Origin::dm), Outcome::changed);
            EXPECT_EQ(read_int(c, t.path), *t.min);
        }
        if (t.max) {
            EXPECT_EQ(c.write(P(t.path), I(*t.max + 1), Origin::dm), Outcome::bad_request);
            EXPECT_EQ(c.write(P(t.path), I(*t.max), Origin::dm), Outcome::changed);
            EXPECT_EQ(read_int(c, t.path), *t.max);
        } else {
            EXPECT_EQ(c.write(P(t.path), I(1'000'000), Origin::dm), Outcome::changed);  // open-ended "N.."
        }
        c.factory_reset();
        EXPECT_EQ(read_int(c, t.path), t.def);
    }
}

TEST(Cmi6110Objects, EnumeratedSettingsOfSection75) {
    for (const auto& t : kEnumSettings) {
        SCOPED_TRACE(t.quote);
        DeviceConfig c;
        EXPECT_EQ(read_int(c, t.path), t.def);
        for (auto v : t.refused) EXPECT_EQ(c.write(P(t.path), I(v), Origin::dm), Outcome::bad_request) << v;
        for (auto v : t.allowed) EXPECT_EQ(c.write(P(t.path), I(v), Origin::dm), Outcome::changed) << v;
    }
}

TEST(Cmi6110Objects, StringSettingsOfSection75) {
    DeviceConfig c;
    // Table 11 "Restart backoff … 0-5,5-15,15-60,60-360,360-1440,1300-1600"
    EXPECT_EQ(read_str(c, "/33906/0/40"), "0-5,5-15,15-60,60-360,360-1440,1300-1600");
    // Table 12 "Reconnect backoff … 0-5,5-15,15-60,60-360,360-1440,1300-1600"
    EXPECT_EQ(read_str(c, "/33906/0/41"), "0-5,5-15,15-60,60-360,360-1440,1300-1600");
    // Table 9 "Sequence backoff … 0-5,60-120,1300-1600,1300-1600,1300-1600,1300-1600"
    EXPECT_EQ(read_str(c, "/33906/0/42"), "0-5,60-120,1300-1600,1300-1600,1300-1600,1300-1600");
    // Table 2 "min0-max0,min1-max1,... in minutes"
    EXPECT_EQ(c.write(P("/33906/0/40"), S("1-2,10-20"), Origin::dm), Outcome::changed);
    for (const char* bad : {"", "5", "5-", "-5", "10-5", "1-2,", "1-2;3-4", "a-b"})
        EXPECT_EQ(c.write(P("/33906/0/40"), S(bad), Origin::dm), Outcome::bad_request) << bad;
    // Table 10 "Radio frequency band | … 0 means all bands | 0,3,8,20 | 0"; Table 2 "band0,band1,..."
    EXPECT_EQ(read_str(c, "/33906/0/53"), "0");
    EXPECT_EQ(c.write(P("/33906/0/53"), S("3,8,20"), Origin::dm), Outcome::changed);
    EXPECT_EQ(c.write(P("/33906/0/53"), S("5"), Origin::dm), Outcome::bad_request);
    EXPECT_EQ(c.write(P("/33906/0/53"), S("8,"), Origin::dm), Outcome::bad_request);
}

TEST(Cmi6110Objects, Table1FixedValues) {
    const DeviceConfig c(factory());
    EXPECT_EQ(read_str(c, "/3/0/0"), "Elvaco");   // Manufacturer ("Elvaco")
    EXPECT_EQ(read_str(c, "/3/0/1"), "CMi6110");  // Product model ("CMi6110")
    EXPECT_EQ(read_str(c, "/3/0/2"), "70B3D5FFFE000001");  // Serial Number: DevEUI
    EXPECT_EQ(read_str(c, "/3/0/3"), "1.4.0");
    EXPECT_EQ(read_bool(c, "/0/0/1"), true);   // Bootstrap server 0/0/1 Bool TRUE
    EXPECT_EQ(read_bool(c, "/0/1/1"), false);  // Bootstrap server 0/1/1 Bool FALSE
    EXPECT_EQ(read_int(c, "/4/0/0"), 7);       // Network Bearer 0..50 7 = NB-IoT
    EXPECT_EQ(read_int(c, "/4/0/1/0"), 7);     // Available Network Bearer 4/0/1/0 7 = NB-IoT
    EXPECT_EQ(read_int(c, "/5/0/8/0"), 0);     // Firmware Update Protocol Support 0 = CoAP
    EXPECT_EQ(read_int(c, "/5/0/9"), 0);       // Delivery Method 0 = Pull only
    EXPECT_EQ(read_int(c, "/0/0/2"), 0);       // Table 9 Bootstrap security default DTLS; 0 = PSK mode
    // PSK identity = DevEUI (Table 1 0/0/3, 0/1/3)
    const auto id = c.read(P("/0/1/3"));
    ASSERT_EQ(id.outcome, Outcome::content);
    const std::string eui = "70B3D5FFFE000001";
    EXPECT_EQ(std::get<Bytes>(id.value), Bytes(eui.begin(), eui.end()));
    // Table 10 (NFC) T3412 252000 and T3324 120 are Table 1's PSM Timer and Active Timer (R over LwM2M)
    EXPECT_EQ(read_int(c, "/10/0/4"), 252000);
    EXPECT_EQ(read_int(c, "/10/0/5"), 120);
    // no default in the manual and nothing set it yet: the resource is not there (4.04)
    EXPECT_EQ(c.read(P("/33907/0/4")).outcome, Outcome::not_found);
}

// Ranges of the status resources (the module sets them; set_status checks them as a write does)
TEST(Cmi6110Objects, StatusRangesOfTables1And2) {
    struct R {
        const char* path;
        std::int64_t lo, hi;
        const char* quote;
    };
    const R ranges[] = {
        {"/0/0/10", 1, 65534, "Table 1: Short Server ID 0/0/10 Integer 1..65534"},
        {"/1/0/0", 1, 65534, "Table 1: Short Server ID 1/0/0 Integer 1..65534"},
        {"/0/1/10", 1, 65534, "Table 1: Short Server ID 0/1/10 Integer 1..65534"},
        {"/1/1/0", 1, 65534, "Table 1: Short Server ID 1/1/0 Integer 1..65534"},
        {"/0/0/2", 0, 4, "Table 1: Security Mode 0/0/2 Integer 0..4"},
        {"/3/0/6/0", 0, 7, "Table 1: Available Power Sources 3/0/6/0 Integer 0..7"},
        {"/3/0/9", 0, 100, "Table 1: Battery level 3/0/9 0..100 Battery level (in %)"},
        {"/3/0/11/0", 0, 8, "Table 1: Error Code 3/0/11/0 0..8"},
        {"/4/0/0", 0, 50, "Table 1: Network Bearer 4/0/0 Integer 0..50"},
        {"/4/0/1/0", 0, 50, "Table 1: Available Network Bearer 4/0/1/0 Integer 0..50"},
        {"/4/0/9", 0, 999, "Table 1: SMNC 4/0/9 Integer 0..999"},
        {"/4/0/10", 0, 999, "Table 1: SMCC 4/0/10 Integer 0..999"},
        {"/5/0/3", 0, 3, "Table 1: State 5/0/3 Integer 0..3"},
        {"/5/0/8/0", 0, 5, "Table 1: Firmware Update Protocol Support 5/0/8/0 Integer 0..5"},
        {"/5/0/9", 0, 2, "Table 1: Firmware Update Delivery Method 5/0/9 Integer 0..2"},
        {"/11/0/4", 0, 3, "Table 1: Authentication Type 11/[0,1]/4 Integer 0..3"},
        {"/33908/0/2", 0, 2, "Table 2: Communication status R Integer 0..2"},
        {"/33909/0/8", 0, 3, "Table 2: Modem firmware update result R Integer 0..3"},
        {"/33907/0/3", 0, 2, "Table 2: ECL R Integer 0..2"},
        {"/33907/0/11", 0, 85, "Table 2: Current radio band R Integer 0..85"},
        {"/33906/0/48", 0, 1, "Table 2: Upload Protocol RW Integer 0..1"},
        {"/33906/0/51", 0, 1, "Table 2: Enable RAI RW Integer 0..1"},
        {"/33906/0/52", 0, 1, "Table 2: Power Source RW Integer 0..1"},
        {"/33906/0/54", 0, 1, "Table 2: Meter Identification source RW Integer 0..1"},
        {"/33905/0/2", 0, 4, "Table 2: Transport Security Mode RW Integer 0..4"},
    };
    for (const auto& r : ranges) {
        SCOPED_TRACE(r.quote);
        DeviceConfig c;
        EXPECT_FALSE(c.set_status(P(r.path), I(r.lo - 1)));
        EXPECT_FALSE(c.set_status(P(r.path), I(r.hi + 1)));
        EXPECT_TRUE(c.set_status(P(r.path), I(r.lo)));
        EXPECT_TRUE(c.set_status(P(r.path), I(r.hi)));
        EXPECT_EQ(read_int(c, r.path), r.hi);
    }
    DeviceConfig c;
    // Table 2 MDM connection status "0 = OK 1 = Connecting … 4 = Communication failed 6 = Socket failed 7 = Idle": no 5
    EXPECT_TRUE(c.set_status(P("/33907/0/10"), I(4)));
    EXPECT_FALSE(c.set_status(P("/33907/0/10"), I(5)));
    EXPECT_TRUE(c.set_status(P("/33907/0/10"), I(7)));
    // Table 2 Network classification "0 = Excellent 1 = Good 2 = Fair 3 = Poor"
    EXPECT_TRUE(c.set_status(P("/33907/0/2"), I(3)));
    EXPECT_FALSE(c.set_status(P("/33907/0/2"), I(4)));
    // Table 2 MDM Server Protocol "0.. 0 = MQTT-SN"
    EXPECT_EQ(c.write(P("/33905/0/1"), I(0), Origin::dm), Outcome::changed);
    EXPECT_EQ(c.write(P("/33905/0/1"), I(1), Origin::dm), Outcome::bad_request);
    // Table 1 eDRX parameters 10/0/9 "Opaque 8 bit"
    EXPECT_TRUE(c.set_status(P("/10/0/9"), Value{Bytes{0x13}}));
    EXPECT_FALSE(c.set_status(P("/10/0/9"), Value{Bytes{0x13, 0x00}}));
    // Table 1 Activated Profile names 10/0/11 ObjLink "Link to APN Connection Profile object"
    EXPECT_TRUE(c.set_status(P("/10/0/11"), Value{ObjectLink{11, 0}}));
    EXPECT_EQ(std::get<ObjectLink>(c.read(P("/10/0/11")).value), (ObjectLink{11, 0}));
    // Table 8 Meter ID: readable through NFC with and without the PAK, the value of 33908/./1
    EXPECT_TRUE(c.set_status(P("/33908/0/1"), I(12345678)));
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("meter_id").value), 12345678);
}

TEST(Cmi6110Objects, SynchronizeMeterTimeThroughNfc) {
    // Table 8 Synchronize meter time: "Used in OTC via NFC to use time of mobile phone to
    // synchronize meter clock" | Used via App | N/A | Writeable | Readable
    DeviceConfig c(factory());
    EXPECT_EQ(c.nfc_read("synchronize_meter_time").outcome, Outcome::not_found);  // nothing sent yet
    EXPECT_EQ(c.nfc_write("synchronize_meter_time", I(1574971200)), Outcome::changed);
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("synchronize_meter_time").value), 1574971200);
    EXPECT_EQ(c.nfc_write("synchronize_meter_time", S("2019-11-28T20:00Z")), Outcome::bad_request);
    EXPECT_EQ(c.nfc_write("configuration_lock", I(1)), Outcome::changed);
    EXPECT_EQ(c.nfc_write("synchronize_meter_time", I(1574971260)), Outcome::locked);
    EXPECT_EQ(c.nfc_write("synchronize_meter_time", I(1574971260), "PAK-1234-5678"), Outcome::changed);
}

TEST(Cmi6110Objects, Section75NfcOnlyDefaults) {
    const DeviceConfig c;
    auto nfc_int = [&](std::string_view k) { return std::get<std::int64_t>(c.nfc_read(k).value); };
    EXPECT_EQ(nfc_int("power_mode"), 0);          // Table 8 Power mode | Passive, Active | Passive
    EXPECT_EQ(nfc_int("configuration_lock"), 0);  // Table 8 Configuration Lock | Open, Locked | Open
    EXPECT_EQ(nfc_int("utc_offset"), 0);          // Table 8 UTC offset | -720 - 720 | 0
    EXPECT_EQ(nfc_int("bootstrap_port"), 5694);   // Table 9 Bootstrap port | N/A | 5694
    EXPECT_EQ(nfc_int("edrx_value"), 19);         // Table 10 eDRX value | 0-… | 19
    EXPECT_EQ(std::get<std::string>(c.nfc_read("bootstrap_ip").value), "84.19.147.226");  // Table 9
    EXPECT_EQ(std::get<bool>(c.nfc_read("apn_mode").value), true);  // Table 10 APN mode | Auto, Manual | Auto
    EXPECT_EQ(nfc_int("meter_max_retry_count"), 255);  // Table 8 Max meter retries 255
    // Table 8 Factory reset: "N/A" without PAK, so not readable; Meter ID readable, not writable
    EXPECT_EQ(c.nfc_read("factory_reset").outcome, Outcome::method_not_allowed);
    EXPECT_EQ(c.nfc_read("no_such_setting").outcome, Outcome::not_found);
    DeviceConfig w;
    EXPECT_EQ(w.nfc_write("utc_offset", I(-720)), Outcome::changed);
    EXPECT_EQ(w.nfc_write("utc_offset", I(-721)), Outcome::bad_request);
    EXPECT_EQ(w.nfc_write("utc_offset", I(721)), Outcome::bad_request);
    EXPECT_EQ(w.nfc_write("meter_id", I(12345678)), Outcome::method_not_allowed);
    EXPECT_EQ(w.nfc_write("eco_mode_enabled", B(true)), Outcome::not_found);  // no §7.5 row
}

TEST(Cmi6110Objects, Lwm2mRefusesWithItsResponseCodes) {
    DeviceConfig c;
    // 4.04: unknown object, instance, resource, resource instance
    EXPECT_EQ(c.write(P("/9999/0/0"), I(1), Origin::dm), Outcome::not_found);
    EXPECT_EQ(c.write(P("/33906/1/0"), I(60), Origin::dm), Outcome::not_found);
    EXPECT_EQ(c.write(P("/33906/0/7"), I(1), Origin::dm), Outcome::not_found);
    EXPECT_EQ(c.read(P("/3/0/6/1")).outcome, Outcome::not_found);
    EXPECT_EQ(c.read(P("/33906/0/0/0")).outcome, Outcome::not_found);
    EXPECT_EQ(c.execute(P("/3/0/99")).outcome, Outcome::not_found);
    EXPECT_EQ(c.read(P("/10/1/1")).outcome, Outcome::not_found);  // §6.4's path: Table 1 has 11/1/1 (E-86)
    // 4.05: write to R, read of E, execute of non-E
    EXPECT_EQ(c.write(P("/3/0/0"), S("X"), Origin::dm), Outcome::method_not_allowed);      // R Manufacturer
    EXPECT_EQ(c.write(P("/33908/0/1"), I(1), Origin::dm), Outcome::method_not_allowed);    // R Meter ID
    EXPECT_EQ(c.write(P("/10/0/4"), I(3600), Origin::dm), Outcome::method_not_allowed);    // R PSM Timer
    EXPECT_EQ(c.write(P("/33906/0/5"), B(true), Origin::dm), Outcome::method_not_allowed); // R NFC Config-locked
    EXPECT_EQ(c.write(P("/3/0/4"), I(1), Origin::dm), Outcome::method_not_allowed);        // E Reboot
    EXPECT_EQ(c.read(P("/3/0/4")).outcome, Outcome::method_not_allowed);
    EXPECT_EQ(c.read(P("/33906/0/6")).outcome, Outcome::method_not_allowed);  // W Adjust time
    EXPECT_EQ(c.read(P("/5/0/1")).outcome, Outcome::method_not_allowed);      // W Package URI
    EXPECT_EQ(c.execute(P("/33906/0/0")).outcome, Outcome::method_not_allowed);
    // Table 1 11/[0,1]/1 "Writable in object resource 1": instance 0 refuses
    EXPECT_EQ(c.write(P("/11/0/1"), S("apn"), Origin::dm), Outcome::method_not_allowed);
    // 11/[0,1]/4 "RW … Writing currently not supported"
    EXPECT_EQ(c.write(P("/11/1/4"), I(3), Origin::dm), Outcome::method_not_allowed);
    // 4.00: wrong type
    EXPECT_EQ(c.write(P("/33906/0/0"), S("60"), Origin::dm), Outcome::bad_request);
    EXPECT_EQ(c.write(P("/33906/0/0"), B(true), Origin::dm), Outcome::bad_request);
    EXPECT_EQ(c.write(P("/33906/0/0"), Value{60.0}, Origin::dm), Outcome::bad_request);
    EXPECT_EQ(c.write(P("/33906/0/3"), I(1), Origin::dm), Outcome::bad_request);  // Boolean
    EXPECT_EQ(c.write(P("/33905/0/0"), I(1), Origin::dm), Outcome::bad_request);  // String
    EXPECT_EQ(c.write(P("/33905/0/5"), S("key"), Origin::dm), Outcome::bad_request);  // Opaque
    // nothing changed by the refusals
    EXPECT_EQ(read_int(c, "/33906/0/0"), 60);
    EXPECT_EQ(read_str(c, "/3/0/0"), "Elvaco");
}

TEST(Cmi6110Objects, BootstrapOnlyWrites) {
    DeviceConfig c;
    // Table 1: R(W) 0/1/0 "DM ServerURI Writable by Bootstrap server"
    EXPECT_EQ(c.write(P("/0/1/0"), S("coaps://dm.example:5684"), Origin::dm), Outcome::method_not_allowed);
    EXPECT_EQ(c.write(P("/0/1/0"), S("coaps://dm.example:5684"), Origin::bootstrap), Outcome::changed);
    EXPECT_EQ(read_str(c, "/0/1/0"), "coaps://dm.example:5684");
    // R(W) 0/1/2 "Int 0..4 DM Security mode"
    EXPECT_EQ(c.write(P("/0/1/2"), I(3), Origin::dm), Outcome::method_not_allowed);
    EXPECT_EQ(c.write(P("/0/1/2"), I(3), Origin::bootstrap), Outcome::changed);
    EXPECT_EQ(c.write(P("/0/1/2"), I(5), Origin::bootstrap), Outcome::bad_request);
    EXPECT_EQ(read_int(c, "/0/1/2"), 3);
    // (W) "Secret Key … DM PSK Writable by Bootstrap server": resource 5 (LwM2M TS 1.1 E.1), never readable
    const Bytes psk{0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02};
    EXPECT_EQ(c.write(P("/0/1/5"), Value{psk}, Origin::dm), Outcome::method_not_allowed);
    EXPECT_EQ(c.write(P("/0/1/5"), Value{psk}, Origin::bootstrap), Outcome::changed);
    EXPECT_EQ(c.read(P("/0/1/5"), Origin::bootstrap).outcome, Outcome::method_not_allowed);
    EXPECT_EQ(c.read(P("/0/1/5")).outcome, Outcome::method_not_allowed);
    EXPECT_EQ(c.write(P("/0/1/4"), Value{psk}, Origin::dm), Outcome::not_found);  // E-85: not resource 4
    // the Bootstrap interface's Write answers 2.04, 4.00 or 4.15 only: a refused Bootstrap-Write is 4.00
    EXPECT_EQ(c.write(P("/0/1/4"), Value{psk}, Origin::bootstrap), Outcome::bad_request);
    EXPECT_EQ(c.to_json().find("DEADBEEF"), std::string::npos);
    // "-" 0/0/4 the bootstrap PSK: no operation at all
    EXPECT_EQ(c.write(P("/0/0/5"), Value{psk}, Origin::bootstrap), Outcome::bad_request);
    // R stays read-only for the Bootstrap-Server too; Execute is not a Bootstrap operation
    EXPECT_EQ(c.write(P("/3/0/0"), S("X"), Origin::bootstrap), Outcome::bad_request);
    EXPECT_EQ(c.write(P("/0/0/0"), S("coaps://x"), Origin::bootstrap), Outcome::bad_request);
    EXPECT_EQ(read_str(c, "/3/0/0"), "Elvaco");
    EXPECT_EQ(c.execute(P("/3/0/4"), Origin::bootstrap).outcome, Outcome::method_not_allowed);
    // RW resources: both
    EXPECT_EQ(c.write(P("/33906/0/0"), I(15), Origin::bootstrap), Outcome::changed);
    // Table 2 W "Transport Secret Key": DM may write, nobody reads
    EXPECT_EQ(c.write(P("/33905/0/5"), Value{psk}, Origin::dm), Outcome::changed);
    EXPECT_EQ(c.read(P("/33905/0/5")).outcome, Outcome::method_not_allowed);
    EXPECT_EQ(c.to_json().find("DEADBEEF"), std::string::npos);
}

TEST(Cmi6110Objects, ExecutableResourcesNameTheirAction) {
    DeviceConfig c;
    const std::pair<const char*, const char*> expected[] = {
        {"/1/0/9", "bootstrap_request"},        // Table 1 Bootstrap-Request Trigger
        {"/1/1/8", "registration_update"},      // Table 1 Registration Update Trigger
        {"/3/0/4", "reboot"},                   // Table 1 Reboot
        {"/5/0/2", "firmware_update"},          // Table 1 Firmware Update Trigger
        {"/33906/0/10", "readout_now"},         // Table 2 "Trigger a meter readout."
        {"/33906/0/13", "resend_history"},      // Table 2 "Trigger upload of all historic data"
        {"/33906/0/15", "apply_apn_staging"},   // Table 2 "Apply APN staging profile."
        {"/33909/0/7", "modem_firmware_update"},// Table 2 "Trigger modem FOTA."
        {"/33910/0/0", "reset_statistics"},     // Table 2 "Resets statistics …"
    };
    for (const auto& [path, action] : expected) {
        const auto r = c.execute(P(path));
        EXPECT_EQ(r.outcome, Outcome::changed) << path;
        EXPECT_EQ(action_name(r.action), action) << path;
    }
}

TEST(Cmi6110Objects, ResetStatisticsZeroesTheCounters) {
    DeviceConfig c;
    ASSERT_TRUE(c.set_status(P("/33910/0/1"), I(12)));
    ASSERT_TRUE(c.set_status(P("/33910/0/3"), I(2)));
    EXPECT_FALSE(c.set_status(P("/33910/0/1"), S("12")));  // type checked
    EXPECT_FALSE(c.set_status(P("/33910/0/0"), I(1)));     // an executable holds no value
    EXPECT_EQ(read_int(c, "/33910/0/1"), 12);
    c.execute(P("/33910/0/0"));
    for (const char* p : {"/33910/0/1", "/33910/0/2", "/33910/0/3", "/33910/0/4", "/33910/0/5", "/33910/0/6"})
        EXPECT_EQ(read_int(c, p), 0) << p;
}

TEST(Cmi6110Objects, ConfigurationLockAndPak) {
    // §7.2: "the default setting of the CMi6110 is Open, meaning the user must set it to Lock"
    DeviceConfig c(factory());
    EXPECT_FALSE(c.locked());
    EXPECT_EQ(read_bool(c, "/33906/0/5"), false);
    EXPECT_EQ(c.nfc_write("readout_interval", I(15)), Outcome::changed);  // open device: no PAK needed
    EXPECT_EQ(c.nfc_write("configuration_lock", I(1)), Outcome::changed);
    EXPECT_TRUE(c.locked());
    EXPECT_EQ(read_bool(c, "/33906/0/5"), true);  // Table 2 "NFC Config-locked"
    // "When configuration lock has been enabled, a Product Access Key (PAK) will be needed"
    EXPECT_EQ(c.nfc_write("readout_interval", I(30)), Outcome::locked);
    EXPECT_EQ(c.nfc_write("readout_interval", I(30), "PAK-1234-5679"), Outcome::locked);
    EXPECT_EQ(c.nfc_write("readout_interval", I(30), "PAK-1234-567"), Outcome::locked);
    EXPECT_EQ(c.nfc_write("configuration_lock", I(0)), Outcome::locked);
    EXPECT_EQ(c.nfc_write("factory_reset", B(true)), Outcome::locked);
    EXPECT_EQ(read_int(c, "/33906/0/0"), 15);
    // "Device access – No PAK: Readable"
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("readout_interval").value), 15);
    // "Locked device & correct PAK: Readable/Writeable"
    EXPECT_EQ(c.nfc_write("readout_interval", I(30), "PAK-1234-5678"), Outcome::changed);
    EXPECT_EQ(c.nfc_write("readout_interval", I(4), "PAK-1234-5678"), Outcome::bad_request);  // range still applies
    EXPECT_EQ(read_int(c, "/33906/0/0"), 30);
    EXPECT_TRUE(c.locked());  // the PAK opens one write, not the lock
    // the lock is NFC's: LwM2M device management is not subject to it (E-89)
    EXPECT_EQ(c.write(P("/33906/0/0"), I(60), Origin::dm), Outcome::changed);
    // unlocking takes the PAK; then anyone may write again
    EXPECT_EQ(c.nfc_write("configuration_lock", I(0), "PAK-1234-5678"), Outcome::changed);
    EXPECT_FALSE(c.locked());
    EXPECT_EQ(c.nfc_write("readout_interval", I(120)), Outcome::changed);
    // the PAK appears in no dump
    EXPECT_EQ(c.to_json().find("PAK-1234"), std::string::npos);
}

TEST(Cmi6110Objects, FactoryResetThroughNfcAndItsPowerMode) {
    DeviceConfig c(factory());
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("power_mode").value), 0);  // Table 8 default Passive
    EXPECT_EQ(c.nfc_write("power_mode", I(1)), Outcome::changed);
    EXPECT_EQ(c.write(P("/33906/0/18"), I(60), Origin::dm), Outcome::changed);
    EXPECT_EQ(c.nfc_write("utc_offset", I(60)), Outcome::changed);
    EXPECT_EQ(c.nfc_write("configuration_lock", I(1)), Outcome::changed);
    // Table 8: Factory reset "Writeable" with the PAK, "N/A" without
    EXPECT_EQ(c.nfc_write("factory_reset", B(true)), Outcome::locked);
    EXPECT_EQ(c.nfc_write("factory_reset", B(false), "PAK-1234-5678"), Outcome::bad_request);
    EXPECT_EQ(c.nfc_write("factory_reset", B(true), "PAK-1234-5678"), Outcome::changed);
    EXPECT_EQ(read_int(c, "/33906/0/18"), 1440);
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("utc_offset").value), 0);
    EXPECT_FALSE(c.locked());  // Configuration Lock default Open
    // "Resets the CMi6110 to factory settings (default setting for power mode is Active)" (E-88)
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("power_mode").value), 1);
    EXPECT_EQ(read_str(c, "/3/0/2"), "70B3D5FFFE000001");  // production data survives
}

TEST(Cmi6110Objects, ApnChangeStagingCommitAndRollback) {
    DeviceConfig c;
    // §6.4 "write the APN to the resource /10/1/1 and set APN mode to manual in /10/1/2" (= 11/1/x, E-86)
    EXPECT_EQ(c.write(P("/11/1/1"), S("iot.example"), Origin::dm), Outcome::changed);
    EXPECT_EQ(c.write(P("/11/1/2"), B(false), Origin::dm), Outcome::changed);
    EXPECT_EQ(c.read(P("/4/0/7/0")).outcome, Outcome::not_found);  // no APN in use yet
    // "stage the changes by executing /33906/0/15. When executed, the device will reset and try to use the new APN"
    EXPECT_EQ(c.execute(P("/33906/0/15")).action, Action::apply_apn_staging);
    EXPECT_TRUE(c.apn_staged());
    EXPECT_EQ(read_str(c, "/4/0/7/0"), "iot.example");
    // "If the device manages a successful bootstrapping, the new APN will be saved as the default"
    c.apn_bootstrap_result(true);
    EXPECT_FALSE(c.apn_staged());
    EXPECT_EQ(read_str(c, "/11/0/1"), "iot.example");
    EXPECT_EQ(read_bool(c, "/11/0/2"), false);
    // "If a successful bootstrapping has not happened for some time, the device will roll back to the old APN"
    EXPECT_EQ(c.write(P("/11/1/1"), S("wrong.example"), Origin::dm), Outcome::changed);
    c.execute(P("/33906/0/15"));
    EXPECT_EQ(read_str(c, "/4/0/7/0"), "wrong.example");
    c.apn_bootstrap_result(false);
    EXPECT_EQ(read_str(c, "/4/0/7/0"), "iot.example");
    EXPECT_EQ(read_str(c, "/11/0/1"), "iot.example");
    EXPECT_EQ(read_str(c, "/11/1/1"), "iot.example");
}

TEST(Cmi6110Objects, UtcOffsetIsOneValueInMinutesAndIso8601) {
    DeviceConfig c;
    EXPECT_EQ(read_str(c, "/3/0/14"), "+00:00");
    // §7.3.1: "+60 in Sweden"; Table 1 3/0/14 "UTC+X (ISO 8601)"
    EXPECT_EQ(c.write(P("/3/0/14"), S("+01:00"), Origin::dm), Outcome::changed);
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("utc_offset").value), 60);
    EXPECT_EQ(c.write(P("/3/0/14"), S("UTC-05:00"), Origin::dm), Outcome::changed);
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("utc_offset").value), -300);
    EXPECT_EQ(c.write(P("/3/0/14"), S("+0530"), Origin::dm), Outcome::changed);
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("utc_offset").value), 330);
    EXPECT_EQ(c.write(P("/3/0/14"), S("Z"), Origin::dm), Outcome::changed);
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("utc_offset").value), 0);
    for (const char* bad : {"+13:00", "-12:01", "01:00", "+1:00", "+01:60", "UTC", "", "+01:0"})
        EXPECT_EQ(c.write(P("/3/0/14"), S(bad), Origin::dm), Outcome::bad_request) << bad;
    EXPECT_EQ(c.nfc_write("utc_offset", I(-90)), Outcome::changed);
    EXPECT_EQ(read_str(c, "/3/0/14"), "-01:30");
    EXPECT_EQ(schedule_config(c).utc_offset, -90min);
    EXPECT_EQ(nlohmann::json::parse(c.to_json())["/3/0/14"], "-01:30");
    EXPECT_TRUE(c.set_status(P("/3/0/14"), S("+02:00")));
    EXPECT_EQ(std::get<std::int64_t>(c.nfc_read("utc_offset").value), 120);
    EXPECT_FALSE(c.set_status(P("/33906/0/5"), B(true)));  // reads the lock, holds no value of its own
}

TEST(Cmi6110Objects, ScheduleConfigFromTheModel) {
    DeviceConfig c;
    // §7.5 Table 11 defaults: readout 60, transmit 1440, offset 30, delay 240; Table 8 UTC offset 0
    auto s = schedule_config(c);
    EXPECT_EQ(s.readout_interval, 60min);
    EXPECT_EQ(s.transmit_interval, 1440min);
    EXPECT_EQ(s.transmit_offset, 30min);
    EXPECT_EQ(s.transmit_delay, 240min);
    EXPECT_EQ(s.utc_offset, 0min);
    EXPECT_FALSE(effective_window(s).clamped);  // 30 + 240 ≤ 1440
    // §7.3.3: "Toffset + Tdelay ≤ Ttransmit … otherwise Toffset = 0 and Tdelay = Ttransmit"
    ASSERT_EQ(c.write(P("/33906/0/18"), I(60), Origin::dm), Outcome::changed);
    s = schedule_config(c);
    const auto w = effective_window(s);
    EXPECT_TRUE(w.clamped);
    EXPECT_EQ(w.offset, 0min);
    EXPECT_EQ(w.delay, 60min);
    // §7.3.4 example: Transmit offset 15 minutes, delay 30, transmit interval 60: inside the interval
    ASSERT_EQ(c.write(P("/33906/0/19"), I(15), Origin::dm), Outcome::changed);
    ASSERT_EQ(c.write(P("/33906/0/20"), I(30), Origin::dm), Outcome::changed);
    s = schedule_config(c);
    EXPECT_FALSE(effective_window(s).clamped);
    EXPECT_EQ(effective_window(s).offset, 15min);
    EXPECT_EQ(effective_window(s).delay, 30min);
}

TEST(Cmi6110Objects, BacklogConfigFromTheModel) {
    DeviceConfig c;
    // §7.5 Table 11: SenML/CBOR, Standard, Latest first (LiFo), max age 10080, max uploads 4
    auto b = backlog_config(c);
    EXPECT_EQ(b.encoding, MessageEncoding::senml);
    EXPECT_EQ(b.format, MessageFormat::standard);
    EXPECT_EQ(b.order, UploadOrder::lifo);
    EXPECT_EQ(b.max_age, 10080min);
    EXPECT_EQ(b.max_uploads, 4u);
    EXPECT_EQ(b.readouts_per_telegram, 24u);  // 1440 / 60
    // §7.4.2.3: readout interval 120 and transmit interval 1440 give 12 readouts per pack
    ASSERT_EQ(c.write(P("/33906/0/0"), I(120), Origin::dm), Outcome::changed);
    EXPECT_EQ(backlog_config(c).readouts_per_telegram, 12u);
    // Table 2 33906/./1 "1 = JSON", /2 "43 = CMi6110_Extended", /45 "0 = FIFO"
    ASSERT_EQ(c.write(P("/33906/0/1"), I(1), Origin::dm), Outcome::changed);
    ASSERT_EQ(c.write(P("/33906/0/2"), I(43), Origin::dm), Outcome::changed);
    ASSERT_EQ(c.write(P("/33906/0/45"), I(0), Origin::dm), Outcome::changed);
    ASSERT_EQ(c.write(P("/33906/0/44"), I(4320), Origin::dm), Outcome::changed);  // §7.3.4 example 1: 72 h
    ASSERT_EQ(c.write(P("/33906/0/21"), I(1), Origin::dm), Outcome::changed);
    b = backlog_config(c);
    EXPECT_EQ(b.encoding, MessageEncoding::json);
    EXPECT_EQ(b.format, MessageFormat::extended);
    EXPECT_EQ(b.order, UploadOrder::fifo);
    EXPECT_EQ(b.max_age, 4320min);
    EXPECT_EQ(b.max_uploads, 1u);
    EXPECT_EQ(b.readouts_per_telegram, 1u);  // JSON: one readout per telegram
    ASSERT_EQ(c.write(P("/33906/0/1"), I(2), Origin::dm), Outcome::changed);  // "2 = MBus"
    EXPECT_EQ(backlog_config(c).encoding, MessageEncoding::mbus);
}

TEST(Cmi6110Objects, Paths) {
    EXPECT_EQ(parse_path("/33906/0/1"), (Path{33906, 0, 1, std::nullopt}));
    EXPECT_EQ(parse_path("3/0/6/0"), (Path{3, 0, 6, 0}));
    for (const char* bad : {"", "/", "/3/0", "/3/0/", "/3//0", "/3/0/x", "/70000/0/0", "/3/0/6/0/1", "/-1/0/0", "/3/0/1 "})
        EXPECT_FALSE(parse_path(bad).has_value()) << bad;
    EXPECT_EQ(to_string(Path{3, 0, 6, 0}), "/3/0/6/0");
}

TEST(Cmi6110Objects, TableAsJson) {
    const auto j = nlohmann::json::parse(object_table_json());
    ASSERT_TRUE(j.is_array());
    EXPECT_EQ(j.size(), object_table().size());
    // 33906/./0 as Table 2 and §7.5 Table 11 print it
    const auto it = std::find_if(j.begin(), j.end(), [](const auto& r) { return r["printed"] == "33906/./0"; });
    ASSERT_NE(it, j.end());
    EXPECT_EQ((*it)["name"], "Meter Readout Interval");
    EXPECT_EQ((*it)["operations"], "RW");
    EXPECT_EQ((*it)["type"], "Integer");
    EXPECT_EQ((*it)["min"], 5);
    EXPECT_EQ((*it)["max"], 1440);
    EXPECT_EQ((*it)["default"], 60);
    EXPECT_EQ((*it)["unit"], "min");
    EXPECT_EQ((*it)["nfc_no_pak"], "Readable");
    // the values dump: paths and NFC settings, parseable
    const auto v = nlohmann::json::parse(DeviceConfig(factory()).to_json());
    EXPECT_EQ(v["/33906/0/18"], 1440);
    EXPECT_EQ(v["nfc:bootstrap_ip"], "84.19.147.226");
}
