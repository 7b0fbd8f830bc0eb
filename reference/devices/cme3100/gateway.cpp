#include "metercert/devices/cme3100/gateway.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "metercert/devices/cme3100/csv.hpp"
#include "metercert/devices/telegram_sequence.hpp"
#include "metercert/mbus/collision.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/mbus/tables.hpp"
#include "metercert/mbus/telegram.hpp"
#include "metercert/wmbus/key.hpp"

namespace metercert::devices::cme3100 {

namespace {

constexpr const char* kSchema = R"sql(
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS meters(
  id INTEGER PRIMARY KEY, position TEXT NOT NULL, secondary TEXT NOT NULL, baud INTEGER NOT NULL,
  mode TEXT NOT NULL, primary_address INTEGER, enhanced TEXT NOT NULL DEFAULT '', passive INTEGER NOT NULL,
  manufacturer INTEGER, version INTEGER, medium INTEGER);
CREATE TABLE IF NOT EXISTS readouts(
  id INTEGER PRIMARY KEY, meter_id INTEGER NOT NULL REFERENCES meters(id) ON DELETE CASCADE,
  time INTEGER NOT NULL, ok INTEGER NOT NULL, error TEXT NOT NULL DEFAULT '', truncated INTEGER NOT NULL DEFAULT 0,
  sent INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS telegrams(
  readout_id INTEGER NOT NULL REFERENCES readouts(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
  frame BLOB NOT NULL, reply_gap_ms REAL NOT NULL);
CREATE TABLE IF NOT EXISTS records(
  readout_id INTEGER NOT NULL REFERENCES readouts(id) ON DELETE CASCADE, telegram INTEGER NOT NULL,
  idx INTEGER NOT NULL, dif TEXT NOT NULL, vif TEXT NOT NULL, function INTEGER NOT NULL, storage INTEGER NOT NULL,
  tariff INTEGER NOT NULL, subunit INTEGER NOT NULL, quantity TEXT NOT NULL, unit TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS readouts_meter ON readouts(meter_id, time);
)sql";

class Stmt {
public:
    Stmt(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
            throw DatabaseError(fmt::format("sqlite: {} in: {}", sqlite3_errmsg(db), sql));
    }
    ~Stmt() { sqlite3_finalize(s_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    Stmt& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(s_, i, v)); }
    Stmt& bind(int i, const std::string& v) { return check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT)); }
    Stmt& bind(int i, double v) { return check(sqlite3_bind_double(s_, i, v)); }
    Stmt& bind_null(int i) { return check(sqlite3_bind_null(s_, i)); }
    Stmt& bind_blob(int i, std::span<const std::uint8_t> b) {
        return check(sqlite3_bind_blob(s_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT));
    }
    bool step() {
        const int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw DatabaseError(fmt::format("sqlite: {}", sqlite3_errmsg(db_)));
    }
    std::int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
    bool null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    std::string text(int c) const {
        const auto* p = sqlite3_column_text(s_, c);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : std::string{};
    }
    std::vector<std::uint8_t> blob(int c) const {
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, c));
        return p ? std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(s_, c)) : std::vector<std::uint8_t>{};
    }
    double real(int c) const { return sqlite3_column_double(s_, c); }

private:
    Stmt& check(int rc) {
        if (rc != SQLITE_OK) throw DatabaseError(fmt::format("sqlite: {}", sqlite3_errmsg(db_)));
        return *this;
    }
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
};

struct VirtualSlave {
    bool selected = false;
    TelegramSequence sequence;
};

