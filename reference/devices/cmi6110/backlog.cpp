#include "metercert/devices/cmi6110/backlog.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "metercert/devices/cmi6110/senml_payload.hpp"

namespace metercert::devices::cmi6110 {

std::size_t readouts_per_pack(std::chrono::minutes readout_interval, std::chrono::minutes transmit_interval) noexcept {
    if (readout_interval.count() <= 0) return 1;
    return std::max<std::size_t>(1, static_cast<std::size_t>(transmit_interval / readout_interval));
}

std::vector<std::uint8_t> encode_payload(const std::vector<StoredReadout>& readouts, MessageEncoding enc, MessageFormat f) {
    if (readouts.empty()) throw std::invalid_argument("a telegram without readouts");
    if (enc == MessageEncoding::mbus) return encode_mbus(readouts.front().readout, f);
    if (enc == MessageEncoding::json) {
        const auto text = encode_json(readouts.front().readout, f);
        return {text.begin(), text.end()};
    }
    SenmlPayload p;
    p.meter_id = fmt::format("{:08}", readouts.front().readout.meter_id);
    p.version_record = true;
    for (const auto& s : readouts) {
        SenmlReadout r;
        r.time = std::chrono::floor<std::chrono::seconds>(s.timestamp).time_since_epoch().count();
        r.dibs = encode_mbus(s.readout, f);
        p.readouts.push_back(std::move(r));
    }
    return encode_senml(p);
}

Backlog::Backlog(BacklogConfig config) : config_(config) {
    if (config_.capacity == 0) throw std::invalid_argument("backlog capacity 0");
    if (config_.readouts_per_telegram == 0) config_.readouts_per_telegram = 1;
}

void Backlog::store(UtcTime timestamp, Readout r) {
    if (items_.size() == config_.capacity) {  // §8: the oldest goes
        if (!items_.front().sent) ++dropped_unsent_;
        items_.pop_front();
    }
    items_.push_back({StoredReadout{timestamp, std::move(r), next_sequence_++}, false});
}

std::size_t Backlog::unsent() const noexcept {
    return static_cast<std::size_t>(std::count_if(items_.begin(), items_.end(), [](const Item& i) { return !i.sent; }));
}

std::vector<Telegram> Backlog::plan(UtcTime now) {
    // ERRATA E-62: unsent readouts beyond the maximum age are dropped
    std::erase_if(items_, [&](const Item& i) {
        const bool expired = !i.sent && now - i.stored.timestamp > config_.max_age;
        if (expired) ++dropped_unsent_;
        return expired;
    });
    std::vector<const StoredReadout*> queue;
    for (const auto& i : items_)
        if (!i.sent && i.stored.timestamp <= now) queue.push_back(&i.stored);
    std::stable_sort(queue.begin(), queue.end(), [](auto* a, auto* b) { return a->timestamp < b->timestamp; });
    if (config_.order == UploadOrder::lifo) std::reverse(queue.begin(), queue.end());

    const std::size_t per_telegram = config_.encoding == MessageEncoding::senml ? config_.readouts_per_telegram : 1;
    std::vector<Telegram> out;
    std::size_t next = 0;
    while (next < queue.size() && out.size() < config_.max_uploads) {
        std::size_t n = std::min(per_telegram, queue.size() - next);
        Telegram t;
        for (;;) {
            t.readouts.clear();
            for (std::size_t k = 0; k < n; ++k) t.readouts.push_back(*queue[next + k]);
            std::sort(t.readouts.begin(), t.readouts.end(),
                      [](const StoredReadout& a, const StoredReadout& b) { return a.timestamp < b.timestamp; });
            t.payload = encode_payload(t.readouts, config_.encoding, config_.format);
            if (config_.max_payload_bytes == 0 || t.payload.size() <= config_.max_payload_bytes || n == 1) break;
            --n;  // split: fewer readouts in this pack, the rest go into the next one
        }
        next += n;
        out.push_back(std::move(t));
    }
    return out;
}

void Backlog::mark_sent(const std::vector<Telegram>& sent) {
    for (const auto& t : sent)
        for (const auto& r : t.readouts)
            for (auto& i : items_)
                if (i.stored.sequence == r.sequence) i.sent = true;
}

}  // namespace metercert::devices::cmi6110
