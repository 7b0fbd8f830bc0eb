// Boost.Test suite over the golden vectors (BoringSSL FileTest style): one test case per vector,
// registered at start-up from every vectors/mbus/*.json and vectors/wmbus/*.json — adding a
// vector needs no code.
//
// valid:      decode succeeds with no violation, also in strict mode; the canonical JSON contains
//             every key of `expected` with that value (arrays element by element, same length);
//             encode(decode(b)) == b; and from_json(to_json(decode(b))) == b.
// acceptable: (Wycheproof's third result) decode succeeds and everything above holds, the
//             expected `violations` included; and strict decoding rejects the frame with the named
//             error at the byte offset of `error`.
// invalid:    decode fails with the named error at the byte offset of `error` (strict or not).
// wmbus/:     the group's `key` and `crc`; valid: decode succeeds, the canonical JSON contains
//             `expected` and no byte of the key (as hex), encode(decode(b), key) == b, and with
//             crc A or B automatic detection decodes it the same; invalid: the named error at the
//             wire offset.
// cmi6110/:   (schema cmi6110_vectors_v1, the files of that schema only) CMi6110 payloads of their
//             `encoding`: valid: the reference's readouts (meter ID, time, format, records as
//             canonical M-Bus JSON, as `metercert decode --cmi6110 ENC --json` builds them) contain
//             `expected`, the list element by element; invalid: the named error at the payload offset
//             (an M-Bus record error inside a Table 6 payload: the record error's name).
#define BOOST_TEST_DYN_LINK
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "metercert/devices/cmi6110/readout.hpp"
#include "metercert/devices/cmi6110/senml_payload.hpp"
#include "metercert/mbus/encode.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/telegram.hpp"
#include "metercert/wmbus/encode.hpp"
#include "metercert/wmbus/json.hpp"
#include "metercert/wmbus/telegram.hpp"

namespace fs = std::filesystem;
namespace utf = boost::unit_test;
using nlohmann::json;
using namespace metercert::mbus;

namespace {

std::vector<std::uint8_t> unhex(const std::string& s) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
    return out;
}

// Every key of `want` must be in `got` with an equal value; returns the first mismatch path.
std::string json_mismatch(const json& want, const json& got, const std::string& path) {
    if (want.is_object()) {
        if (!got.is_object()) return path + ": expected an object, got " + got.dump();
        for (auto it = want.begin(); it != want.end(); ++it) {
            if (!got.contains(it.key())) return path + "/" + it.key() + ": missing (expected " + it.value().dump() + ")";
            auto m = json_mismatch(it.value(), got.at(it.key()), path + "/" + it.key());
            if (!m.empty()) return m;
        }
        return {};
    }
    if (want.is_array()) {
        if (!got.is_array() || got.size() != want.size())
            return path + ": expected " + std::to_string(want.size()) + " elements, got " + got.dump();
        for (std::size_t i = 0; i < want.size(); ++i) {
            auto m = json_mismatch(want[i], got[i], path + "/" + std::to_string(i));
            if (!m.empty()) return m;
        }
        return {};
    }
    if (want != got) return path + ": expected " + want.dump() + ", got " + got.dump();
    return {};
}

std::string hexs(const std::vector<std::uint8_t>& b) {
    static const char* d = "0123456789ABCDEF";
    std::string s;
    for (auto x : b) {
        s += d[x >> 4];
        s += d[x & 15];
    }
    return s;
}

void check(const json& tc) {
    const auto bytes = unhex(tc.at("frame").get<std::string>());
    Telegram t;
    DecodeError err;
    const bool ok = decode(bytes, t, err);
    Telegram strict_t;
    DecodeError strict_err;
    const bool strict_ok = decode(bytes, strict_t, strict_err, DecodeOptions{.strict = true});
    BOOST_TEST_INFO("tcId " << tc.at("tcId") << ": " << tc.at("comment").get<std::string>());
    const std::string result = tc.at("result").get<std::string>();
    BOOST_REQUIRE(result == "valid" || result == "invalid" || result == "acceptable");
    if (result == "invalid") {
        BOOST_REQUIRE_MESSAGE(!ok, "decoded a frame that must be rejected: " << to_json(t));
        BOOST_TEST(std::string(error_name(err.code)) == tc.at("error").at("name").get<std::string>());
        BOOST_TEST(err.offset == tc.at("error").at("offset").get<std::size_t>());
        BOOST_TEST(!strict_ok);
        return;
    }
    BOOST_REQUIRE_MESSAGE(ok, "decode failed: " << err.message());
    if (result == "acceptable") {
        BOOST_TEST(!t.violations.empty(), "an acceptable vector's frame must carry a violation");
        BOOST_REQUIRE_MESSAGE(!strict_ok, "strict decoding accepted a frame with violations");
        BOOST_TEST(std::string(error_name(strict_err.code)) == tc.at("error").at("name").get<std::string>());
        BOOST_TEST(strict_err.offset == tc.at("error").at("offset").get<std::size_t>());
        BOOST_TEST(is_violation(strict_err.code));
    } else {
        BOOST_TEST(t.violations.empty(), "a valid frame reported violations: " << to_json(t));
        BOOST_TEST(strict_ok, "strict decoding rejected a valid frame: " << strict_err.message());
    }
    const std::string text = to_json(t);
    json got;
    BOOST_REQUIRE_NO_THROW(got = json::parse(text));
    const std::string m = json_mismatch(tc.at("expected"), got, "");
    BOOST_TEST(m.empty(), "canonical JSON " << m << "\n  full: " << text);
    BOOST_TEST(hexs(encode(t)) == hexs(bytes), "encode(decode(b)) == b");
    std::vector<std::uint8_t> back;
    BOOST_REQUIRE_NO_THROW(back = from_json(text));
    BOOST_TEST(hexs(back) == hexs(bytes), "from_json(to_json(decode(b))) == b");
}