// One decoded M-Bus telegram's records as rows of `records` (readout `rid`, telegram `t`).
std::size_t store_records(sqlite3* db, std::int64_t rid, std::size_t t, const mbus::Telegram& tel) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < tel.records.size(); ++i) {
        const auto& rec = tel.records[i];
        if (!rec.has_vib && rec.dif == 0x2F) continue;  // an idle filler (wireless: the 2F2F check, padding)
        std::string dif = fmt::format("{:02X}", rec.dif), vif;
        for (std::size_t k = 0; k < rec.n_dife; ++k) dif += fmt::format("{:02X}", rec.dife[k]);
        if (rec.has_vib) {
            vif = fmt::format("{:02X}", rec.vif);
            for (std::size_t k = 0; k < rec.n_vife; ++k) vif += fmt::format("{:02X}", rec.vife[k]);
        }
        std::string value;
        if (rec.kind == mbus::ValueKind::integer || rec.kind == mbus::ValueKind::bcd || rec.kind == mbus::ValueKind::real)
            value = rec.value.to_string();
        else if (rec.kind == mbus::ValueKind::date)
            value = rec.date.iso();
        else
            for (auto b : tel.span(rec.data)) value += fmt::format("{:02X}", b);
        Stmt sr(db, "INSERT INTO records(readout_id, telegram, idx, dif, vif, function, storage, tariff, subunit, "
                    "quantity, unit, value) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
        sr.bind(1, rid).bind(2, static_cast<std::int64_t>(t)).bind(3, static_cast<std::int64_t>(i)).bind(4, dif).bind(5, vif);
        sr.bind(6, static_cast<std::int64_t>(rec.function)).bind(7, static_cast<std::int64_t>(rec.storage));
        sr.bind(8, static_cast<std::int64_t>(rec.tariff)).bind(9, static_cast<std::int64_t>(rec.subunit));
        sr.bind(10, std::string(rec.meaning.quantity)).bind(11, std::string(rec.meaning.unit_view())).bind(12, value);
        sr.step();
        ++n;
    }
    return n;
}

}  // namespace

std::string_view wireless_outcome_name(WirelessReceipt::Outcome o) noexcept {
    switch (o) {
        case WirelessReceipt::Outcome::stored: return "stored";
        case WirelessReceipt::Outcome::failed: return "failed";
        case WirelessReceipt::Outcome::not_installed: return "not_installed";
        case WirelessReceipt::Outcome::discarded: return "discarded";
    }
    return "unknown";
}

struct Gateway::Impl {
    sqlite3* db = nullptr;
    std::map<std::int64_t, VirtualSlave> virt;
    std::vector<KeyEntry> keys;  // §6.15, in memory only
    void exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            const std::string why = err ? err : "unknown";
            sqlite3_free(err);
            throw DatabaseError("sqlite: " + why);
        }
    }
};

Gateway::Gateway(const std::string& path, GatewayConfig config) : impl_(std::make_unique<Impl>()), config_(config) {
    if (sqlite3_open(path.c_str(), &impl_->db) != SQLITE_OK) {
        const std::string why = impl_->db ? sqlite3_errmsg(impl_->db) : "out of memory";
        sqlite3_close(impl_->db);
        throw DatabaseError(fmt::format("sqlite: cannot open {}: {}", path, why));
    }
    impl_->exec(kSchema);
}

Gateway::~Gateway() { sqlite3_close(impl_->db); }

MeterListImport Gateway::install_meter_list(const std::string& csv) {
    MeterListImport imp = import_meter_list(csv, config_.licence_limit);
    impl_->exec("BEGIN");
    try {
        impl_->exec("DELETE FROM meters");
        for (const auto& m : imp.meters) {
            Stmt s(impl_->db, "INSERT INTO meters(position, secondary, baud, mode, primary_address, enhanced, passive) "
                              "VALUES(?,?,?,?,?,?,?)");
            s.bind(1, m.position).bind(2, fmt::format("{:08X}", m.secondary)).bind(3, static_cast<std::int64_t>(m.baud));
            s.bind(4, std::string(addressing_mode_name(m.mode)));
            if (m.primary) s.bind(5, static_cast<std::int64_t>(*m.primary));
            else s.bind_null(5);
            s.bind(6, m.enhanced).bind(7, static_cast<std::int64_t>(m.passive));
            s.step();
        }
        impl_->exec("COMMIT");
    } catch (...) {
        impl_->exec("ROLLBACK");
        throw;
    }
    impl_->virt.clear();
    return imp;
}

