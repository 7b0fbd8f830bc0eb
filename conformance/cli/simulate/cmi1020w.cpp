// `metercert simulate cmi1020w`: the reference CMi1020W (reference/devices/cmi1020w.hpp) with its
// E350 meter model, on the simulator host (rigs/sim_host.hpp). It transmits wireless M-Bus
// telegrams (format A, CRCs included) every interval: to --hex-out (one telegram per line, upper
// case hex) and to --pcap. With --telegrams N the simulated time jumps from deadline to deadline
// (faster than real time) and the simulator exits after N telegrams; without it, it runs in real
// time until SIGINT/SIGTERM. The key is never printed (not in the readiness line, not on stderr).
//
// --dongle im871a|amb8465 --pty PATH: a receiver stick that hears the module, emulated on a
// pseudo-terminal linked at PATH (rigs/include/metercert/rigs/sticks/emulator.hpp): it answers
// the start-up commands of receiver software written for the real stick and sends each telegram
// as that stick would (its own framing, from the L-field, CRCs removed, RSSI where enabled), in
// real time on the host's clock.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "metercert/devices/cmi1020w.hpp"
#include "metercert/devices/e350.hpp"
#include "metercert/mbus/secondary_address.hpp"
#include "metercert/obis/readout.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "metercert/rigs/sim_host.hpp"
#include "metercert/rigs/sticks/emulator.hpp"
#include "metercert/rigs/wire.hpp"
#include "registry.hpp"
#include "serve.hpp"

namespace metercert::cli {

namespace {

struct Cmi1020WOptions {
    std::string readout_file;
    std::string key;
    std::string mode = "T1";
    double interval_s = 900;
    std::size_t telegrams = 0;  // 0: until a stop signal
    std::string hex_out;
    std::string pcap;
    std::string fault = "none";
    std::string dongle;
    std::string pty;
    double first_read_s = 15;
    std::string power;                     // a wire (rigs/wire.hpp): the module's supply
    std::vector<std::string> rate_inputs;  // two wires: the 230 VAC rate inputs A and B
    std::string led;                       // the red LED as a GPIO-style value file (1 lit, 0 dark)
};

// The RSSI the emulated stick reports for the module's telegrams: the radio path is not modelled
// (ERRATA E-73).
constexpr int kEmulatedRssiDbm = -60;

std::string hex(std::span<const std::uint8_t> b) {
    std::string s;
    s.reserve(b.size() * 2);
    for (auto c : b) s += fmt::format("{:02X}", c);
    return s;
}

// C.1.0 / C.1 of the readout as it is at start, for the readiness line (the module reads it
// again at every telegram).
std::string meter_id_text(const std::string& readout) {
    try {
        const obis::Readout r = obis::parse_readout(readout);
        const obis::DataLine* l = r.find("C.1.0");
        if (!l) l = r.find("C.1");
        if (l && !l->values.empty()) return l->values.front().value;
    } catch (const std::exception&) {
    }
    return {};
}

int run(const Cmi1020WOptions& o) {
    devices::Cmi1020WOptions mo;
    if (!o.key.empty()) {
        mo.key = wmbus::Key::from_hex(o.key);
        if (!mo.key) usage_error("--key must be 32 hex digits (the key is not shown)");
    }
    if (o.mode == "T1" || o.mode == "t1") {
        mo.mode = devices::RadioMode::t1;
    } else if (o.mode == "C1" || o.mode == "c1") {
        mo.mode = devices::RadioMode::c1;
    } else {
        usage_error(fmt::format("--mode '{}': expected T1 or C1", o.mode));
    }
    if (!(o.interval_s >= 0.05) || o.interval_s > 86400.0 * 365) usage_error("--interval: 0.05 s or more, at most a year");
    if (!(o.first_read_s >= 0) || o.first_read_s > 86400.0) usage_error("--first-read: 0 s or more, at most a day");
    if (o.dongle.empty() != o.pty.empty()) usage_error("--dongle and --pty go together: the emulated stick needs its pseudo-terminal");
    if (!o.dongle.empty() && o.telegrams)
        usage_error("--dongle runs in real time (receiver software reads the pty): leave out --telegrams");
    mo.interval = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.interval_s));
    const auto fault = devices::cmi1020w_fault_from_name(o.fault);
    if (!fault)
        usage_error(fmt::format("--fault '{}' is unknown ({})", o.fault, devices::fault_choices(devices::cmi1020w_fault_specs())));
    mo.fault = *fault;
    if (!mo.key && (*fault == devices::Cmi1020WFault::access_number_not_in_iv || *fault == devices::Cmi1020WFault::wrong_key ||
                    *fault == devices::Cmi1020WFault::plain_while_encrypted))
        usage_error(fmt::format("--fault {} needs --key (it changes the encryption)", o.fault));
    const std::string readout = o.readout_file.empty() ? std::string(rigs::default_e350_readout()) : load_readout(o.readout_file, "--readout");

