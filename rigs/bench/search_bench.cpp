// Secondary address search on a simulated bus of 250 reference CMi1020 slaves at 2400 baud:
// telegrams, timeouts, collisions and bus time per search (counters), and the CPU per search.
// Populations: 250 consecutive serial numbers (13647123…13647372, a building's meters) and 250
// random ones (20 seeds; counters are the mean per search). Algorithms: the textbook MSD-first
// depth-first search (baseline) and the adaptive one (reference/master/search.hpp).
#include <benchmark/benchmark.h>

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

std::vector<std::uint32_t> population(int kind, std::uint32_t seed) {
    return kind == 0 ? rigs::consecutive_ids(13647123, 250) : rigs::random_ids(seed, 250);
}

void BM_SecondarySearch(benchmark::State& state) {
    const int kind = static_cast<int>(state.range(0));
    const auto algo = static_cast<master::SearchAlgorithm>(state.range(1));
    const std::string readout = e350();
    const std::uint32_t seeds = kind == 0 ? 1 : 20;
    std::vector<std::unique_ptr<devices::Cmi1020Bus>> buses;
    for (std::uint32_t seed = 1; seed <= seeds; ++seed)
        buses.push_back(std::make_unique<devices::Cmi1020Bus>(
            devices::BusOptions{.count = 1, .secondary = {}, .address = 0, .readout = readout, .secondaries = population(kind, seed)}));
    double telegrams = 0, timeouts = 0, collisions = 0, bus_ms = 0, found = 0, runs = 0;
    std::size_t next = 0;
    for (auto _ : state) {
        devices::Cmi1020Bus& bus = *buses[next++ % buses.size()];
        rigs::SimPort port(bus, 2400);
        port.idle(std::chrono::milliseconds(2500));
        master::Master m(port);
        const auto r = master::search_secondary(m, algo);
        benchmark::DoNotOptimize(r.found.data());
        telegrams += static_cast<double>(r.cost.telegrams);
        timeouts += static_cast<double>(r.cost.timeouts);
        collisions += static_cast<double>(r.cost.collisions);
        bus_ms += metercert::to_ms(r.cost.bus);
        found += static_cast<double>(r.found.size());
        runs += 1;
    }
    state.counters["telegrams"] = telegrams / runs;
    state.counters["timeouts"] = timeouts / runs;
    state.counters["collisions"] = collisions / runs;
    state.counters["bus_s_2400"] = bus_ms / runs / 1000;
    state.counters["found"] = found / runs;
    state.SetLabel(std::string(kind == 0 ? "consecutive" : "random(20 seeds)") + " " +
                   std::string(master::search_algorithm_name(algo)));
}

}  // namespace

BENCHMARK(BM_SecondarySearch)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond)->Iterations(20);

BENCHMARK_MAIN();
