// 100 simulated CMi6110 modules at once against the suite's servers (issue 15, "Security and load"):
// per round, N reference clients (rigs/lwm2m/client.cpp, metercert::rigs::lwm2m::Client, each on
// its own thread, its own libcoap context, DTLS 1.2 PSK session with its own identity and key, and
// its own MQTT-SN UDP socket) register with the suite's DM server (rigs/lwm2m/server.cpp) and
// publish their uplinks QoS 1 to the suite's MQTT-SN gateway at the same time, then de-register.
// The servers run in this process for every round; the N clients of a round run in a child process
// (this program re-executed with --child), so this process's RSS is the server side's alone and a
// round's client memory is returned when the child exits. Threads in one child rather than N
// processes: client.cpp is reused as it is, 2 cores do not start 100 processes per round, and one
// process holds the N sessions as one lab machine would. (Endpoints on many threads found a race
// in rigs/coap: coap_test ObservablesFromManyThreadsAtOnce.)
//
// Figures (stdout): per round the registrations and their rate (N / time from the child's start
// to the N-th registration the server recorded: process start + N DTLS handshakes + Register),
// uplinks sent (queued by the clients' MQTT-SN), acknowledged (PUBACK received: "delivered"),
// failed, and received (distinct PUBLISHes in the gateway's records, by client id and MsgId), the
// gateway's findings, the server side's RSS (after malloc_trim: this program's copies of the
// records freed), heap in use (mallinfo2) and open descriptors; at the end the totals and the
// growth from round 5 to the last, with the records the servers keep (kept / seen of each kind,
// the kept ones' size estimated), so that growth can be told from a leak. The servers keep only
// the last --record-limit records of each kind (Servers::Options::record_limit; 0: every one, as
// the conformance cases need), so a round's records replace the previous ones; the per-round
// registrations, de-registrations and PUBLISHes received come from their exact counters()
// (ServerCounters), the acknowledgements from the clients' PUBACKs. The taps close a relay socket after 10 s of quiet (Servers::Options::tap_peer_idle), else
// each round's 200 client ports would each keep one open.
//
// Secrets: the PSKs go from this process to the child on its standard input and from there only
// to libcoap; --out DIR holds the captures (dm.pcap, mqttsn.pcap: DTLS records are encrypted), the
// clients' event logs (clients-<round>.log) and figures.txt, none with a key (ctest
// lwm2m_bench_no_psk_in_outputs greps them).
//
// The clients run on a scaled clock (time scale 3600: an uplink a second, transmit interval 60 min,
// readout 15 min, offset 0, delay ≤ 1 min) with the MQTT-SN timeout scaled to 2 s real (below);
// each client stops after its K-th PUBACK. No Bootstrap-Server (registration straight with the DM
// server, as `simulate cmi6110 --server` does).
//
// --mqttsn-dtls: the uplinks go inside DTLS 1.2 PSK to the gateway (Servers::Options::mqttsn_dtls,
// rigs/dtls on both sides; CMi6110 Table 2 33905/x/2 = 0 PSK mode, ERRATA E-134, E-147): each client
// starts with 33905/0/2 = 0 and its transport key set (ClientOptions::gateway_key), under its DM PSK
// identity, and the gateway knows every module's identity with the same key as the DM server (one
// key per identity, Servers::Options::psks). Figures add the gateway's DTLS handshakes from its exact
// counters (established, failed, timed out, clear datagrams dropped, cookies sent) and the sessions
// the clients saw established; anything but one established handshake per module and round, or any
// failure, counts as lost.
//
// Usage: lwm2m_bench [--modules N=100] [--rounds R=10] [--uplinks K=3] [--record-limit L=100] [--out DIR] [--psk-file FILE]
//                    [--mqttsn-dtls]
//   --record-limit: records of each kind the servers keep in memory (0: all); --psk-file: lines "IDENTITY HEXKEY", one per module (else random keys); exit 1 when anything
//   was lost (a registration or de-registration, an uplink not acknowledged or not received by the
//   gateway as a PUBLISH with DUP 0) or a client failed.
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/lwm2m/client.hpp"
#include "metercert/rigs/lwm2m/server.hpp"

extern char** environ;

