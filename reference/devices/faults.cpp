#include "metercert/devices/faults.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>

#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"

namespace metercert::devices {

namespace {
constexpr std::array<std::pair<Cmi1020Fault, std::string_view>, 32> kNames{{
    {Cmi1020Fault::none, "none"},
    {Cmi1020Fault::wrong_checksum, "wrong_checksum"},
    {Cmi1020Fault::ignored_fcb, "ignored_fcb"},
    {Cmi1020Fault::any_address, "any_address"},
    {Cmi1020Fault::accepts_bad_checksum, "accepts_bad_checksum"},
    {Cmi1020Fault::literal_wildcard, "literal_wildcard"},
    {Cmi1020Fault::late_reply, "late_reply"},
    {Cmi1020Fault::medium_zero, "medium_zero"},
    {Cmi1020Fault::wrong_manufacturer, "wrong_manufacturer"},
    {Cmi1020Fault::baud_ack_new_rate, "baud_ack_new_rate"},
    {Cmi1020Fault::settings_lost, "settings_lost"},
    {Cmi1020Fault::wrong_vif_exponent, "wrong_vif_exponent"},
    {Cmi1020Fault::table5_repeated, "table5_repeated"},
    {Cmi1020Fault::wrong_error_flag, "wrong_error_flag"},
    {Cmi1020Fault::energy_plus_one, "energy_plus_one"},
    {Cmi1020Fault::extra_record, "extra_record"},
    {Cmi1020Fault::blank_text_record, "blank_text_record"},
    {Cmi1020Fault::medium_water, "medium_water"},
    {Cmi1020Fault::early_reply, "early_reply"},
    {Cmi1020Fault::padded_id_zero_filled, "padded_id_zero_filled"},
    {Cmi1020Fault::padded_id_left_aligned, "padded_id_left_aligned"},
    {Cmi1020Fault::readout_flag_stuck, "readout_flag_stuck"},
    {Cmi1020Fault::acks_refused_commands, "acks_refused_commands"},
    {Cmi1020Fault::out_of_range_applied, "out_of_range_applied"},
    {Cmi1020Fault::medium_mask_ignored, "medium_mask_ignored"},
    {Cmi1020Fault::medium_mask_literal, "medium_mask_literal"},
    {Cmi1020Fault::signon_mask_msb_first, "signon_mask_msb_first"},
    {Cmi1020Fault::signon_mask_ignored, "signon_mask_ignored"},
    {Cmi1020Fault::baud_switch_ignored, "baud_switch_ignored"},
    {Cmi1020Fault::only_300_2400, "only_300_2400"},
    {Cmi1020Fault::fd1a_unknown_11, "fd1a_unknown_11"},
    {Cmi1020Fault::fd1a_unknown_as_on, "fd1a_unknown_as_on"},
}};

// Recomputes the checksum of a short or long frame in place.
void fix_checksum(std::vector<std::uint8_t>& f) {
    if (f.size() == 5 && f[0] == 0x10) f[3] = static_cast<std::uint8_t>(f[1] + f[2]);
    if (f.size() >= 9 && f[0] == 0x68)
        f[f.size() - 2] = mbus::checksum(std::span<const std::uint8_t>(f).subspan(4, f.size() - 6));
}

// Inserts `rec` into the long frame `f` at `pos` (L-fields and checksum follow); false when the
// frame would exceed L = 255.
bool insert_record(std::vector<std::uint8_t>& f, std::size_t pos, std::initializer_list<std::uint8_t> rec) {
    if (f.size() < 9 || f[0] != 0x68 || f[1] + rec.size() > 255 || pos < 7 || pos > f.size() - 2) return false;
    f.insert(f.begin() + static_cast<long>(pos), rec.begin(), rec.end());
    f[1] = f[2] = static_cast<std::uint8_t>(f[1] + rec.size());
    fix_checksum(f);
    return true;
}

// A record of Table 5 (the CMi1020's own static data) rather than one interpreted from the meter.
bool table5_record(std::span<const std::uint8_t> raw) {
    static constexpr std::array<std::array<std::uint8_t, 4>, 5> kPrefixes{{
        {0x01, 0xFD, 0x1A, 3}, {0x01, 0xFD, 0x1B, 3}, {0x83, 0x40, 0xFD, 3}, {0x0D, 0xFD, 0x0F, 3}, {0x8C, 0x40, 0x78, 3}}};
    for (const auto& p : kPrefixes)
        if (raw.size() >= p[3] && std::equal(p.begin(), p.begin() + p[3], raw.begin())) return true;
    return false;
}

bool is_long(std::span<const std::uint8_t> b, std::uint8_t ci) {
    return b.size() >= 9 && b[0] == 0x68 && b[1] == b[2] && b[3] == 0x68 && b[6] == ci && b.size() == b[1] + 6u;
}
}  // namespace

std::string_view fault_name(Cmi1020Fault f) noexcept {
    for (const auto& [k, n] : kNames)
        if (k == f) return n;
    return "?";
}

std::optional<Cmi1020Fault> fault_from_name(std::string_view name) noexcept {
    for (const auto& [k, n] : kNames)
        if (n == name) return k;
    return std::nullopt;
}

std::vector<std::string_view> fault_names() {
    std::vector<std::string_view> v;
    for (const auto& [k, n] : kNames)
        if (k != Cmi1020Fault::none) v.push_back(n);
    return v;
}

std::vector<std::uint8_t> fault_on_request(Cmi1020Fault f, std::span<const std::uint8_t> frame, std::uint8_t own) {
    std::vector<std::uint8_t> b(frame.begin(), frame.end());
    mbus::LinkFrame lf;
    mbus::DecodeError err;
    switch (f) {
        case Cmi1020Fault::ignored_fcb:
            if (b.size() == 5 && b[0] == 0x10 && (b[1] & 0xCF) == 0x4B) {
                b[1] = static_cast<std::uint8_t>(b[1] & ~0x30);  // FCV = 0, FCB = 0
                fix_checksum(b);
            }
            break;
        case Cmi1020Fault::any_address:  // a frame with a wrong checksum is still discarded
            if (b.size() == 5 && b[0] == 0x10 && b[2] <= 250 && b[3] == static_cast<std::uint8_t>(b[1] + b[2])) {
                b[2] = own;
                fix_checksum(b);
            }
            break;
        case Cmi1020Fault::accepts_bad_checksum:
            fix_checksum(b);
            break;
        case Cmi1020Fault::medium_mask_ignored:  // byte 14 of a full selection mask (§6.7.7) reads as the wildcard
        case Cmi1020Fault::medium_mask_literal:  // only 0x00/0xFF match: any other medium byte becomes a mismatch
            if (is_long(b, 0x52) && b[1] == 11) {
                if (f == Cmi1020Fault::medium_mask_ignored) b[14] = 0xFF;
                else if (b[14] != 0x00 && b[14] != 0xFF) b[14] = 0x07;
                fix_checksum(b);
            }
            break;
        case Cmi1020Fault::signon_mask_msb_first:  // §6.7.15: 0F 06 <mask> — bytes 9 and 10
        case Cmi1020Fault::signon_mask_ignored:
            if (is_long(b, 0x51) && b[1] == 7 && b[7] == 0x0F && b[8] == 0x06) {
                if (f == Cmi1020Fault::signon_mask_msb_first) std::swap(b[9], b[10]);
                else b[9] = b[10] = 0x00;
                fix_checksum(b);
            }
            break;
        case Cmi1020Fault::baud_switch_ignored:  // handled as CI 0xBE: ACKed, no change (§6.7.3)
        case Cmi1020Fault::only_300_2400:
            if (b.size() == 9 && b[0] == 0x68 && b[1] == 3 && b[6] >= 0xB8 && b[6] <= 0xBD) {
                if (f == Cmi1020Fault::only_300_2400) {
                    if (b[6] != 0xB8 && b[6] != 0xBB) return {};
                } else {
                    b[6] = 0xBE;
                    fix_checksum(b);
                }
            }
            break;
        case Cmi1020Fault::literal_wildcard:
            if (mbus::parse_link(b, lf, err) && lf.kind == mbus::FrameKind::long_frame && lf.ci == 0x52)
                for (std::size_t i = 0; i < 4 && i < lf.user_data.size(); ++i)
                    if ((lf.user_data[i] & 0x0F) == 0x0F || (lf.user_data[i] & 0xF0) == 0xF0)
                        return {};  // "F" is no digit it has: the selection matches nothing
            break;
        default: break;
    }
    return b;
}

std::vector<std::uint8_t> fault_on_reply(Cmi1020Fault f, std::span<const std::uint8_t> request, std::vector<std::uint8_t> r) {
    const bool long_frame = r.size() >= 9 && r[0] == 0x68;
    const bool long_header = long_frame && r.size() >= 21 && (r[6] == 0x72 || r[6] == 0x76);
    switch (f) {
        case Cmi1020Fault::wrong_checksum:
            if (long_frame) r[r.size() - 2] = static_cast<std::uint8_t>(r[r.size() - 2] + 1);
            break;
        case Cmi1020Fault::medium_zero:
            if (long_header) r[14] = 0x00, fix_checksum(r);  // 68 L L 68 C A CI | ID(4) MAN(2) VER MED
            break;
        case Cmi1020Fault::wrong_manufacturer:
            if (long_header) {
                const std::uint16_t elw = ('E' - 64) << 10 | ('L' - 64) << 5 | ('W' - 64);
                r[11] = static_cast<std::uint8_t>(elw), r[12] = static_cast<std::uint8_t>(elw >> 8);
                fix_checksum(r);
            }
            break;
        case Cmi1020Fault::medium_water:
            if (long_header) r[14] = 0x07, fix_checksum(r);
            break;
        case Cmi1020Fault::extra_record:
        case Cmi1020Fault::blank_text_record: {
            mbus::Telegram t;
            mbus::DecodeError err;
            if (!long_header || !mbus::decode(r, t, err)) break;
            bool meter_data = false, text_id = false;
            std::size_t after_meter_id = 0;
            for (const auto& rec : t.records) {
                const auto raw = t.span(rec.raw);
                if (!table5_record(raw)) meter_data = true;
                if (raw.size() >= 2 && raw[0] == 0x0C && raw[1] == 0x78) after_meter_id = rec.raw.off + rec.raw.len;
                if (rec.vif == 0xFD && rec.n_vife >= 1 && (rec.vife[0] & 0x7F) == 0x0A) text_id = true;
            }
            if (f == Cmi1020Fault::extra_record && meter_data && t.special == 0x0F)
                insert_record(r, r.size() - 3, {0x04, 0x13, 0x00, 0x00, 0x00, 0x00});  // before the 0x0F
            if (f == Cmi1020Fault::blank_text_record && after_meter_id != 0 && !text_id)
                insert_record(r, after_meter_id, {0x0D, 0xFD, 0x0A, 0x00});  // C.1.1 (Table 6 row 57), no text
            break;
        }
        case Cmi1020Fault::fd1a_unknown_11:
        case Cmi1020Fault::fd1a_unknown_as_on:
        case Cmi1020Fault::energy_plus_one:
        case Cmi1020Fault::readout_flag_stuck:
        case Cmi1020Fault::wrong_vif_exponent:
        case Cmi1020Fault::wrong_error_flag: {
            mbus::Telegram t;
            mbus::DecodeError err;
            if (!long_header || !mbus::decode(r, t, err)) break;
            for (const auto& rec : t.records) {
                if (!rec.has_vib) continue;
                const std::uint8_t vif = rec.vif & 0x7F;
                if ((f == Cmi1020Fault::fd1a_unknown_11 || f == Cmi1020Fault::fd1a_unknown_as_on) && rec.dif == 0x01 &&
                    rec.vif == 0xFD && rec.n_vife == 1 && rec.vife[0] == 0x1A && rec.data.len == 1) {
                    std::uint8_t& status = r[rec.data.off];  // Table 5 disconnector status, bits 1–0 = actual state
                    if ((status & 0x03) == 0x00) status |= f == Cmi1020Fault::fd1a_unknown_11 ? 0x03 : 0x01;
                } else if (f == Cmi1020Fault::energy_plus_one && rec.dif == 0x04 && rec.n_dife == 0 && rec.vif >= 0x83 &&
                    rec.vif <= 0x86 && rec.n_vife == 1 && rec.vife[0] == 0x3B && rec.data.len == 4) {  // 1.8.0
                    for (std::size_t i = 0; i < 4 && ++r[rec.data.off + i] == 0; ++i) {
                    }  // +1, carrying
                } else if (f == Cmi1020Fault::readout_flag_stuck && rec.vif == 0xFD && rec.n_vife == 1 && rec.vife[0] == 0x17 &&
                           rec.subunit == 1 && rec.data.len >= 2) {
                    r[rec.data.off + 1] |= 0x01;  // bit 8 of the CMi1020's flags (8340 FD17)
                } else if (f == Cmi1020Fault::wrong_vif_exponent && vif <= 0x06) {  // energy Wh, 10^(n−3); 0x07 has no next
                    ++r[rec.vib.off];
                } else if (f == Cmi1020Fault::wrong_error_flag && rec.vif == 0xFD && rec.n_vife == 1 && rec.vife[0] == 0x17 &&
                           rec.subunit == 1 && rec.data.len >= 1) {  // the CMi1020's own flags (8340 FD17), not the meter's F.F
                    std::uint8_t& low = r[rec.data.off];
                    const std::uint8_t b3 = (low >> 3) & 1, b4 = (low >> 4) & 1;
                    low = static_cast<std::uint8_t>((low & ~0x18) | (b3 << 4) | (b4 << 3));
                }
            }
            fix_checksum(r);
            break;
        }
        case Cmi1020Fault::baud_ack_new_rate:
            // an E5 sent at a higher rate is, at the old rate, a glitch shorter than half a bit:
            // the master's UART sees no start bit at all
            if (request.size() >= 9 && request[0] == 0x68 && request[6] >= 0xB8 && request[6] <= 0xBD) r.clear();
            break;
        default: break;
    }
    return r;
}

std::vector<std::uint8_t> fault_on_silence(Cmi1020Fault f, std::span<const std::uint8_t> request, std::uint8_t own) {
    if (f != Cmi1020Fault::acks_refused_commands) return {};
    mbus::LinkFrame lf;
    mbus::DecodeError err;
    // an SND_UD with CI 0x51 to its own primary address that it refused (not one it never heard)
    if (mbus::parse_link(request, lf, err) && lf.kind == mbus::FrameKind::long_frame && (lf.c.raw & 0xCF) == 0x43 &&
        lf.a == own && lf.ci == 0x51)
        return {0xE5};
    return {};
}

double fault_extra_delay_ms(Cmi1020Fault f, unsigned baud) noexcept {
    if (f == Cmi1020Fault::late_reply) return 330000.0 / baud + 50.0 + 60.0;
    // the simulated line answers 33 bit times after a request (rigs/sim_port.hpp): 5 bit times instead
    if (f == Cmi1020Fault::early_reply) return -28000.0 / baud;
    return 0.0;
}

std::optional<std::uint32_t> fault_meter_id(Cmi1020Fault f, std::string_view raw) noexcept {
    if (f != Cmi1020Fault::padded_id_zero_filled && f != Cmi1020Fault::padded_id_left_aligned) return std::nullopt;
    auto digits = [](std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; };
    if (raw.size() >= 8 && digits(raw.substr(raw.size() - 8))) return std::nullopt;  // not padded: Table 4 as it is
    const auto first = raw.find_first_not_of(' ');
    if (first == std::string_view::npos) return std::nullopt;
    const std::string_view v = raw.substr(first, raw.find_last_not_of(' ') - first + 1);
    if (!digits(v) || v.size() > 8) return std::nullopt;
    std::uint32_t id = 0;
    for (char c : v) id = (id << 4) | static_cast<std::uint32_t>(c - '0');
    if (f == Cmi1020Fault::padded_id_left_aligned) id <<= 4 * (8 - v.size());
    return id;
}

}  // namespace metercert::devices