void check_wmbus(const json& group, const json& tc) {
    namespace w = metercert::wmbus;
    const auto bytes = unhex(tc.at("frame").get<std::string>());
    const std::string crc = group.at("crc").get<std::string>();
    const w::CrcFormat f = crc == "A" ? w::CrcFormat::a : crc == "B" ? w::CrcFormat::b : crc == "none" ? w::CrcFormat::none : w::CrcFormat::automatic;
    std::optional<w::KeyLookup> keys;
    std::string key_hex;
    if (!group.at("key").is_null()) {
        key_hex = group.at("key").get<std::string>();
        keys = w::single_key(*w::Key::from_hex(key_hex));
    }
    const w::DecodeOptions opt{.crc = f, .keys = keys ? &*keys : nullptr};
    w::Telegram t;
    w::DecodeError err;
    const bool ok = w::decode(bytes, t, err, opt);
    BOOST_TEST_INFO("tcId " << tc.at("tcId") << ": " << tc.at("comment").get<std::string>());
    if (tc.at("result") == "invalid") {
        BOOST_REQUIRE_MESSAGE(!ok, "decoded a telegram that must be rejected: " << w::to_json(t));
        BOOST_TEST(std::string(err.name()) == tc.at("error").at("name").get<std::string>(), err.message());
        BOOST_TEST(err.offset == tc.at("error").at("offset").get<std::size_t>(), err.message());
        return;
    }
    BOOST_REQUIRE_MESSAGE(ok, "decode failed: " << err.message());
    const std::string text = w::to_json(t);
    json got;
    BOOST_REQUIRE_NO_THROW(got = json::parse(text));
    const std::string m = json_mismatch(tc.at("expected"), got, "");
    BOOST_TEST(m.empty(), "canonical JSON " << m << "\n  full: " << text);
    if (!key_hex.empty()) BOOST_TEST(text.find(key_hex.substr(0, 12)) == std::string::npos, "the key appears in the JSON");
    BOOST_TEST(hexs(w::encode(t, opt.keys)) == hexs(bytes), "encode(decode(b)) == b");
    if (f == w::CrcFormat::a || f == w::CrcFormat::b) {
        w::Telegram a;
        BOOST_TEST(w::decode(bytes, a, err, {.keys = opt.keys}), "automatic CRC detection");
        BOOST_TEST(w::to_json(a) == text);
    }
}

// ---- cmi6110/ (CMi6110 manual §7.4.2)

json records_of(std::span<const std::uint8_t> dibs) {
    Telegram t;
    DecodeError err;
    BOOST_REQUIRE_MESSAGE(decode_records(dibs, t, err), "the readout's M-Bus records: " << err.message());
    std::string s = "{";
    records_to_json(t, s);
    return json::parse(s + "}").at("records");
}

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