using namespace metercert;
using namespace std::chrono_literals;
namespace lw = metercert::rigs::lwm2m;

namespace {

struct Key {
    std::string identity;
    rigs::coap::Bytes key;
};

std::string hex(const rigs::coap::Bytes& b) {
    std::string s;
    for (auto x : b) s += fmt::format("{:02x}", x);
    return s;
}

bool unhex(const std::string& s, rigs::coap::Bytes& out) {
    if (s.size() % 2 || s.empty()) return false;
    out.clear();
    for (std::size_t i = 0; i < s.size(); i += 2) {
        unsigned v = 0;
        if (std::sscanf(s.c_str() + i, "%2x", &v) != 1) return false;
        out.push_back(static_cast<std::uint8_t>(v));
    }
    return true;
}

std::vector<Key> read_keys(std::istream& in) {
    std::vector<Key> keys;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        Key k;
        std::string h;
        if (!(ls >> k.identity >> h)) continue;
        if (!unhex(h, k.key)) throw std::runtime_error(fmt::format("key of '{}': not hex", k.identity));
        keys.push_back(std::move(k));
    }
    return keys;
}

double rss_mib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

// glibc: bytes in use, in the arenas and in mmapped chunks (large vectors such as the records')
double heap_mib() {
    const auto m = mallinfo2();
    return static_cast<double>(m.uordblks + m.hblkhd) / 1048576.0;
}

// The heap the servers' records hold (every datagram of the taps, exchange, registration, and
// gateway record: kept by design for the cases), estimated from their sizes: glibc malloc chunks
// (8-byte header, 16-byte multiples) of every string beyond the small-string buffer and every
// vector, plus each record's own size in its container. Capacity slack of the containers that hold
// the records is not counted (it grows in steps).
std::size_t chunk(std::size_t n) { return n == 0 ? 0 : (n + 8 + 15) / 16 * 16; }
std::size_t str(const std::string& x) { return x.capacity() > 15 ? chunk(x.capacity() + 1) : 0; }
template <class T>
std::size_t vec(const std::vector<T>& v) {
    return chunk(v.capacity() * sizeof(T));
}

double records_mib(const lw::Servers& s) {
    std::size_t n = 0;
    for (const auto& [name, d] : s.datagrams()) n += sizeof d + vec(d.bytes) + str(d.peer.host);
    for (const auto& e : s.exchanges()) {
        n += sizeof e + str(e.server) + str(e.endpoint) + str(e.direction) + str(e.operation) + str(e.method) + str(e.path) + vec(e.query) +
             vec(e.request_payload) + str(e.status) + vec(e.payload) + str(e.peer) + str(e.psk_identity);
        for (const auto& q : e.query) n += str(q);
    }
    for (const auto& g : s.registrations()) {
        n += sizeof g + str(g.id) + str(g.endpoint) + str(g.links) + vec(g.objects) + vec(g.updates_at_us) + str(g.peer) + str(g.psk_identity) +
             str(g.query.endpoint) + vec(g.query.other);
        for (const auto& o : g.objects) n += str(o);
    }
    for (const auto& u : s.uplinks())  // twice: the gateway's own record and the servers' copy with its time
        n += 2 * (sizeof u + str(u.uplink.peer) + str(u.uplink.error) + str(u.uplink.client_id) + str(u.uplink.topic) + vec(u.uplink.data) +
                  str(u.uplink.summary));
    return static_cast<double>(n) / 1048576.0;
}

int open_fds() {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (const dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
    }
    return n - 1;  // the directory's own
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& dflt) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name) return argv[i + 1];
    return dflt;
}
bool flag(int argc, char** argv, const std::string& name) {
    for (int i = 1; i < argc; ++i)
        if (argv[i] == name) return true;
    return false;
}

std::string endpoint_of(int round, int k) { return fmt::format("bench-r{}-m{:03}", round, k); }

