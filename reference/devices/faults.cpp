// The CMi1020's faults (faults.hpp): the hooks of each fault, then the one list (kFaults, at the
// end) that names each fault, the clause it deviates from and its summary, and points at its hooks.
#include "metercert/devices/faults.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>

#include "metercert/devices/cmi1020.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"

namespace metercert::devices {

namespace {

using Bytes = std::vector<std::uint8_t>;
using Frame = std::span<const std::uint8_t>;

// ------------------------------------------------------------------------------------ helpers

// Recomputes the checksum of a short or long frame in place.
void fix_checksum(Bytes& f) {
    if (f.size() == 5 && f[0] == 0x10) f[3] = static_cast<std::uint8_t>(f[1] + f[2]);
    if (f.size() >= 9 && f[0] == 0x68)
        f[f.size() - 2] = mbus::checksum(std::span<const std::uint8_t>(f).subspan(4, f.size() - 6));
}

// Inserts `rec` into the long frame `f` at `pos` (L-fields and checksum follow); false when the
// frame would exceed L = 255.
bool insert_record(Bytes& f, std::size_t pos, std::initializer_list<std::uint8_t> rec) {
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

bool is_long(Frame b, std::uint8_t ci) {
    return b.size() >= 9 && b[0] == 0x68 && b[1] == b[2] && b[3] == 0x68 && b[6] == ci && b.size() == b[1] + 6u;
}
bool is_short(const Bytes& b) { return b.size() == 5 && b[0] == 0x10; }
bool long_frame(const Bytes& r) { return r.size() >= 9 && r[0] == 0x68; }
// A long frame with a long header (CI 0x72/0x76): 68 L L 68 C A CI | ID(4) MAN(2) VER MED ACC ST SIG(2)
bool long_header(const Bytes& r) { return long_frame(r) && r.size() >= 21 && (r[6] == 0x72 || r[6] == 0x76); }
// A baud switch request, CI 0xB8–0xBD (§6.7.3)
bool baud_switch(Frame b) { return b.size() >= 9 && b[0] == 0x68 && b[6] >= 0xB8 && b[6] <= 0xBD; }

// Each record of an RSP_UD with a VIB, handed to `edit` with the frame to rewrite in place; the
// checksum is recomputed after. A frame that does not decode is left as it is.
template <class Edit>
Bytes edit_records(Bytes r, Edit edit) {
    mbus::Telegram t;
    mbus::DecodeError err;
    if (!long_header(r) || !mbus::decode(r, t, err)) return r;
    for (const auto& rec : t.records)
        if (rec.has_vib) edit(r, rec);
    fix_checksum(r);
    return r;
}

// The CMi1020's own error flags (8340 FD17: subunit 1), not the meter's F.F (02 FD17).
bool own_error_flags(const mbus::Record& rec) {
    return rec.vif == 0xFD && rec.n_vife == 1 && rec.vife[0] == 0x17 && rec.subunit == 1;
}

// ------------------------------------------------------------------------- received frame hooks

Bytes ignored_fcb(Frame frame, std::uint8_t) {
    Bytes b(frame.begin(), frame.end());
    if (is_short(b) && (b[1] & 0xCF) == 0x4B) {  // REQ_UD2
        b[1] = static_cast<std::uint8_t>(b[1] & ~0x30);  // FCV = 0, FCB = 0
        fix_checksum(b);
    }
    return b;
}

Bytes any_address(Frame frame, std::uint8_t own) {  // a frame with a wrong checksum is still discarded
    Bytes b(frame.begin(), frame.end());
    if (is_short(b) && b[2] <= 250 && b[3] == static_cast<std::uint8_t>(b[1] + b[2])) {
        b[2] = own;
        fix_checksum(b);
    }
    return b;
}

Bytes accepts_bad_checksum(Frame frame, std::uint8_t) {
    Bytes b(frame.begin(), frame.end());
    fix_checksum(b);
    return b;
}

Bytes literal_wildcard(Frame frame, std::uint8_t) {
    Bytes b(frame.begin(), frame.end());
    mbus::LinkFrame lf;
    mbus::DecodeError err;
    if (mbus::parse_link(b, lf, err) && lf.kind == mbus::FrameKind::long_frame && lf.ci == 0x52)
        for (std::size_t i = 0; i < 4 && i < lf.user_data.size(); ++i)
            if ((lf.user_data[i] & 0x0F) == 0x0F || (lf.user_data[i] & 0xF0) == 0xF0)
                return {};  // "F" is no digit it has: the selection matches nothing
    return b;
}

// byte 14 of a full selection mask (§6.7.7) is the medium
Bytes medium_mask_ignored(Frame frame, std::uint8_t) {
    Bytes b(frame.begin(), frame.end());
    if (is_long(b, 0x52) && b[1] == 11) {
        b[14] = 0xFF;  // read as the wildcard
        fix_checksum(b);
    }
    return b;
}

Bytes medium_mask_literal(Frame frame, std::uint8_t) {
    Bytes b(frame.begin(), frame.end());
    if (is_long(b, 0x52) && b[1] == 11) {
        if (b[14] != 0x00 && b[14] != 0xFF) b[14] = 0x07;  // only 0x00/0xFF match: any other medium byte mismatches
        fix_checksum(b);
    }
    return b;
}

// §6.7.15: 0F 06 <mask> — the mask is bytes 9 and 10
bool signon_list(const Bytes& b) { return is_long(b, 0x51) && b[1] == 7 && b[7] == 0x0F && b[8] == 0x06; }

Bytes signon_mask_msb_first(Frame frame, std::uint8_t) {
    Bytes b(frame.begin(), frame.end());
    if (signon_list(b)) {
        std::swap(b[9], b[10]);
        fix_checksum(b);
    }
    return b;
}

Bytes signon_mask_ignored(Frame frame, std::uint8_t) {
    Bytes b(frame.begin(), frame.end());
    if (signon_list(b)) {
        b[9] = b[10] = 0x00;
        fix_checksum(b);
    }
    return b;
}

bool baud_switch_request(const Bytes& b) { return b.size() == 9 && b[0] == 0x68 && b[1] == 3 && b[6] >= 0xB8 && b[6] <= 0xBD; }

Bytes baud_switch_ignored(Frame frame, std::uint8_t) {  // handled as CI 0xBE: ACKed, no change (§6.7.3)
    Bytes b(frame.begin(), frame.end());
    if (baud_switch_request(b)) {
        b[6] = 0xBE;
        fix_checksum(b);
    }
    return b;
}

Bytes only_300_2400(Frame frame, std::uint8_t) {
    Bytes b(frame.begin(), frame.end());
    if (baud_switch_request(b) && b[6] != 0xB8 && b[6] != 0xBB) return {};
    return b;
}

// ----------------------------------------------------------------------------- sent frame hooks

Bytes wrong_checksum(Frame, Bytes r) {
    if (long_frame(r)) r[r.size() - 2] = static_cast<std::uint8_t>(r[r.size() - 2] + 1);
    return r;
}

Bytes medium_zero(Frame, Bytes r) {
    if (long_header(r)) r[14] = 0x00, fix_checksum(r);
    return r;
}

Bytes medium_water(Frame, Bytes r) {
    if (long_header(r)) r[14] = 0x07, fix_checksum(r);
    return r;
}

Bytes wrong_manufacturer(Frame, Bytes r) {
    if (long_header(r)) {
        const std::uint16_t elw = ('E' - 64) << 10 | ('L' - 64) << 5 | ('W' - 64);
        r[11] = static_cast<std::uint8_t>(elw), r[12] = static_cast<std::uint8_t>(elw >> 8);
        fix_checksum(r);
    }
    return r;
}

// Where the meter's data lies in an RSP_UD: whether it has any, whether it has a text
// identification (FD0A), and the end of the meter ID record 0C 78 (0: none).
struct MeterData {
    bool any = false, text_id = false, last_telegram = false;
    std::size_t after_meter_id = 0;
};
std::optional<MeterData> meter_data(const Bytes& r) {
    mbus::Telegram t;
    mbus::DecodeError err;
    if (!long_header(r) || !mbus::decode(r, t, err)) return std::nullopt;
    MeterData m;
    m.last_telegram = t.special == 0x0F;
    for (const auto& rec : t.records) {
        const auto raw = t.span(rec.raw);
        if (!table5_record(raw)) m.any = true;
        if (raw.size() >= 2 && raw[0] == 0x0C && raw[1] == 0x78) m.after_meter_id = rec.raw.off + rec.raw.len;
        if (rec.vif == 0xFD && rec.n_vife >= 1 && (rec.vife[0] & 0x7F) == 0x0A) m.text_id = true;
    }
    return m;
}

Bytes extra_record(Frame, Bytes r) {
    if (const auto m = meter_data(r); m && m->any && m->last_telegram)
        insert_record(r, r.size() - 3, {0x04, 0x13, 0x00, 0x00, 0x00, 0x00});  // before the 0x0F
    return r;
}

Bytes blank_text_record(Frame, Bytes r) {
    if (const auto m = meter_data(r); m && m->after_meter_id != 0 && !m->text_id)
        insert_record(r, m->after_meter_id, {0x0D, 0xFD, 0x0A, 0x00});  // C.1.1 (Table 6 row 57), no text
    return r;
}

// Table 5 disconnector status 01 FD1A: bits 1–0 the actual state, 00 = unknown
template <std::uint8_t kUnknownAs>
Bytes fd1a_unknown(Frame, Bytes r) {
    return edit_records(std::move(r), [](Bytes& f, const mbus::Record& rec) {
        if (rec.dif == 0x01 && rec.vif == 0xFD && rec.n_vife == 1 && rec.vife[0] == 0x1A && rec.data.len == 1) {
            std::uint8_t& status = f[rec.data.off];
            if ((status & 0x03) == 0x00) status |= kUnknownAs;
        }
    });
}

Bytes energy_plus_one(Frame, Bytes r) {
    return edit_records(std::move(r), [](Bytes& f, const mbus::Record& rec) {
        if (rec.dif == 0x04 && rec.n_dife == 0 && rec.vif >= 0x83 && rec.vif <= 0x86 && rec.n_vife == 1 &&
            rec.vife[0] == 0x3B && rec.data.len == 4) {  // 1.8.0
            for (std::size_t i = 0; i < 4 && ++f[rec.data.off + i] == 0; ++i) {
            }  // +1, carrying
        }
    });
}

Bytes readout_flag_stuck(Frame, Bytes r) {
    return edit_records(std::move(r), [](Bytes& f, const mbus::Record& rec) {
        if (own_error_flags(rec) && rec.data.len >= 2) f[rec.data.off + 1] |= 0x01;  // bit 8
    });
}

Bytes wrong_vif_exponent(Frame, Bytes r) {
    return edit_records(std::move(r), [](Bytes& f, const mbus::Record& rec) {
        if ((rec.vif & 0x7F) <= 0x06) ++f[rec.vib.off];  // energy Wh, 10^(n−3); 0x07 has no next
    });
}

Bytes wrong_error_flag(Frame, Bytes r) {
    return edit_records(std::move(r), [](Bytes& f, const mbus::Record& rec) {
        if (own_error_flags(rec) && rec.data.len >= 1) {
            std::uint8_t& low = f[rec.data.off];
            const std::uint8_t b3 = (low >> 3) & 1, b4 = (low >> 4) & 1;
            low = static_cast<std::uint8_t>((low & ~0x18) | (b3 << 4) | (b4 << 3));
        }
    });
}

Bytes baud_ack_new_rate(Frame request, Bytes r) {
    // an E5 sent at a higher rate is, at the old rate, a glitch shorter than half a bit: the
    // master's UART sees no start bit at all
    if (baud_switch(request)) r.clear();
    return r;
}

// --------------------------------------------------------------------------------- other hooks

Bytes acks_refused_commands(Frame request, std::uint8_t own) {
    mbus::LinkFrame lf;
    mbus::DecodeError err;
    // an SND_UD with CI 0x51 to its own primary address that it refused (not one it never heard)
    if (mbus::parse_link(request, lf, err) && lf.kind == mbus::FrameKind::long_frame && (lf.c.raw & 0xCF) == 0x43 &&
        lf.a == own && lf.ci == 0x51)
        return {0xE5};
    return {};
}

Duration late_reply(unsigned baud) { return from_ms(330000.0 / baud + 50.0 + 60.0); }
// the simulated line answers 33 bit times after a request (rigs/sim_port.hpp): 5 bit times instead
Duration early_reply(unsigned baud) { return from_ms(-28000.0 / baud); }

void settings_lost(Cmi1020& s) {  // the EEPROM forgot: §8.2 factory defaults, as application reset B0 (§6.7.4) sets them
    s.on_frame(mbus::build_long(0x53, s.settings().primary_address, 0x50, std::vector<std::uint8_t>{0xB0}));
}

// The header ID from a padded 0.0 (Table 4 wants its last 8 characters as an 8-digit BCD)
template <bool kLeftAligned>
std::optional<std::uint32_t> padded_id(std::string_view raw) {
    auto digits = [](std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; };
    if (raw.size() >= 8 && digits(raw.substr(raw.size() - 8))) return std::nullopt;  // not padded: Table 4 as it is
    const auto first = raw.find_first_not_of(' ');
    if (first == std::string_view::npos) return std::nullopt;
    const std::string_view v = raw.substr(first, raw.find_last_not_of(' ') - first + 1);
    if (!digits(v) || v.size() > 8) return std::nullopt;
    std::uint32_t id = 0;
    for (char c : v) id = (id << 4) | static_cast<std::uint32_t>(c - '0');
    if (kLeftAligned) id <<= 4 * (8 - v.size());
    return id;
}

// ---------------------------------------------------------------------------------- the list
// Faults of issue 11 ("a wrong value is a must failure"; "split every ambiguous point") follow
// wrong_error_flag: each is caught by a must case unless it only picks another reading the manual
// allows (its summary starts with "reading:").

constexpr Cmi1020FaultSpec kFaults[] = {
    {{"wrong_checksum", "EN 13757-2 §5.4", "every long frame it sends has its checksum off by one"},
     {.sent = wrong_checksum}},
    {{"ignored_fcb", "EN 13757-2 §5.5, CMi1020 §6.5",
      "REQ_UD2 is handled as if FCV were 0: no repeat on an untoggled FCB"},
     {.received = ignored_fcb}},
    {{"any_address", "EN 13757-2 §5.6, CMi1020 §6.2", "answers SND_NKE/REQ_UD2 for every primary address 0–250"},
     {.received = any_address}},
    {{"accepts_bad_checksum", "EN 13757-2 §5.4", "takes frames whose checksum is wrong (EN 13757-2 says: discard)"},
     {.received = accepts_bad_checksum}},
    {{"literal_wildcard", "CMi1020 §6.7.7", "treats nibble F in a selection's ID as a digit, not a wildcard"},
     {.received = literal_wildcard}},
    {{"late_reply", "EN 13757-2 reply window (330 bit times + 50 ms)",
      "replies 60 ms after EN 13757-2's latest start (330 bit times + 50 ms)"},
     {.reply_delay = late_reply}},
    {{"medium_zero", "CMi1020 §6.1 (ERRATA E-1)", "reading: header medium 0x00 as §6.7.2.2's byte table prints"},
     {.sent = medium_zero}},
    {{"wrong_manufacturer", "CMi1020 §6.1, §6.7.2.2", "header manufacturer ELW instead of ELV"},
     {.sent = wrong_manufacturer}},
    {{"baud_ack_new_rate", "CMi1020 §6.7.3 (EN 13757-2: the ACK at the old rate)",
      "switches rate before ACKing a baud switch: the ACK is unreadable at the old rate"},
     {.sent = baud_ack_new_rate}},
    {{"settings_lost", "CMi1020 §5.1, §5.2", "EEPROM settings lost on a power cycle (back to the §8.2 factory defaults)"},
     {.power_cycle = settings_lost}},
    {{"wrong_vif_exponent", "CMi1020 §6.6 Table 6",
      "energy records (VIF 0000 0nnn, Wh) sent with the exponent one too high: 10× the value"},
     {.sent = wrong_vif_exponent}},
    {{"table5_repeated", "CMi1020 §6.6, §6.7.2.2", "Table 5 static data in every telegram, not only the first"},
     {.static_data_every_telegram = true}},
    {{"wrong_error_flag", "CMi1020 §6.6 Table 5",
      "FD17 bits 3 and 4 swapped: a receive error reported as a timeout and back"},
     {.sent = wrong_error_flag}},
    {{"energy_plus_one", "CMi1020 §6.6 Table 6 row 0",
      "1.8.0 (04 (83-86)3B) one register unit too high: 1 Wh at VIF 0x83"},
     {.sent = energy_plus_one}},
    {{"extra_record", "CMi1020 §6.6 Table 6",
      "the last telegram carries one record no readout line gives (04 13: a volume, 0 l)"},
     {.sent = extra_record}},
    {{"blank_text_record", "CMi1020 §6.6 Table 6 row 57 (ERRATA E-34)",
      "reading: a blank readout value (C.1.1) sent as an empty text record 0D FD0A 00"},
     {.sent = blank_text_record}},
    {{"medium_water", "CMi1020 §6.1, §6.7.2.2 (ERRATA E-1)",
      "header medium 0x07 (water): neither reading of §6.7.2.2/§6.1"},
     {.sent = medium_water}},
    {{"early_reply", "EN 13757-2 reply window (11 bit times)",
      "replies 5 bit times after the request, before EN 13757-2's earliest 11"},
     {.reply_delay = early_reply}},
    {{"padded_id_zero_filled", "CMi1020 §6.2.1 Table 4 (ERRATA E-17)",
      "reading: a padded 0.0 taken with its padding as zeros (00120858)"},
     {.meter_id = padded_id<false>}},
    {{"padded_id_left_aligned", "CMi1020 §6.2.1 Table 4 (ERRATA E-17)",
      "a padded 0.0's digits left-aligned and zero-filled on the right (12085800)"},
     {.meter_id = padded_id<true>}},
    {{"readout_flag_stuck", "CMi1020 §6.6 Table 5", "FD17 bit 8 'error during meter data readout' always set"},
     {.sent = readout_flag_stuck}},
    {{"acks_refused_commands", "CMi1020 §6.7 (ERRATA E-20)",
      "reading: ACKs the SND_UD commands it refuses (values the manual excludes)"},
     {.silence = acks_refused_commands}},
    {{"out_of_range_applied", "CMi1020 §6.7.5, §6.7.6, §6.7.9, §6.7.11, §6.7.14, §6.7.22",
      "takes values the manual excludes: address > 0xFA, non-BCD ID, P1 with non-digits, rate 7–0xFE, a 9-byte "
      "OBIS selection list, text index > 12"},
     {.out_of_range_applied = true}},
    {{"stale_readout", "CMi1020 §5 (a readout every 30 s), §6.6 Table 6",
      "the telegrams keep the records of the first meter readout: the meter's later values never reach them"},
     {.stale_records = true}},
    {{"medium_mask_ignored", "CMi1020 §6.7.7",
      "a selection's medium byte is not compared: 0x07 selects an electricity meter"},
     {.received = medium_mask_ignored}},
    {{"medium_mask_literal", "CMi1020 §6.7.7 (ERRATA E-1, E-20)",
      "reading: only medium masks 0x00 and 0xFF match, 0x02 does not"},
     {.received = medium_mask_literal}},
    {{"signon_mask_msb_first", "CMi1020 §6.7.15 (ERRATA E-20)", "reading: the sign-on method list taken MSByte first"},
     {.received = signon_mask_msb_first}},
    {{"signon_mask_ignored", "CMi1020 §6.7.15",
      "the sign-on method list is ACKed and ignored: every command signs on with P1"},
     {.received = signon_mask_ignored}},
    {{"baud_switch_ignored", "CMi1020 §6.7.3", "ACKs a baud switch (CI 0xB8–0xBD) and stays at its rate"},
     {.received = baud_switch_ignored}},
    {{"only_300_2400", "CMi1020 §6.3, §6.7.3, §8.1 (ERRATA E-20)",
      "reading: only 300 and 2400 baud; CI 0xB9, 0xBA, 0xBC, 0xBD get no reply"},
     {.received = only_300_2400}},
    {{"fd1a_unknown_11", "CMi1020 §6.6 Table 5 (ERRATA E-35)",
      "reading: the disconnector's unknown actual state sent as FD1A bits 1–0 = 11"},
     {.sent = fd1a_unknown<0x03>}},
    {{"fd1a_unknown_as_on", "CMi1020 §6.6 Table 5",
      "the unknown actual state (before the first pulse) reported as on, FD1A bits 1–0 = 01"},
     {.sent = fd1a_unknown<0x01>}},
    // issue 16: the push button, power-on and the rate inputs (cases need the rig's roles, which
    // sim:cmi1020 takes itself)
    {{"button_ignores_capacitor", "CMi1020 §5.3, §7.3",
      "a press toggles the disconnector while the drive capacitor charges (within ~10 s of the last toggle)"},
     {.button_ignores_capacitor = true}},
    {{"button_ignores_enable", "CMi1020 §5.3, §6.7.8, §7.1",
      "the push button toggles the disconnector although push-button turn-off / turn-on is disabled"},
     {.button_ignores_enable = true}},
    {{"button_keeps_eeprom", "CMi1020 §5.2, §5.3 (ERRATA E-108)",
      "reading: a press toggles the meter's disconnector, not the EEPROM setting (FD1A bits 7-6); a power cycle undoes it"},
     {.button_keeps_eeprom = true}},
    {{"factory_reset_short_hold", "CMi1020 §5.4", "holding the button 3 s on power-up already resets to the factory defaults"},
     {.factory_reset_hold = std::chrono::seconds(3)}},
    {{"factory_reset_keeps_address", "CMi1020 §5.4, §8.2", "the factory reset by the button keeps the primary address"},
     {.factory_reset_keeps_address = true}},
    {{"first_readout_late", "CMi1020 §5.2.1", "after a power cycle the first meter readout comes only after 30 s"},
     {.first_readout_late = true}},
    {{"no_power_on_pulse", "CMi1020 §5.2.1, §6.7.8",
      "after a power cycle the disconnector is never pulsed to its EEPROM state (FD1A stays unknown)"},
     {.no_power_on_pulse = true}},
    {{"rate_not_set_at_power_on", "CMi1020 §5.2.1", "after a power cycle the meter's rate is not set"},
     {.rate_not_set_at_power_on = true}},
    {{"rate_inputs_always", "CMi1020 §6.7.11, §7.2",
      "a change of the rate inputs selects the meter's rate even when rate selection is off (0, the §8.2 default)"},
     {.rate_inputs_always = true}},
};
constexpr auto kSpecs = specs_of(kFaults);

}  // namespace

std::span<const Cmi1020FaultSpec> cmi1020_faults() noexcept { return kFaults; }

std::span<const FaultSpec> cmi1020_fault_specs() noexcept { return kSpecs; }

const Cmi1020FaultSpec* find_cmi1020_fault(std::string_view name) noexcept {
    const FaultSpec* f = find_fault(kSpecs, name);
    return f ? &kFaults[f - kSpecs.data()] : nullptr;
}

}  // namespace metercert::devices
