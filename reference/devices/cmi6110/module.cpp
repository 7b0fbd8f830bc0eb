#include "metercert/devices/cmi6110/module.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace metercert::devices::cmi6110 {

using std::chrono::minutes;

std::string_view encoding_name(MessageEncoding e) noexcept {
    return e == MessageEncoding::mbus ? "mbus" : e == MessageEncoding::json ? "json" : "senml";
}
std::string_view format_name(MessageFormat f) noexcept { return f == MessageFormat::extended ? "extended" : "standard"; }
std::string_view order_name(UploadOrder o) noexcept { return o == UploadOrder::fifo ? "fifo" : "lifo"; }
std::string_view power_mode_name(PowerMode m) noexcept { return m == PowerMode::passive ? "passive" : "active"; }
std::string_view button_action_name(ButtonAction a) noexcept {
    switch (a) {
        case ButtonAction::activate: return "activate";
        case ButtonAction::reboot: return "reboot";
        case ButtonAction::switch_off: return "switch_off";
        default: return "none";
    }
}

ButtonAction button_action(PowerMode mode, std::chrono::milliseconds held, Cmi6110Fault f) noexcept {
    using std::chrono::seconds;
    if (mode == PowerMode::passive)
        return held >= seconds{5} || f == Cmi6110Fault::activation_hold_ignored ? ButtonAction::activate : ButtonAction::none;
    if (held < seconds{5}) return f == Cmi6110Fault::short_press_reboots ? ButtonAction::reboot : ButtonAction::none;
    if (held < seconds{15}) return f == Cmi6110Fault::reboot_hold_switches_off ? ButtonAction::switch_off : ButtonAction::reboot;
    if (held <= seconds{20}) return f == Cmi6110Fault::switch_off_ignored ? ButtonAction::reboot : ButtonAction::switch_off;
    return ButtonAction::none;
}

HoldLeds hold_leds(std::chrono::milliseconds held, Cmi6110Fault f) noexcept {
    using std::chrono::seconds;
    const auto green_from = f == Cmi6110Fault::green_led_late ? seconds{8} : seconds{5};
    HoldLeds l;
    l.green = held >= green_from && held < seconds{15};
    l.red = held >= seconds{15} && held <= seconds{20};
    return l;
}

namespace {

void in_range(long long v, long long lo, long long hi, std::string_view name) {
    if (v < lo || v > hi) throw std::invalid_argument(fmt::format("{} {}: must be {}..{} (§7.5)", name, v, lo, hi));
}

// ---------------------------------------------------------------- the SenML faults (byte surgery)
// The reference pack (encode_senml) starts: array header (1–3 bytes), A3, 21 68 <8 ID digits>, 22 1A <4 bytes>, …

std::size_t array_header_size(const std::vector<std::uint8_t>& p) {
    if (p.empty()) throw std::logic_error("empty pack");
    if (p[0] >= 0x80 && p[0] <= 0x97) return 1;
    if (p[0] == 0x98) return 2;
    if (p[0] == 0x99) return 3;
    throw std::logic_error("not a definite-length pack");
}

std::size_t base_time_key_offset(const std::vector<std::uint8_t>& p) {
    const std::size_t at = array_header_size(p) + 1 + 1 + 1 + 8;
    if (p.size() < at + 6 || p[at] != 0x22 || p[at + 1] != 0x1A) throw std::logic_error("not the reference's first record");
    return at;
}

std::vector<std::uint8_t> apply_senml_fault(std::vector<std::uint8_t> p, Cmi6110Fault f) {
    switch (f) {
        case Cmi6110Fault::base_time_label_minus1: p[base_time_key_offset(p)] = 0x20; break;
        case Cmi6110Fault::integer_not_shortest: {
            const std::size_t at = base_time_key_offset(p) + 1;
            p[at] = 0x1B;
            p.insert(p.begin() + static_cast<std::ptrdiff_t>(at) + 1, 4, 0x00);
            break;
        }
        case Cmi6110Fault::indefinite_length_pack:
            p.erase(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(array_header_size(p)));
            p.insert(p.begin(), 0x9F);
            p.push_back(0xFF);
            break;
        default: break;
    }
    return p;
}

}  // namespace

