// `metercert simulate cme3000`: the CMe3000 transparent gateway (reference/devices/cme3000.hpp
// decides accepts, disconnects and counts; the host moves the bytes: rigs/sim_host.hpp) in front of
// a serial M-Bus or a simulated bus of CMi1020 slaves.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "metercert/devices/bus.hpp"
#include "metercert/devices/cme3000.hpp"
#include "metercert/devices/cme3000_faults.hpp"
#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/fd_port.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "metercert/rigs/sim_host.hpp"
#include "registry.hpp"
#include "serve.hpp"
#include "state_file.hpp"

namespace metercert::cli {

namespace {

struct Cme3000Options {
    std::string listen;
    std::string serial;
    std::string bus_url;
    unsigned baud = 2400;
    unsigned keep_alive_s = 45;
    double disconnect_timeout_s = 10;  // Table 3; whole seconds, 0 = never
    double time_scale = 1.0;           // gateway-model seconds per real second (the Table 3 timer)
    std::string stats_file;
    std::string pcap;
    std::string fault = "none";  // devices/cme3000_faults.hpp
};

int run(const Cme3000Options& o) {
    if (o.listen.empty()) usage_error("simulate cme3000 needs --listen tcp://HOST:PORT");
    if (o.serial.empty() == o.bus_url.empty()) usage_error("give exactly one of --serial DEV and --bus sim:cmi1020?...");
    if (!(o.disconnect_timeout_s >= 0) || o.disconnect_timeout_s != std::floor(o.disconnect_timeout_s) ||
        o.disconnect_timeout_s > 86400.0 * 365)
        usage_error("--disconnect-timeout: whole seconds, 0 (never) or more (the CMe3000's setting, Table 3)");
    if (!(o.time_scale >= 1.0 && o.time_scale <= 1000.0)) usage_error("--time-scale must be 1..1000");
    devices::Cme3000Settings gs;
    gs.keep_alive_s = o.keep_alive_s;
    gs.disconnect_timeout_s = static_cast<unsigned>(o.disconnect_timeout_s);
    gs.baud = o.baud;
    const devices::Cme3000FaultSpec* fault = devices::find_cme3000_fault(o.fault);  // nullptr: the reference
    if (!fault && o.fault != "none")
        usage_error(fmt::format("--fault {}: unknown ({})", o.fault, devices::fault_choices(devices::cme3000_fault_specs())));
    if (fault) fault->settings(gs);  // after the command line's settings: the fault wins
    devices::Cme3000 gw(gs);

    rigs::SimHost host;
    std::unique_ptr<rigs::DutLink> sim_link;
    devices::Cmi1020Bus* bus = nullptr;  // --bus: the simulated slaves, driven frame by frame (sim.cmi1020)
    int serial_fd = -1;
    capture_or_usage_error(host, o.pcap);
    // The gateway model's clock: the host's clock × --time-scale, so Table 3's 10 s disconnect
    // timeout passes in 10/scale real seconds (the default run); the slaves, the M-Bus line timing
    // and TCP keep-alive stay on real time.
    auto gw_time = [&] {
        return TimePoint{std::chrono::duration_cast<Duration>(host.time().time_since_epoch() * o.time_scale)};
    };
    or_usage_error([&] {
        if (!o.bus_url.empty()) {
            const auto caps = rigs::check_link(o.bus_url).capabilities;
            if (std::find(caps.begin(), caps.end(), rigs::cap::sim_cmi1020) == caps.end())
                usage_error(fmt::format("--bus '{}': expected a simulated bus (sim:cmi1020?...)", o.bus_url));
            sim_link = rigs::open_link(o.bus_url);
            bus = &sim_link->require_sim_cmi1020("--bus").bus();
        } else {
            serial_fd = rigs::open_serial(o.serial, o.baud);
        }
    });
    std::optional<StateFile> stats;
    if (!o.stats_file.empty()) {
        stats.emplace(o.stats_file);
        try {
            stats->save_if_changed(gw.statistics().to_json() + "\n");  // writable: checked now, not later
        } catch (const std::exception& e) {
            usage_error(fmt::format("--stats {}: {}", o.stats_file, e.what()));
        }
    }
    host.stop_on_signals();

    // directions relative to the simulated gateway (the device under test of whoever uses it)
    auto tap = [&](rigs::Direction d, std::span<const std::uint8_t> b, std::uint8_t flags) {
        host.tap(d, 0, b, flags, serial_fd >= 0 ? o.baud : 0u);
    };
    // --bus: frames the client's bytes for the simulated slaves; a frame cut short over TCP
    // (serve.hpp) is dropped by them (its bytes already tapped)
    FramedInput input(host, [&] { return partial_frame_silence_ms(o.baud, true); });
    rigs::TcpListener* client = nullptr;
    auto relay_to_client = [&](std::span<const std::uint8_t> b) {
        if (client->connected()) client->send(b);  // a failed write closes the client
    };
    client = &listen_or_usage_error(
        host, o.listen,
        {.admit = [&](bool) { return gw.on_connect(gw_time()) == devices::Cme3000::AcceptDecision::accept; },  // Dropped Accepts (Figure 6)
         .on_open =
             [&](int fd) {
                 const int one = 1, idle = static_cast<int>(std::max(1u, gs.keep_alive_s));
                 setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
                 setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
             },
         .on_bytes =
             [&](std::span<const std::uint8_t> in) {
                 gw.on_network_bytes(in.size(), gw_time());
                 tap(rigs::Direction::to_dut, in, 0);
                 if (serial_fd >= 0) {
                     if (::write(serial_fd, in.data(), in.size()) < 0) {
                         std::cerr << "metercert simulate: serial line lost: " << std::strerror(errno) << "\n";
                         host.stop();
                     }
                     return;
                 }
                 for (auto& ev : input.feed(in)) {
                     if (ev.kind != mbus::StreamEvent::Kind::frame) continue;
                     auto reply = bus->on_frame(ev.bytes, host.time());
                     if (!reply) continue;
                     gw.on_serial_bytes(reply->size(), gw_time());
                     gw.on_parity_error(bus->last_line_errors());
                     tap(rigs::Direction::from_dut, *reply, bus->last_line_errors() ? rigs::kTapParityError : 0);
                     relay_to_client(*reply);
                 }
             },
         .on_close =
             [&] {
                 gw.on_disconnect(gw_time());
                 input.drop_partial();
             }});
    rigs::ParmrkDecoder parmrk;
    std::vector<std::uint8_t> data;
    if (serial_fd >= 0)
        host.watch(serial_fd, [&] {
            std::uint8_t buf[4096];
            const ssize_t got = ::read(serial_fd, buf, sizeof buf);
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
            if (got <= 0) {
                std::cerr << "metercert simulate: serial line lost\n";
                host.stop();
                return;
            }
            data.clear();
            const auto before_breaks = parmrk.breaks;
            const auto before_errors = parmrk.parity_errors;
            const bool flagged = parmrk.feed({buf, static_cast<std::size_t>(got)}, data);
            for (auto k = before_breaks; k < parmrk.breaks; ++k) gw.on_break_received();
            gw.on_parity_error(parmrk.parity_errors - before_errors);
            gw.on_serial_bytes(data.size(), gw_time());
            tap(rigs::Direction::from_dut, data, flagged ? rigs::kTapParityError : 0);
            relay_to_client(data);
        });
    if (bus) host.every(200, [&] { bus->advance_to(host.time()); });  // the meters' own readouts between frames
    // Table 3 disconnect timeout: the model says when; the timer wakes the loop then
    rigs::Timer& disconnect = host.timer([&] {
        if (client->connected() && gw.should_disconnect(gw_time())) client->close_client();
    });
    host.after_each_wake([&] {
        const auto deadline = gw.next_deadline();  // the Table 3 disconnect timeout on the one clock
        if (!deadline) disconnect.disarm();
        else disconnect.arm_in(static_cast<std::uint64_t>(
                 std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>((*deadline - gw_time()) / o.time_scale).count())) + 1);
        if (stats) stats->save_if_changed(gw.statistics().to_json() + "\n");
    });

