// `metercert simulate cme3100`: the CMe3100 metering gateway's reference model
// (reference/devices/cme3100/gateway.hpp) on the simulator host (rigs/sim_host.hpp): installs
// meters, reads them on the cron schedule through the master (the first readout at start), stores
// everything in the SQLite database, writes the commission report, and serves the database as
// Virtual M-Bus on --listen (one master at a time).
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "metercert/devices/cme3100/csv.hpp"
#include "metercert/devices/cme3100/faults.hpp"
#include "metercert/devices/cme3100/gateway.hpp"
#include "metercert/devices/cme3100/key_file.hpp"
#include "metercert/devices/cme3100/meter_list.hpp"
#include "metercert/devices/cme3100/schedule.hpp"
#include "metercert/master/search.hpp"
#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/pcap.hpp"
#include "metercert/rigs/sim_host.hpp"
#include "metercert/rigs/wmbus_receiver.hpp"
#include "registry.hpp"
#include "serve.hpp"
#include "state_file.hpp"

namespace metercert::cli {

namespace {

struct Cme3100Options {
    std::string listen;
    std::string serial;
    std::string bus_url;
    unsigned baud = 2400;
    std::string meter_list;
    bool search = false;
    std::string keys;
    std::string db = ":memory:";
    std::string schedule = "*/15 * * * *";
    unsigned read_limit = 10;
    unsigned readout_retries = 2;    // Table 7 "Readout retries" (ERRATA E-28: further attempts)
    unsigned selection_retries = 2;  // Table 7 "Selection retries"
    std::string fault = "none";      // devices/cme3100/faults.hpp
    std::size_t licence = 500;
    unsigned expiration_s = 86400;
    std::string commission_report;
    std::string pcap;
    std::string wmbus;               // a link offering wmbus.receive: the Wireless M-Bus Receiver
    double wmbus_listen_s = 60;      // how long each readout listens to it, on the link's clock
    std::string wmbus_pcap;
};

int run(const Cme3100Options& o) {
    if (o.listen.empty()) usage_error("simulate cme3100 needs --listen tcp://HOST:PORT (the Virtual M-Bus port)");
    if (!o.serial.empty() && !o.bus_url.empty()) usage_error("give at most one of --serial DEV and --bus sim:cmi1020?...");
    if (o.serial.empty() && o.bus_url.empty() && o.wmbus.empty())
        usage_error("give the meters: --serial DEV or --bus sim:cmi1020?... (wired), --wmbus URL (wireless), or both");
    if (o.meter_list.empty() == !o.search) usage_error("give exactly one of --meter-list FILE and --search");
    if (o.search && o.serial.empty() && o.bus_url.empty()) usage_error("--search needs the wired M-Bus (--serial or --bus): a wireless meter is installed from a Meter List (§6.5.2)");
    if (!(o.wmbus_listen_s >= 0 && o.wmbus_listen_s <= 86400)) usage_error("--wmbus-listen must be 0…86400 s");
    if (!o.wmbus_pcap.empty() && o.wmbus.empty()) usage_error("--wmbus-pcap needs --wmbus URL");
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
    rigs::SimHost host;
    capture_or_usage_error(host, o.pcap);
    // channel 0 of the capture: the gateway's own meter bus, recorded relative to the simulated
    // gateway (the device under test of whoever uses it): what it sends its meters is from_dut.
    // The meter link puts its own redaction stage in front of the tap it is given.
    rigs::FromDeviceSideTap meter_side(host.capture_writer());
    std::unique_ptr<rigs::DutLink> meters;
    master::BusPort* meter_port = nullptr;
    const bool wired = !o.bus_url.empty() || !o.serial.empty();
    if (wired)
        or_usage_error([&] {
            const std::string url = !o.bus_url.empty() ? o.bus_url : fmt::format("serial://{}?baud={}", o.serial, o.baud);
            meters = rigs::open_link(url, {.tap = host.capturing() ? &meter_side : nullptr});
            meter_port = &meters->require_mbus_request("--bus");
        });
    // the Wireless M-Bus Receiver (§6.5.2): any link that receives telegrams; its own capture
    // (link type 148: a pcap file holds one link type) records them as received by the gateway
    std::unique_ptr<rigs::PcapWriter> wmbus_capture;
    std::optional<rigs::FromDeviceSideTap> wmbus_side;
    std::unique_ptr<rigs::DutLink> receiver_link;
    rigs::WmbusReceiver* receiver = nullptr;
    if (!o.wmbus.empty())
        or_usage_error([&] {
            if (!o.wmbus_pcap.empty()) {
                wmbus_capture = std::make_unique<rigs::PcapWriter>(o.wmbus_pcap, rigs::LinkKind::wmbus);
                wmbus_side.emplace(wmbus_capture.get());
            }
            receiver_link = rigs::open_link(o.wmbus, {.tap = wmbus_side ? &*wmbus_side : nullptr});
            receiver = &receiver_link->require_wmbus_receive("--wmbus");
        });
    master::MasterSettings ms;
    ms.multi_telegram_limit = o.read_limit;
    ms.readout_retries = o.readout_retries;
    ms.selection_retries = o.selection_retries;
    if (fault && fault->hooks.master_settings) fault->hooks.master_settings(ms);  // the fault's master settings hook
    std::optional<master::Master> m;
    if (meter_port) m.emplace(*meter_port, ms);
    std::optional<devices::cme3100::Gateway> gw;
    try {
        devices::cme3100::GatewayConfig config{o.licence, std::chrono::seconds(o.expiration_s)};
        if (fault && fault->hooks.gateway_config) fault->hooks.gateway_config(config);  // the fault's deviations
        gw.emplace(o.db, config);
    } catch (const devices::cme3100::DatabaseError& e) {
        usage_error(e.what());
    }
    std::size_t installed = 0;
    if (!o.meter_list.empty()) {
        devices::cme3100::MeterListImport imp;
        try {
            imp = gw->install_meter_list(meter_list_csv);
        } catch (const devices::cme3100::CsvError& e) {
            usage_error(fmt::format("--meter-list {}: {}", o.meter_list, e.what()));
        }
        for (const auto& e : imp.errors) std::cerr << "metercert simulate: meter list " << e.message() << "\n";
        installed = imp.meters.size();
        std::cerr << fmt::format("metercert simulate: {} meter(s) installed from {}\n", installed, o.meter_list);
    } else {
        const auto found = master::search_secondary(*m, master::SearchAlgorithm::adaptive);
        installed = gw->install_found(found.found, o.baud);
        std::cerr << fmt::format("metercert simulate: search found {} meter(s), {} installed\n", found.found.size(), installed);
    }
    if (keys) {
        for (const auto& e : keys->errors) std::cerr << "metercert simulate: key file " << e.message() << "\n";
        std::cerr << fmt::format("metercert simulate: {} encryption key(s) imported\n", keys->keys.size());
        gw->install_keys(keys->keys);
    }
    host.stop_on_signals();
    // Each readout listens to the receiver for --wmbus-listen s of its clock and stores what the
    // installed wireless meters sent (the keys never appear in a message: errors name the meter)
    auto listen_wireless = [&](std::chrono::sys_seconds now) {
        using Outcome = devices::cme3100::WirelessReceipt::Outcome;
        std::map<Outcome, std::size_t> count;
        std::size_t telegrams = 0;
        const TimePoint until = receiver->now() + from_seconds(o.wmbus_listen_s);
        try {
            for (TimePoint t = receiver->now(); t < until; t = receiver->now()) {
                const auto got = receiver->receive(until - t);
                if (!got) break;
                ++telegrams;
                const auto r = gw->receive_wireless(got->frame, got->crc, now);
                ++count[r.outcome];
                if (r.outcome == Outcome::failed)
                    std::cerr << fmt::format("metercert simulate: wireless meter {} ({:08X}): {}\n", r.position, r.id, r.error);
                else if (r.outcome == Outcome::discarded)
                    std::cerr << fmt::format("metercert simulate: wireless telegram discarded: {}\n", r.error);
            }
        } catch (const master::PortError& e) {
            std::cerr << fmt::format("metercert simulate: wireless receiver {}: {}: {}\n", receiver_link->description(), e.name(), e.what());
        }
        std::cerr << fmt::format("metercert simulate: wireless: {} telegram(s) in {:g} s: {} stored, {} failed, {} from meters "
                                 "not installed, {} discarded\n",
                                 telegrams, o.wmbus_listen_s, count[Outcome::stored], count[Outcome::failed],
                                 count[Outcome::not_installed], count[Outcome::discarded]);
    };
    auto readout = [&](std::chrono::sys_seconds now) {
        std::size_t ok = 0;
        const auto res = m ? gw->read_all(*m, now) : std::vector<devices::cme3100::MeterReadResult>{};
        for (const auto& r : res) ok += r.ok;
        if (receiver) listen_wireless(now);
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
    const auto now = [&] { return host.clock().utc_seconds(); };  // the one clock's UTC (metercert/time.hpp)
    readout(now());
    devices::cme3100::ReadoutSchedule readouts(*schedule, host.clock().utc(), host.time());  // §6.39 on the one clock
    host.every(200, [&] {  // the cron schedule (§6.39, UTC)
        if (const auto due = readouts.take_due(host.time())) readout(*due);
    });

    // the Virtual M-Bus side goes to the capture too (channel 1), through the host's redaction stage
    auto vmb_tap = [&](rigs::Direction d, std::span<const std::uint8_t> b, std::uint8_t flags) { host.tap(d, 1, b, flags); };
    FramedInput input(host, [&] { return partial_frame_silence_ms(o.baud, true); },
                      [&](const mbus::StreamEvent& ev) { vmb_tap(rigs::Direction::to_dut, ev.bytes, rigs::kTapGarbled); });
    rigs::TcpListener* vmb = nullptr;
    vmb = &listen_or_usage_error(
        host, o.listen,
        {.admit = {},  // one master at a time
         .on_open = {},
         .on_bytes =
             [&](std::span<const std::uint8_t> in) {
                 for (auto& ev : input.feed(in)) {
                     vmb_tap(rigs::Direction::to_dut, ev.bytes,
                             ev.kind == mbus::StreamEvent::Kind::frame ? 0 : rigs::kTapGarbled);
                     if (ev.kind != mbus::StreamEvent::Kind::frame) continue;
                     const auto reply = gw->virtual_mbus(ev.bytes, now());
                     if (!reply) continue;
                     vmb_tap(rigs::Direction::from_dut, *reply, 0);
                     if (!vmb->send(*reply)) break;  // one master at a time on the Virtual M-Bus port
                 }
             },
         .on_close = [&] { input.drop_partial(); }});
    std::cerr << fmt::format("metercert simulate: CMe3100 Virtual M-Bus on {}; next readout {}\n", vmb->url(),
                             readouts.next_deadline() ? schedule->resolved() : "never")
              << std::flush;
    nlohmann::json fronts = nullptr, wireless = nullptr;  // the wired M-Bus; the Wireless M-Bus Receiver
    if (!o.bus_url.empty())
        fronts = {{"kind", "bus"}, {"url", o.bus_url}, {"description", meters->description()}};
    else if (!o.serial.empty())
        fronts = {{"kind", "serial"}, {"path", o.serial}, {"baud", o.baud}};
    if (receiver_link)  // its description, never its URL: a key= parameter stays out of every output
        wireless = {{"description", receiver_link->description()}, {"listen_s", o.wmbus_listen_s}};
    host.announce_ready("cme3100",
                        {{"model", "CMe3100"},
                         {"fronts", fronts},
                         {"wireless", wireless},
                         {"meters", installed},
                         {"fault", o.fault},
                         {"schedule", readouts.next_deadline() ? schedule->resolved() : "never"},
                         {"serves", "virtual_mbus"}});
    const int code = host.run();
    vmb->close_client();
    std::cerr << "metercert simulate: stopped\n";
    return code;
}

const bool registered = register_simulated_device({
    "cme3100",
    "The CMe3100 metering gateway: installs meters (--meter-list or --search), reads\n"
    "them into --db on --schedule and serves them as Virtual M-Bus on --listen (one\n"
    "master at a time). Wired meters on --bus or --serial; wireless meters (Meter List\n"
    "rows with AddressingMode esecondary, §6.5.2) through --wmbus, decrypted with the\n"
    "--keys file (§6.15).",
    [](CLI::App& c) -> std::function<int()> {
        auto o = std::make_shared<Cme3100Options>();
        c.add_option("--listen", o->listen,
                     "the Virtual M-Bus port, tcp://HOST:PORT; HOST an IPv4 address, PORT 0…65535 (0: any\n"
                     "free port, the bound one is in the readiness line on stdout)")
            ->required();
        c.add_option("--serial", o->serial, "read the meters on this serial M-Bus (8E1 at --baud)");
        c.add_option("--bus", o->bus_url, "read the meters of a simulated bus, e.g. sim:cmi1020?count=3");
        c.add_option("--baud", o->baud, "baud rate of --serial")->capture_default_str();
        c.add_option("--meter-list", o->meter_list, "install this Meter List (CSV, §6.5; a UTF-8 BOM is accepted)");
        c.add_flag("--search", o->search, "install the meters a secondary search finds (§6.5.3)");
        c.add_option("--keys", o->keys, "import this encryption key file (CSV, §6.15)");
        c.add_option("--db", o->db, "SQLite database file of meters, readouts and records")->capture_default_str();
        c.add_option("--schedule", o->schedule, "readout schedule, cron pattern of §6.39 (UTC)")->capture_default_str();
        c.add_option("--read-limit", o->read_limit, "multi-telegram read limit (§6.25.3)")->capture_default_str();
        c.add_option("--readout-retries", o->readout_retries,
                     "further REQ_UD2 attempts after a failed one (§6.25.2 Table 7, ERRATA E-28)")
            ->capture_default_str();
        c.add_option("--selection-retries", o->selection_retries,
                     "further selections of a meter that did not answer (§6.25.2 Table 7, ERRATA E-28)")
            ->capture_default_str();
        c.add_option("--fault", o->fault,
                     fault_help("deviate one way (fault-injected simulator; `metercert faults cme3100`)",
                                devices::cme3100::fault_specs()))
            ->capture_default_str();
        c.add_option("--licence", o->licence, "meters the licence allows; more are passive")->capture_default_str();
        c.add_option("--expiration", o->expiration_s, "Virtual M-Bus value expiration, s (§6.27.1)")->capture_default_str();
        c.add_option("--commission-report", o->commission_report, "write the commission report (CSV) after each readout");
        c.add_option("--pcap", o->pcap,
                     std::string(kPcapHelp) + ";\nchannel 0: the meters' M-Bus, channel 1: the Virtual M-Bus port");
        c.add_option("--wmbus", o->wmbus,
                     "the Wireless M-Bus Receiver: a DUT URL that receives telegrams (wmbus.receive), e.g.\n"
                     "sim:cmi1020w, wmbus+hex:FILE, wmbus+im871a:///dev/ttyUSB0 (§6.5.2)");
        c.add_option("--wmbus-listen", o->wmbus_listen_s, "s each readout listens to --wmbus, on its clock (simulated for sim:)")
            ->capture_default_str();
        c.add_option("--wmbus-pcap", o->wmbus_pcap, "write the received telegrams to this pcap file (link type 148)");
        return [o] { return run(*o); };
    },
});

}  // namespace

}  // namespace metercert::cli
