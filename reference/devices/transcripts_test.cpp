// Runs vectors/cmi1020/commands.json (hand-built request → reply transcripts for every command
// of CMi1020 manual §6.7) against the reference slave. conformance/tests runs the same file
// against `metercert simulate` over TCP.
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "metercert/devices/cmi1020.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/telegram.hpp"

using namespace metercert::devices;
using nlohmann::json;

namespace {

std::string file(const std::string& rel) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<std::uint8_t> unhex(const std::string& s) {
    std::vector<std::uint8_t> o;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2) o.push_back(static_cast<std::uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
    return o;
}

// every key of `want` in `got` with the same value (objects recursively)
std::string subset(const json& want, const json& got, const std::string& path) {
    if (want.is_object()) {
        for (auto it = want.begin(); it != want.end(); ++it) {
            if (!got.contains(it.key())) return path + "/" + it.key() + " missing";
            auto m = subset(it.value(), got.at(it.key()), path + "/" + it.key());
            if (!m.empty()) return m;
        }
        return {};
    }
    return want == got ? std::string{} : path + ": expected " + want.dump() + ", got " + got.dump();
}

std::string check_rsp(const json& want, const std::vector<std::uint8_t>& reply) {
    const auto t = metercert::mbus::decode_or_throw(reply);
    const json got = json::parse(metercert::mbus::to_json(t));
    json plain = want;
    plain.erase("record_count");
    plain.erase("records_include");
    if (auto m = subset(plain, got, ""); !m.empty()) return m;
    if (want.contains("record_count") && got["records"].size() != want["record_count"].get<std::size_t>())
        return "record count " + std::to_string(got["records"].size());
    if (want.contains("records_include"))
        for (const auto& r : want["records_include"]) {
            json entry = r;
            const auto idx = entry["index"].get<std::size_t>();
            entry.erase("index");
            if (idx >= got["records"].size()) return "record " + std::to_string(idx) + " missing";
            if (auto m = subset(entry, got["records"][idx], "/records/" + std::to_string(idx)); !m.empty()) return m;
        }
    return {};
}

}  // namespace

TEST(Cmi1020Transcripts, EveryCommandOfSection67) {
    const json doc = json::parse(file("cmi1020/commands.json"));
    const json& setup = doc["setup"];
    ASSERT_EQ(doc["numberOfTests"].get<std::size_t>(), doc["tests"].size());
    for (const auto& tc : doc["tests"]) {
        SCOPED_TRACE("tcId " + std::to_string(tc["tcId"].get<int>()) + " §" + tc["section"].get<std::string>() + ": " +
                     tc["comment"].get<std::string>());
        E350 meter(file(setup["readout"].get<std::string>()));
        Cmi1020Config cfg;
        cfg.fabrication_number = static_cast<std::uint32_t>(std::stoul(setup["fabrication_number"].get<std::string>(), nullptr, 16));
        cfg.generation = setup["generation"].get<std::uint8_t>();
        cfg.software_version = setup["software_version"].get<std::string>();
        Cmi1020 slave(cfg, meter);
        slave.advance_to(setup["first_readout_ms"].get<std::uint64_t>());
        for (const auto& step : tc["steps"]) {
            const auto reply = slave.on_frame(unhex(step["send"].get<std::string>()));
            const json& want = step["reply"];
            if (want.is_null()) {
                EXPECT_FALSE(reply) << "sent " << step["send"] << ": expected silence";
            } else if (want.is_string()) {
                ASSERT_TRUE(reply) << "sent " << step["send"];
                EXPECT_EQ(*reply, unhex(want.get<std::string>()));
            } else {
                ASSERT_TRUE(reply) << "sent " << step["send"];
                EXPECT_EQ(check_rsp(want["rsp_ud"], *reply), "") << "sent " << step["send"];
            }
        }
    }
}