// ------------------------------------------------------------ the child: N clients on threads
int child(int argc, char** argv) {
    const int n = std::stoi(arg(argc, argv, "--modules", "100"));
    const int round = std::stoi(arg(argc, argv, "--round", "1"));
    const int want = std::stoi(arg(argc, argv, "--uplinks", "3"));
    const std::string dm = arg(argc, argv, "--dm", ""), gw = arg(argc, argv, "--gateway", ""), log_path = arg(argc, argv, "--log", "");
    const bool mqttsn_dtls = flag(argc, argv, "--mqttsn-dtls");
    const auto keys = read_keys(std::cin);
    if (static_cast<int>(keys.size()) < n) {
        std::cerr << "lwm2m_bench --child: fewer keys than modules\n";
        return 2;
    }
    std::ofstream log;
    if (!log_path.empty()) log.open(log_path);
    std::mutex log_mu;
    struct Count {
        int registered = 0, queued = 0, delivered = 0, failed = 0, errors = 0, dtls_established = 0, dtls_failed = 0;
    };
    std::vector<Count> counts(static_cast<std::size_t>(n));
    std::vector<std::atomic<bool>> stops(static_cast<std::size_t>(n));
    std::vector<std::thread> threads;
    for (int k = 0; k < n; ++k) {
        threads.emplace_back([&, k] {
            auto& c = counts[static_cast<std::size_t>(k)];
            auto& stop = stops[static_cast<std::size_t>(k)];
            lw::ClientOptions o;
            o.server = dm;
            o.endpoint = endpoint_of(round, k);
            o.psk = rigs::coap::Psk{keys[static_cast<std::size_t>(k)].identity, keys[static_cast<std::size_t>(k)].key};
            o.time_scale = 3600;               // 1 real second = 1 model hour
            o.run_time = 60s;                  // a bound: each client stops after its uplinks (below)
            o.gateway = gw;
            o.topic = "cmi6110/" + o.endpoint;
            o.uplinks.schedule.readout_interval = std::chrono::minutes(15);
            o.uplinks.schedule.transmit_interval = std::chrono::minutes(60);  // an uplink per real second
            o.uplinks.schedule.transmit_offset = std::chrono::minutes(0);
            o.uplinks.schedule.transmit_delay = std::chrono::minutes(1);
            o.seed = static_cast<std::uint64_t>(k + 1);
            if (mqttsn_dtls) o.gateway_key = keys[static_cast<std::size_t>(k)].key;  // the gateway's key for this identity
            auto sink = [&](const std::string& e) {
                if (e.rfind("registered ", 0) == 0) ++c.registered;
                else if (e.rfind("uplink ", 0) == 0 && e.find(" queued") != std::string::npos) ++c.queued;
                else if (e.rfind("uplink ", 0) == 0 && e.ends_with(" delivered")) {
                    if (++c.delivered >= want) stop = true;  // after the PUBACK; nothing new queued in that tick
                } else if (e.rfind("uplink ", 0) == 0 && e.find(" failed") != std::string::npos) ++c.failed;
                else if (e.rfind("gateway DTLS session established", 0) == 0) ++c.dtls_established;
                else if (e.rfind("gateway DTLS: ", 0) == 0) ++c.dtls_failed;
                if (log.is_open()) {
                    std::lock_guard l(log_mu);
                    log << o.endpoint << ": " << e << '\n';
                }
            };
            try {
                lw::Client client(o, sink);
                // 33906/0/24 MQTT-SN Communication Timeout (§7.5 Table 12), as a DM server writes it: 2 h of
                // model time = 2 s real. The default 92 s would be 26 ms real at time scale 3600, less
                // than a CONNACK takes while 100 DTLS handshakes share 2 cores.
                namespace cm = metercert::devices::cmi6110;
                if (client.model().write(cm::Path{33906, 0, 24, std::nullopt}, cm::Value{std::int64_t{7200}}, cm::Origin::dm) !=
                    cm::Outcome::changed)
                    throw std::runtime_error("33906/0/24 refused");
                client.run(stop);
            } catch (const std::exception& ex) {
                ++c.errors;
                std::lock_guard l(log_mu);
                std::cerr << o.endpoint << ": " << ex.what() << '\n';
                if (log.is_open()) log << o.endpoint << ": error: " << ex.what() << '\n';
            }
        });
    }
    for (auto& t : threads) t.join();
    Count total;
    for (const auto& c : counts) {
        total.registered += c.registered;
        total.queued += c.queued;
        total.delivered += c.delivered;
        total.failed += c.failed;
        total.errors += c.errors;
        total.dtls_established += c.dtls_established;
        total.dtls_failed += c.dtls_failed;
    }
    std::cout << fmt::format("registered={} queued={} delivered={} failed={} errors={} dtls_established={} dtls_failed={}\n", total.registered,
                             total.queued, total.delivered, total.failed, total.errors, total.dtls_established, total.dtls_failed);
    return 0;
}

