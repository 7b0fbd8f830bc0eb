#include "metercert/devices/cmi1020.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "metercert/mbus/bcd.hpp"
#include "metercert/mbus/link.hpp"

namespace metercert::devices {

using metercert::mbus::build_ack;
using metercert::mbus::build_long;
using metercert::mbus::is_bcd;

namespace {
constexpr std::uint16_t kElv = 0x1596;              // "ELV" (§6.1; bytes 96 15 in §6.7.2.2)
constexpr std::size_t kMaxUserData = 252;           // long frame: L ≤ 255 = C + A + CI + 252
constexpr std::size_t kHeader = 12;

void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
// set a 2-bit field from a control byte's 2-bit command: 01 / 10 set, 00 / 11 leave
std::uint8_t apply_pair(std::uint8_t current, std::uint8_t control, unsigned shift) {
    const unsigned cmd = (control >> shift) & 3u;
    if (cmd != 1 && cmd != 2) return current;
    return static_cast<std::uint8_t>((current & ~(3u << shift)) | (cmd << shift));
}
}  // namespace

Cmi1020::Cmi1020(Cmi1020Config config, E350& meter) : config_(std::move(config)), meter_(meter) {
    next_readout_ = TimePoint{config_.first_readout};
}

// ------------------------------------------------------------------------------------ time

void Cmi1020::advance_to(TimePoint until) {
    for (;;) {
        const bool pulse_due = pulse_pending_ && capacitor_ready_ <= until;
        const TimePoint t = pulse_due ? std::min(capacitor_ready_, next_readout_) : next_readout_;
        if (t > until) break;
        now_ = t;
        if (pulse_due && capacitor_ready_ <= next_readout_) {
            pulse_pending_ = false;
            pulse(((settings_.disconnector >> 6) & 3u) == 1);
            continue;
        }
        const bool first = (error_flags_ & kNotPolled) != 0;
        do_readout();
        // §5.2.1: the rate state is set after power-on (faults.hpp: rate_not_set_at_power_on)
        if (first && comm_ok_ && !(fault_ && fault_->hooks.rate_not_set_at_power_on)) apply_rate();
        next_readout_ = now_ + kReadoutInterval;  // §5.2.2: read meter every 30 s
    }
    now_ = std::max(now_, until);
}

std::optional<TimePoint> Cmi1020::next_deadline() const noexcept {
    return pulse_pending_ ? std::min(capacitor_ready_, next_readout_) : next_readout_;
}

void Cmi1020::pulse(bool on) {
    if (!meter_.has_disconnector) return;
    meter_command(0xFF21, 2, kDisconnectorError, {static_cast<std::uint8_t>(on ? 1 : 0)});
    if (meter_.disconnector_closed && *meter_.disconnector_closed == on) disconnector_actual_ = on;
    capacitor_ready_ = now_ + kCapacitorCharge;  // §5.3, §7.3: ~10 s between toggles
}

void Cmi1020::power_cycle() {  // power returns at now_: the clock runs on
    const Cmi1020FaultHooks* h = fault_ ? &fault_->hooks : nullptr;
    // faults.hpp: first_readout_late waits a whole readout period (§5.2.2) instead of reading at once
    next_readout_ = now_ + (h && h->first_readout_late ? kReadoutInterval : config_.first_readout);
    capacitor_ready_ = now_ + kCapacitorCharge;
    pulse_pending_ = !(h && h->no_power_on_pulse);  // §5.2.1, §6.7.8: pulsed to the EEPROM state once charged
    powered_at_ = now_;
    reset_hold_ = button_;  // §5.4: held on power-up
    disconnector_actual_.reset();
    selected_ = false;
    sequence_.reset();
    error_flags_ = kNotPolled;
    comm_ok_ = false;
    meter_id_.reset();
    records_.clear();
    diagnostics_.clear();
    last_readout_.reset();
    if (fault_ && fault_->hooks.power_cycle) fault_->hooks.power_cycle(*this);  // faults.hpp: power cycle hook
}

// ------------------------------------------------------------------------------------ meter

void Cmi1020::do_readout() {
    meter_.advance_to(now_);  // the meter as it is at this readout (its load's energy)
    const E350::ReadResult r = meter_.read();
    switch (r.status) {
        case E350::ReadStatus::ok: break;
        case E350::ReadStatus::id_timeout: error_flags_ |= kIdTimeout | kReadoutError; break;
        case E350::ReadStatus::id_receive_error: error_flags_ |= kIdReceiveError | kReadoutError; break;
        case E350::ReadStatus::unexpected_id_char: error_flags_ |= kUnexpectedIdChar | kReadoutError; break;
        case E350::ReadStatus::readout_timeout: error_flags_ |= kReadoutTimeout | kReadoutError; break;
        case E350::ReadStatus::receive_error: error_flags_ |= kReadoutReceiveError | kReadoutError; break;
    }
    comm_ok_ = r.status == E350::ReadStatus::ok;
    if (!comm_ok_) return;  // the last good data stays in the telegrams (ERRATA E-18)
    error_flags_ &= ~kNotPolled;
    if (fault_ && fault_->hooks.stale_records && last_readout_) return;  // faults.hpp: stale records
    last_readout_ = *r.readout;
    reinterpret();
}

void Cmi1020::reinterpret() {
    if (!last_readout_) return;
    obis::Interpretation in = obis::interpret(*last_readout_, settings_.obis_mask);
    records_ = std::move(in.records);
    diagnostics_ = std::move(in.diagnostics);
    meter_id_ = in.header_id;
    if (fault_ && fault_->hooks.meter_id)  // faults.hpp: meter ID hook (padded_id_*)
        if (const obis::DataLine* l = last_readout_->find("0.0"); l && !l->values.empty())
            if (const auto id = fault_->hooks.meter_id(l->values[0].raw)) meter_id_ = *id;
}

void Cmi1020::meter_command(std::uint16_t code, unsigned signon_bit, std::uint32_t error_bit, std::vector<std::uint8_t> fields) {
    const SignOn method = (settings_.signon_mask >> signon_bit) & 1u ? SignOn::p2 : SignOn::p1;
    switch (meter_.execute({code, method, std::move(fields)}, settings_.p1, settings_.p2)) {
        case E350::ExecStatus::ok: break;
        case E350::ExecStatus::signon_failed: error_flags_ |= kSignOnError; break;
        case E350::ExecStatus::command_failed: error_flags_ |= error_bit; break;
    }
}

void Cmi1020::apply_rate() {
    std::uint8_t rate = settings_.rate;
    if (rate == 0) return;
    if (rate == 0xFF) rate = settings_.rate_map[(input_b_ ? 2u : 0u) | (input_a_ ? 1u : 0u)];
    meter_command(0xFF05, 1, kRateError, {rate});
}

void Cmi1020::press_button() {
    if (button_) return;
    advance_to(now_);  // a pulse due now runs first
    button_ = true;
    if (now_ == powered_at_) reset_hold_ = true;  // pressed as the power returns: held on power-up (§5.4)
    if (reset_hold_ || !meter_.has_disconnector) return;
    const Cmi1020FaultHooks* h = fault_ ? &fault_->hooks : nullptr;
    // §5.3, §7.3: no toggle while the drive capacitor charges (~10 s after power-on or a pulse)
    if ((pulse_pending_ || now_ < capacitor_ready_) && !(h && h->button_ignores_capacitor)) return;
    const bool on_now = disconnector_actual_ ? *disconnector_actual_ : ((settings_.disconnector >> 6) & 3u) == 1;
    const bool to_on = !on_now;
    // §6.7.8 / Table 5: push-button turn-on (bits 5–4) and turn-off (bits 3–2) enable, 01 = enabled
    const unsigned enable = (settings_.disconnector >> (to_on ? 4 : 2)) & 3u;
    if (enable != 1 && !(h && h->button_ignores_enable)) return;
    if (!(h && h->button_keeps_eeprom))  // ERRATA E-108: the EEPROM setting follows the button
        settings_.disconnector = static_cast<std::uint8_t>((settings_.disconnector & 0x3C) | (to_on ? 0x40 : 0x80));
    pulse_pending_ = false;
    pulse(to_on);
}

void Cmi1020::release_button() {
    if (!button_) return;
    advance_to(now_);
    button_ = false;
    const bool held_from_power_up = reset_hold_;
    reset_hold_ = false;
    const Cmi1020FaultHooks* h = fault_ ? &fault_->hooks : nullptr;
    const Duration hold = h && h->factory_reset_hold.count() ? h->factory_reset_hold : kFactoryResetHold;
    if (!held_from_power_up || now_ - powered_at_ < hold) return;  // ERRATA E-109: 10 s from power-up
    const std::uint8_t address = settings_.primary_address;
    factory_defaults();  // §5.4: "reset to factory default and restart"
    if (h && h->factory_reset_keeps_address) settings_.primary_address = address;
    power_cycle();
}

void Cmi1020::set_rate_inputs(bool a, bool b) {
    const bool changed = a != input_a_ || b != input_b_;
    input_a_ = a;
    input_b_ = b;
    if (changed && settings_.rate == 0xFF) apply_rate();
    if (changed && settings_.rate == 0 && fault_ && fault_->hooks.rate_inputs_always)  // faults.hpp: selection off ignored
        meter_command(0xFF05, 1, kRateError, {settings_.rate_map[(input_b_ ? 2u : 0u) | (input_a_ ? 1u : 0u)]});
}

void Cmi1020::factory_defaults() {
    settings_ = Cmi1020Settings{};
    selected_ = false;
    pulse_pending_ = true;  // disconnector back to "on" (§8.2)
    reinterpret();
}

// ------------------------------------------------------------------------------------ status

std::uint8_t Cmi1020::status_byte() const noexcept { return comm_ok_ ? 0x00 : 0x12; }  // §6.7.2.2

std::uint32_t Cmi1020::secondary_address() const noexcept {
    if (settings_.secondary_address) return *settings_.secondary_address;  // Table 4: manually set
    if (meter_id_) return *meter_id_;                                        // 0.0, else C.1.0
    return config_.fabrication_number;                                       // factory default
}

std::uint8_t Cmi1020::disconnector_status() const noexcept {
    std::uint8_t actual = 0;  // 00 unknown
    if (disconnector_actual_) actual = *disconnector_actual_ ? 0x01 : 0x02;
    return static_cast<std::uint8_t>((settings_.disconnector & 0xFC) | actual);
}

std::vector<std::vector<std::uint8_t>> Cmi1020::telegrams() const {
    // Table 5 static data: first telegram only.
    std::vector<std::uint8_t> t5{0x01, 0xFD, 0x1A, disconnector_status(), 0x01, 0xFD, 0x1B,
                                 static_cast<std::uint8_t>((input_a_ ? 2 : 0) | (input_b_ ? 1 : 0)), 0x83, 0x40, 0xFD, 0x17};
    put_le(t5, error_flags_ & 0xFFFFFF, 3);
    t5.insert(t5.end(), {0x0D, 0xFD, 0x0F, static_cast<std::uint8_t>(config_.software_version.size())});
    t5.insert(t5.end(), config_.software_version.rbegin(), config_.software_version.rend());
    t5.insert(t5.end(), {0x8C, 0x40, 0x78});
    put_le(t5, config_.fabrication_number, 4);

    std::vector<std::vector<std::uint8_t>> out(1, t5);
    const std::size_t room = kMaxUserData - kHeader - 1;  // minus the 0x0F/0x1F end byte
    for (const auto& r : records_) {
        if (out.back().size() + r.size() > room)  // faults.hpp slave logic: Table 5 in every telegram (table5_repeated)
            out.push_back(fault_ && fault_->hooks.static_data_every_telegram ? t5 : std::vector<std::uint8_t>{});
        out.back().insert(out.back().end(), r.begin(), r.end());
    }
    return out;
}

std::vector<std::uint8_t> Cmi1020::rsp_ud(std::size_t index) {
    const auto ts = telegrams();
    if (index >= ts.size()) index = 0;
    std::vector<std::uint8_t> ud;
    put_le(ud, secondary_address(), 4);
    put_le(ud, kElv, 2);
    ud.push_back(config_.generation);
    ud.push_back(config_.medium);
    ud.push_back(access_);
    ud.push_back(status_byte());
    put_le(ud, 0, 2);  // signature
    ud.insert(ud.end(), ts[index].begin(), ts[index].end());
    ud.push_back(index + 1 < ts.size() ? 0x1F : 0x0F);
    return build_long(0x08, settings_.primary_address, 0x72, ud);
}

// ------------------------------------------------------------------------------------ frames

std::optional<std::vector<std::uint8_t>> Cmi1020::reject() {
    ++rejected_;
    return std::nullopt;
}

bool Cmi1020::addressed(std::uint8_t a) const noexcept {
    return a == settings_.primary_address || (a == 253 && selected_) || a == 254 || a == 255;
}

std::optional<std::vector<std::uint8_t>> Cmi1020::on_frame(std::span<const std::uint8_t> frame) {
    mbus::LinkFrame f;
    mbus::DecodeError err;
    if (!mbus::parse_link(frame, f, err)) return reject();  // wrong L, checksum, stop: silence
    switch (f.kind) {
        case mbus::FrameKind::short_frame: return on_short(f.c.raw, f.a);
        case mbus::FrameKind::control_frame:
        case mbus::FrameKind::long_frame: return on_long(f.c.raw, f.a, f.ci, f.user_data);
        default: return reject();
    }
}

std::optional<std::vector<std::uint8_t>> Cmi1020::on_short(std::uint8_t c, std::uint8_t a) {
    if (c == 0x40) {  // SND_NKE (§6.7.1)
        if (!addressed(a)) return std::nullopt;
        sequence_.reset();
        if (a == 253) selected_ = false;  // EN 13757-2: SND_NKE to 253 ends the selection
        if (a == 255) return std::nullopt;
        return build_ack();
    }
    if ((c & 0xCF) == 0x4B) {  // REQ_UD2 0x4B/0x5B/0x6B/0x7B (§6.7.2)
        if (!addressed(a)) return std::nullopt;
        if (const auto next = sequence_.on_req_ud2(c, telegrams().size())) {  // else: repeat (untoggled FCB)
            ++access_;
            sequence_.last_reply = rsp_ud(*next);
        }
        if (a == 255) return std::nullopt;
        return sequence_.last_reply;
    }
    return reject();  // REQ_UD1 and others are not implemented by the CMi1020 (§6.7)
}

bool Cmi1020::matches_selection(std::span<const std::uint8_t> m) const noexcept {
    // §6.7.7: ID (packed BCD, nibble F = wildcard), manufacturer (0xFF per byte), generation
    // (0xFF), medium (0x00 or 0xFF match).
    const std::uint32_t id = secondary_address();
    for (std::size_t i = 0; i < 4 && i < m.size(); ++i)
        for (unsigned half = 0; half < 2; ++half) {
            const unsigned want = (m[i] >> (4 * half)) & 0xF;
            const unsigned have = (id >> (8 * i + 4 * half)) & 0xF;
            if (want != 0xF && want != have) return false;
        }
    if (m.size() >= 6) {
        if (m[4] != 0xFF && m[4] != (kElv & 0xFF)) return false;
        if (m[5] != 0xFF && m[5] != (kElv >> 8)) return false;
    }
    if (m.size() >= 7 && m[6] != 0xFF && m[6] != config_.generation) return false;
    if (m.size() >= 8 && m[7] != 0xFF && m[7] != 0x00 && m[7] != config_.medium) return false;
    return true;
}

std::optional<std::vector<std::uint8_t>> Cmi1020::on_long(std::uint8_t c, std::uint8_t a, std::uint8_t ci,
                                                         std::span<const std::uint8_t> ud) {
    if ((c & 0xCF) != 0x43) return reject();  // SND_UD 0x43/0x53/0x63/0x73 only
    if (ci == 0x52) {                         // selection (§6.7.7)
        if (a != 253 && a != 254 && a != 255) return std::nullopt;
        if (ud.size() > 8 || ud.size() == 5) return reject();
        selected_ = matches_selection(ud);
        if (selected_) sequence_.reset();  // ERRATA E-21: a (re)selection starts the link afresh, as SND_NKE does
        if (!selected_ || a == 255) return std::nullopt;
        return build_ack();
    }
    if (!addressed(a)) return std::nullopt;
    const bool lax = fault_ && fault_->hooks.out_of_range_applied;  // faults.hpp: values the manual excludes taken
    auto ack = [&]() -> std::optional<std::vector<std::uint8_t>> {
        if (a == 255) return std::nullopt;
        return build_ack();
    };
    if (ci >= 0xB8 && ci <= 0xBF) {  // baud rate (§6.7.3): ACK at the old rate, then switch
        if (!ud.empty()) return reject();
        if (ci <= 0xBD) settings_.baud = *mbus::ci_baud_rate(ci);
        return ack();
    }
    if (ci == 0x50) {  // application reset (§6.7.4)
        if (ud.empty()) {
            error_flags_ &= kNotPolled;  // only the latched communication error flags
            return ack();
        }
        if (ud.size() == 1 && ud[0] == 0xB0) {
            factory_defaults();
            return ack();
        }
        return reject();
    }
    if (ci != 0x51) return reject();
    if (ud.size() == 3 && ud[0] == 0x01 && ud[1] == 0x7A) {  // set primary address (§6.7.5)
        if (ud[2] > 0xFA && !lax) return reject();
        settings_.primary_address = ud[2];
        return ack();
    }
    if (ud.size() == 6 && ud[0] == 0x0C && ud[1] == 0x79) {  // set secondary address (§6.7.6)
        const std::uint32_t id = static_cast<std::uint32_t>(ud[2]) | (static_cast<std::uint32_t>(ud[3]) << 8) |
                                 (static_cast<std::uint32_t>(ud[4]) << 16) | (static_cast<std::uint32_t>(ud[5]) << 24);
        if (!is_bcd(id) && !lax) return reject();
        settings_.secondary_address = id;
        return ack();
    }
    if (ud.size() == 4 && ud[0] == 0x01 && ud[1] == 0xFD && ud[2] == 0x1A) {  // disconnector (§6.7.8)
        const std::uint8_t ctl = ud[3];
        std::uint8_t d = settings_.disconnector;
        d = apply_pair(d, ctl, 6);
        d = apply_pair(d, ctl, 4);
        d = apply_pair(d, ctl, 2);
        const bool state_cmd = ((ctl >> 6) & 3u) == 1 || ((ctl >> 6) & 3u) == 2;
        settings_.disconnector = static_cast<std::uint8_t>(d & 0xFC);
        if (state_cmd) pulse_pending_ = true;
        advance_to(now_);  // pulses now if the capacitor is charged
        return ack();
    }
    if (ud.size() >= 2 && ud[0] == 0x0F && elvaco_command(ud, lax)) return ack();
    return reject();
}

bool Cmi1020::elvaco_command(std::span<const std::uint8_t> ud, bool lax) {
    const std::uint8_t cmd = ud[1];
    const auto p = ud.subspan(2);
    auto lcd = [&](std::size_t size, unsigned signon_bit) {
        if (p.size() != size) return false;
        meter_command(static_cast<std::uint16_t>(0xFF00 | cmd), signon_bit, lcd_error_bit(cmd), {p.begin(), p.end()});
        return true;
    };
    switch (cmd) {
        case 0x00:  // rate mapping table (§6.7.12; L = 9, ERRATA)
            if (p.size() != 4) return false;
            std::copy(p.begin(), p.end(), settings_.rate_map.begin());
            if (settings_.rate == 0xFF) apply_rate();
            return true;
        case 0x01:  // P1 password: 8 ASCII digits (§6.7.9)
            if (p.size() != 8) return false;
            for (auto ch : p)
                if ((ch < '0' || ch > '9') && !lax) return false;
            settings_.p1.assign(p.begin(), p.end());
            return true;
        case 0x02:  // P2 key: 16 bytes, MSByte first (§6.7.10; ERRATA)
            if (p.size() != 16) return false;
            std::copy(p.begin(), p.end(), settings_.p2.begin());
            return true;
        case 0x03:  // meter rate (§6.7.11)
            if (p.size() != 1 || (!(p[0] <= 0x06 || p[0] == 0xFF) && !lax)) return false;
            settings_.rate = p[0];
            apply_rate();
            return true;
        case 0x04:  // clear communication error flags (§6.7.13)
            if (!p.empty()) return false;
            error_flags_ &= kNotPolled;
            return true;
        case 0x05:  // OBIS selection list (§6.7.14)
            if (p.size() != 10 && !(lax && p.size() < 10)) return false;
            settings_.obis_mask.fill(0);
            std::copy(p.begin(), p.end(), settings_.obis_mask.begin());
            reinterpret();
            return true;
        case 0x06:  // P1/P2 sign-on method list (§6.7.15), LSByte first (ERRATA)
            if (p.size() != 2) return false;
            settings_.signon_mask = static_cast<std::uint16_t>(p[0] | (p[1] << 8));
            return true;
        case 0x22: return lcd(6, 3);   // value: index, mantissa (4), format
        case 0x23: return lcd(2, 4);   // unit: index, unit
        case 0x24: return lcd(6, 5);   // OBIS code: index, A..E
        case 0x25: return lcd(2, 6);   // rate indicator: index, rate
        case 0x26: return lcd(3, 7);   // electricity status: index, 16-bit mask
        case 0x27: return lcd(2, 8);   // generic status: index, 8-bit mask
        case 0x28:                     // text: index 0–12, timeout, 1..14 characters (ERRATA)
            if (p.size() < 3 || p.size() > 16 || (p[0] > 12 && !lax)) return false;
            meter_command(0xFF28, 9, lcd_error_bit(0x28), {p.begin(), p.end()});
            return true;
        case 0x29: return lcd(12, 10);  // value + OBIS + unit
        default: return false;
    }
}

// ------------------------------------------------------------------------------------ state

std::string Cmi1020::state_json() const {
    nlohmann::json j;
    const auto& s = settings_;
    j["schema"] = "metercert.cmi1020.state/1";
    j["primary_address"] = s.primary_address;
    j["secondary_address"] = s.secondary_address ? nlohmann::json(*s.secondary_address) : nlohmann::json();
    j["baud"] = s.baud;
    j["disconnector"] = s.disconnector;
    j["rate"] = s.rate;
    j["rate_map"] = s.rate_map;
    j["p1"] = s.p1;
    j["p2"] = s.p2;
    j["obis_mask"] = s.obis_mask;
    j["signon_mask"] = s.signon_mask;
    return j.dump(1);
}

void Cmi1020::load_state(const std::string& text) {
    try {
        const auto j = nlohmann::json::parse(text);
        if (j.at("schema") != "metercert.cmi1020.state/1") throw std::runtime_error("unknown schema");
        Cmi1020Settings s;
        s.primary_address = j.at("primary_address").get<std::uint8_t>();
        if (!j.at("secondary_address").is_null()) s.secondary_address = j.at("secondary_address").get<std::uint32_t>();
        s.baud = j.at("baud").get<unsigned>();
        s.disconnector = j.at("disconnector").get<std::uint8_t>();
        s.rate = j.at("rate").get<std::uint8_t>();
        s.rate_map = j.at("rate_map").get<std::array<std::uint8_t, 4>>();
        s.p1 = j.at("p1").get<std::string>();
        s.p2 = j.at("p2").get<std::array<std::uint8_t, 16>>();
        s.obis_mask = j.at("obis_mask").get<obis::SelectionMask>();
        s.signon_mask = j.at("signon_mask").get<std::uint16_t>();
        settings_ = s;
        reinterpret();
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("CMi1020 state: ") + e.what());
    }
}

}  // namespace metercert::devices