void check_config(const ModuleConfig& c) {
    if (c.meter_id.size() != 8 || c.meter_id.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument(fmt::format("meter_id '{}': must be 8 decimal digits", c.meter_id));
    in_range(c.schedule.readout_interval.count(), 5, 1440, "readout_interval");
    in_range(c.schedule.transmit_interval.count(), 5, 1440, "transmit_interval");
    in_range(c.schedule.transmit_offset.count(), 0, 1440, "transmit_offset");
    in_range(c.schedule.transmit_delay.count(), 1, 240, "transmit_delay");
    in_range(c.schedule.utc_offset.count(), -720, 720, "utc_offset");
    in_range(c.max_age.count(), 1, kMaxAgeLimit, "max_age");  // ERRATA E-87: a minimum, no maximum
    in_range(c.max_uploads, 1, kStorageCapacity, "max_uploads");  // ERRATA E-87
    in_range(static_cast<long long>(c.readouts_per_telegram), 0, kStorageCapacity, "readouts_per_telegram");
    if (!(c.latency_s >= 0 && c.latency_s <= 86400)) throw std::invalid_argument("latency_s: must be 0..86400");
}

SimulationResult simulate(const ModuleConfig& config, const SimulationRun& run) {
    check_config(config);
    if (run.days < 1 || run.days > 3660) throw std::invalid_argument("days: must be 1..3660");
    if (run.start != std::chrono::floor<minutes>(run.start)) throw std::invalid_argument("start: not a whole minute");
    const Cmi6110Fault fault = run.fault;
    const ScheduleConfig& sc = config.schedule;

    BacklogConfig bc;
    bc.encoding = config.encoding;
    bc.format = config.format;
    bc.order = fault == Cmi6110Fault::fifo_instead_of_lifo ? UploadOrder::fifo : config.order;
    bc.max_age = fault == Cmi6110Fault::max_age_ignored ? minutes{10LL * 366 * 1440} : config.max_age;
    bc.max_uploads = config.max_uploads;
    bc.readouts_per_telegram = fault == Cmi6110Fault::one_readout_per_pack ? 1
                               : config.readouts_per_telegram
                                   ? config.readouts_per_telegram
                                   : readouts_per_pack(sc.readout_interval, sc.transmit_interval);
    bc.max_payload_bytes = config.max_payload_bytes;

    // simulated time 0 is the start; the meter's clock is local standard time: UTC + UTC offset (§7.3.1)
    const UtcMapping utc{TimePoint{}, run.start};
    // the meter's clock before a synchronisation (its error included) and after it (§7.3.2)
    const UtcMapping wrong_clock{TimePoint{}, run.start + sc.utc_offset + run.clock_error};
    const UtcMapping right_clock{TimePoint{}, run.start + sc.utc_offset};
    const TimePoint end = TimePoint{} + std::chrono::days{run.days};
    std::optional<TimePoint> sync_at;
    if (run.time_sync) {
        if (*run.time_sync < run.start || *run.time_sync >= run.start + std::chrono::days{run.days})
            throw std::invalid_argument("time_sync: outside the run");
        sync_at = TimePoint{} + std::chrono::duration_cast<Duration>(*run.time_sync - run.start);
    }
    Uh50 meter(static_cast<std::uint32_t>(std::stoul(config.meter_id)), run.seed, TimePoint{});
    for (Uh50Error e : run.meter_errors) meter.set_error(e, true, TimePoint{});
    Schedule schedule(sc, wrong_clock, run.seed, TimePoint{});
    Backlog backlog(bc);
    std::vector<ScheduleEvent> events;
    if (sync_at) {
        events = schedule.advance_to(*sync_at - Duration{1});  // what is due before the synchronisation
        auto extra = schedule.synchronise(right_clock, *sync_at);
        if (fault != Cmi6110Fault::time_sync_without_readout) events.insert(events.end(), extra.begin(), extra.end());
        auto rest = schedule.advance_to(end);
        events.insert(events.end(), rest.begin(), rest.end());
    } else {
        events = schedule.advance_to(end);
    }
    // the meter's clock at an event: the wrong one before the synchronisation
    auto clock_at = [&](TimePoint t) -> const UtcMapping& { return sync_at && t >= *sync_at ? right_clock : wrong_clock; };

    // the faults that move events
    const TransmitWindow w = schedule.window();
    for (auto& e : events) {
        if (e.kind == ScheduleEventKind::readout) {
            if (fault == Cmi6110Fault::readouts_not_aligned) e.at += minutes{7};
            continue;
        }
        if (fault == Cmi6110Fault::tdelay_clamp_missing && w.clamped) {
            // the draw over the clamped window [T1, T1 + Ttransmit] mapped onto the unclamped one
            // (whole seconds: at most 86400 × 240 before the division)
            const auto into_s = std::chrono::floor<std::chrono::seconds>(e.at - e.planned).count();
            const std::chrono::seconds scaled{into_s * sc.transmit_delay.count() / sc.transmit_interval.count()};
            e.at = e.planned + sc.transmit_offset + scaled;
        }
        if (fault == Cmi6110Fault::transmit_offset_ignored) e.at -= w.offset;
    }
    // §5.3.5-§5.3.6 power, power mode and button (ERRATA E-111, E-112): the spans the module is
    // attached; the schedule's events outside them are dropped, each attach after a power-up,
    // activation or reboot adds a readout and a transmission
    SimulationResult out;
    {
        const auto sim_at = [&](UtcTime t) { return TimePoint{} + std::chrono::duration_cast<Duration>(t - run.start); };
        struct Change {
            TimePoint at;
            int kind;  // 0 supply off, 1 supply on, 2 button released
            std::chrono::milliseconds held{0};
        };
        std::vector<Change> changes;
        for (const auto& p : run.power_off) {
            if (p.to < p.from) throw std::invalid_argument("power_off: TO is before FROM");
            if (fault == Cmi6110Fault::powered_off_transmits) continue;
            changes.push_back({sim_at(p.from), 0});
            changes.push_back({sim_at(p.to), 1});
        }
        for (const auto& b : run.presses) {
            if (b.held < std::chrono::milliseconds{0} || b.held > std::chrono::hours{1})
                throw std::invalid_argument("button: a hold must be 0…3600 s");
            changes.push_back({sim_at(b.at) + std::chrono::duration_cast<Duration>(b.held), 2, b.held});
        }
        if (run.attach < std::chrono::seconds{0} || run.attach > std::chrono::hours{1})
            throw std::invalid_argument("attach: must be 0…3600 s");
        std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.at < b.at; });
        struct Up {
            TimePoint from, to;
            bool boot;
        };
        std::vector<Up> ups;
        bool powered = true;
        PowerMode mode = run.power_mode;
        std::optional<TimePoint> up_from;
        bool booted = false;
        if (mode == PowerMode::active) up_from = TimePoint{};
        const auto down = [&](TimePoint t) {
            if (up_from && *up_from < t) ups.push_back({*up_from, t, booted});
            up_from.reset();
        };
        const auto boot = [&](TimePoint t) {
            up_from = t + std::chrono::duration_cast<Duration>(run.attach);
            booted = true;
        };
        for (const auto& c : changes) {
            if (c.kind == 0) {
                down(c.at);
                powered = false;
            } else if (c.kind == 1) {
                powered = true;
                if (mode == PowerMode::active) boot(c.at);
            } else if (powered) {
                switch (button_action(mode, c.held, fault)) {
                    case ButtonAction::activate: mode = PowerMode::active; down(c.at); boot(c.at); break;
                    case ButtonAction::reboot: down(c.at); boot(c.at); break;
                    case ButtonAction::switch_off: mode = PowerMode::passive; down(c.at); break;
                    case ButtonAction::none: break;
                }
            }
        }
        if (up_from && *up_from < end) ups.push_back({*up_from, end, booted});
        out.final_mode = mode;
        const bool always_up = ups.size() == 1 && ups[0].from == TimePoint{} && ups[0].to == end && !ups[0].boot;
        if (!always_up) {
            std::erase_if(events, [&](const ScheduleEvent& e) {
                return std::none_of(ups.begin(), ups.end(), [&](const Up& u) { return e.at >= u.from && e.at < u.to; });
            });
            for (const auto& u : ups) {
                if (!u.boot) continue;
                out.attached.push_back(utc.to_utc(u.from));
                if (fault == Cmi6110Fault::no_readout_at_attach) continue;
                ScheduleEvent r;
                r.kind = ScheduleEventKind::readout;
                r.at = r.planned = u.from;
                ScheduleEvent t = r;
                t.kind = ScheduleEventKind::transmission;
                events.push_back(r);
                events.push_back(t);
            }
        }
    }
    std::stable_sort(events.begin(), events.end(), [](const ScheduleEvent& a, const ScheduleEvent& b) {
        return a.at != b.at ? a.at < b.at : (a.kind == ScheduleEventKind::readout && b.kind != ScheduleEventKind::readout);
    });

    out.power_w = meter.power_w();
    out.flow_l_per_h = meter.flow_l_per_h();
    out.forward_decidegrees = meter.forward_decidegrees();
    out.return_decidegrees = meter.return_decidegrees();
    for (const auto& e : events) {
        if (e.kind == ScheduleEventKind::readout) {
            const UtcMapping& meter_clock = clock_at(e.at);
            Readout r = meter.read(e.at, meter_clock);
            if (fault == Cmi6110Fault::error_bits_shifted) r.error_flags = static_cast<std::uint16_t>(r.error_flags << 1);
            const UtcTime local = meter_clock.to_utc(e.at);
            backlog.store(fault == Cmi6110Fault::utc_offset_wrong_sign ? local + sc.utc_offset : to_utc_timestamp(local, sc.utc_offset),
                          std::move(r));
            ++out.readouts;
            continue;
        }
        const UtcTime now = utc.to_utc(e.at);
        auto telegrams = backlog.plan(now);
        if (now >= run.network_down_from && now < run.network_down_to) {
            ++out.missed_transmissions;
            continue;
        }
        for (const auto& t : telegrams) {
            Uplink u;
            u.time = now;
            u.planned = utc.to_utc(e.planned);
            u.encoding = config.encoding;
            u.payload = config.encoding == MessageEncoding::senml ? apply_senml_fault(t.payload, fault) : t.payload;
            u.readouts = t.readouts;
            out.uplinks.push_back(std::move(u));
        }
        backlog.mark_sent(telegrams);
    }
    out.unsent = backlog.unsent();
    return out;
}