    std::FILE* out = nullptr;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
    if (o.hex_out == "-") {
        out = stdout;
    } else if (!o.hex_out.empty()) {
        owned.reset(std::fopen(o.hex_out.c_str(), "w"));
        if (!owned) usage_error(fmt::format("--hex-out {}: cannot be written", o.hex_out));
        out = owned.get();
    }

    devices::E350 meter(readout);
    auto module = std::make_unique<devices::Cmi1020W>(meter, mo);
    // The rig's wires (rigs/wire.hpp): the supply (off: silent; on again: power-up, the first
    // telegram --first-read later) and the rate inputs A/B (the manual's "rate inputs").
    std::optional<rigs::Wire> power, rate_a, rate_b;
    rigs::WireState power_seen, a_seen, b_seen;
    bool powered = true;
    std::size_t power_cycles = 0;
    if ((!o.power.empty() || !o.rate_inputs.empty()) && o.telegrams)
        usage_error("--power/--rate-inputs are wires switched in real time: leave out --telegrams");
    try {
        if (!o.power.empty()) {
            power.emplace(o.power);
            power_seen = power->read();
            powered = power_seen.on;
        }
        if (!o.rate_inputs.empty()) {
            if (o.rate_inputs.size() != 2) usage_error("--rate-inputs: give two wires, A and B: WIRE_A,WIRE_B");
            rate_a.emplace(o.rate_inputs[0]);
            rate_b.emplace(o.rate_inputs[1]);
            a_seen = rate_a->read();
            b_seen = rate_b->read();
            module->set_rate_inputs(a_seen.on, b_seen.on);
        }
    } catch (const rigs::WireError& e) {
        usage_error(fmt::format("--power/--rate-inputs: {}", e.what()));
    }
    TimePoint powered_at{};  // on the host's clock
    std::unique_ptr<rigs::sticks::Emulator> stick;
    if (!o.dongle.empty()) {
        try {
            stick = rigs::sticks::make_emulator(o.dongle, mo.mode == devices::RadioMode::t1 ? rigs::sticks::RadioMode::t1
                                                                                             : rigs::sticks::RadioMode::c1);
        } catch (const std::invalid_argument&) {
            usage_error(fmt::format("--dongle '{}': expected {}", o.dongle, rigs::sticks::kStickNames));
        }
    }
    // The module's clock: power-up at the host's start, its first meter read --first-read later
    // (the manual's ~15 s by default; shorter for tests).
    const Duration shift = devices::kFirstMeterRead - std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.first_read_s));

    rigs::SimHost host;
    capture_or_usage_error(host, o.pcap, rigs::LinkKind::wmbus);
    host.stop_on_signals();
    rigs::PtyEndpoint* line = nullptr;
    if (stick)
        line = &pty_or_usage_error(host, o.pty, {.on_bytes = [&](std::span<const std::uint8_t> b) {
                                       const auto reply = stick->on_host_bytes(b);
                                       if (!reply.empty()) line->send(reply);
                                   }});

    const std::string id = meter_id_text(readout);
    const char* mode = mo.mode == devices::RadioMode::t1 ? "T1" : "C1";
    std::cerr << fmt::format("metercert simulate: CMi1020W ({}, {}, every {} s{}) for meter {}\n", mode,
                             mo.key ? "encrypted, security mode 5" : "plain", o.interval_s,
                             o.telegrams ? fmt::format(", {} telegram(s) in simulated time", o.telegrams) : "",
                             id.empty() ? "without C.1.0: nothing is transmitted" : id)
              << std::flush;
    host.announce_ready("cmi1020w", {{"model", "CMi1020W"},
                                     {"meter", "E350"},
                                     {"mode", mode},
                                     {"frame_format", "A"},
                                     {"interval_s", o.interval_s},
                                     {"encrypted", mo.key.has_value()},
                                     {"manufacturer", "ELV"},
                                     {"medium", 2},
                                     {"identification", id.empty() ? nlohmann::json(nullptr) : nlohmann::json(id)},
                                     {"telegrams", o.telegrams},
                                     {"hex_out", o.hex_out.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.hex_out)},
                                     {"fault", o.fault},
                                     {"dongle", o.dongle.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.dongle)}});

    // --led FILE: the red LED (manual "LED indications": lit from power-up until the first
    // telegram; dark without supply) for a rig's led input, replaced atomically on each change
    int led_shown = -1;
    auto show_led = [&] {
        if (o.led.empty()) return;
        const int lit = powered && module->red_led() ? 1 : 0;
        if (lit == led_shown) return;
        const std::string tmp = o.led + ".tmp";
        {
            std::ofstream f(tmp, std::ios::trunc);
            f << lit << "\n";
            if (!f) usage_error(fmt::format("--led '{}': cannot write {}", o.led, tmp));
        }
        if (std::rename(tmp.c_str(), o.led.c_str()) != 0) usage_error(fmt::format("--led '{}': cannot replace it", o.led));
        led_shown = lit;
    };
    show_led();

    std::size_t silent = 0;
    auto act = [&](TimePoint now) {
        const auto t = module->on_time(now - powered_at.time_since_epoch() + shift);
        show_led();  // the LED goes out as the meter is read, before the telegram is on the air
        if (!t) {
            ++silent;
            std::cerr << "metercert simulate: red LED: the meter could not be read or has no C.1.0; nothing transmitted\n";
            return false;
        }
        if (out) {
            std::fputs((hex(*t) + "\n").c_str(), out);
            std::fflush(out);
        }
        host.tap(rigs::Direction::from_dut, 0, *t, 0, 0, rigs::LinkKind::wmbus);
        if (stick) {
            const auto frame = stick->on_air(*t, kEmulatedRssiDbm);
            if (!frame.empty()) line->send(frame);
        }
        return true;
    };

    int code = 0;
    if (o.telegrams) {
        // simulated time: from deadline to deadline; a module that stays silent ends the run
        while (module->sent() < o.telegrams && !host.stopping()) {
            if (!act(module->next_deadline() - shift)) {
                code = 1;
                break;
            }
            host.run_once(0);  // a stop signal ends it between telegrams
        }
    } else {
        rigs::Timer* tick = nullptr;
        auto deadline = [&] { return module->next_deadline() - shift + powered_at.time_since_epoch(); };  // host clock
        auto arm = [&] {
            tick->arm_at(static_cast<rigs::SimTime>(
                std::chrono::ceil<std::chrono::milliseconds>(deadline().time_since_epoch()).count()));
        };
        tick = &host.timer([&] {
            act(std::max(host.time(), deadline()));
            show_led();
            arm();
        });
        if (powered) arm();
        if (power || rate_a)
            host.every(20, [&] {
                if (power)
                    if (const auto w = power->poll(); w && !(*w == power_seen)) {
                        const bool missed_cut = w->changes >= power_seen.changes + 2;  // an off-on pulse between two polls
                        const bool comes_on = w->on && (!powered || missed_cut);
                        if (powered && !w->on) {
                            tick->disarm();
                            std::cerr << "metercert simulate: power off (" << power->spec() << ")\n";
                        }
                        powered = w->on;
                        power_seen = *w;
                        show_led();
                        if (comes_on) {  // power-up: a new module (RAM lost), its clock from now
                            module = std::make_unique<devices::Cmi1020W>(meter, mo);
                            powered_at = host.time();
                            if (rate_a) module->set_rate_inputs(a_seen.on, b_seen.on);
                            ++power_cycles;
                            arm();
                            show_led();
                            std::cerr << "metercert simulate: power on (" << power->spec() << "): power cycle " << power_cycles << "\n";
                        }
                    }
                if (rate_a) {
                    if (const auto a = rate_a->poll()) a_seen = *a;
                    if (const auto b = rate_b->poll()) b_seen = *b;
                    if (powered) module->set_rate_inputs(a_seen.on, b_seen.on);  // a change only acts when enabled
                }
            });
        code = host.run();
    }
    std::cerr << fmt::format("metercert simulate: stopped; {} telegram(s) sent, {} interval(s) silent", module->sent(), silent);
    if (power) std::cerr << fmt::format("; {} power cycle(s) through the rig", power_cycles);
    if (stick)
        std::cerr << fmt::format("; {} stick: {} host command(s), {} byte(s) ignored, {} telegram(s) passed on", o.dongle,
                                 stick->commands(), stick->ignored(), stick->delivered());
    std::cerr << "\n";
    return code;
}