// ------------------------------------------------------------ the parent: the servers
struct ChildResult {
    int registered = 0, queued = 0, delivered = 0, failed = 0, errors = 0, dtls_established = 0, dtls_failed = 0, status = -1;
};

ChildResult run_child(const std::vector<std::string>& args, const std::vector<Key>& keys, int n) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<char*> av;
    for (const auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, av.data(), environ) != 0) throw std::runtime_error("posix_spawn");
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    std::string text;
    for (int k = 0; k < n; ++k) text += keys[static_cast<std::size_t>(k)].identity + " " + hex(keys[static_cast<std::size_t>(k)].key) + "\n";
    for (std::size_t off = 0; off < text.size();) {
        const auto w = ::write(in[1], text.data() + off, text.size() - off);
        if (w <= 0) break;
        off += static_cast<std::size_t>(w);
    }
    std::fill(text.begin(), text.end(), '\0');
    ::close(in[1]);
    std::string got;
    char buf[512];
    for (;;) {
        const auto r = ::read(out[0], buf, sizeof buf);
        if (r <= 0) break;
        got.append(buf, static_cast<std::size_t>(r));
    }
    ::close(out[0]);
    ChildResult c;
    int st = 0;
    ::waitpid(pid, &st, 0);
    c.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    std::sscanf(got.c_str(), "registered=%d queued=%d delivered=%d failed=%d errors=%d dtls_established=%d dtls_failed=%d", &c.registered,
                &c.queued, &c.delivered, &c.failed, &c.errors, &c.dtls_established, &c.dtls_failed);
    return c;
}