// ----------------------------------------------------------------------------- the uplinks file

UplinksError::UplinksError(std::size_t l, std::string k, const std::string& what)
    : std::runtime_error(fmt::format("line {}{}: {}", l, k.empty() ? "" : fmt::format(", key \"{}\"", k), what)),
      line(l),
      key(std::move(k)) {}

std::string format_utc_seconds(UtcTime t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - day)};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::optional<UtcTime> parse_utc_text(std::string_view s) noexcept {
    auto num = [&](std::size_t at, std::size_t n, unsigned& v) {
        if (at + n > s.size()) return false;
        for (std::size_t i = at; i < at + n; ++i)
            if (s[i] < '0' || s[i] > '9') return false;
        v = 0;
        for (std::size_t i = at; i < at + n; ++i) v = v * 10 + static_cast<unsigned>(s[i] - '0');
        return true;
    };
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (s.size() != 17 && s.size() != 20) return std::nullopt;
    if (!num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) || s[10] != 'T' || !num(11, 2, h) ||
        s[13] != ':' || !num(14, 2, mi))
        return std::nullopt;
    if (s.size() == 20 && (s[16] != ':' || !num(17, 2, sec))) return std::nullopt;
    if (s.back() != 'Z' || h > 23 || mi > 59 || sec > 59) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(y)}, std::chrono::month{mo}, std::chrono::day{d}};
    if (!ymd.ok()) return std::nullopt;
    return UtcTime{std::chrono::sys_days{ymd}} + std::chrono::hours{h} + minutes{mi} + std::chrono::seconds{sec};
}