const bool registered = register_simulated_device({
    "cmi1020w",
    "A CMi1020W wireless M-Bus module with its E350 meter model: from 15 s after power-up\n"
    "it reads the meter and transmits the default fields (C.1.0, C.5.0, C.7.0, 1.8.0, 2.8.0,\n"
    "15.8.0, 16.7.0 as the meter sends them) every --interval, plain or encrypted (--key:\n"
    "security mode 5), as EN 13757-4 frame format A telegrams. --hex-out - prints the readiness\n"
    "line, then one telegram per line (hex, CRCs included). --telegrams N runs in simulated\n"
    "time and exits after N telegrams (exit 1 when the module stays silent: no C.1.0).\n"
    "--dongle im871a|amb8465 --pty PATH emulates a receiver stick hearing the module on a\n"
    "pseudo-terminal (IMST iM871A WM-Bus HCI at 57600 baud; Amber AMB8465 command mode at\n"
    "9600 baud): receiver software for the real stick (wmbusmeters, our wmbus+im871a:// and\n"
    "wmbus+amb8465:// links) reads the telegrams from it, CRCs removed, RSSI where enabled.",
    [](CLI::App& c) -> std::function<int()> {
        auto o = std::make_shared<Cmi1020WOptions>();
        c.add_option("--readout", o->readout_file,
                     "IEC 62056-21 readout file the meter answers with, with or without the wire framing\n"
                     "(checked at start; default: the real E350)");
        c.add_option("--key", o->key, "AES-128 key, 32 hex digits: encrypted telegrams (security mode 5); never printed");
        c.add_option("--mode", o->mode, "wireless M-Bus mode, T1 or C1 (both frame format A)")->capture_default_str();
        c.add_option("--interval", o->interval_s, "time between telegrams, s (decimals allowed, from 0.05)")->capture_default_str();
        c.add_option("--first-read", o->first_read_s,
                     "time from power-up to the first meter read and telegram, s (decimals allowed;\n"
                     "the manual's red LED: around 15 s)")
            ->capture_default_str();
        c.add_option("--telegrams", o->telegrams, "send N telegrams in simulated time, then exit (0: run in real time until stopped)")
            ->capture_default_str();
        c.add_option("--hex-out", o->hex_out, "write each telegram as one line of hex to FILE (- = stdout, after the readiness line)");
        c.add_option("--pcap", o->pcap, "write every telegram, with its time, to this pcap file (link type 148, LINKTYPE_USER1,\n"
                                        "after metercert's pseudo-header: rigs/pcap.hpp; ERRATA E-57; rigs/wireshark/wmbus.lua);\n"
                                        "the key is never in it");
        c.add_option("--dongle", o->dongle, "emulate a receiver stick on --pty: im871a or amb8465");
        c.add_option("--pty", o->pty, "with --dongle: create a pseudo-terminal and link its slave side at PATH");
        c.add_option("--fault", o->fault,
                     fault_help("module fault to inject (`metercert faults cmi1020w`)", devices::cmi1020w_fault_specs()))
            ->capture_default_str();
        c.add_option("--power", o->power,
                     "a rig's wire for the module's supply: PATH:OUTPUT (rigs/README.md 'Wires'). Off: silent;\n"
                     "on again: power-up (RAM lost), the first telegram --first-read later");
        c.add_option("--rate-inputs", o->rate_inputs,
                     "two wires WIRE_A,WIRE_B for the rate inputs A and B (disabled in the default\n"
                     "configuration: a change sends the meter nothing)")
            ->delimiter(',')
            ->expected(2);
        c.add_option("--led", o->led,
                     "write the red LED to FILE as 1 (lit) or 0 (dark), replaced on each change: lit from\n"
                     "power-up until the first telegram, dark without supply (a rig's led input, e.g. labgrid's\n"
                     "FileDigitalOutputDriver; ERRATA E-144)");
        return [o] { return run(*o); };
    },
});

}  // namespace

}  // namespace metercert::cli
