// `metercert receive --dut URL [--count N] [--timeout S] [--json] [--pcap FILE]`: the telegrams a
// wireless M-Bus receiver gives (a link with wmbus.receive: a receiver stick, its emulation on a
// pty), one per line — hex from the L-field as the receiver delivered it (a stick has removed the
// CRCs), ready for `metercert decode --wmbus --crc none`; with --json one object per line:
// {"frame", "crc", "at_ms" (the link's clock), "rssi_dbm", "mode"}. Nothing is decrypted here and
// no key is printed. Exit 0 after N telegrams, 1 when fewer came within --timeout, 2 usage or
// infrastructure error (the link's named PortError: stick_silent, stick_protocol, port_lost).
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/pcap.hpp"
#include "metercert/rigs/wmbus_receiver.hpp"

namespace metercert::cli {

namespace {

struct ReceiveOptions {
    std::string dut;
    std::size_t count = 1;
    double timeout_s = 60;
    bool json = false;
    std::string pcap;
};

int run_receive(const ReceiveOptions& o) {
    if (o.count < 1) {
        std::cerr << "error: --count: at least 1\n";
        return 2;
    }
    if (!(o.timeout_s > 0) || o.timeout_s > 86400) {
        std::cerr << fmt::format("error: --timeout {}: expected more than 0 and at most 86400 seconds\n", o.timeout_s);
        return 2;
    }
    std::unique_ptr<rigs::PcapWriter> pcap;
    std::unique_ptr<rigs::DutLink> link;
    rigs::WmbusReceiver* rx = nullptr;
    try {
        if (!o.pcap.empty()) pcap = std::make_unique<rigs::PcapWriter>(o.pcap, rigs::LinkKind::wmbus);
        link = rigs::open_link(o.dut, {.tap = pcap.get()});
        rx = &link->require_wmbus_receive("metercert receive");
    } catch (const rigs::DutError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const rigs::PcapError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const master::PortError& e) {
        std::cerr << fmt::format("error: {}: {}\n", e.name(), e.what());
        return 2;
    }
    std::cerr << "receiving from " << link->description() << "\n" << std::flush;
    const TimePoint deadline = rx->now() + from_seconds(o.timeout_s);
    std::size_t got = 0;
    try {
        while (got < o.count) {
            const TimePoint now = rx->now();
            if (now >= deadline) break;
            const auto t = rx->receive(deadline - now);
            if (!t) break;
            ++got;
            std::string hex;
            for (auto b : t->frame) hex += fmt::format("{:02X}", b);
            if (o.json) {
                nlohmann::json j = {{"frame", hex}, {"crc", std::string(wmbus::crc_format_name(t->crc))}, {"mode", t->mode}};
                j["at_ms"] = t->at ? nlohmann::json(to_ms(t->at->time_since_epoch())) : nlohmann::json(nullptr);
                j["rssi_dbm"] = t->rssi_dbm ? nlohmann::json(*t->rssi_dbm) : nlohmann::json(nullptr);
                std::cout << j.dump() << "\n" << std::flush;
            } else {
                std::cout << hex << "\n" << std::flush;
            }
        }
    } catch (const master::PortError& e) {
        std::cerr << fmt::format("error: {}: {}\n", e.name(), e.what());
        return 2;
    }
    if (got < o.count) {
        std::cerr << fmt::format("{} of {} telegram(s) within {} s\n", got, o.count, o.timeout_s);
        return 1;
    }
    return 0;
}

}  // namespace

void add_receive(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<ReceiveOptions>();
    auto* cmd = app.add_subcommand("receive",
                                   "Print the wireless M-Bus telegrams a receiver gives (a stick, or its emulation on a pty),\n"
                                   "one hex line each (for `decode --wmbus --crc none`), or JSON with time, RSSI and mode.");
    cmd->add_option("--dut", o->dut, "the receiver (a link with wmbus.receive):\n" + rigs::link_schemes_help())->required();
    cmd->add_option("--count", o->count, "stop after N telegrams")->capture_default_str();
    cmd->add_option("--timeout", o->timeout_s, "give up after this long, s (decimals allowed); exit 1 when fewer came")
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "one JSON object per telegram: frame, crc, at_ms, rssi_dbm, mode");
    cmd->add_option("--pcap", o->pcap, "write every telegram, with timestamps, to this pcap file (link type 148)");
    cmd->callback([o, &exit_code] { exit_code = run_receive(*o); });
}

}  // namespace metercert::cli
