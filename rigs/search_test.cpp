// Primary scan and secondary search against simulated buses of reference CMi1020 slaves. The
// expectations are the populations the tests configure (independent of the search), and the
// cost bars of issue 4: adaptive ≤ half the baseline's timeouts on consecutive serial numbers,
// no more telegrams than the baseline on random ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <set>

#include "metercert/devices/bus.hpp"
#include "metercert/master/search.hpp"
#include "metercert/rigs/populations.hpp"
#include "metercert/rigs/sim_port.hpp"

using namespace metercert;

namespace {

std::string e350() {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/obis/lgz-zmf100ac-m26.readout", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

struct SearchRun {
    master::SearchResult result;
    std::set<std::uint32_t> ids;
};

SearchRun search(const std::vector<std::uint32_t>& ids, master::SearchAlgorithm algo) {
    devices::Cmi1020Bus bus({.count = 1, .secondary = {}, .address = 0, .readout = e350(), .secondaries = ids});
    rigs::SimPort port(bus, 2400);
    port.idle(std::chrono::milliseconds(2500));  // past the slaves' first meter readout
    master::Master m(port);
    SearchRun r{master::search_secondary(m, algo), {}};
    for (const auto& f : r.result.found) r.ids.insert(f.address.id);
    return r;
}

}  // namespace

TEST(SecondarySearch, FindsEverySlaveOfASmallBus) {
    const auto ids = rigs::consecutive_ids(13647123, 10);
    for (auto algo : {master::SearchAlgorithm::baseline, master::SearchAlgorithm::adaptive}) {
        const SearchRun r = search(ids, algo);
        EXPECT_EQ(r.ids, std::set<std::uint32_t>(ids.begin(), ids.end())) << master::search_algorithm_name(algo);
        ASSERT_EQ(r.result.found.size(), 10u);
        // Each found slave is reported with the header of its own RSP_UD (Table 5: ELV, gen 1, medium 2).
        EXPECT_EQ(r.result.found[0].address.to_string(), "1364712315960102");
        EXPECT_TRUE(r.result.problems.empty());
    }
}

TEST(SecondarySearch, SingleSlaveAndEmptyBus) {
    const SearchRun one = search({0x00000042}, master::SearchAlgorithm::adaptive);
    EXPECT_EQ(one.ids, std::set<std::uint32_t>{0x00000042});
    // no slave: the ten probes of the first digit time out, and the search ends
    devices::Cmi1020Bus empty({.count = 0, .secondary = {}, .address = 0, .readout = e350()});
    rigs::SimPort port(empty, 2400);
    master::Master m(port);
    const auto r = master::search_secondary(m, master::SearchAlgorithm::adaptive);
    EXPECT_TRUE(r.found.empty());
    EXPECT_EQ(r.probes, 10u);
    EXPECT_EQ(r.cost.timeouts, 10u);
    EXPECT_TRUE(r.problems.empty());
}

TEST(SecondarySearch, BaselineCostOnConsecutiveNumbersIsTheTextbookCount) {
    // 13647123…13647372 MSD-first, digits 0–9: five shared digits cost 9 timeouts each (45);
    // the hundreds digit 7 (0, 4–9); tens under 1 and 3: 2 + 2; units: 120–122 and 373–379: 10.
    const SearchRun r = search(rigs::consecutive_ids(13647123, 250), master::SearchAlgorithm::baseline);
    EXPECT_EQ(r.ids.size(), 250u);
    EXPECT_EQ(r.result.cost.timeouts, 45u + 7u + 4u + 10u);
}

TEST(SecondarySearch, AdaptiveHalvesTheTimeoutsOnConsecutiveNumbers) {
    for (std::uint32_t first : {13647123u, 1u, 12345000u, 99999700u - 250u, 40000950u}) {
        const auto ids = rigs::consecutive_ids(first, 250);
        const SearchRun base = search(ids, master::SearchAlgorithm::baseline);
        const SearchRun fast = search(ids, master::SearchAlgorithm::adaptive);
        EXPECT_EQ(base.ids, std::set<std::uint32_t>(ids.begin(), ids.end()));
        EXPECT_EQ(fast.ids, base.ids);
        EXPECT_LE(2 * fast.result.cost.timeouts, base.result.cost.timeouts) << "first " << first;
        EXPECT_LE(fast.result.cost.telegrams, base.result.cost.telegrams) << "first " << first;
    }
}

TEST(SecondarySearch, AdaptiveNeedsNoMoreTelegramsOnRandomNumbers) {
    for (std::uint32_t seed = 1; seed <= 20; ++seed) {
        const auto ids = rigs::random_ids(seed, 250);
        const SearchRun base = search(ids, master::SearchAlgorithm::baseline);
        const SearchRun fast = search(ids, master::SearchAlgorithm::adaptive);
        EXPECT_EQ(base.ids, std::set<std::uint32_t>(ids.begin(), ids.end()));
        EXPECT_EQ(fast.ids, base.ids);
        EXPECT_LE(fast.result.cost.telegrams, base.result.cost.telegrams) << "seed " << seed;
    }
}

namespace {
// A pathological bus: every selection is ACKed; REQ_UD2 gets `reply` (silence or garbage).
class AckEverything : public master::BusPort {
public:
    explicit AckEverything(bool garbage) : garbage_(garbage) {}
    master::Exchange transact(std::span<const std::uint8_t> req, Duration timeout) override {
        now_ += timeout;
        if (req[0] == 0x68) return rigs::classify_reply({0xE5});
        return garbage_ ? rigs::classify_reply({0x68, 0x01, 0x02}) : master::Exchange{};
    }
    void send(std::span<const std::uint8_t>, Duration) override {}
    void idle(Duration d) override { now_ += d; }
    void set_baud(unsigned) override {}
    [[nodiscard]] unsigned baud() const override { return 2400; }
    [[nodiscard]] TimePoint now() const override { return now_; }

private:
    bool garbage_;
    TimePoint now_{};
};
}  // namespace

TEST(SecondarySearch, TerminatesOnABusThatAcksEveryMask) {
    AckEverything silent(false);  // ACKs, then never answers REQ_UD2: reported, not descended
    master::Master m1(silent);
    const auto r1 = master::search_secondary(m1, master::SearchAlgorithm::adaptive);
    EXPECT_TRUE(r1.found.empty());
    EXPECT_EQ(r1.problems.size(), 10u);  // one per digit of the first split
    EXPECT_EQ(r1.probes, 10u);
    AckEverything garbage(true);  // every probe "collides": the search stops at its probe bound
    master::Master m2(garbage);
    const auto r2 = master::search_secondary(m2, master::SearchAlgorithm::baseline);
    EXPECT_TRUE(r2.found.empty());
    EXPECT_EQ(r2.probes, 64000u);
    ASSERT_FALSE(r2.problems.empty());
    EXPECT_NE(r2.problems.back().find("search stopped after"), std::string::npos);
}
