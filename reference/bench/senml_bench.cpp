// CMi6110 SenML/CBOR/M-Bus payloads (Google Benchmark; run by ci/bench beside Python's cbor2 on the
// same payloads): encode and decode per readout, for packs of 1, 12 and 96 readouts (the manual's
// §7.4.2.3 layout: the first readout with the 33 bytes of its example, the others one energy DIB).
// Decoding includes every check of senml_payload.hpp (preferred serialization, the manual's rules,
// the M-Bus records of each data value).
#include <benchmark/benchmark.h>

#include "metercert/devices/cmi6110/senml_payload.hpp"

using namespace metercert::devices::cmi6110;

namespace {

SenmlPayload pack(int readouts) {
    SenmlPayload p;
    p.meter_id = "12345678";
    p.version_record = true;  // as the manual's example and the cbor2 side
    p.readouts.push_back({1574971200, {0x04, 0x06, 0x4E, 0x61, 0xBC, 0x00, 0x04, 0x15, 0x07, 0x87, 0x00, 0x00, 0x02, 0x2B, 0x94,
                                       0x13, 0x02, 0x3B, 0xD4, 0x00, 0x02, 0x5A, 0x23, 0x03, 0x02, 0x5E, 0x1A, 0x02, 0x02, 0xFD,
                                       0x17, 0x12, 0x40}});
    for (int i = 1; i < readouts; ++i)
        p.readouts.push_back({1574971200 - 3600 * i, {0x04, 0x06, static_cast<std::uint8_t>(i), 0x4F, 0xBC, 0x00}});
    return p;
}

void BM_EncodeSenml(benchmark::State& st) {
    const SenmlPayload p = pack(static_cast<int>(st.range(0)));
    std::size_t bytes = 0;
    for (auto _ : st) {
        auto b = encode_senml(p);
        bytes = b.size();
        benchmark::DoNotOptimize(b);
    }
    st.counters["readouts/s"] = benchmark::Counter(static_cast<double>(st.iterations() * st.range(0)), benchmark::Counter::kIsRate);
    st.counters["payload_bytes"] = static_cast<double>(bytes);
}

void BM_DecodeSenml(benchmark::State& st) {
    const auto b = encode_senml(pack(static_cast<int>(st.range(0))));
    SenmlPayload out;
    SenmlError err;
    for (auto _ : st) {
        if (!decode_senml(b, out, err)) st.SkipWithError(err.message().c_str());
        benchmark::DoNotOptimize(out);
    }
    st.counters["readouts/s"] = benchmark::Counter(static_cast<double>(st.iterations() * st.range(0)), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_EncodeSenml)->Arg(1)->Arg(12)->Arg(96);
BENCHMARK(BM_DecodeSenml)->Arg(1)->Arg(12)->Arg(96);
BENCHMARK_MAIN();