    const std::string fronts = serial_fd >= 0 ? "serial " + o.serial : sim_link->description();
    std::cerr << fmt::format("metercert simulate: CMe3000 transparent gateway on {} → {}\n", client->url(), fronts)
              << std::flush;
    nlohmann::json in_front_of = serial_fd >= 0 ? nlohmann::json{{"kind", "serial"}, {"path", o.serial}, {"baud", o.baud}}
                                                : nlohmann::json{{"kind", "bus"}, {"url", o.bus_url}, {"description", fronts}};
    host.announce_ready("cme3000", {{"model", "CMe3000"},
                                    {"fronts", in_front_of},
                                    {"keepalive_s", gs.keep_alive_s},
                                    {"disconnect_timeout_s", gs.disconnect_timeout_s},
                                    {"time_scale", o.time_scale},
                                    {"fault", o.fault}});
    const int code = host.run();

    client->close_client();
    if (stats) stats->save_if_changed(gw.statistics().to_json() + "\n");
    if (serial_fd >= 0) {
        host.unwatch(serial_fd);
        ::close(serial_fd);
    }
    std::cerr << "metercert simulate: stopped; statistics " << gw.statistics().to_json() << "\n";
    return code;
}

const bool registered = register_simulated_device({
    "cme3000",
    "The CMe3000 transparent TCP/M-Bus gateway (one client, keep-alive, disconnect\n"
    "timeout, statistics) in front of --serial DEV or --bus sim:...",
    [](CLI::App& c) -> std::function<int()> {
        auto o = std::make_shared<Cme3000Options>();
        c.add_option("--listen", o->listen, kListenHelp)->required();
        c.add_option("--serial", o->serial, "relay to this serial M-Bus (8E1 at --baud)");
        c.add_option("--bus", o->bus_url, "relay to a simulated bus, e.g. sim:cmi1020?count=3");
        c.add_option("--baud", o->baud, "M-Bus serial local baud rate (Table 3)")->capture_default_str();
        c.add_option("--keepalive", o->keep_alive_s, "TCP keep-alive idle time, s (Table 3)")->capture_default_str();
        c.add_option("--disconnect-timeout", o->disconnect_timeout_s,
                     "close a connection idle this long, whole s (Table 3; 0 = never)")
            ->capture_default_str();
        c.add_option("--time-scale", o->time_scale,
                     "gateway seconds per real second for the disconnect timeout (1..1000; the M-Bus line, the slaves "
                     "and TCP keep-alive stay real time)")
            ->capture_default_str();
        c.add_option("--fault", o->fault,
                     "behave with this deliberate deviation (" + devices::fault_choices(devices::cme3000_fault_specs()) +
                         "; metercert faults cme3000)")
            ->capture_default_str();
        c.add_option("--stats", o->stats_file, "keep the statistics of Figures 6 and 9 in this JSON file");
        c.add_option("--pcap", o->pcap, kPcapHelp);
        return [o] { return run(*o); };
    },
});

}  // namespace

}  // namespace metercert::cli
