#include "metercert/devices/secrets.hpp"

namespace metercert::devices {

namespace {

// 68 L L 68 C A 51 0F (01|02): the header of a set-P1 / set-P2 command (CMi1020 §6.7.9/§6.7.10).
std::optional<SecretSpan> match_header(const std::uint8_t* h) noexcept {
    if (h[0] != 0x68 || h[3] != 0x68 || h[1] != h[2] || h[1] < 6 || h[6] != 0x51 || h[7] != 0x0F) return std::nullopt;
    if (h[8] != 0x01 && h[8] != 0x02) return std::nullopt;
    return SecretSpan{9, static_cast<std::size_t>(h[1]) + 5, h[8] == 0x01 ? "P1 password" : "P2 key"};
}

}  // namespace

std::optional<SecretSpan> find_secret(std::span<const std::uint8_t> frame) noexcept {
    if (frame.size() < 9) return std::nullopt;
    return match_header(frame.data());
}

bool SecretRedactor::redact(std::span<std::uint8_t> chunk) noexcept {
    bool any = false;
    for (std::uint8_t& b : chunk) {
        if (remaining_ > 0) {
            b = kRedactedByte;
            --remaining_;
            any = true;
            filled_ = 0;
            continue;
        }
        if (filled_ == window_.size()) {
            for (std::size_t i = 1; i < window_.size(); ++i) window_[i - 1] = window_[i];
            --filled_;
        }
        window_[filled_++] = b;
        if (filled_ == window_.size()) {
            if (const auto s = match_header(window_.data())) {
                remaining_ = s->end - s->first;
                filled_ = 0;
            }
        }
    }
    return any;
}

bool redact_secrets(std::vector<std::uint8_t>& bytes) noexcept {
    SecretRedactor r;
    return r.redact(bytes);
}

}  // namespace metercert::devices
