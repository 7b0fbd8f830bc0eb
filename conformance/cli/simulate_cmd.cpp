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
#include "metercert/master/master.hpp"
#include "metercert/mbus/frame_reader.hpp"
#include "metercert/rigs/pcap.hpp"
#include "state_file.hpp"

extern const char kDefaultE350Readout[];
extern const std::size_t kDefaultE350ReadoutSize;

namespace metercert::cli {

namespace {





// A pty whose slave side is linked at `path` (Debian's libserialport refuses ptys; masters use
// a plain termios path there). Returns the master fd.
int open_pty(const std::string& path, int& slave_keepalive) {
    const int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) usage_error(fmt::format("--pty: {}", std::strerror(errno)));
    const char* name = ptsname(m);
    slave_keepalive = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);  // keeps the master readable
    termios t{};
    tcgetattr(slave_keepalive, &t);
    cfmakeraw(&t);
    tcsetattr(slave_keepalive, TCSANOW, &t);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (symlink(name, path.c_str()) != 0) usage_error(fmt::format("--pty {}: {}", path, std::strerror(errno)));
    return m;
}

std::uint32_t parse_bcd8(const std::string& s, const char* option) {
    const auto id = master::parse_identification(s);
    if (!id) usage_error(fmt::format("{} '{}': expected 8 decimal digits", option, s));
    return *id;
}


int run_simulate(const SimOptions& o) {
    if (o.device == "cme3000") return run_cme3000(o);
    if (o.device == "cme3100") return run_cme3100(o);
    if (o.device != "cmi1020") usage_error(fmt::format("unknown device '{}' (available: cmi1020, cme3000, cme3100)", o.device));
    if (o.listen.empty() == o.pty.empty()) usage_error("give exactly one of --listen tcp://HOST:PORT or --pty PATH");
    if (o.count < 1 || o.count > 250) usage_error("--count must be 1..250");
    if (o.address > 250) usage_error("--address must be 0..250");
    if (o.baud != 300 && o.baud != 600 && o.baud != 1200 && o.baud != 2400 && o.baud != 4800 && o.baud != 9600)
        usage_error("--baud must be 300, 600, 1200, 2400, 4800 or 9600");
    const auto fault = devices::meter_fault_from_name(o.meter_fault);
    if (!fault) usage_error(fmt::format("--meter-fault '{}' is unknown", o.meter_fault));

    devices::BusOptions bo;
    bo.count = o.count;
    if (!o.secondary.empty()) bo.secondary = parse_bcd8(o.secondary, "--secondary");
    bo.address = static_cast<std::uint8_t>(o.address);
    bo.fabrication_base = parse_bcd8(o.fabrication, "--fabrication");
    bo.first_readout_ms = o.first_readout_ms;
    if (o.readout_file.empty()) {
        bo.readout.assign(kDefaultE350Readout, kDefaultE350ReadoutSize);
    } else {
        std::ifstream in(o.readout_file, std::ios::binary);
        if (!in) usage_error(fmt::format("--readout {}: cannot read", o.readout_file));
        bo.readout.assign(std::istreambuf_iterator<char>(in), {});
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
            if (auto saved = states.back().load()) {
                try {
                    bus.slave(i).load_state(*saved);
                } catch (const std::exception& e) {
                    usage_error(fmt::format("{}: {}", states.back().path().string(), e.what()));
                }
            }
            states.back().save_if_changed(bus.slave(i).state_json());
        }
    }

    install_stop_signals();

    std::string where;
    int listen_fd = -1, io_fd = -1, keep = -1;
    if (!o.listen.empty()) {
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

    const auto t0 = std::chrono::steady_clock::now();
    auto now_ms = [&] {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
    };
    std::unique_ptr<rigs::PcapWriter> pcap;
    or_usage_error([&] {
        if (!o.pcap.empty()) pcap = std::make_unique<rigs::PcapWriter>(o.pcap);
    });
    auto tap = [&](rigs::Direction d, std::span<const std::uint8_t> b, std::uint8_t flags, unsigned baud) {
        if (pcap) pcap->record({d, 0, flags, baud, rigs::wall_clock_us(), {b.begin(), b.end()}});
    };
    mbus::FrameReader reader;
    std::vector<std::uint8_t> buf(4096);
    while (!g_stop) {
        pollfd p[2];
        int n = 0;
        if (listen_fd >= 0 && io_fd < 0) p[n++] = {listen_fd, POLLIN, 0};
        if (io_fd >= 0) p[n++] = {io_fd, POLLIN, 0};
        const int rc = poll(p, static_cast<nfds_t>(n), 500);
        bus.advance_to(now_ms());
        if (rc <= 0) continue;
        if (listen_fd >= 0 && io_fd < 0 && (p[0].revents & POLLIN)) {
            io_fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
            const int one = 1;
            if (io_fd >= 0) setsockopt(io_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            reader.reset();
            continue;
        }
        const ssize_t got = ::read(io_fd, buf.data(), buf.size());
        if (got <= 0) {
            if (got < 0 && errno == EINTR) continue;
            if (listen_fd >= 0) {  // the master went away: wait for the next
                ::close(io_fd);
                io_fd = -1;
                continue;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // pty without a peer
            continue;
        }
        for (auto& ev : reader.feed({buf.data(), static_cast<std::size_t>(got)})) {
            const unsigned baud_before = bus.slave(0).baud();
            tap(rigs::Direction::master_to_slave, ev.bytes, ev.kind == mbus::StreamEvent::Kind::frame ? 0 : rigs::kTapGarbled,
                baud_before);
            if (ev.kind != mbus::StreamEvent::Kind::frame) continue;  // slaves ignore noise
            auto reply = bus.on_frame(ev.bytes, now_ms());
            for (std::size_t i = 0; i < states.size(); ++i) states[i].save_if_changed(bus.slave(i).state_json());
            if (!reply) continue;
            tap(rigs::Direction::slave_to_master, *reply, bus.last_line_errors() ? rigs::kTapParityError : 0, baud_before);
            if (o.wire_timing) {  // EN 13757-2: ≥ 11 bit times, then the reply at the old baud
                const double us = (11.0 + 11.0 * static_cast<double>(reply->size())) * 1e6 / baud_before;
                std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(us)));
            }
            if (!write_all(io_fd, *reply) && listen_fd >= 0) {
                ::close(io_fd);
                io_fd = -1;
                break;
            }
        }
    }
    for (std::size_t i = 0; i < states.size(); ++i) states[i].save_if_changed(bus.slave(i).state_json());
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < bus.size(); ++i) rejected += bus.slave(i).rejected();
    std::cerr << fmt::format("metercert simulate: stopped{}; {} collision(s), {} frame(s) rejected by the slaves "
                             "(bad L-field, checksum or unknown command)\n",
                             states.empty() ? "" : ", state saved", bus.collisions(), rejected);
    if (!o.pty.empty()) std::filesystem::remove(o.pty);
    return 0;
}

}  // namespace

