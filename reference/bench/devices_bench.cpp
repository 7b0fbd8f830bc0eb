// CMi1020 simulator costs (Google Benchmark; run by ci/bench): CPU per REQ_UD2 answered for a
// multi-telegram readout (no wire timing), and the memory of a 250-slave bus.
#include <fstream>
#include <iterator>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include "metercert/devices/bus.hpp"
#include "metercert/mbus/link.hpp"

using namespace metercert::devices;

namespace {

std::string file(const std::string& rel) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

double rss_mib() {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Every Table 6 row (vectors/obis/table6-all-rows.readout): the readout that needs several
// telegrams. The benchmark walks the FCB sequence (toggling) and reports telegrams per cycle.
void BM_Cmi1020_ReqUd2(benchmark::State& state) {
    E350 meter(file(state.range(0) ? "obis/table6-all-rows.readout" : "obis/lgz-zmf100ac-m26.readout"));
    Cmi1020 slave(Cmi1020Config{}, meter);
    slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(2000)});
    const auto req_a = metercert::mbus::build_short(0x7B, 0), req_b = metercert::mbus::build_short(0x5B, 0);
    bool toggle = false;
    std::size_t replies = 0, bytes = 0;
    for (auto _ : state) {
        auto r = slave.on_frame(toggle ? req_b : req_a);
        toggle = !toggle;
        benchmark::DoNotOptimize(r);
        ++replies;
        bytes += r ? r->size() : 0;
    }
    state.counters["telegrams"] = static_cast<double>(slave.telegrams().size());
    state.counters["reply_bytes"] = static_cast<double>(bytes) / static_cast<double>(replies);
    state.SetLabel(state.range(0) ? "all Table 6 rows" : "real E350");
}
BENCHMARK(BM_Cmi1020_ReqUd2)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_Bus250_Memory(benchmark::State& state) {
    const std::string readout = file("obis/lgz-zmf100ac-m26.readout");
    double delta = 0;
    for (auto _ : state) {
        const double before = rss_mib();
        BusOptions o;
        o.count = 250;
        o.readout = readout;
        auto bus = std::make_unique<Cmi1020Bus>(o);
        bus->advance_to(metercert::TimePoint{std::chrono::milliseconds(2000)});  // every slave has read its meter and built its records
        delta = rss_mib() - before;
        benchmark::DoNotOptimize(bus);
    }
    state.counters["rss_MiB_for_250_slaves"] = delta;
}
BENCHMARK(BM_Bus250_Memory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
