#include "metercert/rigs/dut_link.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "metercert/rigs/sim_cmi1020.hpp"
#include "metercert/rigs/sim_cmi1020w.hpp"

namespace metercert::rigs {

namespace {

std::map<std::string, LinkScheme>& registry() {
    static std::map<std::string, LinkScheme> r;  // by name; filled at static initialisation
    return r;
}

std::string scheme_of(const LinkScheme& s) { return s.name.substr(0, s.name.find(':')); }
bool takes_authority(const LinkScheme& s) { return s.form.find("://") != std::string::npos; }

}  // namespace

MissingCapability::MissingCapability(const std::string& url, std::string_view cap, std::string_view what)
    : DutError(fmt::format("{}: the DUT link {} has no {} ({})", what, url, cap,
                           find_capability(cap) ? find_capability(cap)->words : std::string_view("unknown capability"))),
      capability(cap) {}

bool is_secret_param(std::string_view name) noexcept { return name == "key" || name == "password" || name == "psk"; }

std::string redact_url(std::string_view url) {
    const auto q = url.find('?');
    if (q == std::string_view::npos) return std::string(url);
    std::string out(url.substr(0, q + 1));
    std::size_t pos = q + 1;
    while (pos <= url.size()) {
        const auto amp = url.find('&', pos);
        const std::string_view kv = url.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
        const auto eq = kv.find('=');
        if (eq != std::string_view::npos && is_secret_param(kv.substr(0, eq))) {
            out.append(kv.substr(0, eq + 1));
            out.append("<redacted>");
        } else {
            out.append(kv);
        }
        if (amp == std::string_view::npos) break;
        out.push_back('&');
        pos = amp + 1;
    }
    return out;
}

bool register_link(LinkScheme scheme) {
    const std::string name = scheme.name;
    return registry().emplace(name, std::move(scheme)).second;
}

std::vector<const LinkScheme*> link_schemes() {
    std::vector<const LinkScheme*> out;
    for (const auto& [name, s] : registry()) out.push_back(&s);
    return out;
}

std::string scheme_names() {
    std::set<std::string> names;
    for (const auto& [name, s] : registry()) names.insert(scheme_of(s));
    return fmt::format("{}", fmt::join(names, ", "));
}

std::string simulated_device_names() {
    std::vector<std::string> names;
    for (const auto& [name, s] : registry())
        if (name.rfind("sim:", 0) == 0) names.push_back(name.substr(4));
    return fmt::format("{}", fmt::join(names, ", "));
}

std::string link_schemes_help(std::string_view indent) {
    std::string out;
    for (const LinkScheme* s : link_schemes()) {
        out += fmt::format("{}{}  {} [{}]\n", indent, s->form, s->summary, fmt::join(s->offers, " "));
        for (const auto& p : s->params) out += fmt::format("{}    {}=  {}\n", indent, p.name, p.meaning);
    }
    if (!out.empty()) out.pop_back();
    return out;
}

DutUrl DutUrl::parse(const std::string& given) {
    DutUrl u;
    u.text = given;
    const std::string url = redact_url(given);  // what the errors show
    std::vector<std::string> forms;
    for (const LinkScheme* s : link_schemes()) {
        const std::string f = takes_authority(*s) ? scheme_of(*s) + "://" : scheme_of(*s) + ":";
        if (std::find(forms.begin(), forms.end(), f) == forms.end()) forms.push_back(f);
    }
    const auto colon = given.find(':');
    if (colon == std::string::npos || colon == 0)
        throw DutError(fmt::format("DUT URL '{}': no scheme (expected {})", url, fmt::join(forms, ", ")));
    u.scheme = given.substr(0, colon);
    const LinkScheme* of_scheme = nullptr;
    for (const LinkScheme* s : link_schemes())
        if (scheme_of(*s) == u.scheme) of_scheme = s;
    if (!of_scheme)
        throw DutError(fmt::format("DUT URL '{}': unknown scheme '{}' ({})", url, u.scheme, scheme_names()));
    std::string rest = given.substr(colon + 1);
    if (takes_authority(*of_scheme)) {
        if (rest.rfind("//", 0) != 0) throw DutError(fmt::format("DUT URL '{}': expected {}://", url, u.scheme));
        rest = rest.substr(2);
    }
    const auto q = rest.find('?');
    u.target = rest.substr(0, q);
    if (q != std::string::npos) {
        const std::string query = rest.substr(q + 1);
        std::size_t pos = 0;
        while (pos <= query.size()) {
            const auto amp = query.find('&', pos);
            const std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
            if (!kv.empty()) {
                const auto eq = kv.find('=');
                if (eq == std::string::npos || eq == 0)
                    throw DutError(fmt::format("DUT URL '{}': parameter '{}' is not NAME=VALUE", url, kv));
                u.params[kv.substr(0, eq)] = kv.substr(eq + 1);
            }
            if (amp == std::string::npos) break;
            pos = amp + 1;
        }
    }
    if (u.target.empty()) throw DutError(fmt::format("DUT URL '{}': nothing after the scheme", url));
    return u;
}

namespace {

const LinkScheme& scheme_for(const DutUrl& u) {
    const auto it = registry().find(u.link_name());
    if (it == registry().end())  // only sim: has several devices under one scheme
        throw DutError(fmt::format("DUT URL '{}': unknown simulated device '{}' (available: {})", u.shown(), u.target,
                                   simulated_device_names()));
    return it->second;
}

}  // namespace

LinkInfo check_link(const std::string& url) {
    LinkInfo info;
    info.url = DutUrl::parse(url);
    info.scheme = &scheme_for(info.url);
    info.capabilities = info.scheme->check(info.url);
    std::sort(info.capabilities.begin(), info.capabilities.end());
    return info;
}

std::unique_ptr<DutLink> open_link(const std::string& url, const LinkOptions& options) {
    const DutUrl u = DutUrl::parse(url);
    return scheme_for(u).open(u, options);
}

SimulatorCommand simulator_command(const std::string& url, const std::vector<std::string>& extra) {
    const DutUrl u = DutUrl::parse(url);
    const LinkScheme& s = scheme_for(u);
    if (!s.simulator)
        throw DutError(fmt::format("DUT URL '{}': {} is not a simulator process (those are: {})", u.shown(), s.name, [] {
            std::vector<std::string> names;
            for (const LinkScheme* p : link_schemes())
                if (p->simulator) names.push_back(p->name);
            return fmt::format("{}", fmt::join(names, ", "));
        }()));
    (void)s.check(u);
    return s.simulator(u, extra);
}

// ----------------------------------------------------------------------------------- DutLink

DutLink::DutLink(std::string url, Tap* tap) : url_(redact_url(url)) {
    if (tap) redaction_ = std::make_unique<RedactingTap>(tap);
}

void DutLink::set_capabilities(std::vector<std::string> caps) {
    std::sort(caps.begin(), caps.end());
    capabilities_ = std::move(caps);
}

bool DutLink::has(std::string_view capability) const noexcept {
    return std::find(capabilities_.begin(), capabilities_.end(), capability) != capabilities_.end();
}

master::BusPort& DutLink::require_mbus_request(std::string_view what) {
    if (auto* p = mbus_request()) return *p;
    throw MissingCapability(url_, cap::mbus_request, what);
}

MbusLine& DutLink::require_mbus_line(std::string_view what) {
    if (auto* p = mbus_line()) return *p;
    throw MissingCapability(url_, cap::mbus_line, what);
}

SimCmi1020& DutLink::require_sim_cmi1020(std::string_view what) {
    if (auto* p = sim_cmi1020()) return *p;
    throw MissingCapability(url_, cap::sim_cmi1020, what);
}

WmbusReceiver& DutLink::require_wmbus_receive(std::string_view what) {
    if (auto* p = wmbus_receive()) return *p;
    throw MissingCapability(url_, cap::wmbus_receive, what);
}

SimCmi1020W& DutLink::require_sim_cmi1020w(std::string_view what) {
    if (auto* p = sim_cmi1020w()) return *p;
    throw MissingCapability(url_, cap::sim_cmi1020w, what);
}

Cmi6110Uplinks& DutLink::require_cmi6110_uplinks(std::string_view what) {
    if (auto* p = cmi6110_uplinks()) return *p;
    throw MissingCapability(url_, cap::cmi6110_uplinks, what);
}

SimCmi6110& DutLink::require_sim_cmi6110(std::string_view what) {
    if (auto* p = sim_cmi6110()) return *p;
    throw MissingCapability(url_, cap::sim_cmi6110, what);
}

const Lwm2mListen& DutLink::require_lwm2m_listen(std::string_view what) const {
    if (const auto* p = lwm2m_listen()) return *p;
    throw MissingCapability(url_, cap::coap_server, what);
}

void DutLink::close() {
    if (auto* p = mbus_request()) p->close();
}

// ------------------------------------------------------------------------------- sim.cmi1020

devices::Cmi1020& SimCmi1020::slave(std::size_t i) {
    if (i >= bus().size()) throw std::out_of_range(fmt::format("no simulated slave {} (the bus has {})", i, bus().size()));
    return bus().slave(i);
}

devices::E350& SimCmi1020::meter(std::size_t i) {
    if (i >= bus().size()) throw std::out_of_range(fmt::format("no simulated slave {} (the bus has {})", i, bus().size()));
    return bus().meter(i);
}

}  // namespace metercert::rigs
