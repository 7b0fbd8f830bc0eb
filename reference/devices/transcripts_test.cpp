// Runs vectors/cmi1020/commands.json (hand-built request → reply transcripts for every command of
// CMi1020 manual §6.7; schema cmi1020_transcripts_v2 in vectors/cmi1020/README.md) against the
// reference slave on a simulated bus, and checks that the transcripts can fail:
//   - every transcript passes against the reference;
//   - every acknowledged command whose effect a transcript claims to show, acknowledged by a slave
//     that does not act on it, fails that transcript (a transcript a deaf slave passes proves nothing);
//   - every fault of faults.hpp fails a transcript without the ImplementationDefined flag, unless it
//     only picks another reading the manual allows (then it fails only transcripts flagged with that
//     ERRATA entry) or the transcripts cannot see it (timing, power cycles);
//   - flags and `errata` names point at entries of vectors/ERRATA.md.
// conformance/tests/test_cmi1020_transcripts.py runs the same file against `metercert simulate`.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <functional>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "metercert/devices/bus.hpp"
#include "metercert/devices/faults.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/telegram.hpp"

using namespace metercert::devices;
using nlohmann::json;

namespace {

std::string file(const std::string& rel) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

const json& doc() {
    static const json d = json::parse(file("cmi1020/commands.json"));
    return d;
}

using Bytes = std::vector<std::uint8_t>;

Bytes unhex(const std::string& s) {
    Bytes o;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2) o.push_back(static_cast<std::uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
    return o;
}

std::string hex(const std::optional<Bytes>& b) {
    if (!b) return "(silence)";
    std::string s;
    static const char* d = "0123456789ABCDEF";
    for (auto c : *b) s += {d[c >> 4], d[c & 15]};
    return s;
}

bool is_matcher(const json& w) {
    if (!w.is_object()) return false;
    for (const char* k : {"one_of", "same_as_step", "differs_from_step", "has_bits", "lacks_bits", "setup"})
        if (w.contains(k)) return true;
    return false;
}

std::uint64_t as_uint(const json& v) {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer()) return static_cast<std::uint64_t>(v.get<std::int64_t>());
    return std::stoull(v.get<std::string>());
}

// One run of one transcript. `ignore_step`: that step's frame is acknowledged (E5) without
// reaching the slave — a slave that does not act on the command.
class Run {
public:
    Run(const json& tc, const Cmi1020FaultSpec* fault, std::optional<std::size_t> ignore_step)
        : tc_(tc), fault_(fault), ignore_(ignore_step) {
        setup_ = doc()["setup"];
        if (tc.contains("setup"))
            for (auto it = tc["setup"].begin(); it != tc["setup"].end(); ++it) setup_[it.key()] = it.value();
    }

    // Failures (empty: the transcript passed); the first failing step ends the run.
    std::vector<std::string> go() {
        if (setup_["generation"] != 1 || setup_["software_version"] != "1.2.0")
            return {"setup: the reference is generation 1, software 1.2.0"};
        BusOptions o;
        o.count = 1;
        o.readout = file(setup_["readout"].get<std::string>());
        if (o.readout.empty()) return {"setup: readout " + setup_["readout"].get<std::string>() + " is empty or missing"};
        o.fabrication_base = static_cast<std::uint32_t>(std::stoul(setup_["fabrication_number"].get<std::string>(), nullptr, 16));
        o.first_readout = std::chrono::milliseconds(setup_["first_readout_ms"].get<std::int64_t>());
        Cmi1020Bus bus(o);
        bus.set_fault(fault_);
        const auto mf = meter_fault_from_name(setup_["meter_fault"].get<std::string>());
        if (!mf) return {"setup: unknown meter_fault"};
        bus.meter(0).fault = *mf;
        bus.meter(0).p1_password = setup_["meter_p1"].get<std::string>();
        const Bytes p2 = unhex(setup_["meter_p2"].get<std::string>());
        if (p2.size() != 16) return {"setup: meter_p2 must be 16 bytes"};
        std::copy(p2.begin(), p2.end(), bus.meter(0).p2_key.begin());
        metercert::TimePoint now{o.first_readout};
        bus.advance_to(now);

        const auto& steps = tc_["steps"];
        for (std::size_t i = 0; i < steps.size(); ++i) {
            const json& step = steps[i];
            const Bytes frame = unhex(step["send"].get<std::string>());
            const unsigned baud = step.value("baud", setup_["baud"].get<unsigned>());
            now += std::chrono::milliseconds(step.value("wait_ms", std::int64_t{0}));
            const std::uint64_t within = step.value("within_ms", std::uint64_t{0});
            if (within && !(frame.size() == 5 && frame[0] == 0x10 && (frame[1] & 0xDF) == 0x4B))
                return {"step " + std::to_string(i) + ": within_ms is only for REQ_UD2 with FCV = 0 (no side effect)"};
            std::string miss;
            for (std::uint64_t waited = 0;; waited += 250, now += std::chrono::milliseconds(250)) {
                std::optional<Bytes> reply;
                if (ignore_ && *ignore_ == i)
                    reply = Bytes{0xE5};
                else
                    reply = bus.on_frame(frame, now, baud);
                miss = check_reply(step["reply"], reply, i);
                if (miss.empty() || waited >= within) {
                    replies_.push_back(reply);
                    break;
                }
            }
            if (!miss.empty())
                return {"step " + std::to_string(i) + ": sent " + step["send"].get<std::string>() + ": " + miss};
        }
        return {};
    }

private:
    const json& tc_;
    const Cmi1020FaultSpec* fault_;  // nullptr: the reference
    std::optional<std::size_t> ignore_;
    json setup_;
    std::vector<std::optional<Bytes>> replies_;
    std::map<std::size_t, json> decoded_;

