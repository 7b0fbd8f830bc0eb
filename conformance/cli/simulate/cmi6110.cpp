// `metercert simulate cmi6110`: the reference CMi6110 (its UH50 meter, schedule and backlog:
// reference/include/metercert/devices/cmi6110/module.hpp) run entirely in simulated time — no
// socket, no waiting — from --start for --days, writing the uplinks file (module.hpp): first the
// configuration line {"config": {…}}, then every uplink the module sends as one JSON line
// {"time": transmit time UTC, "planned": T1 UTC, "encoding", "payload": hex (JSON text for json),
// "readouts": n}. A transmission while the network is down (--network-down FROM..TO, UTC, FROM
// included, TO excluded) sends nothing and its readouts stay unsent (manual §7.3.4). The file is
// what `metercert run --profile cmi6110 --dut cmi6110+uplinks:FILE` certifies.
//
// The supply, the power mode and the push button (§5.3.5-§5.3.6, §7.5; ERRATA E-111, E-112):
// --power-mode passive ships the module passive (no uplink until a press of ≥ 5 s activates it),
// --power-off FROM..TO and --press AT+SECONDS act at simulated times; or the rig's wires
// (rigs/wire.hpp) --power WIRE and --button WIRE are watched in real time for --watch seconds,
// each second of the watch one second of the simulation from --start, before the run.
#include <set>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "metercert/devices/cmi6110/module.hpp"
#include "metercert/rigs/coap/log.hpp"
#include "metercert/rigs/lwm2m/client.hpp"
#include "metercert/rigs/wire.hpp"
#include "registry.hpp"
#include "serve.hpp"