std::string config_line(const ModuleConfig& c) {
    const auto& s = c.schedule;
    nlohmann::ordered_json cfg{{"meter_id", c.meter_id},
                               {"encoding", encoding_name(c.encoding)},
                               {"format", format_name(c.format)},
                               {"readout_interval", s.readout_interval.count()},
                               {"transmit_interval", s.transmit_interval.count()},
                               {"transmit_offset", s.transmit_offset.count()},
                               {"transmit_delay", s.transmit_delay.count()},
                               {"utc_offset", s.utc_offset.count()},
                               {"max_age", c.max_age.count()},
                               {"max_uploads", c.max_uploads},
                               {"order", order_name(c.order)},
                               {"readouts_per_telegram", c.readouts_per_telegram ? c.readouts_per_telegram
                                                                                 : readouts_per_pack(s.readout_interval, s.transmit_interval)},
                               {"max_payload_bytes", c.max_payload_bytes},
                               {"latency_s", c.latency_s}};
    return nlohmann::ordered_json{{"config", cfg}}.dump();
}

std::string uplink_line(const Uplink& u) {
    nlohmann::ordered_json j{{"time", format_utc_seconds(u.time)},
                             {"planned", format_utc_seconds(u.planned)},
                             {"encoding", encoding_name(u.encoding)}};
    if (u.encoding == MessageEncoding::json)
        j["payload"] = std::string(u.payload.begin(), u.payload.end());
    else
        j["payload"] = fmt::format("{:02X}", fmt::join(u.payload, ""));
    j["readouts"] = u.readouts.size();
    return j.dump();
}

