// Wireless M-Bus throughput (Google Benchmark; run by ci/bench): telegrams/s for the whole path a
// receiver takes — CRC check (format A), decryption (mode 5: AES-CBC; mode 7: CMAC key
// derivation, MAC check, AES-CBC), records, canonical JSON. Corpus: 64 telegrams per mode, built
// by the encoder, 8 BCD/integer/date records in 3 encrypted blocks each, random keys per meter.
#include <random>

#include <benchmark/benchmark.h>

#include "metercert/wmbus/encode.hpp"
#include "metercert/wmbus/json.hpp"
#include "metercert/wmbus/telegram.hpp"

using namespace metercert::wmbus;

namespace {

struct Corpus {
    std::vector<std::vector<std::uint8_t>> frames;
    KeyLookup keys;
};

Corpus make(unsigned mode) {
    Corpus c;
    std::mt19937 rng(mode);
    Key key;
    for (auto& b : key.bytes) b = static_cast<std::uint8_t>(rng());
    c.keys = single_key(key);
    for (int i = 0; i < 64; ++i) {
        FrameSpec s;
        s.link = {0, 0x44, 0x1593, static_cast<std::uint32_t>(0x12345600 + i), 1, 0x07};
        s.tpl.ci = 0x7A;
        s.tpl.header.access_number = static_cast<std::uint8_t>(rng());
        s.tpl.header.signature = config_field(mode, 3);
        if (mode == 7) {
            s.ell.ci = 0x8C;
            s.ell.cc = 0x20;
            s.afl = {.present = true, .fcl = 0x2C00, .mcl = 0x25, .mcr = static_cast<std::uint32_t>(rng())};
            s.tpl.config_ext = 0x10;
        }
        s.apl = {0x2F, 0x2F, 0x0C, 0x13, 0x27, 0x04, 0x85, 0x02, 0x04, 0x6D, 0x32, 0x37, 0x1F, 0x15, 0x02, 0xFD, 0x17, 0x00,
                 0x00, 0x4C, 0x13, 0x11, 0x22, 0x33, 0x00, 0x42, 0x6C, 0xFE, 0x04, 0x02, 0x5A, 0x10, 0x02, 0x02, 0x5E,
                 0x20, 0x01, 0x0B, 0x3B, 0x45, 0x23, 0x01, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F};
        c.frames.push_back(encode(s, &c.keys));
    }
    return c;
}

void decode_to_json(benchmark::State& state, unsigned mode) {
    const Corpus c = make(mode);
    Telegram t;
    DecodeError err;
    std::string out;
    std::size_t i = 0;
    for (auto _ : state) {
        if (!decode(c.frames[i++ % c.frames.size()], t, err, {.crc = CrcFormat::a, .keys = &c.keys})) state.SkipWithError("decode failed");
        out.clear();
        to_json(t, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["telegrams/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_CAPTURE(decode_to_json, mode5, 5u);
BENCHMARK_CAPTURE(decode_to_json, mode7, 7u);
BENCHMARK_MAIN();
