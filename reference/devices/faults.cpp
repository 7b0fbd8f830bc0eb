#include "metercert/devices/faults.hpp"

#include <array>

#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"

namespace metercert::devices {

namespace {
constexpr std::array<std::pair<Cmi1020Fault, std::string_view>, 14> kNames{{
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
}};

// Recomputes the checksum of a short or long frame in place.
void fix_checksum(std::vector<std::uint8_t>& f) {
    if (f.size() == 5 && f[0] == 0x10) f[3] = static_cast<std::uint8_t>(f[1] + f[2]);
    if (f.size() >= 9 && f[0] == 0x68)
        f[f.size() - 2] = mbus::checksum(std::span<const std::uint8_t>(f).subspan(4, f.size() - 6));
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
        case Cmi1020Fault::wrong_vif_exponent:
        case Cmi1020Fault::wrong_error_flag: {
            mbus::Telegram t;
            mbus::DecodeError err;
            if (!long_header || !mbus::decode(r, t, err)) break;
            for (const auto& rec : t.records) {
                if (!rec.has_vib) continue;
                const std::uint8_t vif = rec.vif & 0x7F;
                if (f == Cmi1020Fault::wrong_vif_exponent && vif <= 0x06) {  // energy Wh, 10^(n−3); 0x07 has no next
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

double fault_extra_delay_ms(Cmi1020Fault f, unsigned baud) noexcept {
    return f == Cmi1020Fault::late_reply ? 330000.0 / baud + 50.0 + 60.0 : 0.0;
}

}  // namespace metercert::devices
