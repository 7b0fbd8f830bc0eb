// DTLS-PSK sessions against one server (issue 15, "100 simulated modules at once"): per iteration,
// 100 clients (rigs/coap Client, each its own libcoap context and DTLS 1.2 PSK session with its own
// identity) open their sessions and each does one confirmable GET at the same time against one
// Server on loopback that runs on its own thread; counters: sessions/s (handshake + request +
// response), requests lost (must be 0), the process's RSS after the last iteration and its growth
// from the 5th iteration to the last (memory flat: the server drops the sessions its clients close).
#include <benchmark/benchmark.h>

#include <poll.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/coap/coap.hpp"

using namespace metercert;
using namespace metercert::rigs::coap;
using namespace std::chrono_literals;

namespace {

double rss_mib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

void BM_DtlsPskSessions(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    Server::Options o{"127.0.0.1", std::nullopt, 0, {}};
    for (int i = 0; i < n; ++i) o.psks[fmt::format("urn:imei:35000000000{:04}", i)] = Bytes(16, static_cast<std::uint8_t>(i + 1));
    Server server(o);
    std::atomic<int> served{0};
    server.on_request([&](const Request&, Session&) {
        ++served;
        return Response{kContent, kTextPlain, {'o', 'k'}};
    });
    std::atomic<bool> stop{false};
    std::thread t([&] { server.run_until([&] { return stop.load(); }, 3600s); });
    double lost = 0, seconds = 0, first_rss = -1, last_rss = 0;
    std::int64_t sessions = 0;
    int iteration = 0;
    for (auto _ : state) {
        const auto t0 = rigs::monotonic_now();
        std::vector<std::unique_ptr<Client>> clients;
        int done = 0, ok = 0;
        for (int i = 0; i < n; ++i) {
            clients.push_back(std::make_unique<Client>(fmt::format("coaps://127.0.0.1:{}", server.dtls_port()),
                                                       Psk{fmt::format("urn:imei:35000000000{:04}", i), Bytes(16, static_cast<std::uint8_t>(i + 1))}));
            clients.back()->session().send({Method::get, "/3/0/0"}, [&](const Reply& r) {
                ++done;
                ok += r.status == Reply::Status::ok;
            });
        }
        const auto deadline = rigs::monotonic_now() + std::chrono::duration_cast<Duration>(30s);
        std::vector<pollfd> fds;
        for (auto& c : clients) fds.push_back({c->fd(), POLLIN, 0});
        for (auto& c : clients) c->process_ready();  // the first flight (ClientHello) and timers
        while (done < n && rigs::monotonic_now() < deadline) {
            if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
            for (std::size_t i = 0; i < fds.size(); ++i)
                if (fds[i].revents) clients[i]->process_ready();
        }
        seconds += std::chrono::duration<double>(rigs::monotonic_now() - t0).count();
        sessions += n;
        lost += n - ok;
        clients.clear();
        last_rss = rss_mib();
        if (++iteration == 5) first_rss = last_rss;  // after the allocators' warm-up
    }
    stop = true;
    t.join();
    state.counters["sessions_per_s"] = static_cast<double>(sessions) / seconds;
    state.counters["lost"] = lost;
    state.counters["rss_MiB"] = last_rss;
    state.counters["rss_growth_MiB_from_5th"] = last_rss - first_rss;
    state.counters["served"] = served.load();
}
BENCHMARK(BM_DtlsPskSessions)->Arg(100)->Iterations(60)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