namespace metercert::cli {

namespace {

using namespace devices::cmi6110;

struct Cmi6110Options {
    std::string start = "2019-11-28T00:00Z";
    unsigned days = 1;
    std::string network_down;
    std::string uplinks_out = "-";
    std::uint64_t seed = 1;
    std::string meter_id = "12345678";
    std::string encoding = "senml";
    std::string format = "standard";
    std::string order = "lifo";
    int readout_interval = 60, transmit_interval = 1440, transmit_offset = 30, transmit_delay = 240;
    int utc_offset = 0, max_age = 10080;
    unsigned max_uploads = 4;
    std::size_t per_telegram = 0;
    std::size_t max_payload_bytes = 0;
    std::vector<std::string> meter_errors;
    std::string fault = "none";
    int clock_error = 0;              // minutes (§7.3.2)
    std::string time_sync;            // UTC
    std::string config;               // --config FILE: the §7.5 settings; options given on the line win
    std::set<std::string> given;      // the settings options given on the command line
    // the LwM2M client (rigs/include/metercert/rigs/lwm2m/client.hpp): on the network instead of the uplinks file
    std::string server, bootstrap, endpoint, psk_id, psk_hex;
    std::string dev_eui;              // Table 1 DevEUI (3/0/2, 0/0/3, 0/1/3); "": the model's factory value
    double apn_rollback_s = 300;      // §6.4 "for some time" (ERRATA E-128)
    bool nfc_lock = false;            // §7.2: locked through NFC before connecting (ERRATA E-89, E-164)
    std::uint32_t lifetime = 86400;
    double time_scale = 1.0;
    int listen = -1;                  // -1: no listener
    std::string gateway, topic;       // MQTT-SN uplinks
    double run_seconds = 0;           // 0: until SIGINT/SIGTERM
    std::string power_mode = "active";       // §7.5 at --start
    std::vector<std::string> power_off;      // FROM..TO (UTC, seconds allowed)
    std::vector<std::string> presses;        // AT+SECONDS
    int attach_s = 30;
    std::string power_wire, button_wire;     // rigs/wire.hpp
    double watch_s = 60;
};

std::atomic<bool> g_stop{false};
extern "C" void on_stop(int) { g_stop.store(true); }

// `--server` / `--bootstrap`: the reference client on the network (LwM2M TS 1.1 §6.1, §6.2)
int run_client(const Cmi6110Options& o, const ModuleConfig& uplinks) {
    rigs::lwm2m::ClientOptions c;
    c.uplinks = uplinks;
    c.gateway = o.gateway;
    c.topic = o.topic;
    c.seed = o.seed;
    c.server = o.server;
    c.bootstrap = o.bootstrap;
    c.endpoint = o.endpoint;
    c.dev_eui = o.dev_eui;
    if (!(o.apn_rollback_s > 0 && o.apn_rollback_s <= 86400)) usage_error("--apn-rollback-s must be 0 < seconds <= 86400");
    c.apn_rollback = std::chrono::milliseconds(static_cast<long long>(o.apn_rollback_s * 1000));
    c.nfc_locked = o.nfc_lock;
    if (!o.server.empty() && !o.bootstrap.empty()) usage_error("--server and --bootstrap: give one (the Bootstrap-Server names the DM server)");
    if (o.endpoint.empty()) usage_error("--endpoint NAME is required with --server/--bootstrap (the LwM2M Endpoint Client Name)");
    if (o.psk_id.empty() != o.psk_hex.empty()) usage_error("--psk-id and --psk go together");
    if (!o.psk_id.empty()) {
        rigs::coap::Psk psk;
        psk.identity = o.psk_id;
        const std::string& h = o.psk_hex;
        if (h.empty() || h.size() % 2 != 0 || h.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            usage_error("--psk: expected an even number of hex digits (the key itself is not shown)");
        for (std::size_t i = 0; i < h.size(); i += 2) psk.key.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
        rigs::coap::register_secret(psk.key);
        c.psk = psk;
    }
    if (o.lifetime < 1) usage_error("--lifetime must be ≥ 1 s");
    c.lifetime = o.lifetime;
    if (!(o.time_scale >= 1.0 && o.time_scale <= 1e6)) usage_error("--time-scale must be 1..1000000");
    c.time_scale = o.time_scale;
    if (o.listen > 65535) usage_error("--listen-port: a port 0..65535 (0: any free port)");
    if (o.listen >= 0) c.listen_port = static_cast<std::uint16_t>(o.listen);
    if (o.run_seconds < 0) usage_error("--run-seconds must be ≥ 0");
    c.run_time = std::chrono::milliseconds(static_cast<long long>(o.run_seconds * 1000));
    if (o.fault != "none") {
        if (o.fault == "registration_without_elvaco_objects") c.faults.no_elvaco_objects = true;
        else if (o.fault == "no_update_before_lifetime") c.faults.no_update = true;
        else if (o.fault == "writable_read_only_resource") c.faults.writable_read_only = true;
        else if (o.fault == "wrong_content_format") c.faults.wrong_content_format = true;
        else if (o.fault == "wrong_psk_identity") c.faults.wrong_psk_identity = true;
        else if (o.fault == "update_trigger_ignored") c.faults.update_trigger_ignored = true;
        else if (o.fault == "range_not_checked") c.faults.range_not_checked = true;
        else if (o.fault == "execute_not_checked") c.faults.execute_not_checked = true;
        else if (o.fault == "instance_read_drops_last_resource") c.faults.instance_read_drops_last_resource = true;
        else if (o.fault == "discover_without_attributes") c.faults.discover_without_attributes = true;
        else if (o.fault == "pmax_ignored") c.faults.pmax_ignored = true;
        else if (o.fault == "ignores_observe_cancel") c.faults.ignores_observe_cancel = true;
        else if (o.fault == "current_time_write_ignored") c.faults.current_time_write_ignored = true;
        else if (o.fault == "no_retransmission") c.faults.no_retransmission = true;
        else if (o.fault == "ack_timeout_doubled") c.faults.ack_timeout_doubled = true;
        else if (o.fault == "register_before_bootstrap_finish") c.faults.register_before_bootstrap_finish = true;
        else if (o.fault == "ignores_bootstrap_delete") c.faults.ignores_bootstrap_delete = true;
        else if (o.fault == "bootstrap_writable_by_dm") c.faults.bootstrap_writable_by_dm = true;
        else if (o.fault == "no_bootstrap_fallback") c.faults.no_bootstrap_fallback = true;
        else if (o.fault == "apn_not_rolled_back") c.faults.apn_not_rolled_back = true;
        else if (o.fault == "qos0_uplink") c.faults.qos0_uplink = true;
        else if (o.fault == "no_mqttsn_retransmission") c.faults.no_mqttsn_retransmission = true;
        else if (o.fault == "stale_readout_now") c.faults.stale_readout_now = true;
        else if (o.fault == "statistics_without_retransmissions") c.faults.statistics_without_retransmissions = true;
        else if (o.fault == "max_retransmit_off_by_one") c.faults.max_retransmit_off_by_one = true;
        else if (o.fault == "notification_not_resent") c.faults.notification_not_resent = true;
        else if (o.fault == "response_time_not_measured") c.faults.response_time_not_measured = true;
        else if (o.fault == "time_sync_write_without_readout") c.faults.time_sync_write_without_readout = true;
        else if (o.fault == "send_ignored_upload_protocol") c.faults.send_ignored_upload_protocol = true;
        else if (o.fault == "send_wrong_path") c.faults.send_wrong_path = true;
        else if (o.fault == "backlog_drops_unacked") c.faults.backlog_drops_unacked = true;
        else if (o.fault == "radio_band_writable") c.faults.radio_band_writable = true;
        else if (o.fault == "mqttsn_plain_despite_psk") c.faults.mqttsn_plain_despite_psk = true;
        else if (o.fault == "no_register_after_discarded_update") c.faults.no_register_after_discarded_update = true;
        else if (o.fault == "connection_mode_ignored") c.faults.connection_mode_ignored = true;
        else if (o.fault == "lock_state_not_reported") c.faults.lock_state_not_reported = true;
        else usage_error(fmt::format("--fault '{}' with --server/--bootstrap: unknown ({})", o.fault,
                                     devices::fault_choices(network_fault_specs())));
    }
    std::signal(SIGINT, on_stop);
    std::signal(SIGTERM, on_stop);
    try {
        rigs::lwm2m::Client client(c, [](const std::string& line) { std::cerr << "metercert simulate cmi6110: " << line << std::endl; });
        client.run(g_stop);
    } catch (const rigs::coap::CoapError& e) {
        usage_error(e.what());
    } catch (const rigs::lwm2m::ClientError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

UtcTime parse_utc_s(const std::string& s, const char* option) {
    const auto t = parse_utc_text(s);
    if (!t) usage_error(fmt::format("{} '{}': expected YYYY-MM-DDTHH:MM[:SS]Z (UTC)", option, s));
    return *t;
}

// The wires watched in real time for `watch_s`: what they did, at --start + the elapsed time.
void watch_wires(const Cmi6110Options& o, SimulationRun& run) {
    std::optional<rigs::Wire> power, button;
    rigs::WireState p_seen, b_seen;
    try {
        if (!o.power_wire.empty()) power.emplace(o.power_wire), p_seen = power->read();
        if (!o.button_wire.empty()) button.emplace(o.button_wire), b_seen = button->read();
    } catch (const rigs::WireError& e) {
        usage_error(fmt::format("--power/--button: {}", e.what()));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto at = [&] {
        return run.start + std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    };
    bool off = power && !p_seen.on, pressed = button && b_seen.on;  // as the watch starts
    UtcTime off_since = run.start, pressed_at = run.start;
    std::cerr << fmt::format("metercert simulate: watching the wires for {} s\n", o.watch_s);
    const auto until = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(o.watch_s));
    while (std::chrono::steady_clock::now() < until) {
        if (power)
            if (const auto w = power->poll(); w && !(*w == p_seen)) {
                const UtcTime now = at();
                if (!w->on && !off) off = true, off_since = now;
                if (w->on && off) run.power_off.push_back({off_since, now}), off = false;
                std::cerr << "metercert simulate: power " << (w->on ? "on" : "off") << " (" << power->spec() << ")\n";
                p_seen = *w;
            }
        if (button)
            if (const auto w = button->poll(); w && !(*w == b_seen)) {
                const UtcTime now = at();
                if (w->on && !pressed) pressed = true, pressed_at = now;
                if (!w->on && pressed)
                    run.presses.push_back({pressed_at, std::chrono::duration_cast<std::chrono::milliseconds>(now - pressed_at)}),
                        pressed = false;
                std::cerr << "metercert simulate: button " << (w->on ? "pressed" : "released") << " (" << button->spec() << ")\n";
                b_seen = *w;
            }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    if (off) run.power_off.push_back({off_since, run.start + std::chrono::days{run.days}});  // still off: to the end
}

UtcTime parse_utc(const std::string& s, const char* option) {
    const auto t = parse_utc_text(s);
    if (!t || *t != std::chrono::floor<std::chrono::minutes>(*t))
        usage_error(fmt::format("{} '{}': expected YYYY-MM-DDTHH:MMZ (UTC)", option, s));
    return *t;
}

int run(const Cmi6110Options& o) {
    SimulationRun run;
    run.start = parse_utc(o.start, "--start");
    if (!o.network_down.empty()) {
        const auto dots = o.network_down.find("..");
        if (dots == std::string::npos) usage_error("--network-down: expected FROM..TO (UTC times)");
        run.network_down_from = parse_utc(o.network_down.substr(0, dots), "--network-down");
        run.network_down_to = parse_utc(o.network_down.substr(dots + 2), "--network-down");
        if (run.network_down_to < run.network_down_from) usage_error("--network-down: TO is before FROM");
    }
    if (o.days < 1 || o.days > 3660) usage_error("--days must be 1..3660");
    run.days = o.days;
    run.seed = o.seed;
    if (o.clock_error < -1440 || o.clock_error > 1440) usage_error("--meter-clock-error must be -1440..1440 minutes");
    run.clock_error = std::chrono::minutes{o.clock_error};
    if (!o.time_sync.empty()) run.time_sync = parse_utc(o.time_sync, "--time-sync");
    for (const auto& name : o.meter_errors) {
        Uh50Error e{};
        if (!parse_uh50_error(name, e)) usage_error(fmt::format("--meter-error '{}': not a UH50 error of Table 3 (F0 … F7V2)", name));
        run.meter_errors.push_back(e);
    }
    const bool network = !o.server.empty() || !o.bootstrap.empty();  // the LwM2M client: its own faults (run_client)
    const auto fault = network ? std::optional<Cmi6110Fault>(Cmi6110Fault::none) : fault_from_name(o.fault);
    if (!network && fault && is_network_fault(*fault))
        usage_error(fmt::format("--fault {} is a network fault of the LwM2M client: it needs --server or --bootstrap", o.fault));
    if (!network && o.nfc_lock) usage_error("--nfc-lock locks the LwM2M client's model: it needs --server or --bootstrap");
    if (!fault) usage_error(fmt::format("--fault '{}': unknown ({})", o.fault, devices::fault_choices(fault_specs())));
    run.fault = *fault;
    run.power_mode = o.power_mode == "passive" ? PowerMode::passive : PowerMode::active;
    if (o.attach_s < 0 || o.attach_s > 3600) usage_error("--attach-s must be 0..3600 seconds");
    run.attach = std::chrono::seconds{o.attach_s};
    const bool wires = !o.power_wire.empty() || !o.button_wire.empty();
    if (wires && (!o.power_off.empty() || !o.presses.empty()))
        usage_error("--power/--button are wires watched in real time: leave out --power-off and --press");
    for (const auto& span : o.power_off) {
        const auto dots = span.find("..");
        if (dots == std::string::npos) usage_error(fmt::format("--power-off '{}': expected FROM..TO (UTC times)", span));
        PowerOff p{parse_utc_s(span.substr(0, dots), "--power-off"), parse_utc_s(span.substr(dots + 2), "--power-off")};
        if (p.to < p.from) usage_error(fmt::format("--power-off '{}': TO is before FROM", span));
        if (!run.power_off.empty() && p.from < run.power_off.back().to)
            usage_error(fmt::format("--power-off '{}': overlaps or precedes the span before it", span));
        run.power_off.push_back(p);
    }
    for (const auto& press : o.presses) {
        const auto plus = press.rfind('+');
        double held = -1;
        try {
            std::size_t n = 0;
            if (plus != std::string::npos) held = std::stod(press.substr(plus + 1), &n), n += plus + 1;
            if (n != press.size()) held = -1;
        } catch (const std::exception&) {
            held = -1;
        }
        if (plus == std::string::npos || !(held >= 0 && held <= 3600))
            usage_error(fmt::format("--press '{}': expected AT+SECONDS (UTC time, a hold of 0..3600 s)", press));
        ButtonPress b{parse_utc_s(press.substr(0, plus), "--press"), std::chrono::milliseconds{static_cast<long long>(held * 1000 + 0.5)}};
        if (!run.presses.empty() && b.at < run.presses.back().at) usage_error(fmt::format("--press '{}': before the press before it", press));
        run.presses.push_back(b);
    }
    if (wires) {
        if (!(o.watch_s > 0 && o.watch_s <= 3600)) usage_error("--watch must be 0 < seconds <= 3600");
        watch_wires(o, run);
    }

    ModuleConfig c;
    if (!o.config.empty()) {
        const std::string text = read_input_file(o.config, "--config");
        try {
            c = parse_config_file(text);
        } catch (const UplinksError& e) {
            usage_error(fmt::format("--config {}: {}", o.config, e.what()));
        }
    }
    // without --config every option sets its setting (its default when not given); with it, only
    // the options given on the command line replace the file's
    const auto set = [&](const char* option) { return o.config.empty() || o.given.count(option) != 0; };
    if (set("--meter-id")) c.meter_id = o.meter_id;
    if (set("--readout-interval")) c.schedule.readout_interval = std::chrono::minutes{o.readout_interval};
    if (set("--transmit-interval")) c.schedule.transmit_interval = std::chrono::minutes{o.transmit_interval};
    if (set("--transmit-offset")) c.schedule.transmit_offset = std::chrono::minutes{o.transmit_offset};
    if (set("--transmit-delay")) c.schedule.transmit_delay = std::chrono::minutes{o.transmit_delay};
    if (set("--utc-offset")) c.schedule.utc_offset = std::chrono::minutes{o.utc_offset};
    if (set("--encoding"))
        c.encoding = o.encoding == "mbus" ? MessageEncoding::mbus : o.encoding == "json" ? MessageEncoding::json : MessageEncoding::senml;
    if (set("--format")) c.format = o.format == "extended" ? MessageFormat::extended : MessageFormat::standard;
    if (set("--order")) c.order = o.order == "fifo" ? UploadOrder::fifo : UploadOrder::lifo;
    if (set("--max-age")) c.max_age = std::chrono::minutes{o.max_age};
    if (set("--max-uploads")) c.max_uploads = o.max_uploads;
    if (set("--readouts-per-telegram")) c.readouts_per_telegram = o.per_telegram;
    if (set("--max-payload-bytes")) c.max_payload_bytes = o.max_payload_bytes;
    if (network) {
        try {
            check_config(c);
        } catch (const std::invalid_argument& e) {
            usage_error(e.what());
        }
        return run_client(o, c);
    }
    SimulationResult r;
    try {
        r = simulate(c, run);
    } catch (const std::invalid_argument& e) {
        // check_config names the setting first ("transmit_delay 300: must be 1..240 (§7.5)"): as the option
        std::string what = e.what();
        const auto space = what.find(' ');
        std::string option = "--" + what.substr(0, space);
        std::replace(option.begin(), option.end(), '_', '-');
        usage_error(option + what.substr(space));
    }

    std::ofstream file;
    if (o.uplinks_out != "-") {
        file.open(o.uplinks_out, std::ios::binary | std::ios::trunc);
        if (!file) usage_error(fmt::format("--uplinks-out '{}': cannot write", o.uplinks_out));
    }
    std::ostream& out = o.uplinks_out == "-" ? std::cout : file;
    out << config_line(c) << "\n";
    for (const auto& u : r.uplinks) out << uplink_line(u) << "\n";
    out.flush();
    std::cerr << fmt::format("metercert simulate cmi6110: {} uplink(s), {} transmission(s) while the network was down, {} readout(s) unsent, "
                             "{} attach(es) after power-up/activation/reboot, {} at the end{}\n",
                             r.uplinks.size(), r.missed_transmissions, r.unsent, r.attached.size(), power_mode_name(r.final_mode),
                             run.fault == Cmi6110Fault::none ? "" : fmt::format(" (fault {})", o.fault));
    return 0;
}

const bool registered = register_simulated_device({
    "cmi6110",
    "The CMi6110 NB-IoT module with its UH50 heat meter (schedule §7.3, backlog §7.3.4),\n"
    "run in simulated time from --start for --days (no waiting). Writes the uplinks file\n"
    "(the configuration line, then one JSON line per uplink: transmit time UTC, encoding,\n"
    "payload) to --uplinks-out: the input of `run --profile cmi6110 --dut cmi6110+uplinks:FILE`.\n"
    "With --server or --bootstrap it is the module's LwM2M client on the network instead (real time,\n"
    "or --time-scale): bootstrap (LwM2M TS 1.1 §6.1), Register/Update/De-register (§6.2) and the DM\n"
    "server's Read/Write/Execute/Discover/Write-Attributes/Observe on its objects (manual §6.3).\n"
    "Power mode, supply and push button (§5.3.5-§5.3.6; ERRATA E-111, E-112): --power-mode,\n"
    "--power-off, --press at simulated times, or the rig's --power/--button wires watched for --watch s.",
    [](CLI::App& c) -> std::function<int()> {
        auto o = std::make_shared<Cmi6110Options>();
        c.add_option("--start", o->start, "simulated start, UTC (YYYY-MM-DDTHH:MMZ)")->capture_default_str();
        c.add_option("--days", o->days, "simulated days to run")->capture_default_str();
        c.add_option("--network-down", o->network_down, "FROM..TO (UTC): transmissions then fail");
        c.add_option("--uplinks-out", o->uplinks_out, "the uplinks file (JSON lines) to FILE, or - for stdout")->capture_default_str();
        c.add_option("--seed", o->seed, "seed of the meter and of the transmit delays")->capture_default_str();
        c.add_option("--meter-id", o->meter_id, "the UH50's 8-digit identification number")->capture_default_str();
        c.add_option("--encoding", o->encoding, "message encoding (§7.5)")
            ->check(CLI::IsMember({"senml", "mbus", "json"}))
            ->capture_default_str();
        c.add_option("--format", o->format, "message format (§7.5: Standard 42, Extended 43)")
            ->check(CLI::IsMember({"standard", "extended"}))
            ->capture_default_str();
        c.add_option("--order", o->order, "auto-upload order (§7.5)")->check(CLI::IsMember({"fifo", "lifo"}))->capture_default_str();
        c.add_option("--readout-interval", o->readout_interval, "minutes (§7.5)")->capture_default_str();
        c.add_option("--transmit-interval", o->transmit_interval, "minutes (§7.5)")->capture_default_str();
        c.add_option("--transmit-offset", o->transmit_offset, "minutes (§7.5; ERRATA E-60)")->capture_default_str();
        c.add_option("--transmit-delay", o->transmit_delay, "minutes (§7.5)")->capture_default_str();
        c.add_option("--utc-offset", o->utc_offset, "minutes (§7.3.1)")->capture_default_str();
        c.add_option("--max-age", o->max_age, "auto-upload maximum age, minutes (§7.5)")->capture_default_str();
        c.add_option("--max-uploads", o->max_uploads, "max uploads per transmission (§7.5)")->capture_default_str();
        c.add_option("--readouts-per-telegram", o->per_telegram,
                     "SenML readouts per telegram (default: transmit / readout interval)");
        c.add_option("--max-payload-bytes", o->max_payload_bytes, "split SenML packs larger than this (0: no limit)");
        c.add_option("--meter-error", o->meter_errors, "a UH50 error bit of Table 3 set from the start (F0 … F7V2; repeatable)");
        c.add_option("--fault", o->fault,
                     "the module deviates one way (metercert faults cmi6110); with --server/--bootstrap one of the\n"
                     "client's network faults: " + devices::fault_choices(network_fault_specs()).substr(6))->capture_default_str();
        c.add_option("--meter-clock-error", o->clock_error,
                     "minutes the meter's clock is off until a time synchronisation (§7.3.2)")->capture_default_str();
        c.add_option("--time-sync", o->time_sync,
                     "UTC time (YYYY-MM-DDTHH:MMZ) the module synchronises the meter's clock: a readout and a\n"
                     "transmission then, and the schedule restarts from the corrected time (§7.3.2; ERRATA E-61)");
        c.add_option("--config", o->config,
                     "the §7.5 settings from FILE: {\"config\": {…}} with the keys of the uplinks file's first\n"
                     "line (rigs/README.md); a setting option given on the command line replaces the file's");
        c.add_option("--server", o->server,
                     "coap://HOST:PORT or coaps://HOST:PORT (with --psk-id/--psk): register straight with this LwM2M DM\n"
                     "server (POST /rd, TS 1.1 §6.2) and serve its requests until SIGINT/SIGTERM (then De-register)");
        c.add_option("--bootstrap", o->bootstrap,
                     "coap[s]://HOST:PORT: client-initiated bootstrap (POST /bs?ep=, TS 1.1 §6.1), then register with the DM\n"
                     "server the Security/Server objects now name, with the PSK the Bootstrap-Server wrote");
        c.add_option("--endpoint", o->endpoint, "the LwM2M Endpoint Client Name (ep) for --server/--bootstrap");
        c.add_option("--psk-id", o->psk_id, "DTLS PSK identity for the first server (coaps://)");
        c.add_option("--dev-eui", o->dev_eui,
                     "with --server/--bootstrap: the module's DevEUI (Table 1: Serial Number 3/0/2 and the PSK identities 0/0/3,\n"
                     "0/1/3 it presents to the DM server after a bootstrap); default 0000000000000000");
        c.add_option("--apn-rollback-s", o->apn_rollback_s,
                     "with --server/--bootstrap: after 33906/0/15 (§6.4 APN change) roll back to the old APN when no\n"
                     "bootstrap/registration succeeds within this many real seconds (default 300; ERRATA E-128)");
        c.add_option("--psk", o->psk_hex, "DTLS PSK as hex (never shown in any output)");
        c.add_flag("--nfc-lock", o->nfc_lock,
                   "with --server/--bootstrap: the module is locked through its NFC path before it connects (§7.2, §7.5\n"
                   "Table 8 Configuration Lock = Locked; default Open): 33906/0/5 reads true, LwM2M writes are not subject\n"
                   "to the lock (ERRATA E-89, E-164)");
        c.add_option("--lifetime", o->lifetime, "registration lifetime, s of model time (Update at half of it)")->capture_default_str();
        c.add_option("--time-scale", o->time_scale, "model seconds per real second for the client's timers (lifetime/Update)")
            ->capture_default_str();
        c.add_option("--listen-port", o->listen,
                     "also serve the DM interface on 127.0.0.1:PORT (0: any free port; coaps with the DM PSK, else coap) for\n"
                     "third-party CoAP clients (coap-client-openssl); the port is printed on stderr");
        c.add_option("--gateway", o->gateway,
                     "with --server/--bootstrap: HOST:PORT of an MQTT-SN 1.2 gateway (UDP): the module's uplinks (the\n"
                     "schedule options above, on the --time-scale clock) published QoS 1 there; a DM Write of\n"
                     "33905/0/0 (mqttsn://HOST:PORT) names another one (ERRATA E-133); with 33905/0/2 = 0 (PSK mode)\n"
                     "and the key 33905/0/5 written by the DM server the uplinks go inside DTLS 1.2 PSK under the DM PSK\n"
                     "identity (ERRATA E-134, E-147)");
        c.add_option("--topic", o->topic, "MQTT-SN topic of the uplinks (default: 33905/0/11, else cmi6110/ENDPOINT)");
        c.add_option("--run-seconds", o->run_seconds, "with --server/--bootstrap: stop (and De-register) after this many real seconds (0: on a signal)");
        c.add_option("--power-mode", o->power_mode,
                     "the §7.5 power mode at --start: active (running) or passive (as delivered: nothing is sent\n"
                     "until a press of >= 5 s activates it; §5.3.5)")
            ->check(CLI::IsMember({"active", "passive"}))
            ->capture_default_str();
        c.add_option("--power-off", o->power_off,
                     "FROM..TO (UTC, seconds allowed): the supply is off; an active module attaches --attach-s after\n"
                     "it returns and sends a readout (repeatable; §5.3.5, ERRATA E-112)");
        c.add_option("--press", o->presses,
                     "AT+SECONDS: the push button pressed at AT (UTC) and held SECONDS: passive >= 5 s activates;\n"
                     "active 5-15 s reboots, 15-20 s switches off (repeatable; §5.3.5-§5.3.6, ERRATA E-111)");
        c.add_option("--attach-s", o->attach_s, "seconds from power-up, activation or reboot to the attach, its readout and\n"
                     "uplink (ERRATA E-112)")->capture_default_str();
        c.add_option("--power", o->power_wire,
                     "a wire (PATH:OUTPUT, rigs/README.md): the supply, watched in real time for --watch seconds\n"
                     "from --start before the run");
        c.add_option("--button", o->button_wire, "a wire: the push button (closed = pressed), watched as --power");
        c.add_option("--watch", o->watch_s, "seconds the wires are watched in real time (one simulated second each)")
            ->capture_default_str();
        return [o, &c] {
            for (const char* opt : {"--meter-id", "--readout-interval", "--transmit-interval", "--transmit-offset",
                                    "--transmit-delay", "--utc-offset", "--encoding", "--format", "--order", "--max-age",
                                    "--max-uploads", "--readouts-per-telegram", "--max-payload-bytes"})
                if (c.count(opt) > 0) o->given.insert(opt);
            return run(*o);
        };
    },
});

}  // namespace

}  // namespace metercert::cli