    const json* decoded(std::size_t k) const {
        auto it = decoded_.find(k);
        return it == decoded_.end() ? nullptr : &it->second;
    }

    std::string check_reply(const json& want, const std::optional<Bytes>& reply, std::size_t i) {
        if (want.is_null()) return reply ? "expected silence, got " + hex(reply) : "";
        if (want.is_string()) return reply == unhex(want.get<std::string>()) ? "" : "expected " + want.get<std::string>() + ", got " + hex(reply);
        if (want.contains("one_of")) {
            std::string all;
            for (const auto& alt : want["one_of"]) {
                auto m = check_reply(alt, reply, i);
                if (m.empty()) return "";
                all += (all.empty() ? "" : "; ") + m;
            }
            return "none of the allowed replies: " + all;
        }
        if (want.contains("same_as_step")) {
            const auto k = want["same_as_step"].get<std::size_t>();
            if (k >= replies_.size()) return "same_as_step " + std::to_string(k) + ": no such earlier step";
            if (replies_[k] == reply) {
                if (decoded(k)) decoded_[i] = *decoded(k);
                return "";
            }
            return "expected a byte-for-byte repeat of step " + std::to_string(k) + " (" + hex(replies_[k]) + "), got " + hex(reply);
        }
        if (!reply) return "expected an RSP_UD, got silence";
        json got;
        try {
            got = json::parse(metercert::mbus::to_json(metercert::mbus::decode_or_throw(*reply)));
        } catch (const std::exception& e) {
            return "expected an RSP_UD, got " + hex(reply) + " (" + e.what() + ")";
        }
        auto m = check_rsp(want["rsp_ud"], got);
        decoded_[i] = got;
        return m;
    }

