// `metercert scan` and `metercert read`: the master (reference/master) against any DUT URL.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "metercert/master/search.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/tables.hpp"
#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/pcap.hpp"

namespace metercert::cli {

namespace {

struct MasterOptions {
    std::string dut = "sim:cmi1020";
    std::string pcap;
    bool json = false;
    double timeout_s = 0;  // seconds, as every --timeout of metercert
    unsigned retries = 2;
    unsigned limit = 10;
    // scan
    bool primary = false, secondary = false;
    std::string algorithm = "adaptive";
    std::string start = "FFFFFFFF";
    // read
    int address = -1;
    std::string secondary_id;
};

std::string hexs(std::span<const std::uint8_t> b) {
    std::string s;
    for (auto x : b) s += fmt::format("{:02X}", x);
    return s;
}

void add_common(CLI::App* cmd, MasterOptions& o) {
    cmd->add_option("--dut", o.dut, "device under test (a link with mbus.request):\n" + rigs::link_schemes_help())
        ->capture_default_str();
    cmd->add_option("--pcap", o.pcap, "write every frame, with timestamps, to this pcap file (link type 147)");
    cmd->add_flag("--json", o.json, "JSON on stdout");
    cmd->add_option("--timeout", o.timeout_s,
                    "response timeout, s, decimals allowed (e.g. 0.5); 0: the EN 13757-2 limit, 330 bit times\n"
                    "+ 50 ms at the line's baud rate")
        ->capture_default_str();
    cmd->add_option("--retries", o.retries, "readout and selection retries (CMe3100 §6.25.2)")->capture_default_str();
}

// Opens the DUT and the pcap; prints a usage/infrastructure error and returns false on failure.
struct Session {
    std::unique_ptr<rigs::PcapWriter> pcap;
    std::unique_ptr<rigs::DutLink> link;
    master::BusPort* port = nullptr;  // the link's mbus.request
    std::unique_ptr<master::Master> m;
};

bool open_session(const MasterOptions& o, Session& s) {
    if (!(o.timeout_s >= 0) || o.timeout_s > 3600) {
        std::cerr << fmt::format("error: --timeout {}: expected 0…3600 seconds (0: the EN 13757-2 limit)\n", o.timeout_s);
        return false;
    }
    try {
        if (!o.pcap.empty()) s.pcap = std::make_unique<rigs::PcapWriter>(o.pcap);
        s.link = rigs::open_link(o.dut, {.tap = s.pcap.get(), .on_listening = [&](std::uint16_t port) {
                                             std::cerr << fmt::format("waiting for a device to connect on port {}\n", port)
                                                       << std::flush;
                                         }});
        s.port = &s.link->require_mbus_request("the M-Bus master");
    } catch (const rigs::DutError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return false;
    } catch (const rigs::PcapError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return false;
    } catch (const master::PortError& e) {
        std::cerr << fmt::format("error: {}: {}\n", e.name(), e.what());
        return false;
    }
    master::MasterSettings ms;
    ms.response_timeout = from_seconds(o.timeout_s);
    ms.readout_retries = ms.selection_retries = o.retries;
    ms.multi_telegram_limit = o.limit;
    s.m = std::make_unique<master::Master>(*s.port, ms);
    return true;
}

nlohmann::json cost_json(const master::MasterCounters& c) {
    return {{"telegrams", c.telegrams}, {"timeouts", c.timeouts}, {"collisions", c.collisions},
            {"retries", c.retries}, {"bus_ms", to_ms(c.bus)}};
}

nlohmann::json slave_json(const master::FoundSlave& f) {
    return {{"secondary", f.address.to_string()}, {"id", fmt::format("{:08X}", f.address.id)},
            {"manufacturer", mbus::manufacturer_letters(f.address.manufacturer)},
            {"version", f.address.version}, {"medium", f.address.medium},
            {"medium_name", std::string(mbus::medium_name(f.address.medium))}, {"primary", f.primary}};
}

int run_scan(const MasterOptions& o) {
    if (o.primary && o.secondary) {
        std::cerr << "error: give at most one of --primary and --secondary\n";
        return 2;
    }
    master::SearchAlgorithm algo;
    if (o.algorithm == "adaptive") algo = master::SearchAlgorithm::adaptive;
    else if (o.algorithm == "baseline") algo = master::SearchAlgorithm::baseline;
    else {
        std::cerr << fmt::format("error: --algorithm '{}': expected adaptive or baseline\n", o.algorithm);
        return 2;
    }
    mbus::SecondaryMask start;
    try {
        start = mbus::SecondaryMask::parse(o.start);
    } catch (const std::invalid_argument& e) {
        std::cerr << "error: --start: " << e.what() << "\n";
        return 2;
    }
    Session s;
    if (!open_session(o, s)) return 2;
    std::vector<master::FoundSlave> found;
    std::vector<std::string> problems;
    master::MasterCounters cost;
    try {
        if (o.primary) {
            auto r = master::scan_primary(*s.m);
            found = std::move(r.found), problems = std::move(r.problems), cost = r.cost;
        } else {
            auto r = master::search_secondary(*s.m, algo, start);
            found = std::move(r.found), problems = std::move(r.problems), cost = r.cost;
        }
    } catch (const master::PortError& e) {
        std::cerr << fmt::format("error: {}: {}\n", e.name(), e.what());
        return 2;
    }
    const std::string mode = o.primary ? "primary" : "secondary";
    if (o.json) {
        nlohmann::json j = {{"dut", o.dut}, {"mode", mode}, {"found", nlohmann::json::array()}, {"problems", problems},
                            {"cost", cost_json(cost)}, {"baud", s.port->baud()}};
        if (!o.primary) j["algorithm"] = o.algorithm;
        for (const auto& f : found) j["found"].push_back(slave_json(f));
        std::cout << j.dump() << "\n";
    } else {
        std::cout << fmt::format("{} scan of {} ({}{})\n", mode, o.dut, s.link->description(),
                                 o.primary ? "" : ", " + o.algorithm + " search");
        if (!found.empty()) std::cout << "  secondary          id        man  ver  medium               primary\n";
        for (const auto& f : found)
            std::cout << fmt::format("  {}   {:08X}  {}  {:3}  0x{:02X} {:<15}  {:3}\n", f.address.to_string(), f.address.id,
                                     mbus::manufacturer_letters(f.address.manufacturer), f.address.version, f.address.medium,
                                     mbus::medium_name(f.address.medium), f.primary);
        for (const auto& p : problems) std::cout << "  problem: " << p << "\n";
        std::cout << fmt::format("{} slave(s) found; {} telegrams, {} timeouts, {} collisions, bus time {:.1f} s at {} baud\n",
                                 found.size(), cost.telegrams, cost.timeouts, cost.collisions, to_seconds(cost.bus),
                                 s.port->baud());
    }
    return 0;
}

int run_read(const MasterOptions& o) {
    if ((o.address >= 0) == !o.secondary_id.empty()) {
        std::cerr << "error: give exactly one of --address A and --secondary ID\n";
        return 2;
    }
    if (o.address > 250) {
        std::cerr << "error: --address must be 0..250 (primary addresses)\n";
        return 2;
    }
    mbus::SecondaryMask mask;
    if (!o.secondary_id.empty()) {
        try {
            mask = mbus::SecondaryMask::parse(o.secondary_id);
        } catch (const std::invalid_argument& e) {
            std::cerr << "error: --secondary: " << e.what() << "\n";
            return 2;
        }
    }
    Session s;
    if (!open_session(o, s)) return 2;
    master::ReadResult r;
    try {
        if (o.address >= 0) {
            const auto a = static_cast<std::uint8_t>(o.address);
            s.m->snd_nke(a);
            r = s.m->read(a);
        } else {
            s.m->select_exact(mask);
            r = s.m->read(253);
        }
    } catch (const master::MasterError& e) {
        std::cerr << fmt::format("error: {}: {}\n", e.name(), e.what());
        return 1;
    } catch (const master::PortError& e) {
        std::cerr << fmt::format("error: {}: {}\n", e.name(), e.what());
        return 2;
    }
    for (std::size_t i = 0; i < r.telegrams.size(); ++i) {
        const auto& tg = r.telegrams[i];
        mbus::Telegram t;
        mbus::DecodeError err;
        const bool ok = mbus::decode(tg.frame, t, err);
        if (o.json) {
            nlohmann::json j = {{"telegram", i + 1}, {"reply_gap_ms", to_ms(tg.reply_gap)},
                                {"frame", hexs(tg.frame)}};
            if (ok) j["decoded"] = nlohmann::json::parse(mbus::to_json(t));
            else j["error"] = err.message();
            std::cout << j.dump() << "\n";
        } else {
            std::cout << fmt::format("telegram {} (reply after {:.1f} ms)\n", i + 1, to_ms(tg.reply_gap));
            if (ok) print_telegram_table(t);
            else std::cout << "  " << hexs(tg.frame) << "\n  error: " << err.message() << "\n";
        }
    }
    if (r.truncated) std::cerr << fmt::format("note: more telegrams follow; read limit {} reached (--limit)\n", o.limit);
    return 0;
}

}  // namespace

void add_scan(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<MasterOptions>();
    auto* cmd = app.add_subcommand("scan", "Find the slaves on a bus: secondary address search (default) or primary scan 0–250.");
    add_common(cmd, *o);
    cmd->add_flag("--primary", o->primary, "primary scan: SND_NKE then REQ_UD2 on 0–250");
    cmd->add_flag("--secondary", o->secondary, "secondary address search with wildcards (default)");
    cmd->add_option("--algorithm", o->algorithm, "secondary search: adaptive, or baseline (textbook MSD-first)")
        ->capture_default_str();
    cmd->add_option("--start", o->start, "search below this mask (8 or 16 hex digits, F = any)")->capture_default_str();
    cmd->callback([o, &exit_code] { exit_code = run_scan(*o); });
}

void add_read(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<MasterOptions>();
    auto* cmd = app.add_subcommand("read", "Read one slave (REQ_UD2, multi-telegram) and decode it.");
    add_common(cmd, *o);
    cmd->add_option("--address", o->address, "primary address 0–250 (SND_NKE, then REQ_UD2)");
    cmd->add_option("--secondary", o->secondary_id, "secondary address, 8 or 16 hex digits (select, then address 253)");
    cmd->add_option("--limit", o->limit, "multi-telegram read limit (CMe3100 §6.25.3)")->capture_default_str();
    cmd->callback([o, &exit_code] { exit_code = run_read(*o); });
}

}  // namespace metercert::cli
