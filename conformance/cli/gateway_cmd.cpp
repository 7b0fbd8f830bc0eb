// `metercert simulate cme3000|cme3100`: the gateways' reference models behind real sockets and
// serial lines (reference/devices/cme3000.hpp, reference/devices/cme3100/gateway.hpp).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "metercert/devices/cme3000.hpp"
#include "metercert/devices/cme3100/gateway.hpp"
#include "metercert/devices/cme3100/csv.hpp"
#include "metercert/devices/cme3100/faults.hpp"
#include "metercert/devices/cme3100/key_file.hpp"
#include "metercert/devices/cme3100/meter_list.hpp"
#include "metercert/devices/cme3100/schedule.hpp"
#include "metercert/mbus/frame_reader.hpp"
#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/fd_port.hpp"
#include "metercert/rigs/pcap.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "serve.hpp"
#include "state_file.hpp"

namespace metercert::cli {

// `simulate cme3000`: the CMe3000 transparent gateway (reference/devices/cme3000.hpp decides
// accepts, disconnects and counts; this loop moves the bytes) in front of a serial M-Bus or a
// simulated bus of CMi1020 slaves.
int run_cme3000(const SimOptions& o) {
    if (o.listen.empty()) usage_error("simulate cme3000 needs --listen tcp://HOST:PORT");
    if (o.serial.empty() == o.bus_url.empty()) usage_error("give exactly one of --serial DEV and --bus sim:cmi1020?...");
    if (!(o.disconnect_timeout_s >= 0) || o.disconnect_timeout_s != std::floor(o.disconnect_timeout_s) ||
        o.disconnect_timeout_s > 86400.0 * 365)
        usage_error("--disconnect-timeout: whole seconds, 0 (never) or more (the CMe3000's setting, Table 3)");
    devices::Cme3000Settings gs;
    gs.keep_alive_s = o.keep_alive_s;
    gs.disconnect_timeout_s = static_cast<unsigned>(o.disconnect_timeout_s);
    gs.baud = o.baud;
    devices::Cme3000 gw(gs);

    std::unique_ptr<rigs::PcapWriter> pcap;
    std::unique_ptr<rigs::DutLink> sim_link;
    devices::Cmi1020Bus* bus = nullptr;  // --bus: the simulated slaves, driven frame by frame (sim.cmi1020)
    int serial_fd = -1;
    or_usage_error([&] {
        if (!o.pcap.empty()) pcap = std::make_unique<rigs::PcapWriter>(o.pcap);
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
    // every record passes the redaction stage before the file sees it (DESIGN "Secrets")
    rigs::RedactingTap redact(pcap.get());

    install_stop_signals();
    std::string where;
    const int listen_fd = open_listener(o.listen, where);
    std::cerr << fmt::format("metercert simulate: CMe3000 transparent gateway on {} → {}\n", where,
                             serial_fd >= 0 ? "serial " + o.serial : sim_link->description())
              << std::flush;

    const rigs::PowerOnClock clock;  // the gateway's and the slaves' power-on is now (the one clock)
    auto now_ms = [&] {
        return static_cast<std::uint64_t>(std::chrono::floor<std::chrono::milliseconds>(clock.now().time_since_epoch()).count());
    };
    // directions relative to the simulated gateway (the device under test of whoever uses it)
    auto tap = [&](rigs::Direction d, std::span<const std::uint8_t> b, std::uint8_t flags) {
        if (pcap && !b.empty())
            redact.record({rigs::LinkKind::mbus, d, 0, flags, serial_fd >= 0 ? o.baud : 0u, rigs::wall_clock_us(), {b.begin(), b.end()}});
    };
    int client = -1;
    mbus::FrameReader reader;  // --bus: frames the client's bytes for the simulated slaves
    std::uint64_t last_byte = 0;
    auto drop_partial = [&] { (void)reader.finish(); };  // the slaves' receivers give up (bytes already tapped)
    auto close_client = [&] {
        ::close(client);
        client = -1;
        gw.on_disconnect(clock.now());
        drop_partial();
    };
    rigs::ParmrkDecoder parmrk;
    std::vector<std::uint8_t> buf(4096), data;
    while (!g_stop) {
        pollfd p[3];
        nfds_t n = 0;
        if (client >= 0) p[n++] = {client, POLLIN, 0};  // first: a client's close frees the slot before an accept
        p[n++] = {listen_fd, POLLIN, 0};
        if (serial_fd >= 0) p[n++] = {serial_fd, POLLIN, 0};
        const auto deadline = gw.next_deadline();  // Table 3 disconnect timeout
        const std::int64_t until =
            deadline ? std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(*deadline - clock.now()).count()) : -1;
        std::int64_t wait = until < 0 ? 200 : std::min<std::int64_t>(until + 1, 200);
        if (reader.buffered() > 0)
            wait = std::min<std::int64_t>(
                wait, std::max<std::int64_t>(0, static_cast<std::int64_t>(last_byte) +
                                               static_cast<std::int64_t>(partial_frame_silence_ms(o.baud, true)) -
                                               static_cast<std::int64_t>(now_ms())) + 1);
        const int rc = poll(p, n, static_cast<int>(wait));
        if (bus) bus->advance_to(clock.now());
        if (rc > 0) {
            for (nfds_t i = 0; i < n; ++i) {
                if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                if (p[i].fd == listen_fd) {
                    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
                    if (fd < 0) continue;
                    if (gw.on_connect(clock.now()) == devices::Cme3000::AcceptDecision::drop) {
                        ::close(fd);  // one client at a time: Dropped Accepts (Figure 6)
                        continue;
                    }
                    client = fd;
                    const int one = 1, idle = static_cast<int>(std::max(1u, gs.keep_alive_s));
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
                    setsockopt(client, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
                    reader.reset();
                } else if (p[i].fd == client) {
                    const ssize_t got = ::read(client, buf.data(), buf.size());
                    if (got <= 0) {
                        if (got < 0 && errno == EINTR) continue;
                        close_client();
                        continue;
                    }
                    const std::span<const std::uint8_t> in{buf.data(), static_cast<std::size_t>(got)};
                    last_byte = now_ms();
                    gw.on_network_bytes(in.size(), clock.now());
                    tap(rigs::Direction::to_dut, in, 0);
                    if (serial_fd >= 0) {
                        if (::write(serial_fd, in.data(), in.size()) < 0) {
                            std::cerr << "metercert simulate: serial line lost: " << std::strerror(errno) << "\n";
                            g_stop = true;
                        }
                        continue;
                    }
                    for (auto& ev : reader.feed(in)) {
                        if (ev.kind != mbus::StreamEvent::Kind::frame) continue;
                        auto reply = bus->on_frame(ev.bytes, clock.now());
                        if (!reply) continue;
                        gw.on_serial_bytes(reply->size(), clock.now());
                        gw.on_parity_error(bus->last_line_errors());
                        tap(rigs::Direction::from_dut, *reply, bus->last_line_errors() ? rigs::kTapParityError : 0);
                        if (client >= 0 && !write_all(client, *reply)) close_client();
                    }
                } else if (p[i].fd == serial_fd) {
                    const ssize_t got = ::read(serial_fd, buf.data(), buf.size());
                    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                    if (got <= 0) {
                        std::cerr << "metercert simulate: serial line lost\n";
                        g_stop = true;
                        break;
                    }
                    data.clear();
                    const auto before_breaks = parmrk.breaks;
                    const auto before_errors = parmrk.parity_errors;
                    const bool flagged = parmrk.feed({buf.data(), static_cast<std::size_t>(got)}, data);
                    for (auto k = before_breaks; k < parmrk.breaks; ++k) gw.on_break_received();
                    gw.on_parity_error(parmrk.parity_errors - before_errors);
                    gw.on_serial_bytes(data.size(), clock.now());
                    tap(rigs::Direction::from_dut, data, flagged ? rigs::kTapParityError : 0);
                    if (client >= 0 && !write_all(client, data)) close_client();
                }
            }
        }
        if (reader.buffered() > 0 && static_cast<double>(now_ms() - last_byte) >= partial_frame_silence_ms(o.baud, true))
            drop_partial();  // a frame cut short over TCP (serve.hpp): the simulated slaves drop it
        if (client >= 0 && gw.should_disconnect(clock.now())) close_client();  // Table 3 disconnect timeout
        if (stats) stats->save_if_changed(gw.statistics().to_json() + "\n");
    }
    if (client >= 0) close_client();
    if (stats) stats->save_if_changed(gw.statistics().to_json() + "\n");
    if (serial_fd >= 0) ::close(serial_fd);
    std::cerr << "metercert simulate: stopped; statistics " << gw.statistics().to_json() << "\n";
    return 0;
}

// `simulate cme3100`: installs meters, reads them on the cron schedule through the master (the
// first readout at start), stores everything in the SQLite database, writes the commission
// report, and serves the database as Virtual M-Bus on --listen (one master at a time).
int run_cme3100(const SimOptions& o) {
    if (o.listen.empty()) usage_error("simulate cme3100 needs --listen tcp://HOST:PORT (the Virtual M-Bus port)");
    if (o.serial.empty() == o.bus_url.empty()) usage_error("give exactly one of --serial DEV and --bus sim:cmi1020?...");
    if (o.meter_list.empty() == !o.search) usage_error("give exactly one of --meter-list FILE and --search");
    const devices::cme3100::GatewayFaultSpec* fault = devices::cme3100::find_fault(o.fault);  // nullptr: the reference
    if (!fault && o.fault != "none")
        usage_error(fmt::format("--fault {}: unknown ({})", o.fault, devices::fault_choices(devices::cme3100::fault_specs())));
    std::optional<devices::cme3100::CronSchedule> schedule;
    try {
        schedule = devices::cme3100::CronSchedule::parse(o.schedule);
    } catch (const devices::cme3100::CronError& e) {
        usage_error(fmt::format("--schedule: {} ({})", e.what(), e.name()));
    }
    // the files are read and checked before anything starts: a broken one is exit 2, named
    const std::string meter_list_csv = o.meter_list.empty() ? "" : read_input_file(o.meter_list, "--meter-list");
    const std::string keys_csv = o.keys.empty() ? "" : read_input_file(o.keys, "--keys");
    if (!o.meter_list.empty()) {
        try {
            (void)devices::cme3100::parse_csv(meter_list_csv);  // CSV itself, before the database or a line is opened
        } catch (const devices::cme3100::CsvError& e) {
            usage_error(fmt::format("--meter-list {}: {}", o.meter_list, e.what()));
        }
    }
    std::optional<devices::cme3100::KeyFileImport> keys;
    if (!o.keys.empty()) {
        try {
            keys = devices::cme3100::import_key_file(keys_csv);
        } catch (const devices::cme3100::CsvError& e) {
            usage_error(fmt::format("--keys {}: {}", o.keys, e.what()));
        }
    }
    std::unique_ptr<rigs::PcapWriter> pcap;
    // channel 0 of the capture: the gateway's own meter bus, recorded relative to the simulated
    // gateway (the device under test of whoever uses it): what it sends its meters is from_dut
    rigs::FromDeviceSideTap meter_side;
    std::unique_ptr<rigs::DutLink> meters;
    master::BusPort* meter_port = nullptr;
    or_usage_error([&] {
        if (!o.pcap.empty()) pcap = std::make_unique<rigs::PcapWriter>(o.pcap);
        meter_side.set_next(pcap.get());
        const std::string url = !o.bus_url.empty() ? o.bus_url : fmt::format("serial://{}?baud={}", o.serial, o.baud);
        meters = rigs::open_link(url, {.tap = pcap ? &meter_side : nullptr});
        meter_port = &meters->require_mbus_request("--bus");
    });
    master::MasterSettings ms;
    ms.multi_telegram_limit = o.read_limit;
    ms.readout_retries = o.readout_retries;
    ms.selection_retries = o.selection_retries;
    if (fault && fault->hooks.master_settings) fault->hooks.master_settings(ms);  // the fault's master settings hook
    master::Master m(*meter_port, ms);
    std::optional<devices::cme3100::Gateway> gw;
    try {
        gw.emplace(o.db, devices::cme3100::GatewayConfig{o.licence, std::chrono::seconds(o.expiration_s)});
    } catch (const devices::cme3100::DatabaseError& e) {
        usage_error(e.what());
    }
    if (!o.meter_list.empty()) {
        devices::cme3100::MeterListImport imp;
        try {
            imp = gw->install_meter_list(meter_list_csv);
        } catch (const devices::cme3100::CsvError& e) {
            usage_error(fmt::format("--meter-list {}: {}", o.meter_list, e.what()));
        }
        for (const auto& e : imp.errors) std::cerr << "metercert simulate: meter list " << e.message() << "\n";
        std::cerr << fmt::format("metercert simulate: {} meter(s) installed from {}\n", imp.meters.size(), o.meter_list);
    } else {
        const auto found = master::search_secondary(m, master::SearchAlgorithm::adaptive);
        std::cerr << fmt::format("metercert simulate: search found {} meter(s), {} installed\n", found.found.size(),
                                 gw->install_found(found.found, o.baud));
    }
    if (keys) {
        for (const auto& e : keys->errors) std::cerr << "metercert simulate: key file " << e.message() << "\n";
        std::cerr << fmt::format("metercert simulate: {} encryption key(s) imported\n", keys->keys.size());
    }
    install_stop_signals();
    auto readout = [&](std::chrono::sys_seconds now) {
        std::size_t ok = 0;
        const auto res = gw->read_all(m, now);
        for (const auto& r : res) ok += r.ok;
        std::cerr << fmt::format("metercert simulate: readout: {}/{} meter(s) read, status {}\n", ok, res.size(),
                                 devices::cme3100::status_name(gw->status()));
        if (!o.commission_report.empty()) {
            StateFile report(o.commission_report);
            try {
                report.save_if_changed(gw->commission_report());
            } catch (const std::exception& e) {
                usage_error(fmt::format("--commission-report {}: {}", o.commission_report, e.what()));
            }
        }
    };
    const rigs::PowerOnClock clock;  // the one clock and its one mapping to UTC (metercert/time.hpp)
    auto now = [&] { return clock.utc_seconds(); };
    readout(now());
    devices::cme3100::ReadoutSchedule readouts(*schedule, clock.utc(), clock.now());  // §6.39 on the one clock
    std::string where;
    const int listen_fd = open_listener(o.listen, where);
    std::cerr << fmt::format("metercert simulate: CMe3100 Virtual M-Bus on {}; next readout {}\n", where,
                             readouts.next_deadline() ? schedule->resolved() : "never")
              << std::flush;
    // the Virtual M-Bus side goes to the pcap too (channel 1), through its own redaction stage
    rigs::RedactingTap vmb_redact(pcap.get());
    auto vmb_tap = [&](rigs::Direction d, std::span<const std::uint8_t> b, std::uint8_t flags) {
        if (pcap && !b.empty()) vmb_redact.record({rigs::LinkKind::mbus, d, 1, flags, 0u, rigs::wall_clock_us(), {b.begin(), b.end()}});
    };
    int client = -1;
    mbus::FrameReader reader;
    auto mono_ms = [&] { return ms_since_epoch(clock.now()); };
    double last_byte = 0;
    auto drop_partial = [&] {
        for (auto& ev : reader.finish()) vmb_tap(rigs::Direction::to_dut, ev.bytes, rigs::kTapGarbled);
    };
    auto close_client = [&] {
        ::close(client);
        client = -1;
        drop_partial();
        reader.reset();
    };
    std::vector<std::uint8_t> buf(4096);
    while (!g_stop) {
        pollfd p[2];
        nfds_t n = 0;
        p[n++] = {listen_fd, POLLIN, 0};
        if (client >= 0) p[n++] = {client, POLLIN, 0};
        const int rc = poll(p, n, reader.buffered() > 0 ? 50 : 200);
        if (reader.buffered() > 0 && mono_ms() - last_byte >= partial_frame_silence_ms(o.baud, true)) drop_partial();
        if (const auto due = readouts.take_due(clock.now())) readout(*due);
        if (rc <= 0) continue;
        if (p[0].revents & POLLIN) {
            const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0 && client >= 0) {
                ::close(fd);  // one master at a time on the Virtual M-Bus port
            } else if (fd >= 0) {
                client = fd;
                const int one = 1;
                setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                reader.reset();
            }
        }
        if (client >= 0 && n > 1 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            const ssize_t got = ::read(client, buf.data(), buf.size());
            if (got <= 0) {
                if (got < 0 && errno == EINTR) continue;
                close_client();
                continue;
            }
            last_byte = mono_ms();
            for (auto& ev : reader.feed({buf.data(), static_cast<std::size_t>(got)})) {
                vmb_tap(rigs::Direction::to_dut, ev.bytes, ev.kind == mbus::StreamEvent::Kind::frame ? 0 : rigs::kTapGarbled);
                if (ev.kind != mbus::StreamEvent::Kind::frame) continue;
                const auto reply = gw->virtual_mbus(ev.bytes, now());
                if (reply) vmb_tap(rigs::Direction::from_dut, *reply, 0);
                if (reply && !write_all(client, *reply)) {
                    close_client();
                    break;
                }
            }
        }
    }
    if (client >= 0) close_client();
    std::cerr << "metercert simulate: stopped\n";
    return 0;
}

}  // namespace metercert::cli