    // `want` (a value or a matcher) against `got`; `path` is a JSON pointer into the decoded reply
    // (for same_as_step / differs_from_step).
    std::string match(const json& want, const json& got, const std::string& path) {
        if (is_matcher(want)) {
            if (want.contains("one_of")) {
                for (const auto& alt : want["one_of"])
                    if (match(alt, got, path).empty()) return "";
                return path + ": expected one of " + want["one_of"].dump() + ", got " + got.dump();
            }
            if (want.contains("setup")) return match(setup_[want["setup"].get<std::string>()], got, path);
            if (want.contains("has_bits") || want.contains("lacks_bits")) {
                std::uint64_t v = 0;
                try {
                    v = as_uint(got);
                } catch (const std::exception&) {
                    return path + ": expected an integer, got " + got.dump();
                }
                const std::uint64_t has = want.value("has_bits", std::uint64_t{0}), lacks = want.value("lacks_bits", std::uint64_t{0});
                if ((v & has) != has || (v & lacks) != 0)
                    return path + ": expected bits " + std::to_string(has) + " set and " + std::to_string(lacks) + " clear, got " + got.dump();
                return "";
            }
            const bool same = want.contains("same_as_step");
            const auto k = want[same ? "same_as_step" : "differs_from_step"].get<std::size_t>();
            const json* other = decoded(k);
            if (!other) return path + ": step " + std::to_string(k) + " has no decoded reply";
            json ref;
            if (path == "#record_count") {
                ref = (*other)["records"].size();
            } else {
                const json::json_pointer p(path);
                if (!other->contains(p)) return path + ": missing in step " + std::to_string(k);
                ref = (*other)[p];
            }
            if (same) {
                if (want.contains("plus")) ref = ref.get<std::int64_t>() + want["plus"].get<std::int64_t>();
                return got == ref ? "" : path + ": expected " + ref.dump() + " (step " + std::to_string(k) + "), got " + got.dump();
            }
            return got != ref ? "" : path + ": expected a value other than step " + std::to_string(k) + "'s " + ref.dump();
        }
        if (want.is_object()) {
            if (!got.is_object()) return path + ": expected an object, got " + got.dump();
            for (auto it = want.begin(); it != want.end(); ++it) {
                if (it.key() == "optional" || it.key() == "errata") continue;  // record-list metadata
                if (!got.contains(it.key())) return path + "/" + it.key() + " missing";
                if (auto m = match(it.value(), got.at(it.key()), path + "/" + it.key()); !m.empty()) return m;
            }
            return "";
        }
        return want == got ? "" : path + ": expected " + want.dump() + ", got " + got.dump();
    }

    std::string check_rsp(const json& want, const json& got) {
        json plain = want;
        for (const char* k : {"record_count", "records_include", "records_exclude", "records"}) plain.erase(k);
        if (auto m = match(plain, got, ""); !m.empty()) return m;
        const json& recs = got["records"];
        if (want.contains("record_count"))
            if (auto m = match(want["record_count"], json(recs.size()), "#record_count"); !m.empty()) return m;
        for (const auto& r : want.value("records_include", json::array())) {
            json entry = r;
            entry.erase("index");
            if (r.contains("index")) {
                const auto idx = r["index"].get<std::size_t>();
                if (idx >= recs.size()) return "record " + std::to_string(idx) + " missing";
                if (auto m = match(entry, recs[idx], "/records/" + std::to_string(idx)); !m.empty()) return m;
            } else {
                bool found = false;
                for (std::size_t j = 0; j < recs.size() && !found; ++j) found = match(entry, recs[j], "").empty();
                if (!found) return "no record matches " + entry.dump();
            }
        }
        for (const auto& r : want.value("records_exclude", json::array()))
            for (std::size_t j = 0; j < recs.size(); ++j)
                if (match(r, recs[j], "").empty()) return "record " + std::to_string(j) + " must not be there: " + recs[j].dump();
        if (want.contains("records")) {  // every record, in order; `optional` entries may be absent
            std::size_t j = 0;
            for (std::size_t e = 0; e < want["records"].size(); ++e) {
                const json& entry = want["records"][e];
                const bool optional = entry.value("optional", false);
                if (j < recs.size() && match(entry, recs[j], "/records/" + std::to_string(j)).empty()) {
                    ++j;
                    continue;
                }
                if (optional) continue;
                if (j >= recs.size()) return "records: expected " + entry.dump() + " at " + std::to_string(j) + ", the telegram ends";
                return match(entry, recs[j], "/records/" + std::to_string(j));
            }
            if (j < recs.size()) return "records: unexpected record " + std::to_string(j) + ": " + recs[j].dump();
        }
        return "";
    }
};

std::string label(const json& tc) {
    return "tcId " + std::to_string(tc["tcId"].get<int>()) + " §" + tc["section"].get<std::string>() + ": " +
           tc["comment"].get<std::string>();
}

bool flagged(const json& tc, const std::string& flag) {
    for (const auto& f : tc["flags"])
        if (f == flag) return true;
    return false;
}

std::vector<std::string> run(const json& tc, const Cmi1020FaultSpec* fault = nullptr,
                             std::optional<std::size_t> ignore_step = std::nullopt) {
    return Run(tc, fault, ignore_step).go();
}

}  // namespace

TEST(Cmi1020Transcripts, EveryCommandOfSection67) {
    ASSERT_EQ(doc()["numberOfTests"].get<std::size_t>(), doc()["tests"].size());
    for (const auto& tc : doc()["tests"]) {
        const auto failures = run(tc);
        EXPECT_TRUE(failures.empty()) << label(tc) << "\n  " << (failures.empty() ? "" : failures.front());
    }
}

