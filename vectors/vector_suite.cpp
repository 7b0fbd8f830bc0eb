// Boost.Test suite over the golden vectors (BoringSSL FileTest style): one test case per vector,
// registered at start-up from every vectors/mbus/*.json — adding a vector needs no code.
//
// valid:      decode succeeds with no violation, also in strict mode; the canonical JSON contains
//             every key of `expected` with that value (arrays element by element, same length);
//             encode(decode(b)) == b; and from_json(to_json(decode(b))) == b.
// acceptable: (Wycheproof's third result) decode succeeds and everything above holds, the
//             expected `violations` included; and strict decoding rejects the frame with the named
//             error at the byte offset of `error`.
// invalid:    decode fails with the named error at the byte offset of `error` (strict or not).
#define BOOST_TEST_DYN_LINK
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "metercert/mbus/encode.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/telegram.hpp"

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

bool init() {
    const fs::path dir = fs::path(METERCERT_VECTORS_DIR) / "mbus";
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::size_t total = 0;
    for (const auto& f : files) {
        std::ifstream in(f);
        const json doc = json::parse(in);
        auto* suite = BOOST_TEST_SUITE(f.stem().string());
        std::size_t n = 0;
        for (const auto& g : doc.at("testGroups"))
            for (const auto& tc : g.at("tests")) {
                const std::string name = "tc" + std::to_string(tc.at("tcId").get<int>());
                suite->add(utf::make_test_case([tc] { check(tc); }, name, f.string(), 0));
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
