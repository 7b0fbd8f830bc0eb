// `metercert simulate cmi6110`: the reference CMi6110 (its UH50 meter, schedule and backlog:
// reference/include/metercert/devices/cmi6110/) run entirely in simulated time — no socket, no
// waiting — from --start for --days, writing every uplink the module sends as one JSON line:
// {"time": transmit time UTC, "planned": T1 UTC, "encoding", "payload": hex, "readouts": n,
// "synchronisation": false}. A transmission while the network is down (--network-down
// FROM..TO, UTC, FROM included, TO excluded) sends nothing and its readouts stay unsent
// (manual §7.3.4).
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "metercert/devices/cmi6110/backlog.hpp"
#include "metercert/devices/cmi6110/schedule.hpp"
#include "metercert/devices/cmi6110/uh50.hpp"
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
    std::string order = "lifo";
    int readout_interval = 60, transmit_interval = 1440, transmit_offset = 30, transmit_delay = 240;
    int utc_offset = 0, max_age = 10080;
    unsigned max_uploads = 4;
    std::size_t per_telegram = 0;
};

// "YYYY-MM-DDTHH:MMZ"
UtcTime parse_utc(const std::string& s, const char* option) {
    int y = 0;
    unsigned mo = 0, d = 0, h = 0, mi = 0;
    char tail = 0;
    const bool ok = s.size() == 17 && std::sscanf(s.c_str(), "%4d-%2u-%2uT%2u:%2u%c", &y, &mo, &d, &h, &mi, &tail) == 6 &&
                    tail == 'Z' && h < 24 && mi < 60;
    const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo}, std::chrono::day{d}};
    if (!ok || !ymd.ok()) usage_error(fmt::format("{} '{}': expected YYYY-MM-DDTHH:MMZ (UTC)", option, s));
    return UtcTime{std::chrono::sys_days{ymd}} + std::chrono::hours{h} + std::chrono::minutes{mi};
}

std::string format_utc(UtcTime t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - day)};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