// A slave that ACKs a command without acting on it must fail every transcript that claims to show
// that command's effect (every acknowledged step not marked "shows_effect": false).
TEST(Cmi1020Transcripts, ASlaveThatIgnoresACommandFailsItsTranscript) {
    std::size_t mutated = 0;
    for (const auto& tc : doc()["tests"]) {
        const auto& steps = tc["steps"];
        for (std::size_t i = 0; i < steps.size(); ++i) {
            if (steps[i]["reply"] != "E5" || !steps[i].value("shows_effect", true)) continue;
            ++mutated;
            const auto failures = run(tc, nullptr, i);
            EXPECT_FALSE(failures.empty()) << label(tc) << "\n  passes although step " << i << " ("
                                           << steps[i]["send"].get<std::string>() << ") was acknowledged and ignored";
            if (std::getenv("METERCERT_TRANSCRIPT_TABLE") && !failures.empty())
                std::cout << "tcId " << tc["tcId"] << " ignoring step " << i << " -> " << failures.front() << "\n";
        }
    }
    EXPECT_GT(mutated, 40u);
}

// Every simulator fault (the list of faults.hpp) against every transcript. A fault that breaks the manual must
// fail a transcript without the ImplementationDefined flag; one that picks another reading the
// manual allows may fail only transcripts flagged with that reading's ERRATA entry (and, where a
// transcript is about that point, must fail it); faults of timing and power cycles are invisible
// to transcripts (the conformance cases catch them: conformance/cmi1020/faults.json).
TEST(Cmi1020Transcripts, EveryFaultFailsTheRightTranscripts) {
    enum class Kind { must, reading, invisible };
    struct Want {
        Kind kind;
        std::vector<std::string> entries;  // reading: the ERRATA entries whose flagged transcripts may fail
        bool caught = true;                // reading: at least one flagged transcript fails
    };
    const std::string c11 = "E-34";
    const std::map<std::string, Want> want{
        {"wrong_checksum", {Kind::must, {}}},
        {"ignored_fcb", {Kind::must, {}}},
        {"any_address", {Kind::must, {}}},
        {"accepts_bad_checksum", {Kind::must, {}}},
        {"literal_wildcard", {Kind::must, {}}},
        {"late_reply", {Kind::invisible, {}}},
        {"medium_zero", {Kind::reading, {"E-1"}}},
        {"wrong_manufacturer", {Kind::must, {}}},
        {"baud_ack_new_rate", {Kind::must, {}}},
        {"settings_lost", {Kind::invisible, {}}},
        {"wrong_vif_exponent", {Kind::must, {}}},
        {"table5_repeated", {Kind::must, {}}},
        {"wrong_error_flag", {Kind::must, {}}},
        {"energy_plus_one", {Kind::must, {}}},
        {"extra_record", {Kind::must, {}}},
        {"blank_text_record", {Kind::reading, {c11}}},
        {"medium_water", {Kind::must, {}}},
        {"early_reply", {Kind::invisible, {}}},
        {"padded_id_zero_filled", {Kind::reading, {"E-17"}}},
        {"padded_id_left_aligned", {Kind::must, {}}},
        {"readout_flag_stuck", {Kind::must, {}}},
        {"acks_refused_commands", {Kind::reading, {"E-20"}}},
        {"out_of_range_applied", {Kind::must, {}}},
        {"medium_mask_ignored", {Kind::must, {}}},
        {"medium_mask_literal", {Kind::reading, {"E-1", "E-20"}}},
        {"signon_mask_msb_first", {Kind::reading, {"E-20"}, false}},  // the transcripts use byte-symmetric masks
        {"signon_mask_ignored", {Kind::must, {}}},
        {"baud_switch_ignored", {Kind::must, {}}},
        {"only_300_2400", {Kind::reading, {"E-20"}, false}},  // the transcripts switch to 300 and 2400 only
        {"fd1a_unknown_11", {Kind::reading, {"E-35"}}},
        {"fd1a_unknown_as_on", {Kind::must, {}}},
        // the push button, power-on and the rate inputs: no transcript presses, cycles or switches them
        {"button_ignores_capacitor", {Kind::invisible, {}}},
        {"button_ignores_enable", {Kind::invisible, {}}},
        {"button_keeps_eeprom", {Kind::invisible, {}}},
        {"factory_reset_short_hold", {Kind::invisible, {}}},
        {"factory_reset_keeps_address", {Kind::invisible, {}}},
        {"first_readout_late", {Kind::invisible, {}}},
        {"no_power_on_pulse", {Kind::invisible, {}}},
        {"rate_not_set_at_power_on", {Kind::invisible, {}}},
        {"rate_inputs_always", {Kind::invisible, {}}},

        {"stale_readout", {Kind::invisible, {}}},  // the transcripts' meter never changes
    };
    for (const auto& [name, w] : want)
        EXPECT_NE(find_cmi1020_fault(name), nullptr) << "the table classifies " << name << ", which is no fault of faults.hpp";
    for (const Cmi1020FaultSpec& f : cmi1020_faults()) {
        const std::string_view name = f.spec.name;
        SCOPED_TRACE(std::string(name));
        const auto w = want.find(std::string(name));
        if (w == want.end()) {
            ADD_FAILURE() << "fault " << name << " is not classified here: add it to the table (must / reading / invisible)";
            continue;
        }
        std::vector<std::string> failed_must, failed_reading, failed_other;
        for (const auto& tc : doc()["tests"]) {
            const auto failures = run(tc, &f);
            if (failures.empty()) continue;
            const std::string line = label(tc) + "\n      " + failures.front();
            bool in_reading = false;
            for (const auto& e : w->second.entries) in_reading = in_reading || flagged(tc, e);
            if (!flagged(tc, "ImplementationDefined")) failed_must.push_back(line);
            else if (in_reading) failed_reading.push_back(line);
            else failed_other.push_back(line);
        }
        std::ostringstream all;
        for (const auto* v : {&failed_must, &failed_reading, &failed_other})
            for (const auto& l : *v) all << "\n    " << l;
        if (std::getenv("METERCERT_TRANSCRIPT_TABLE"))  // the fault → failed transcripts table, for people
            std::cout << name << ": " << failed_must.size() << " unflagged, " << failed_reading.size()
                      << " flagged with its reading, " << failed_other.size() << " other flagged" << all.str() << "\n";
        switch (w->second.kind) {
            case Kind::must:
                EXPECT_FALSE(failed_must.empty()) << "fault " << name << " fails no transcript without the ImplementationDefined flag" << all.str();
                break;
            case Kind::reading:
                EXPECT_TRUE(failed_must.empty() && failed_other.empty())
                    << "fault " << name << " picks a reading the manual allows, yet fails other transcripts:" << all.str();
                if (w->second.caught) {
                    EXPECT_FALSE(failed_reading.empty()) << "fault " << name << " fails no transcript about its reading";
                }
                break;
            case Kind::invisible:
                EXPECT_TRUE(all.str().empty()) << "fault " << name << " was meant to be invisible to transcripts:" << all.str();
                break;
        }
    }
}