namespace {

template <class T>
T get_int(const nlohmann::json& v, std::size_t line, const std::string& key, long long lo, long long hi) {
    if (!v.is_number_integer()) throw UplinksError(line, key, "expected an integer");
    const auto n = v.get<long long>();
    if (n < lo || n > hi) throw UplinksError(line, key, fmt::format("{} is outside {}..{} (§7.5)", n, lo, hi));
    return static_cast<T>(n);
}

std::string get_string(const nlohmann::json& v, std::size_t line, const std::string& key) {
    if (!v.is_string()) throw UplinksError(line, key, "expected a string");
    return v.get<std::string>();
}

MessageEncoding parse_encoding(const nlohmann::json& v, std::size_t line, const std::string& key) {
    const auto s = get_string(v, line, key);
    if (s == "senml") return MessageEncoding::senml;
    if (s == "mbus") return MessageEncoding::mbus;
    if (s == "json") return MessageEncoding::json;
    throw UplinksError(line, key, fmt::format("'{}' is not senml, mbus or json", s));
}

ModuleConfig parse_config(const nlohmann::json& j, std::size_t line) {
    if (!j.is_object()) throw UplinksError(line, "config", "expected an object");
    ModuleConfig c;
    auto& s = c.schedule;
    for (const auto& [key, v] : j.items()) {
        if (key == "meter_id") c.meter_id = get_string(v, line, key);
        else if (key == "encoding") c.encoding = parse_encoding(v, line, key);
        else if (key == "format") {
            const auto f = get_string(v, line, key);
            if (f != "standard" && f != "extended") throw UplinksError(line, key, fmt::format("'{}' is not standard or extended", f));
            c.format = f == "standard" ? MessageFormat::standard : MessageFormat::extended;
        } else if (key == "order") {
            const auto o = get_string(v, line, key);
            if (o != "fifo" && o != "lifo") throw UplinksError(line, key, fmt::format("'{}' is not fifo or lifo", o));
            c.order = o == "fifo" ? UploadOrder::fifo : UploadOrder::lifo;
        } else if (key == "readout_interval") s.readout_interval = minutes{get_int<int>(v, line, key, 5, 1440)};
        else if (key == "transmit_interval") s.transmit_interval = minutes{get_int<int>(v, line, key, 5, 1440)};
        else if (key == "transmit_offset") s.transmit_offset = minutes{get_int<int>(v, line, key, 0, 1440)};
        else if (key == "transmit_delay") s.transmit_delay = minutes{get_int<int>(v, line, key, 1, 240)};
        else if (key == "utc_offset") s.utc_offset = minutes{get_int<int>(v, line, key, -720, 720)};
        else if (key == "max_age") c.max_age = minutes{get_int<int>(v, line, key, 1, kMaxAgeLimit)};
        else if (key == "max_uploads") c.max_uploads = get_int<unsigned>(v, line, key, 1, kStorageCapacity);
        else if (key == "readouts_per_telegram") c.readouts_per_telegram = get_int<std::size_t>(v, line, key, 0, kStorageCapacity);
        else if (key == "max_payload_bytes") c.max_payload_bytes = get_int<std::size_t>(v, line, key, 0, 1 << 20);
        else if (key == "latency_s") {
            if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 86400) throw UplinksError(line, key, "expected seconds 0..86400");
            c.latency_s = v.get<double>();
        } else
            throw UplinksError(line, key, "unknown configuration key");
    }
    try {
        check_config(c);
    } catch (const std::invalid_argument& e) {
        throw UplinksError(line, "config", e.what());
    }
    return c;
}