int run(const Cmi6110Options& o) {
    const UtcTime start = parse_utc(o.start, "--start");
    UtcTime down_from = UtcTime::max(), down_to = UtcTime::max();
    if (!o.network_down.empty()) {
        const auto dots = o.network_down.find("..");
        if (dots == std::string::npos) usage_error("--network-down: expected FROM..TO (UTC times)");
        down_from = parse_utc(o.network_down.substr(0, dots), "--network-down");
        down_to = parse_utc(o.network_down.substr(dots + 2), "--network-down");
        if (down_to < down_from) usage_error("--network-down: TO is before FROM");
    }
    if (o.days < 1 || o.days > 3660) usage_error("--days must be 1..3660");
    auto in_range = [](int v, int lo, int hi, const char* option) {
        if (v < lo || v > hi) usage_error(fmt::format("{} must be {}..{} (§7.5)", option, lo, hi));
    };
    in_range(o.readout_interval, 5, 1440, "--readout-interval");
    in_range(o.transmit_interval, 5, 1440, "--transmit-interval");
    in_range(o.transmit_offset, 0, 1440, "--transmit-offset");
    in_range(o.transmit_delay, 1, 240, "--transmit-delay");
    in_range(o.utc_offset, -720, 720, "--utc-offset");
    in_range(o.max_age, 1, 10080, "--max-age");
    in_range(static_cast<int>(o.max_uploads), 1, 4, "--max-uploads");
    if (o.meter_id.size() != 8 || o.meter_id.find_first_not_of("0123456789") != std::string::npos)
        usage_error(fmt::format("--meter-id '{}': expected 8 decimal digits", o.meter_id));
    const auto id = std::stoul(o.meter_id);

    ScheduleConfig sc{std::chrono::minutes{o.readout_interval}, std::chrono::minutes{o.transmit_interval},
                      std::chrono::minutes{o.transmit_offset}, std::chrono::minutes{o.transmit_delay},
                      std::chrono::minutes{o.utc_offset}};
    BacklogConfig bc;
    bc.encoding = o.encoding == "mbus" ? MessageEncoding::mbus : o.encoding == "json" ? MessageEncoding::json : MessageEncoding::senml;
    bc.order = o.order == "fifo" ? UploadOrder::fifo : UploadOrder::lifo;
    bc.max_age = std::chrono::minutes{o.max_age};
    bc.max_uploads = o.max_uploads;
    bc.readouts_per_telegram = o.per_telegram ? o.per_telegram : readouts_per_pack(sc.readout_interval, sc.transmit_interval);

    // simulated time 0 is --start; the meter's clock is local standard time: UTC + UTC offset
    const UtcMapping utc{TimePoint{}, start};
    const UtcMapping meter_clock{TimePoint{}, start + sc.utc_offset};
    Uh50 meter(static_cast<std::uint32_t>(id), o.seed, TimePoint{});
    Schedule schedule(sc, meter_clock, o.seed, TimePoint{});
    Backlog backlog(bc);

    std::ofstream file;
    if (o.uplinks_out != "-") {
        file.open(o.uplinks_out, std::ios::binary | std::ios::trunc);
        if (!file) usage_error(fmt::format("--uplinks-out '{}': cannot write", o.uplinks_out));
    }
    std::ostream& out = o.uplinks_out == "-" ? std::cout : file;
    std::size_t uplinks = 0, missed = 0;
    for (const auto& e : schedule.advance_to(TimePoint{} + std::chrono::days{o.days})) {
        if (e.kind == ScheduleEventKind::readout) {
            backlog.store(e.timestamp, meter.read(e.at, meter_clock));
            continue;
        }
        const UtcTime now = utc.to_utc(e.at);
        auto telegrams = backlog.plan(now);
        if (now >= down_from && now < down_to) {
            ++missed;
            continue;
        }
        for (const auto& t : telegrams) {
            nlohmann::ordered_json j{{"time", format_utc(now)},
                                     {"planned", format_utc(utc.to_utc(e.planned))},
                                     {"encoding", o.encoding},
                                     {"payload", fmt::format("{:02X}", fmt::join(t.payload, ""))},
                                     {"readouts", t.readouts.size()},
                                     {"synchronisation", e.synchronisation}};
            out << j.dump() << "\n";
            ++uplinks;
        }
        backlog.mark_sent(telegrams);
    }
    out.flush();
    std::cerr << fmt::format("metercert simulate cmi6110: {} uplink(s), {} transmission(s) while the network was down, {} readout(s) unsent\n",
                             uplinks, missed, backlog.unsent());
    return 0;
}

const bool registered = register_simulated_device({
    "cmi6110",
    "The CMi6110 NB-IoT module with its UH50 heat meter (schedule §7.3, backlog §7.3.4),\n"
    "run in simulated time from --start for --days (no waiting); every uplink is written\n"
    "as one JSON line (transmit time UTC, encoding, payload hex) to --uplinks-out.",
    [](CLI::App& c) -> std::function<int()> {
        auto o = std::make_shared<Cmi6110Options>();
        c.add_option("--start", o->start, "simulated start, UTC (YYYY-MM-DDTHH:MMZ)")->capture_default_str();
        c.add_option("--days", o->days, "simulated days to run")->capture_default_str();
        c.add_option("--network-down", o->network_down, "FROM..TO (UTC): transmissions then fail");
        c.add_option("--uplinks-out", o->uplinks_out, "JSON lines of the uplinks to FILE, or - for stdout")->capture_default_str();
        c.add_option("--seed", o->seed, "seed of the meter and of the transmit delays")->capture_default_str();
        c.add_option("--meter-id", o->meter_id, "the UH50's 8-digit identification number")->capture_default_str();
        c.add_option("--encoding", o->encoding, "message encoding (§7.5)")
            ->check(CLI::IsMember({"senml", "mbus", "json"}))
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
        return [o] { return run(*o); };
    },
});

}  // namespace

}  // namespace metercert::cli
