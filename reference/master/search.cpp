#include "metercert/master/search.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include "metercert/mbus/telegram.hpp"

namespace metercert::master {

using mbus::SecondaryAddress;
using mbus::SecondaryMask;

std::string_view search_algorithm_name(SearchAlgorithm a) noexcept {
    return a == SearchAlgorithm::baseline ? "baseline" : "adaptive";
}

namespace {

MasterCounters diff(const MasterCounters& after, const MasterCounters& before) {
    return {after.telegrams - before.telegrams, after.timeouts - before.timeouts,
            after.collisions - before.collisions, after.retries - before.retries, after.bus - before.bus};
}

std::optional<FoundSlave> identify(const std::vector<std::uint8_t>& frame) {
    mbus::Telegram t;
    mbus::DecodeError err;
    if (!mbus::decode(frame, t, err) || t.header.kind != mbus::Header::Kind::long_header) return std::nullopt;
    FoundSlave s;
    s.address = {t.header.id, t.header.manufacturer, t.header.version, t.header.medium};
    s.primary = t.a;
    s.frame = frame;
    return s;
}

enum class ProbeKind : std::uint8_t { empty, single, collision };

class Search {
public:
    Search(Master& m, SearchAlgorithm a) : m_(m), algo_(a) {}

    void run(const SecondaryMask& start) {
        // The root is split without being probed (as the textbook search does).
        std::array<bool, 16> fixed{};
        for (unsigned p = 0; p < 16; ++p) fixed[p] = start.nibble(p) != 0xF;
        explore(start, fixed, false, false);
    }

    std::set<SecondaryAddress> seen;
    std::vector<FoundSlave> found;
    std::vector<std::string> problems;
    std::uint64_t probes = 0;
    bool aborted = false;
    // A 250-slave bus needs ~1,500 probes; 16 nibbles × 16 values × 250 slaves bounds any honest bus.
    static constexpr std::uint64_t kMaxProbes = 64000;

private:
    ProbeKind probe(const SecondaryMask& mask) {
        if (aborted) return ProbeKind::empty;
        if (probes == kMaxProbes) {
            problems.push_back(fmt::format("search stopped after {} probes (a bus that answers every mask?)", kMaxProbes));
            aborted = true;
            return ProbeKind::empty;
        }
        ++probes;
        const SelectResult r = m_.select(mask);
        if (r == SelectResult::none) return ProbeKind::empty;
        if (r == SelectResult::collision) return ProbeKind::collision;
        std::vector<std::uint8_t> frame;
        try {
            frame = m_.req_ud2(253);
        } catch (const MasterError& e) {
            if (e.name() == "timeout") {
                // One slave that takes its selection but never answers REQ_UD2 (several slaves
                // would collide, not stay silent): finer masks would all ACK again, so report it
                // and do not descend.
                problems.push_back(fmt::format("{}: a slave ACKed the selection but sent no RSP_UD to REQ_UD2", mask.to_string()));
                return ProbeKind::single;
            }
            return ProbeKind::collision;  // garbled: several slaves
        }
        auto s = identify(frame);
        // A reply that decodes but does not match the mask is an AND of several replies that
        // happened to pass the checksum: a collision, not a slave.
        if (!s || !mask.matches(s->address)) return ProbeKind::collision;
        if (seen.insert(s->address).second) found.push_back(std::move(*s));
        return ProbeKind::single;
    }

    // Next position to split: MSD-first, or suffix-first (ID digits 5, 6, 7, then 0..4), then hex.
    static int next_position(const std::array<bool, 16>& fixed, bool suffix_mode) {
        static constexpr std::array<int, 16> kMsd{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        static constexpr std::array<int, 16> kSuffix{5, 6, 7, 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15};
        for (int p : suffix_mode ? kSuffix : kMsd)
            if (!fixed[static_cast<unsigned>(p)]) return p;
        return -1;
    }

    // `mask` collided (or is the unprobed root): split it.
    void explore(const SecondaryMask& mask, std::array<bool, 16> fixed, bool known_multi, bool suffix_mode) {
        if (aborted) return;
        const int p = next_position(fixed, suffix_mode);
        if (p < 0) {
            problems.push_back(fmt::format("{}: slaves with identical secondary addresses collide", mask.to_string()));
            return;
        }
        const auto pos = static_cast<unsigned>(p);
        fixed[pos] = true;
        const unsigned values = pos < 8 ? 10 : 15;  // 0–9 in the ID; 0–E literally in hex positions
        std::vector<unsigned> collided;
        unsigned nonempty = 0, singles = 0;
        for (unsigned v = 0; v < values; ++v) {
            const SecondaryMask child = mask.with(pos, v);
            ProbeKind k;
            const bool last = v + 1 == values && pos < 8;
            if (algo_ == SearchAlgorithm::adaptive && known_multi && last && nonempty == 0) {
                k = ProbeKind::collision;  // the parent holds ≥ 2 slaves and no sibling holds any
            } else {
                k = probe(child);
            }
            if (k != ProbeKind::empty) ++nonempty;
            if (k == ProbeKind::single) ++singles;
            if (k == ProbeKind::collision) collided.push_back(v);
        }
        // Adaptive: one non-empty child that collides = every slave below shares this digit. In
        // the top two ID digits that is a site's common prefix (consecutive serial numbers);
        // deeper down, two random numbers share a digit one time in ten and prove nothing.
        const bool shared = algo_ == SearchAlgorithm::adaptive && pos < 2 && nonempty == 1 && singles == 0;
        for (unsigned v : collided) explore(mask.with(pos, v), fixed, true, suffix_mode || shared);
        if (pos >= 8 && nonempty == 0) {
            // Hex positions: nibble F is the wildcard itself, so when no literal 0–E answered, the
            // colliding slaves all have F here: leave the position open and split the next one.
            explore(mask, fixed, known_multi, suffix_mode);
        }
    }

    Master& m_;
    SearchAlgorithm algo_;
};

}  // namespace

SearchResult search_secondary(Master& master, SearchAlgorithm algorithm, const SecondaryMask& start) {
    const MasterCounters before = master.counters();
    Search s(master, algorithm);
    s.run(start);
    SearchResult r;
    r.found = std::move(s.found);
    std::sort(r.found.begin(), r.found.end(), [](const auto& a, const auto& b) { return a.address < b.address; });
    r.problems = std::move(s.problems);
    r.probes = s.probes;
    r.cost = diff(master.counters(), before);
    return r;
}

PrimaryScanResult scan_primary(Master& master, std::uint8_t first, std::uint8_t last) {
    const MasterCounters before = master.counters();
    PrimaryScanResult r;
    for (unsigned a = first; a <= last && a <= 250; ++a) {
        const auto addr = static_cast<std::uint8_t>(a);
        bool acked = false;
        try {
            acked = master.snd_nke(addr);
        } catch (const MasterError& e) {
            r.problems.push_back(fmt::format("address {}: {} (two slaves on one address?)", a, e.what()));
            continue;
        }
        if (!acked) continue;
        try {
            auto s = identify(master.req_ud2(addr));
            if (!s) {
                r.problems.push_back(fmt::format("address {}: RSP_UD without a long header", a));
                continue;
            }
            r.found.push_back(std::move(*s));
        } catch (const MasterError& e) {
            r.problems.push_back(fmt::format("address {}: ACKed SND_NKE, then REQ_UD2 failed: {}", a, e.what()));
        }
    }
    r.cost = diff(master.counters(), before);
    return r;
}

}  // namespace metercert::master