void check_cmi6110(const json& tc) {
    namespace c = metercert::devices::cmi6110;
    BOOST_TEST_INFO("tcId " << tc.at("tcId") << ": " << tc.at("comment").get<std::string>());
    const std::string enc = tc.at("encoding"), payload = tc.at("payload");
    const bool valid = tc.at("result") == "valid";
    BOOST_REQUIRE(valid || tc.at("result") == "invalid");
    std::string name;        // the error, when the payload is refused
    std::size_t offset = 0;
    json got = json::array();
    std::vector<std::uint8_t> bytes;
    if (enc != "json") {
        const auto bad = payload.find_first_not_of("0123456789ABCDEFabcdef");
        if (bad != std::string::npos || payload.size() % 2) {
            name = "bad_hex";
            offset = (bad == std::string::npos ? payload.size() : bad) / 2;
        } else {
            bytes = unhex(payload);
        }
    }
    auto readout_json = [](const c::Readout& r, c::MessageFormat f) {
        json o;
        o["meter_id"] = [&] { char b[16]; std::snprintf(b, sizeof b, "%08u", r.meter_id); return std::string(b); }();
        o["format"] = f == c::MessageFormat::extended ? "extended" : "standard";
        const std::string when = std::to_string(r.time.year) + "-" + two(r.time.month) + "-" + two(r.time.day) + "T" +
                                 two(r.time.hour) + ":" + two(r.time.minute);
        o["time"] = when + ":00Z";  // json: TS; mbus: the meter's own time (no zone) as meter_time below
        o["meter_time"] = when;
        o["records"] = records_of(c::encode_mbus(r, f));
        return o;
    };
    if (!name.empty()) {
    } else if (enc == "senml") {
        c::SenmlPayload p;
        c::SenmlError err;
        if (!c::decode_senml(bytes, p, err)) {
            name = err.name();
            offset = err.offset;
        } else {
            for (const auto& r : p.readouts) {
                const std::chrono::sys_seconds t{std::chrono::seconds(r.time)};
                const auto day = std::chrono::floor<std::chrono::days>(t);
                const std::chrono::year_month_day ymd{day};
                const std::chrono::hh_mm_ss hms{t - day};
                got.push_back({{"meter_id", p.meter_id},
                               {"time", std::to_string(static_cast<int>(ymd.year())) + "-" + two(static_cast<unsigned>(ymd.month())) + "-" +
                                            two(static_cast<unsigned>(ymd.day())) + "T" + two(static_cast<int>(hms.hours().count())) + ":" +
                                            two(static_cast<int>(hms.minutes().count())) + ":" + two(static_cast<int>(hms.seconds().count())) + "Z"},
                               {"records", records_of(r.dibs)}});
            }
        }
    } else if (enc == "json") {
        c::Readout r;
        c::MessageFormat f{};
        c::JsonError err;
        if (!c::decode_json(payload, r, f, err)) {
            name = c::error_name(err.code);
            offset = err.offset;
        } else {
            auto o = readout_json(r, f);
            o.erase("meter_time");
            got.push_back(o);
        }
    } else {
        BOOST_REQUIRE(enc == "mbus");
        c::Readout r;
        c::MessageFormat f{};
        c::MbusError err;
        if (!c::decode_mbus(bytes, r, f, err)) {
            name = c::error_name(err.code);
            offset = err.offset;
            if (err.code == c::MbusErrorCode::records) name = err.detail.substr(0, err.detail.find(' '));  // the record error
        } else {
            auto o = readout_json(r, f);
            o.erase("time");
            got.push_back(o);
        }
    }
    if (!valid) {
        BOOST_REQUIRE_MESSAGE(!name.empty(), "decoded a payload that must be rejected: " << got.dump());
        BOOST_TEST(name == tc.at("error").at("name").get<std::string>());
        BOOST_TEST(offset == tc.at("error").at("offset").get<std::size_t>());
        return;
    }
    BOOST_REQUIRE_MESSAGE(name.empty(), "refused: " << name << " at byte " << offset);
    const auto m = json_mismatch(tc.at("expected"), got, "");
    BOOST_TEST(m.empty(), "readouts " << m << "\n  full: " << got.dump());
}

bool init() {
    std::vector<fs::path> files;
    for (const char* area : {"mbus", "wmbus", "cmi6110"})
        for (const auto& e : fs::directory_iterator(fs::path(METERCERT_VECTORS_DIR) / area))
            if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::size_t total = 0;
    for (const auto& f : files) {
        std::ifstream in(f);
        const json doc = json::parse(in);
        const bool wireless = f.parent_path().filename() == "wmbus";
        const bool cmi6110 = f.parent_path().filename() == "cmi6110";
        if (cmi6110 && !doc.value("schema", "").starts_with("cmi6110_vectors_v1")) continue;  // schedule.json, the JSON example
        auto* suite = BOOST_TEST_SUITE((wireless ? "wmbus_" : cmi6110 ? "cmi6110_" : "") + f.stem().string());
        std::size_t n = 0;
        for (const auto& g : doc.at("testGroups"))
            for (const auto& tc : g.at("tests")) {
                const std::string name = "tc" + std::to_string(tc.at("tcId").get<int>());
                if (cmi6110) suite->add(utf::make_test_case([tc] { check_cmi6110(tc); }, name, f.string(), 0));
                else if (wireless) suite->add(utf::make_test_case([g, tc] { check_wmbus(g, tc); }, name, f.string(), 0));
                else suite->add(utf::make_test_case([tc] { check(tc); }, name, f.string(), 0));
                ++n;
            }
        if (n != doc.at("numberOfTests").get<std::size_t>())
            throw std::runtime_error(f.string() + ": numberOfTests does not match the tests present");
        total += n;
        utf::framework::master_test_suite().add(suite);
    }
    return total > 0;
}

}  // namespace

int main(int argc, char* argv[]) { return utf::unit_test_main(&init, argc, argv); }