int parent(int argc, char** argv) {
    const int n = std::stoi(arg(argc, argv, "--modules", "100"));
    const int rounds = std::stoi(arg(argc, argv, "--rounds", "10"));
    const int want = std::stoi(arg(argc, argv, "--uplinks", "3"));
    const long record_limit = std::stol(arg(argc, argv, "--record-limit", "100"));
    const std::string out = arg(argc, argv, "--out", ""), psk_file = arg(argc, argv, "--psk-file", "");
    const bool mqttsn_dtls = flag(argc, argv, "--mqttsn-dtls");
    if (record_limit < 0) {
        std::cerr << "lwm2m_bench: --record-limit must be >= 0 (0: keep every record)\n";
        return 2;
    }
    if (n < 1 || rounds < 1 || want < 1) {
        std::cerr << "lwm2m_bench: --modules, --rounds and --uplinks must be >= 1\n";
        return 2;
    }
    std::vector<Key> keys;
    if (!psk_file.empty()) {
        std::ifstream f(psk_file);
        if (!f) {
            std::cerr << "lwm2m_bench: cannot read " << psk_file << '\n';
            return 2;
        }
        keys = read_keys(f);
        if (static_cast<int>(keys.size()) < n) {
            std::cerr << fmt::format("lwm2m_bench: {} holds {} keys, {} modules\n", psk_file, keys.size(), n);
            return 2;
        }
    } else {
        std::random_device rd;
        for (int k = 0; k < n; ++k) {
            Key key{fmt::format("urn:imei:35000000000{:04}", k), rigs::coap::Bytes(16)};
            for (auto& b : key.key) b = static_cast<std::uint8_t>(rd());
            keys.push_back(std::move(key));
        }
    }
    lw::Servers::Options so;
    so.bootstrap = false;
    so.dm = true;
    so.mqttsn = true;
    so.dtls = true;
    so.mqttsn_dtls = mqttsn_dtls;  // the gateway behind rigs/dtls, the same identities and keys (psks)
    for (int k = 0; k < n; ++k) so.psks[keys[static_cast<std::size_t>(k)].identity] = keys[static_cast<std::size_t>(k)].key;
    so.pcap_dir = out;
    so.lifetime = std::chrono::hours(2);
    // a round's 200 client sockets (DTLS, MQTT-SN) are gone with its child: the taps close their
    // relay sockets after 10 s of quiet (a round takes ~3 s; a client is never quiet that long)
    so.tap_peer_idle = 10s;
    // the servers keep the last `record_limit` records of each kind (0: all, as the cases use them);
    // nothing-lost is checked from their exact counters and the clients' PUBACKs
    so.record_limit = static_cast<std::size_t>(record_limit);
    lw::Servers servers(so);
    std::ofstream figures;
    if (!out.empty()) figures.open(out + "/figures.txt");
    auto say = [&](const std::string& s) {
        std::cout << s << std::endl;
        if (figures.is_open()) figures << s << '\n';
    };
    say(fmt::format("lwm2m_bench: {} CMi6110 reference clients (threads of one child process) per round, {} rounds, {} uplinks each;"
                    " DM server DTLS-PSK coaps://127.0.0.1:{}, MQTT-SN gateway 127.0.0.1:{} ({}; servers in this process)",
                    n, rounds, want, servers.dm_port(), servers.mqttsn_port(), mqttsn_dtls ? "DTLS 1.2 PSK" : "plain UDP"));
    say(fmt::format("{:>5} {:>5} {:>8} {:>6} {:>6} {:>6} {:>6} {:>8} {:>5} {:>8} {:>8} {:>5}{}", "round", "reg", "reg/s", "sent", "acked", "failed",
                    "recvd", "findings", "errs", "rss_MiB", "heap_MiB", "fds", mqttsn_dtls ? fmt::format(" {:>6} {:>7} {:>6}", "gw_hs", "hs_fail", "cl_hs") : ""));
    long long tot_reg = 0, tot_sent = 0, tot_acked = 0, tot_recvd = 0, tot_failed = 0, tot_errors = 0, tot_client_hs = 0;
    double reg_seconds = 0, rss5 = -1, rss_last = 0, heap5 = -1, heap_last = 0;
    lw::ServerCounters before = servers.counters();
    bool bad = false;
    for (int r = 1; r <= rounds; ++r) {
        const auto t0 = rigs::monotonic_now();
        std::vector<std::string> args{argv[0], "--child", "--modules", std::to_string(n), "--round", std::to_string(r), "--uplinks",
                                      std::to_string(want), "--dm", fmt::format("coaps://127.0.0.1:{}", servers.dm_port()), "--gateway",
                                      fmt::format("127.0.0.1:{}", servers.mqttsn_port())};
        if (!out.empty()) args.insert(args.end(), {"--log", fmt::format("{}/clients-{}.log", out, r)});
        if (mqttsn_dtls) args.emplace_back("--mqttsn-dtls");
        const auto c = run_child(args, keys, n);
        std::this_thread::sleep_for(200ms);  // the gateway's last datagrams are recorded
        // this round, from the servers' exact counters (the kept records may be capped: --record-limit):
        // registrations the DM server answered 2.01, the time of the last one, and the PUBLISHes
        // (DUP 0: first sends) the gateway received
        const lw::ServerCounters now = servers.counters();
        const auto regs = static_cast<int>(now.registers - before.registers);
        const auto deregs = static_cast<int>(now.deregisters - before.deregisters);
        const auto received = static_cast<long long>(now.publishes - before.publishes);
        // the gateway's DTLS handshakes this round (exact counters; 0 on plain UDP)
        const auto hs = static_cast<long long>(now.mqttsn_dtls_established - before.mqttsn_dtls_established);
        const auto hs_fail = static_cast<long long>(now.mqttsn_dtls_failed - before.mqttsn_dtls_failed + now.mqttsn_dtls_timeouts -
                                                    before.mqttsn_dtls_timeouts + now.mqttsn_dtls_not_dtls - before.mqttsn_dtls_not_dtls);
        const double secs =
            static_cast<double>(now.last_register_at_us - std::chrono::duration_cast<std::chrono::microseconds>(t0.time_since_epoch()).count()) / 1e6;
        before = now;
        const auto findings = servers.findings().size();
        ::malloc_trim(0);  // free pages back first: this program's own copies of the records (registrations(), uplinks())
        const double rss = rss_mib();
        if (r == std::min(5, rounds)) rss5 = rss;
        rss_last = rss;
        const double heap = heap_mib();
        if (r == std::min(5, rounds)) heap5 = heap;
        heap_last = heap;
        say(fmt::format("{:>5} {:>5} {:>8.1f} {:>6} {:>6} {:>6} {:>6} {:>8} {:>5} {:>8.1f} {:>8.1f} {:>5}{}", r, regs, regs / secs, c.queued,
                        c.delivered, c.failed, received, findings, c.errors, rss, heap, open_fds(),
                        mqttsn_dtls ? fmt::format(" {:>6} {:>7} {:>6}", hs, hs_fail, c.dtls_established) : ""));
        tot_reg += regs;
        reg_seconds += secs;
        tot_sent += c.queued;
        tot_acked += c.delivered;
        tot_recvd += received;
        tot_failed += c.failed;
        tot_errors += c.errors;
        tot_client_hs += c.dtls_established;
        if (mqttsn_dtls && (hs != n || hs_fail != 0 || c.dtls_established != n || c.dtls_failed != 0)) bad = true;
        if (c.status != 0 || regs != n || deregs != n || c.registered != n || c.errors || c.failed || c.delivered != c.queued ||
            received != c.queued || c.queued < n * want)
            bad = true;
    }
    auto per_round = [&](double mib) { return rounds > 5 ? mib * 1024.0 / (rounds - 5) : 0.0; };
    // measured after the last RSS (it copies every kept record)
    const double kept_mib = records_mib(servers);
    std::size_t dgrams = 0, dgram_bytes = 0;
    for (const auto& [name, d] : servers.datagrams()) {
        ++dgrams;
        dgram_bytes += d.bytes.size();
    }
    const lw::ServerCounters tot = servers.counters();
    say(fmt::format("total: {} registrations in {:.1f} s of rounds ({:.1f} registrations/s); uplinks sent {} acknowledged {} received {} "
                    "failed {} (lost {}); client errors {}",
                    tot_reg, reg_seconds, static_cast<double>(tot_reg) / reg_seconds, tot_sent, tot_acked, tot_recvd, tot_failed,
                    tot_sent - tot_recvd, tot_errors));
    if (mqttsn_dtls)
        say(fmt::format("gateway DTLS 1.2 PSK handshakes: established {} (clients saw {}), failed {}, timed out {}, clear datagrams dropped {}, "
                        "cookies sent {} (RFC 6347 §4.2.1)",
                        tot.mqttsn_dtls_established, tot_client_hs, tot.mqttsn_dtls_failed, tot.mqttsn_dtls_timeouts, tot.mqttsn_dtls_not_dtls,
                        tot.mqttsn_dtls_cookies));
    say(fmt::format("server RSS: round {} {:.1f} MiB, round {} {:.1f} MiB, growth {:.2f} MiB ({:.1f} KiB/round; heap in use {:.1f} KiB/round)",
                    std::min(5, rounds), rss5, rounds, rss_last, rss_last - rss5, per_round(rss_last - rss5), per_round(heap_last - heap5)));
    say(fmt::format("records (--record-limit {}{}): kept/seen datagrams {}/{} ({:.2f} MiB of bytes kept), exchanges {}/{}, registrations "
                    "{}/{}, gateway records {}/{}; the kept ones ≈ {:.2f} MiB by their sizes",
                    record_limit, record_limit ? "" : ": every record kept", dgrams,
                    tot.datagrams_bootstrap + tot.datagrams_dm + tot.datagrams_mqttsn, static_cast<double>(dgram_bytes) / 1048576.0,
                    servers.exchanges().size(), tot.exchanges, servers.registrations().size(), tot.registers, servers.uplinks().size(),
                    tot.uplinks, kept_mib));
    say(bad ? "RESULT: LOST OR FAILED (see the rows above)" : "RESULT: nothing lost");
    servers.stop();
    return bad ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return flag(argc, argv, "--child") ? child(argc, argv) : parent(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "lwm2m_bench: " << e.what() << '\n';
        return 2;
    }
}