void add_simulate(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<SimOptions>();
    auto* cmd = app.add_subcommand("simulate",
                                   "Run reference devices so that any M-Bus master can talk to them.\n"
                                   "cmi1020: N CMi1020 slaves (each with its own E350 meter model) on one\n"
                                   "simulated bus, over TCP (raw M-Bus bytes, as through a CMe3000) or a pty.\n"
                                   "cme3000: the transparent TCP/M-Bus gateway (one client, keep-alive,\n"
                                   "disconnect timeout, statistics) in front of --serial DEV or --bus sim:...\n"
                                   "cme3100: the metering gateway: installs meters (--meter-list or --search),\n"
                                   "reads them into --db on --schedule and serves them as Virtual M-Bus on --listen.");
    cmd->add_option("device", o->device, "device to simulate: cmi1020, cme3000")->required();
    cmd->add_option("--serial", o->serial, "cme3000: relay to this serial M-Bus (8E1 at --baud)");
    cmd->add_option("--bus", o->bus_url, "cme3000: relay to a simulated bus, e.g. sim:cmi1020?count=3");
    cmd->add_option("--keepalive", o->keep_alive_s, "cme3000: TCP keep-alive idle time, s (Table 3)")->capture_default_str();
    cmd->add_option("--disconnect-timeout", o->disconnect_timeout_s,
                    "cme3000: close a connection idle this long, s (Table 3; 0 = never)")
        ->capture_default_str();
    cmd->add_option("--stats", o->stats_file, "cme3000: keep the statistics of Figures 6 and 9 in this JSON file");
    cmd->add_option("--pcap", o->pcap, "write every frame on the M-Bus side, with timestamps, to this pcap file");
    cmd->add_option("--meter-list", o->meter_list, "cme3100: install this Meter List (CSV, §6.5)");
    cmd->add_flag("--search", o->search, "cme3100: install the meters a secondary search finds (§6.5.3)");
    cmd->add_option("--keys", o->keys, "cme3100: import this encryption key file (CSV, §6.15)");
    cmd->add_option("--db", o->db, "cme3100: SQLite database file of meters, readouts and records")->capture_default_str();
    cmd->add_option("--schedule", o->schedule, "cme3100: readout schedule, cron pattern of §6.39 (UTC)")->capture_default_str();
    cmd->add_option("--read-limit", o->read_limit, "cme3100: multi-telegram read limit (§6.25.3)")->capture_default_str();
    cmd->add_option("--licence", o->licence, "cme3100: meters the licence allows; more are passive")->capture_default_str();
    cmd->add_option("--expiration", o->expiration_s, "cme3100: Virtual M-Bus value expiration, s (§6.27.1)")->capture_default_str();
    cmd->add_option("--commission-report", o->commission_report, "cme3100: write the commission report (CSV) after each readout");
    cmd->add_option("--listen", o->listen, "tcp://HOST:PORT to serve (port 0: any free port, printed on stderr)");
    cmd->add_option("--pty", o->pty, "create a pseudo-terminal and link its slave side at PATH");
    cmd->add_option("--count", o->count, "number of slaves on the bus (1..250)")->capture_default_str();
    cmd->add_option("--secondary", o->secondary, "8-digit identification number of the first slave; the next are consecutive");
    cmd->add_option("--address", o->address, "primary address of the first slave (the next get +1); 0 = factory default");
    cmd->add_option("--readout", o->readout_file, "IEC 62056-21 readout file the meters answer with (default: the real E350)");
    cmd->add_option("--state", o->state_dir, "directory for the slaves' persistent state (written atomically)");
    cmd->add_option("--baud", o->baud, "initial baud rate of the slaves")->capture_default_str();
    cmd->add_option("--fabrication", o->fabrication, "8-digit fabrication (label serial) number of the first slave")
        ->capture_default_str();
    cmd->add_option("--first-readout-ms", o->first_readout_ms, "time from power-on to the first meter readout (ms)")
        ->capture_default_str();
    cmd->add_flag("--wire-timing", o->wire_timing, "delay replies by their transmission time at the slave's baud rate");
    cmd->add_option("--meter-fault", o->meter_fault,
                    "meter fault to inject: none, no_meter, id_timeout, id_receive_error, unexpected_id_char,\n"
                    "readout_timeout, receive_error, signon_failure, command_failure")
        ->capture_default_str();
    cmd->callback([o, &exit_code] { exit_code = run_simulate(*o); });
}

}  // namespace metercert::cli
