#include "metercert/rigs/tap.hpp"

#include "metercert/devices/secrets.hpp"

namespace metercert::rigs {

std::string_view direction_name(Direction d) noexcept { return d == Direction::to_dut ? "to_dut" : "from_dut"; }

std::optional<Direction> direction_from_name(std::string_view name) noexcept {
    if (name == "to_dut") return Direction::to_dut;
    if (name == "from_dut") return Direction::from_dut;
    return std::nullopt;
}

std::string_view link_kind_name(LinkKind k) noexcept {
    switch (k) {
        case LinkKind::mbus: return "mbus";
        case LinkKind::wmbus: return "wmbus";
    }
    return "unknown";
}

std::optional<LinkKind> link_kind_from_name(std::string_view name) noexcept {
    if (name == "mbus") return LinkKind::mbus;
    if (name == "wmbus") return LinkKind::wmbus;
    return std::nullopt;
}

namespace {

// Wired M-Bus: the one rule of devices/secrets.hpp (CMi1020 §6.7.9/§6.7.10: P1 password, P2 key
// and the checksum that would tell their sum), streamed.
class MbusSecrets : public RedactionRule {
public:
    bool redact(std::span<std::uint8_t> bytes) override { return redactor_.redact(bytes); }

private:
    devices::SecretRedactor redactor_;
};

}  // namespace

std::unique_ptr<RedactionRule> redaction_rule(LinkKind kind) {
    switch (kind) {
        case LinkKind::mbus: return std::make_unique<MbusSecrets>();
        // a wireless M-Bus telegram carries no key (mode 5 data are ciphertext): nothing to redact
        case LinkKind::wmbus: return nullptr;
    }
    return nullptr;
}

void RedactingTap::record(const TapRecord& r) {
    if (!next_) return;
    auto [it, fresh] = streams_.try_emplace({r.link, r.channel, r.direction});
    if (fresh) it->second.rule = redaction_rule(r.link);
    if (!it->second.rule) {
        next_->record(r);
        return;
    }
    TapRecord copy = r;
    if (it->second.rule->redact(copy.bytes)) copy.flags |= kTapRedacted;
    next_->record(copy);
}

}  // namespace metercert::rigs
