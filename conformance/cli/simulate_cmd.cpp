// `metercert simulate cmi1020`: reference CMi1020 slaves on one simulated bus behind a TCP port
// (the byte stream a CMe3000 transparent gateway carries, no extra framing) or a pty.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "commands.hpp"
#include "serve.hpp"
#include "metercert/devices/bus.hpp"
#include "metercert/devices/cme3100/faults.hpp"
#include "metercert/devices/e350.hpp"
#include "metercert/mbus/frame_reader.hpp"
#include "metercert/mbus/secondary_address.hpp"
#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/pcap.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "state_file.hpp"

namespace metercert::cli {

namespace {

// A pty whose slave side is linked at `path` (Debian's libserialport refuses ptys; masters use
// a plain termios path there). Returns the master fd. The simulator keeps its own descriptor on
// the slave side for its whole life, as a wire stays connected to the bus: without it the master
// reads EIO whenever no client has the line open, and the line's settings would start over with
// each client. Clients open, set 8N1 raw (a pty has no parity; rigs/fd_port.cpp) and close it
// as often as they like; nothing is done to the pty when one goes away (a frame it left
// unfinished is dropped after the line's silence, partial_frame_silence_ms).
int open_pty(const std::string& path, int& slave_keepalive) {
    const int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) usage_error(fmt::format("--pty: {}", std::strerror(errno)));
    const char* name = ptsname(m);
    slave_keepalive = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave_keepalive < 0) usage_error(fmt::format("--pty {}: {}", name, std::strerror(errno)));
    termios t{};
    tcgetattr(slave_keepalive, &t);
    cfmakeraw(&t);
    tcsetattr(slave_keepalive, TCSANOW, &t);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (symlink(name, path.c_str()) != 0) usage_error(fmt::format("--pty {}: {}", path, std::strerror(errno)));
    return m;
}

// The help of a fault option: `what`, then none and each fault of the device's list as
// "name: summary (clause)" (devices/fault_spec.hpp).
std::string fault_help(const std::string& what, std::span<const devices::FaultSpec> faults) {
    std::string help = what + ": none";
    for (const auto& f : faults) help += fmt::format(",\n{}: {} ({})", f.name, f.summary, f.clause);
    return help;
}

std::uint32_t identification_option(const std::string& s, const char* option) {
    const auto id = mbus::parse_identification(s);
    if (!id) usage_error(fmt::format("{} '{}': expected 8 decimal digits", option, s));
    return *id;
}