std::size_t Gateway::install_found(const std::vector<master::FoundSlave>& found, unsigned baud) {
    std::size_t active = 0;
    {
        Stmt c(impl_->db, "SELECT COUNT(*) FROM meters WHERE passive = 0");
        c.step();
        active = static_cast<std::size_t>(c.i64(0));
    }
    std::size_t added = 0;
    for (const auto& f : found) {
        const std::string sec = fmt::format("{:08X}", f.address.id);
        Stmt exists(impl_->db, "SELECT id FROM meters WHERE secondary = ? AND mode = 'secondary'");
        exists.bind(1, sec);
        if (exists.step()) continue;
        Stmt s(impl_->db, "INSERT INTO meters(position, secondary, baud, mode, primary_address, passive, manufacturer, version, medium) "
                          "VALUES(?,?,?,'secondary',?,?,?,?,?)");
        s.bind(1, sec).bind(2, sec).bind(3, static_cast<std::int64_t>(baud)).bind(4, static_cast<std::int64_t>(f.primary));
        s.bind(5, static_cast<std::int64_t>(active >= config_.licence_limit));
        s.bind(6, static_cast<std::int64_t>(f.address.manufacturer)).bind(7, static_cast<std::int64_t>(f.address.version));
        s.bind(8, static_cast<std::int64_t>(f.address.medium));
        s.step();
        if (active < config_.licence_limit) ++active;
        ++added;
    }
    return added;
}

