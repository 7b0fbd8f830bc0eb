// Decode throughput of real-sized RSP_UD frames (Google Benchmark; run by ci/bench).
//
// Corpus: 64 long frames (CI 0x72, 12-byte header) of 12–20 records each, mixing the record
// shapes of the CMi1020 Tables 5/6 (energy with DIFE tariffs and 3B/3C VIFEs, FB 82 reactive
// energy, FD voltage/current with subunits, CMi1020 plain-text units, LVAR text) and of heat and
// water meters (BCD volumes, type F/G dates, temperatures, flows). Counters: frames/s,
// records/s, and heap allocations per frame in the steady state (operator new is counted).
#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include <benchmark/benchmark.h>

#include "metercert/mbus/encode.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/telegram.hpp"

namespace {
std::atomic<std::size_t> g_allocs{0};
}

// Counting allocator for the whole program (malloc/free underneath).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace metercert::mbus;

namespace {

struct Corpus {
    std::vector<std::vector<std::uint8_t>> frames;
    std::size_t records = 0;
};

const Corpus& corpus() {
    static const Corpus c = [] {
        Corpus out;
        std::mt19937 rng(42);
        auto r = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
        const std::vector<std::pair<RecordSpec, int>> shapes{
            {{0x04, {}, {0x83, 0x3B}}, 0},          {{0x84, {0x10}, {0x83, 0x3B}}, 0},
            {{0x84, {0x20}, {0x83, 0x3C}}, 0},      {{0x84, {0x80, 0x10}, {0x83, 0x3B}}, 0},
            {{0x04, {}, {0xFB, 0x82, 0xF3, 0x3B}}, 0}, {{0x83, {0x40}, {0xFD, 0x49}}, 1},
            {{0x83, {0x80, 0x40}, {0xFD, 0x5A}}, 1}, {{0x03, {}, {0x2B}}, 1},
            {{0x02, {}, {0xFC, 0x06, 0x69, 0x68, 0x50, 0x73, 0x6F, 0x43, 0x74}}, 2},
            {{0x02, {}, {0x7C, 0x02, 0x43, 0x53}}, 2}, {{0x02, {}, {0xFD, 0x17}}, 2},
            {{0x0C, {}, {0x13}}, 3},                {{0x0C, {}, {0x06}}, 3},
            {{0x04, {}, {0x6D}}, 4},                {{0x02, {}, {0x5A}}, 2},
            {{0x02, {}, {0x5E}}, 2},                {{0x02, {}, {0x3B}}, 2},
            {{0x0D, {}, {0xFD, 0x0E}}, 5},          {{0x44, {}, {0x13}}, 0},
            {{0x42, {}, {0x6C}}, 6},
        };
        for (int f = 0; f < 64; ++f) {
            TelegramBuilder b(kRspUd, static_cast<std::uint8_t>(1 + f), 0x72);
            Header h;
            h.kind = Header::Kind::long_header;
            h.id = 0x13647123;
            h.manufacturer = 0x1596;
            h.version = 1;
            h.medium = 2;
            b.header(h);
            const unsigned n = 12 + r(9);
            for (unsigned i = 0; i < n; ++i) {
                const auto& [spec, kind] = shapes[r(static_cast<unsigned>(shapes.size()))];
                Value v;
                switch (kind) {
                    case 0: v = Value::integer(r(100000000)); break;
                    case 1: v = Value::integer(r(100000)); break;
                    case 2: v = Value::integer(r(30000)); break;
                    case 3: v = Value::bcd(r(99999999)); break;
                    case 4: v = Value::datetime(DateTime::make('F', 2020 + r(6), 1 + r(12), 1 + r(28), r(24), r(60))); break;
                    case 5: v = Value::text("M26"); break;
                    default: v = Value::datetime(DateTime::make('G', 2020 + r(6), 1 + r(12), 1 + r(28))); break;
                }
                b.record(spec, v);
                ++out.records;
            }
            b.special(0x0F);
            out.frames.push_back(b.frame());
        }
        return out;
    }();
    return c;
}

void report(benchmark::State& state, std::size_t frames, std::size_t records, std::size_t allocs) {
    state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
    state.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
    state.counters["allocs/frame"] = static_cast<double>(allocs) / static_cast<double>(frames);
    state.counters["records/frame"] = static_cast<double>(records) / static_cast<double>(frames);
}

void BM_DecodeTyped(benchmark::State& state) {
    const Corpus& c = corpus();
    Telegram t;
    DecodeError err;
    std::size_t i = 0, frames = 0, records = 0;
    for (const auto& f : c.frames) decode(f, t, err);  // warm the buffers
    const std::size_t a0 = g_allocs.load();
    for (auto _ : state) {
        const auto& f = c.frames[i++ % c.frames.size()];
        if (!decode(f, t, err)) state.SkipWithError("decode failed");
        benchmark::DoNotOptimize(t.records.data());
        ++frames;
        records += t.records.size();
    }
    report(state, frames, records, g_allocs.load() - a0);
}
BENCHMARK(BM_DecodeTyped);

void BM_DecodeToJson(benchmark::State& state) {
    const Corpus& c = corpus();
    Telegram t;
    DecodeError err;
    std::string out;
    out.reserve(16384);
    std::size_t i = 0, frames = 0, records = 0, bytes = 0;
    for (const auto& f : c.frames) decode(f, t, err);
    const std::size_t a0 = g_allocs.load();
    for (auto _ : state) {
        const auto& f = c.frames[i++ % c.frames.size()];
        if (!decode(f, t, err)) state.SkipWithError("decode failed");
        out.clear();
        to_json(t, out);
        benchmark::DoNotOptimize(out.data());
        ++frames;
        records += t.records.size();
        bytes += out.size();
    }
    report(state, frames, records, g_allocs.load() - a0);
    state.counters["json_bytes/frame"] = static_cast<double>(bytes) / static_cast<double>(frames);
}
BENCHMARK(BM_DecodeToJson);

}  // namespace

BENCHMARK_MAIN();