// Flags: ImplementationDefined exactly when the transcript names an ERRATA entry; every entry named
// (flags and `errata` of the allowed-value lists) exists in vectors/ERRATA.md.
TEST(Cmi1020Transcripts, FlagsNameExistingErrataEntries) {
    std::set<std::string> entries;
    const std::string errata = file("ERRATA.md");
    const std::regex heading(R"(^## (E-\d+) )", std::regex::multiline);
    for (auto it = std::sregex_iterator(errata.begin(), errata.end(), heading); it != std::sregex_iterator(); ++it)
        entries.insert((*it)[1]);
    ASSERT_TRUE(entries.count("E-1") && entries.count("E-20")) << "vectors/ERRATA.md not found or not parsed";

    std::function<void(const json&, const std::string&)> walk = [&](const json& j, const std::string& where) {
        if (j.is_object()) {
            if (j.contains("errata")) {
                EXPECT_TRUE(entries.count(j["errata"].get<std::string>())) << where << ": " << j["errata"];
            }
            for (const auto& item : j.items()) walk(item.value(), where);
        } else if (j.is_array()) {
            for (const auto& v : j) walk(v, where);
        }
    };
    for (const auto& tc : doc()["tests"]) {
        bool named = false;
        for (const auto& f : tc["flags"]) {
            const auto s = f.get<std::string>();
            if (s == "ImplementationDefined") continue;
            named = true;
            EXPECT_TRUE(entries.count(s)) << label(tc) << ": flag " << s << " names no ERRATA entry";
        }
        EXPECT_EQ(flagged(tc, "ImplementationDefined"), named) << label(tc);
        walk(tc["steps"], label(tc));
    }
}