std::vector<MeterListEntry> Gateway::meters() const {
    std::vector<MeterListEntry> out;
    Stmt s(impl_->db, "SELECT position, secondary, baud, mode, primary_address, enhanced, passive FROM meters ORDER BY id");
    while (s.step()) {
        MeterListEntry m;
        m.position = s.text(0);
        m.secondary = static_cast<std::uint32_t>(std::stoul(s.text(1), nullptr, 16));
        m.baud = static_cast<unsigned>(s.i64(2));
        const std::string mode = s.text(3);
        m.mode = mode == "primary" ? AddressingMode::primary : mode == "esecondary" ? AddressingMode::esecondary : AddressingMode::secondary;
        if (!s.null(4)) m.primary = static_cast<std::uint8_t>(s.i64(4));
        m.enhanced = s.text(5);
        m.passive = s.i64(6) != 0;
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<MeterReadResult> Gateway::read_all(master::Master& m, std::chrono::sys_seconds now) {
    struct Row {
        std::int64_t id;
        std::string position, secondary, mode;
        std::optional<std::uint8_t> primary;
        unsigned baud;
    };
    std::vector<Row> rows;
    {
        // wireless meters (esecondary) come through a receiver: receive_wireless
        Stmt s(impl_->db, "SELECT id, position, secondary, mode, primary_address, baud FROM meters "
                          "WHERE passive = 0 AND mode != 'esecondary' ORDER BY id");
        while (s.step())
            rows.push_back({s.i64(0), s.text(1), s.text(2), s.text(3),
                            s.null(4) ? std::nullopt : std::optional<std::uint8_t>(static_cast<std::uint8_t>(s.i64(4))),
                            static_cast<unsigned>(s.i64(5))});
    }
    std::vector<MeterReadResult> results;
    for (const auto& r : rows) {
        MeterReadResult res;
        res.meter_id = r.id;
        res.position = r.position;
        master::ReadResult out;
        try {
            if (r.mode == "primary") {
                m.snd_nke(*r.primary);
                out = m.read(*r.primary);
            } else {
                m.select_exact(mbus::SecondaryMask::parse(r.secondary));
                out = m.read(253);
            }
            res.ok = true;
        } catch (const master::MasterError& e) {
            res.error = fmt::format("{}: {}", e.name(), e.what());
        } catch (const master::PortError& e) {
            res.error = fmt::format("{}: {}", e.name(), e.what());
        }
        res.telegrams = out.telegrams.size();
        res.truncated = out.truncated;
        impl_->exec("BEGIN");
        try {
            Stmt ins(impl_->db, "INSERT INTO readouts(meter_id, time, ok, error, truncated) VALUES(?,?,?,?,?)");
            ins.bind(1, r.id).bind(2, static_cast<std::int64_t>(now.time_since_epoch().count()));
            ins.bind(3, static_cast<std::int64_t>(res.ok)).bind(4, res.error).bind(5, static_cast<std::int64_t>(res.truncated));
            ins.step();
            const std::int64_t rid = sqlite3_last_insert_rowid(impl_->db);
            for (std::size_t t = 0; t < out.telegrams.size(); ++t) {
                const auto& tg = out.telegrams[t];
                Stmt st(impl_->db, "INSERT INTO telegrams(readout_id, seq, frame, reply_gap_ms) VALUES(?,?,?,?)");
                st.bind(1, rid).bind(2, static_cast<std::int64_t>(t)).bind_blob(3, tg.frame).bind(4, to_ms(tg.reply_gap));
                st.step();
                mbus::Telegram tel;
                mbus::DecodeError err;
                if (!mbus::decode(tg.frame, tel, err)) continue;
                if (t == 0 && tel.header.kind == mbus::Header::Kind::long_header) {
                    Stmt up(impl_->db, "UPDATE meters SET manufacturer = ?, version = ?, medium = ? WHERE id = ?");
                    up.bind(1, static_cast<std::int64_t>(tel.header.manufacturer)).bind(2, static_cast<std::int64_t>(tel.header.version));
                    up.bind(3, static_cast<std::int64_t>(tel.header.medium)).bind(4, r.id);
                    up.step();
                }
                res.records += store_records(impl_->db, rid, t, tel);
            }
            impl_->exec("COMMIT");
        } catch (...) {
            impl_->exec("ROLLBACK");
            throw;
        }
        results.push_back(std::move(res));
    }
    return results;
}

void Gateway::install_keys(std::vector<KeyEntry> keys) { impl_->keys = std::move(keys); }

WirelessReceipt Gateway::receive_wireless(std::span<const std::uint8_t> frame, wmbus::CrcFormat crc, std::chrono::sys_seconds now) {
    WirelessReceipt r;
    // the key lookup names the sender (the decoder asks by the long header's identity, else the link's)
    std::optional<wmbus::KeyQuery> asked;
    const wmbus::KeyLookup lookup = [this, &asked](const wmbus::KeyQuery& q, wmbus::Key& out) {
        asked = q;
        const KeyEntry* e = config_.deviations.wireless_any_key ? (impl_->keys.empty() ? nullptr : &impl_->keys.front())
                                                                : match_key(impl_->keys, {q.id, q.manufacturer, q.version, q.medium});
        if (!e) return false;
        out = wmbus::Key(e->key);
        return true;
    };
    wmbus::Telegram t;
    wmbus::DecodeError err;
    const bool ok = wmbus::decode(frame, t, err, {.crc = crc, .keys = &lookup});
    std::optional<wmbus::KeyQuery> sender = asked;
    if (!sender && t.link.l != 0) {  // the link layer was read: a plain telegram, or one failing later
        if (t.tpl.header.kind == mbus::Header::Kind::long_header)
            sender = wmbus::KeyQuery{t.tpl.header.manufacturer, t.tpl.header.id, t.tpl.header.version, t.tpl.header.medium};
        else
            sender = wmbus::KeyQuery{t.link.manufacturer, t.link.id, t.link.version, t.link.medium};
    }
    if (!sender) {
        r.error = err.message();
        return r;  // discarded
    }
    r.id = sender->id;
    {
        Stmt s(impl_->db, "SELECT id, position FROM meters WHERE mode = 'esecondary' AND passive = 0 AND secondary = ? ORDER BY id LIMIT 1");
        s.bind(1, fmt::format("{:08X}", sender->id));
        if (s.step()) {
            r.meter_id = s.i64(0);
            r.position = s.text(1);
        } else if (config_.deviations.wireless_install_unlisted) {
            Stmt ins(impl_->db, "INSERT INTO meters(position, secondary, baud, mode, passive) VALUES(?,?,2400,'esecondary',0)");
            r.position = fmt::format("{:08X}", sender->id);
            ins.bind(1, r.position).bind(2, r.position);
            ins.step();
            r.meter_id = sqlite3_last_insert_rowid(impl_->db);
        } else {
            r.outcome = WirelessReceipt::Outcome::not_installed;
            return r;
        }
    }
    impl_->exec("BEGIN");
    try {
        Stmt ins(impl_->db, "INSERT INTO readouts(meter_id, time, ok, error, truncated) VALUES(?,?,?,?,0)");
        ins.bind(1, r.meter_id).bind(2, static_cast<std::int64_t>(now.time_since_epoch().count())).bind(3, static_cast<std::int64_t>(ok));
        ins.bind(4, ok ? std::string() : err.message());
        ins.step();
        const std::int64_t rid = sqlite3_last_insert_rowid(impl_->db);
        Stmt up(impl_->db, "UPDATE meters SET manufacturer = ?, version = ?, medium = ? WHERE id = ?");
        up.bind(1, static_cast<std::int64_t>(sender->manufacturer)).bind(2, static_cast<std::int64_t>(sender->version));
        up.bind(3, static_cast<std::int64_t>(sender->medium)).bind(4, r.meter_id);
        up.step();
        if (ok) {
            // the RSP_UD Virtual M-Bus serves (ERRATA E-93): CI 0x72, the meter's long header with
            // the telegram's access number and status, no encryption any more, the decrypted data
            const auto& h = t.tpl.header;
            std::vector<std::uint8_t> ud;
            for (int i = 0; i < 4; ++i) ud.push_back(static_cast<std::uint8_t>(sender->id >> (8 * i)));
            ud.push_back(static_cast<std::uint8_t>(sender->manufacturer));
            ud.push_back(static_cast<std::uint8_t>(sender->manufacturer >> 8));
            ud.push_back(sender->version);
            ud.push_back(sender->medium);
            ud.push_back(h.kind == mbus::Header::Kind::none ? 0 : h.access_number);
            ud.push_back(h.kind == mbus::Header::Kind::none ? 0 : h.status);
            ud.push_back(0);
            ud.push_back(0);
            const auto& b = t.bytes();
            ud.insert(ud.end(), b.begin() + t.apl_off, b.end());
            const auto wired = mbus::build_long(0x08, 0xFD, 0x72, ud);
            if (!config_.deviations.wireless_not_served) {
                Stmt st(impl_->db, "INSERT INTO telegrams(readout_id, seq, frame, reply_gap_ms) VALUES(?,0,?,0)");
                st.bind(1, rid).bind_blob(2, wired);
                st.step();
            }
            r.records = store_records(impl_->db, rid, 0, t.apl);
            r.outcome = WirelessReceipt::Outcome::stored;
        } else {
            r.outcome = WirelessReceipt::Outcome::failed;
            r.error = err.message();
        }
        impl_->exec("COMMIT");
    } catch (...) {
        impl_->exec("ROLLBACK");
        throw;
    }
    impl_->virt.erase(r.meter_id);
    return r;
}

namespace {
std::string iso_utc(std::int64_t t) {
    const std::chrono::sys_seconds s{std::chrono::seconds(t)};
    const auto day = std::chrono::floor<std::chrono::days>(s);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{s - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}
}  // namespace

std::string Gateway::commission_report() const {
    std::string out = csv_line({"Position", "SecondaryAddress", "AddressingMode", "PrimaryAddress", "Passive", "Manufacturer",
                                "Version", "Medium", "Status", "LastReadout", "Telegrams", "Records", "Error"}) + "\r\n";
    Stmt s(impl_->db,
           "SELECT m.position, m.secondary, m.mode, m.primary_address, m.passive, m.manufacturer, m.version, m.medium, "
           "r.ok, r.time, (SELECT COUNT(*) FROM telegrams t WHERE t.readout_id = r.id), "
           "(SELECT COUNT(*) FROM records c WHERE c.readout_id = r.id), r.error "
           "FROM meters m LEFT JOIN readouts r ON r.id = (SELECT id FROM readouts WHERE meter_id = m.id ORDER BY time DESC, id DESC LIMIT 1) "
           "ORDER BY m.id");
    while (s.step()) {
        const bool read = !s.null(8);
        const MeterResult mr = !read ? MeterResult::unknown : s.i64(8) ? MeterResult::read : MeterResult::failed;
        out += csv_line({s.text(0), s.text(1), s.text(2), s.null(3) ? "" : std::to_string(s.i64(3)), s.i64(4) ? "yes" : "no",
                         s.null(5) ? "" : mbus::manufacturer_letters(static_cast<std::uint16_t>(s.i64(5))),
                         s.null(6) ? "" : std::to_string(s.i64(6)), s.null(7) ? "" : fmt::format("0x{:02X}", s.i64(7)),
                         std::to_string(static_cast<int>(meter_status(mr))), read ? iso_utc(s.i64(9)) : "",
                         read ? std::to_string(s.i64(10)) : "", read ? std::to_string(s.i64(11)) : "", read ? s.text(12) : ""}) +
               "\r\n";
    }
    return out;
}

Status Gateway::status(const std::vector<bool>& reports_ok) const {
    std::vector<MeterResult> meters;
    Stmt s(impl_->db,
           "SELECT (SELECT ok FROM readouts r WHERE r.meter_id = m.id ORDER BY time DESC, id DESC LIMIT 1) FROM meters m "
           "WHERE m.passive = 0 ORDER BY m.id");
    while (s.step()) meters.push_back(s.null(0) ? MeterResult::unknown : s.i64(0) ? MeterResult::read : MeterResult::failed);
    return aggregated_status(meters, reports_ok);
}

std::vector<StoredReadout> Gateway::readouts(std::int64_t meter_id) const {
    std::vector<StoredReadout> out;
    Stmt s(impl_->db, "SELECT time, sent FROM readouts WHERE meter_id = ? AND ok = 1 ORDER BY time, id");
    s.bind(1, meter_id);
    while (s.step()) out.push_back({std::chrono::sys_seconds{std::chrono::seconds(s.i64(0))}, s.i64(1) != 0});
    return out;
}

std::size_t Gateway::record_count() const {
    Stmt s(impl_->db, "SELECT COUNT(*) FROM records");
    s.step();
    return static_cast<std::size_t>(s.i64(0));
}

// ------------------------------------------------------------------------------ Virtual M-Bus

std::optional<std::vector<std::uint8_t>> Gateway::virtual_mbus(std::span<const std::uint8_t> frame,
                                                               std::chrono::sys_seconds now) {
    mbus::LinkFrame f;
    mbus::DecodeError err;
    if (!mbus::parse_link(frame, f, err)) return std::nullopt;
    struct Meter {
        std::int64_t id;
        std::uint32_t secondary;
        std::uint8_t primary;
        std::optional<std::int64_t> readout;
        std::int64_t time = 0;
    };
    std::vector<Meter> ms;
    {
        Stmt s(impl_->db,
               "SELECT m.id, m.secondary, m.primary_address, "
               "(SELECT id FROM readouts r WHERE r.meter_id = m.id AND r.ok = 1 ORDER BY time DESC, id DESC LIMIT 1), "
               "(SELECT time FROM readouts r WHERE r.meter_id = m.id AND r.ok = 1 ORDER BY time DESC, id DESC LIMIT 1) "
               "FROM meters m WHERE m.passive = 0 ORDER BY m.id");
        while (s.step())
            ms.push_back({s.i64(0), static_cast<std::uint32_t>(std::stoul(s.text(1), nullptr, 16)),
                          static_cast<std::uint8_t>(s.null(2) ? 0 : s.i64(2)),
                          s.null(3) ? std::nullopt : std::optional<std::int64_t>(s.i64(3)), s.null(4) ? 0 : s.i64(4)});
    }
    auto telegrams_of = [&](const Meter& m) {
        std::vector<std::vector<std::uint8_t>> out;
        if (!m.readout) return out;
        Stmt s(impl_->db, "SELECT frame FROM telegrams WHERE readout_id = ? ORDER BY seq");
        s.bind(1, *m.readout);
        while (s.step()) out.push_back(s.blob(0));
        return out;
    };
    auto addressed = [&](const Meter& m, std::uint8_t a) {
        return a == 254 || a == 255 || (a == 253 && impl_->virt[m.id].selected) || (a <= 250 && a == m.primary);
    };
    std::vector<std::vector<std::uint8_t>> replies;
    const std::uint8_t c = f.c.raw;
    for (const Meter& m : ms) {
        if (!m.readout) continue;  // never read: nothing to serve, the meter stays silent
        VirtualSlave& v = impl_->virt[m.id];
        if (f.kind == mbus::FrameKind::long_frame && (c & 0xCF) == 0x43 && f.ci == 0x52) {  // selection
            if (f.a != 253 && f.a != 254 && f.a != 255) continue;
            // the meter's secondary address: its installed ID, the rest from the stored header
            const auto tgs = telegrams_of(m);
            mbus::Telegram t;
            mbus::DecodeError e2;
            if (tgs.empty() || !mbus::decode(tgs[0], t, e2)) continue;
            const auto mask = mbus::SecondaryMask::from_user_data(f.user_data);  // a short mask leaves the rest wildcard
            const bool match = mask.matches({m.secondary, t.header.manufacturer, t.header.version, t.header.medium});
            v.selected = match;
            if (match) v.sequence.reset();
            if (match && f.a != 255) replies.push_back(mbus::build_ack());
            continue;
        }
        if (!addressed(m, f.a)) continue;
        if (f.kind == mbus::FrameKind::short_frame && c == 0x40) {  // SND_NKE
            v.sequence.reset();
            if (f.a == 253) v.selected = false;
            if (f.a != 255) replies.push_back(mbus::build_ack());
            continue;
        }
        if (f.kind == mbus::FrameKind::short_frame && (c & 0xCF) == 0x4B) {  // REQ_UD2
            const auto tgs = telegrams_of(m);
            if (tgs.empty()) continue;  // never read: nothing to serve
            if (const auto next = v.sequence.on_req_ud2(c, tgs.size())) {  // else: repeat (untoggled FCB)
                mbus::LinkFrame sf;
                mbus::DecodeError e3;
                if (!mbus::parse_link(tgs[*next], sf, e3)) continue;
                std::vector<std::uint8_t> ud(sf.user_data.begin(), sf.user_data.end());
                const bool expired = now - std::chrono::sys_seconds{std::chrono::seconds(m.time)} > config_.value_expiration;
                if (expired && (sf.ci == 0x72 || sf.ci == 0x76) && ud.size() >= 12) {
                    ud.resize(12);      // the header alone: no value is valid any more
                    ud[9] |= 0x10;      // status bit 4: temporary error (ERRATA E-27)
                }
                v.sequence.last_reply = mbus::build_long(0x08, m.primary, sf.ci, ud);
            }
            if (f.a != 255) replies.push_back(v.sequence.last_reply);
            continue;
        }
    }
    if (replies.empty()) return std::nullopt;
    if (replies.size() == 1) return replies[0];
    std::vector<unsigned> offsets;
    for (std::size_t i = 0; i < replies.size(); ++i) offsets.push_back(mbus::reply_offset_tenths(i));
    return mbus::collide_uart(replies, offsets).bytes;
}

}  // namespace metercert::devices::cme3100