int run_cmi1020(const SimOptions& o) {
    if (o.listen.empty() == o.pty.empty()) usage_error("give exactly one of --listen tcp://HOST:PORT or --pty PATH");
    if (o.count < 1 || o.count > 250) usage_error("--count must be 1..250");
    if (o.address > 250) usage_error("--address must be 0..250");
    if (o.baud != 300 && o.baud != 600 && o.baud != 1200 && o.baud != 2400 && o.baud != 4800 && o.baud != 9600)
        usage_error("--baud must be 300, 600, 1200, 2400, 4800 or 9600");
    if (!(o.disconnect_timeout_s >= 0) || o.disconnect_timeout_s > 86400.0 * 365)
        usage_error("--disconnect-timeout: 0 (never) or more seconds, at most a year");
    const auto fault = devices::meter_fault_from_name(o.meter_fault);
    if (!fault)
        usage_error(fmt::format("--meter-fault '{}' is unknown ({})", o.meter_fault,
                                devices::fault_choices(devices::e350_fault_specs())));

    devices::BusOptions bo;
    bo.count = o.count;
    if (!o.secondary.empty()) bo.secondary = identification_option(o.secondary, "--secondary");
    bo.address = static_cast<std::uint8_t>(o.address);
    bo.fabrication_base = identification_option(o.fabrication, "--fabrication");
    bo.first_readout = std::chrono::milliseconds(o.first_readout_ms);
    if (o.readout_file.empty()) {
        bo.readout = rigs::default_e350_readout();
    } else {
        bo.readout = load_readout(o.readout_file, "--readout");  // validated now, not at the first readout
    }
    devices::Cmi1020Bus bus(bo);
    std::vector<StateFile> states;
    for (std::size_t i = 0; i < bus.size(); ++i) {
        bus.meter(i).fault = *fault;
        if (o.baud != 2400)  // §6.7.3 through the slave's own command
            bus.slave(i).on_frame(mbus::build_long(0x53, bus.slave(i).settings().primary_address,
                                                   static_cast<std::uint8_t>(0xB8 + __builtin_ctz(o.baud / 300)), {}));
        if (!o.state_dir.empty()) {
            states.emplace_back(std::filesystem::path(o.state_dir) / fmt::format("cmi1020-{}.json", i));
            try {
                if (auto saved = states.back().load()) bus.slave(i).load_state(*saved);
                states.back().save_if_changed(bus.slave(i).state_json());
            } catch (const std::exception& e) {
                usage_error(fmt::format("--state {}: {}: {}", o.state_dir, states.back().path().string(), e.what()));
            }
        }
    }

    std::unique_ptr<rigs::PcapWriter> pcap;
    or_usage_error([&] {
        if (!o.pcap.empty()) pcap = std::make_unique<rigs::PcapWriter>(o.pcap);
    });
    // every record passes the redaction stage before the file sees it (DESIGN "Secrets")
    rigs::RedactingTap redact(pcap.get());

    install_stop_signals();

    const bool tcp = !o.listen.empty();
    std::string where;
    int listen_fd = -1, io_fd = -1, keep = -1;
    if (tcp) {
        listen_fd = open_listener(o.listen, where);
    } else {
        io_fd = open_pty(o.pty, keep);
        where = "pty " + o.pty;
    }
    std::string ids;
    for (std::size_t i = 0; i < bus.size() && i < 4; ++i) ids += fmt::format("{}{:08X}", i ? ", " : "", bus.slave(i).secondary_address());
    if (bus.size() > 4) ids += ", …";
    std::cerr << fmt::format("metercert simulate: {} CMi1020 slave(s) [{}] listening on {}\n", bus.size(), ids, where)
              << std::flush;

    const rigs::PowerOnClock clock;  // the slaves' power-on is now (metercert/time.hpp: the one clock)
    auto now_ms = [&] {
        return static_cast<std::uint64_t>(std::chrono::floor<std::chrono::milliseconds>(clock.now().time_since_epoch()).count());
    };
    auto tap = [&](rigs::Direction d, std::span<const std::uint8_t> b, std::uint8_t flags, unsigned baud) {
        if (pcap && !b.empty()) redact.record({rigs::LinkKind::mbus, d, 0, flags, baud, rigs::wall_clock_us(), {b.begin(), b.end()}});
    };
    const auto idle_limit_ms = static_cast<std::uint64_t>(o.disconnect_timeout_s * 1000.0 + 0.5);
    std::uint64_t last_activity = 0, last_byte = 0;  // ms: any byte either way / the last byte received
    std::size_t clients = 0, refused = 0, idle_closed = 0, partial_dropped = 0;
    mbus::FrameReader reader;
    auto drop_partial = [&] {  // the master stopped inside a frame: the slaves' receivers give up
        for (auto& ev : reader.finish()) {
            tap(rigs::Direction::to_dut, ev.bytes, rigs::kTapGarbled, bus.slave(0).baud());
            ++partial_dropped;
        }
    };
    auto close_client = [&] {
        ::close(io_fd);
        io_fd = -1;
        if (reader.buffered() > 0) drop_partial();
        reader.reset();
    };
    std::vector<std::uint8_t> buf(4096);
    while (!g_stop) {
        const std::uint64_t now = now_ms();
        // the next deadline: a partial frame's silence, the client's disconnect timeout
        std::int64_t wait = 500;
        if (io_fd >= 0 && reader.buffered() > 0) {
            const auto limit = static_cast<std::int64_t>(partial_frame_silence_ms(bus.slave(0).baud(), tcp));
            wait = std::min<std::int64_t>(wait, std::max<std::int64_t>(0, static_cast<std::int64_t>(last_byte) + limit - static_cast<std::int64_t>(now)) + 1);
        }
        if (tcp && io_fd >= 0 && idle_limit_ms > 0)
            wait = std::min<std::int64_t>(wait, std::max<std::int64_t>(0, static_cast<std::int64_t>(last_activity + idle_limit_ms) - static_cast<std::int64_t>(now)) + 1);
        pollfd p[2];
        nfds_t n = 0;
        int io_slot = -1, listen_slot = -1;
        if (io_fd >= 0) io_slot = static_cast<int>(n), p[n++] = {io_fd, POLLIN, 0};  // first: a close frees the slot
        if (listen_fd >= 0) listen_slot = static_cast<int>(n), p[n++] = {listen_fd, POLLIN, 0};
        const int rc = poll(p, n, static_cast<int>(wait));
        bus.advance_to(clock.now());
        if (rc > 0 && io_slot >= 0 && (p[io_slot].revents & (POLLIN | POLLHUP | POLLERR))) {
            const ssize_t got = ::read(io_fd, buf.data(), buf.size());
            if (got <= 0) {
                if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
                if (tcp) {
                    close_client();  // the master went away: wait for the next
                } else {
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // pty without a peer
                }
            } else {
                last_activity = last_byte = now_ms();
                for (auto& ev : reader.feed({buf.data(), static_cast<std::size_t>(got)})) {
                    const unsigned baud_before = bus.slave(0).baud();
                    tap(rigs::Direction::to_dut, ev.bytes,
                        ev.kind == mbus::StreamEvent::Kind::frame ? 0 : rigs::kTapGarbled, baud_before);
                    if (ev.kind != mbus::StreamEvent::Kind::frame) continue;  // slaves ignore noise
                    auto reply = bus.on_frame(ev.bytes, clock.now());
                    for (std::size_t i = 0; i < states.size(); ++i) states[i].save_if_changed(bus.slave(i).state_json());
                    if (!reply) continue;
                    tap(rigs::Direction::from_dut, *reply, bus.last_line_errors() ? rigs::kTapParityError : 0,
                        baud_before);
                    if (o.wire_timing) {  // EN 13757-2: ≥ 11 bit times, then the reply at the old baud
                        const double us = (11.0 + 11.0 * static_cast<double>(reply->size())) * 1e6 / baud_before;
                        std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(us)));
                    }
                    last_activity = now_ms();
                    if (!write_all(io_fd, *reply) && tcp) {
                        close_client();
                        break;
                    }
                }
            }
        }
        if (rc > 0 && listen_slot >= 0 && (p[listen_slot].revents & POLLIN)) {
            const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0 && io_fd >= 0) {
                ::close(fd);  // one client at a time, as the CMe3000 in front of a real bus (ERRATA E-22)
                ++refused;
            } else if (fd >= 0) {
                io_fd = fd;
                const int one = 1;
                setsockopt(io_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                reader.reset();
                last_activity = now_ms();
                ++clients;
            }
        }
        const std::uint64_t after = now_ms();
        if (io_fd >= 0 && reader.buffered() > 0 &&
            static_cast<double>(after - last_byte) >= partial_frame_silence_ms(bus.slave(0).baud(), tcp))
            drop_partial();
        if (tcp && io_fd >= 0 && idle_limit_ms > 0 && after - last_activity >= idle_limit_ms) {
            close_client();  // CMe3000 Table 3 disconnect timeout: an idle client does not hold the bus
            ++idle_closed;
        }
    }
    for (std::size_t i = 0; i < states.size(); ++i) states[i].save_if_changed(bus.slave(i).state_json());
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < bus.size(); ++i) rejected += bus.slave(i).rejected();
    std::cerr << fmt::format("metercert simulate: stopped{}; {} collision(s), {} frame(s) rejected by the slaves "
                             "(bad L-field, checksum or unknown command), {} partial frame(s) dropped",
                             states.empty() ? "" : ", state saved", bus.collisions(), rejected, partial_dropped);
    if (tcp) std::cerr << fmt::format("; {} client(s), {} refused while one was connected, {} closed idle", clients, refused, idle_closed);
    std::cerr << "\n";
    if (io_fd >= 0) ::close(io_fd);
    if (keep >= 0) ::close(keep);
    if (!o.pty.empty()) std::filesystem::remove(o.pty);
    return 0;
}

}  // namespace