UtcTime parse_time(const nlohmann::json& v, std::size_t line, const std::string& key) {
    const auto s = get_string(v, line, key);
    const auto t = parse_utc_text(s);
    if (!t) throw UplinksError(line, key, fmt::format("'{}' is not YYYY-MM-DDTHH:MM:SSZ (UTC)", s));
    return *t;
}

std::vector<std::uint8_t> parse_hex(const std::string& s, std::size_t line) {
    if (s.empty() || s.size() % 2) throw UplinksError(line, "payload", "expected an even number of hex digits");
    std::vector<std::uint8_t> out(s.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto r = std::from_chars(s.data() + 2 * i, s.data() + 2 * i + 2, out[i], 16);
        if (r.ec != std::errc{} || r.ptr != s.data() + 2 * i + 2)
            throw UplinksError(line, "payload", fmt::format("not hex at character {}", 2 * i + 1));
    }
    return out;
}

}  // namespace

ModuleConfig parse_config_file(std::string_view text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        const std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        const std::size_t line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
        throw UplinksError(line, "", fmt::format("not JSON (at byte {})", e.byte));
    }
    if (!j.is_object() || !j.contains("config") || j.size() != 1)
        throw UplinksError(1, "config", "the file must be one object {\"config\": {…}}");
    return parse_config(j["config"], 1);
}

UplinksFile parse_uplinks(std::string_view text) {
    UplinksFile f;
    bool have_config = false;
    std::size_t line = 0, pos = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        std::string_view l = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++line;
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(l);
        } catch (const nlohmann::json::parse_error& e) {
            throw UplinksError(line, "", fmt::format("not JSON (at byte {})", e.byte));
        }
        if (!j.is_object()) throw UplinksError(line, "", "expected a JSON object");
        if (!have_config) {
            if (!j.contains("config") || j.size() != 1) throw UplinksError(line, "config", "the first line must be {\"config\": {…}}");
            f.config = parse_config(j["config"], line);
            have_config = true;
            continue;
        }
        Uplink u;
        bool has_time = false, has_payload = false, has_encoding = false;
        std::string payload;
        for (const auto& [key, v] : j.items()) {
            if (key == "time") u.time = parse_time(v, line, key), has_time = true;
            else if (key == "planned") u.planned = parse_time(v, line, key);
            else if (key == "encoding") u.encoding = parse_encoding(v, line, key), has_encoding = true;
            else if (key == "payload") payload = get_string(v, line, key), has_payload = true;
            else if (key == "readouts") (void)get_int<std::size_t>(v, line, key, 1, kStorageCapacity);
            else if (key == "synchronisation") {
                if (!v.is_boolean()) throw UplinksError(line, key, "expected true or false");
            } else
                throw UplinksError(line, key, "unknown key");
        }
        if (!has_time) throw UplinksError(line, "time", "missing");
        if (!has_encoding) throw UplinksError(line, "encoding", "missing");
        if (!has_payload) throw UplinksError(line, "payload", "missing");
        if (u.encoding != f.config.encoding)
            throw UplinksError(line, "encoding", fmt::format("'{}' while the configuration says '{}'", encoding_name(u.encoding),
                                                             encoding_name(f.config.encoding)));
        if (u.encoding == MessageEncoding::json) {
            if (payload.empty()) throw UplinksError(line, "payload", "empty");
            u.payload.assign(payload.begin(), payload.end());
        } else {
            u.payload = parse_hex(payload, line);
        }
        if (!f.uplinks.empty() && u.time < f.uplinks.back().time)
            throw UplinksError(line, "time", "earlier than the uplink before it (the file is in time order)");
        f.uplinks.push_back(std::move(u));
    }
    if (!have_config) throw UplinksError(line ? line : 1, "config", "no configuration line (empty file)");
    if (f.uplinks.empty()) throw UplinksError(line, "", "no uplink after the configuration line");
    return f;
}

}  // namespace metercert::devices::cmi6110