void add_simulate(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("simulate",
                                   "Run reference devices so that any M-Bus master can talk to them:\n"
                                   "cmi1020 (M-Bus slaves), cme3000 (transparent TCP gateway), cme3100 (metering\n"
                                   "gateway). `metercert simulate DEVICE --help` lists that device's options.");
    cmd->require_subcommand(1);
    auto listen_help = "tcp://HOST:PORT to serve; HOST an IPv4 address, PORT 0…65535 (0: any free port, the bound\n"
                       "one is printed on stderr)";
    auto pcap_help = "write every frame, with timestamps, to this pcap file (link type 147); P1 passwords and\n"
                     "P2 keys are replaced by '*' (0x2A) before they are written";

    {
        auto o = std::make_shared<SimOptions>();
        o->device = "cmi1020";
        auto* c = cmd->add_subcommand("cmi1020",
                                      "N CMi1020 slaves (each with its own E350 meter model) on one simulated bus, over\n"
                                      "TCP (raw M-Bus bytes, as through a CMe3000: one client at a time, a second is\n"
                                      "closed at once; an idle client is closed after --disconnect-timeout) or a pty.\n"
                                      "A frame the master stops sending half-way is dropped after the line has been\n"
                                      "silent for 33 bit times (at least 20 ms) on a pty, 500 ms over TCP.");
        c->add_option("--listen", o->listen, listen_help);
        c->add_option("--pty", o->pty, "create a pseudo-terminal and link its slave side at PATH");
        c->add_option("--disconnect-timeout", o->disconnect_timeout_s,
                      "TCP: close a client that sent or received no byte this long, s (decimals allowed;\n"
                      "CMe3000 Table 3 default; 0 = never)")
            ->capture_default_str();
        c->add_option("--count", o->count, "number of slaves on the bus (1..250)")->capture_default_str();
        c->add_option("--secondary", o->secondary, "8-digit identification number of the first slave; the next are consecutive");
        c->add_option("--address", o->address, "primary address of the first slave (the next get +1); 0 = factory default");
        c->add_option("--readout", o->readout_file,
                      "IEC 62056-21 readout file the meters answer with, with or without the wire framing\n"
                      "(checked at start; default: the real E350)");
        c->add_option("--state", o->state_dir, "directory for the slaves' persistent state (written atomically)");
        c->add_option("--baud", o->baud, "initial baud rate of the slaves")->capture_default_str();
        c->add_option("--fabrication", o->fabrication, "8-digit fabrication (label serial) number of the first slave")
            ->capture_default_str();
        c->add_option("--first-readout-ms", o->first_readout_ms, "time from power-on to the first meter readout, ms")
            ->capture_default_str();
        c->add_flag("--wire-timing", o->wire_timing, "delay replies by their transmission time at the slave's baud rate");
        c->add_option("--meter-fault", o->meter_fault,
                      fault_help("meter fault to inject (the E350 model; `metercert faults e350`)", devices::e350_fault_specs()))
            ->capture_default_str();
        c->add_option("--pcap", o->pcap, pcap_help);
        c->callback([o, &exit_code] { exit_code = run_cmi1020(*o); });
    }
    {
        auto o = std::make_shared<SimOptions>();
        o->device = "cme3000";
        auto* c = cmd->add_subcommand("cme3000",
                                      "The CMe3000 transparent TCP/M-Bus gateway (one client, keep-alive, disconnect\n"
                                      "timeout, statistics) in front of --serial DEV or --bus sim:...");
        c->add_option("--listen", o->listen, listen_help)->required();
        c->add_option("--serial", o->serial, "relay to this serial M-Bus (8E1 at --baud)");
        c->add_option("--bus", o->bus_url, "relay to a simulated bus, e.g. sim:cmi1020?count=3");
        c->add_option("--baud", o->baud, "M-Bus serial local baud rate (Table 3)")->capture_default_str();
        c->add_option("--keepalive", o->keep_alive_s, "TCP keep-alive idle time, s (Table 3)")->capture_default_str();
        c->add_option("--disconnect-timeout", o->disconnect_timeout_s,
                      "close a connection idle this long, whole s (Table 3; 0 = never)")
            ->capture_default_str();
        c->add_option("--stats", o->stats_file, "keep the statistics of Figures 6 and 9 in this JSON file");
        c->add_option("--pcap", o->pcap, pcap_help);
        c->callback([o, &exit_code] { exit_code = run_cme3000(*o); });
    }
    {
        auto o = std::make_shared<SimOptions>();
        o->device = "cme3100";
        auto* c = cmd->add_subcommand("cme3100",
                                      "The CMe3100 metering gateway: installs meters (--meter-list or --search), reads\n"
                                      "them into --db on --schedule and serves them as Virtual M-Bus on --listen (one\n"
                                      "master at a time).");
        c->add_option("--listen", o->listen,
                      "the Virtual M-Bus port, tcp://HOST:PORT; HOST an IPv4 address, PORT 0…65535 (0: any\n"
                      "free port, the bound one is printed on stderr)")
            ->required();
        c->add_option("--serial", o->serial, "read the meters on this serial M-Bus (8E1 at --baud)");
        c->add_option("--bus", o->bus_url, "read the meters of a simulated bus, e.g. sim:cmi1020?count=3");
        c->add_option("--baud", o->baud, "baud rate of --serial")->capture_default_str();
        c->add_option("--meter-list", o->meter_list, "install this Meter List (CSV, §6.5; a UTF-8 BOM is accepted)");
        c->add_flag("--search", o->search, "install the meters a secondary search finds (§6.5.3)");
        c->add_option("--keys", o->keys, "import this encryption key file (CSV, §6.15)");
        c->add_option("--db", o->db, "SQLite database file of meters, readouts and records")->capture_default_str();
        c->add_option("--schedule", o->schedule, "readout schedule, cron pattern of §6.39 (UTC)")->capture_default_str();
        c->add_option("--read-limit", o->read_limit, "multi-telegram read limit (§6.25.3)")->capture_default_str();
        c->add_option("--readout-retries", o->readout_retries,
                      "further REQ_UD2 attempts after a failed one (§6.25.2 Table 7, ERRATA E-28)")
            ->capture_default_str();
        c->add_option("--selection-retries", o->selection_retries,
                      "further selections of a meter that did not answer (§6.25.2 Table 7, ERRATA E-28)")
            ->capture_default_str();
        c->add_option("--fault", o->fault,
                      fault_help("deviate one way (fault-injected simulator; `metercert faults cme3100`)",
                                 devices::cme3100::fault_specs()))
            ->capture_default_str();
        c->add_option("--licence", o->licence, "meters the licence allows; more are passive")->capture_default_str();
        c->add_option("--expiration", o->expiration_s, "Virtual M-Bus value expiration, s (§6.27.1)")->capture_default_str();
        c->add_option("--commission-report", o->commission_report, "write the commission report (CSV) after each readout");
        c->add_option("--pcap", o->pcap,
                      std::string(pcap_help) + ";\nchannel 0: the meters' M-Bus, channel 1: the Virtual M-Bus port");
        c->callback([o, &exit_code] { exit_code = run_cme3100(*o); });
    }
}

}  // namespace metercert::cli
