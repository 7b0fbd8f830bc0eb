// The CMi6110's faults: deliberate deviations of the reference CMi6110 (`--dut
// 'sim:cmi6110?fault=NAME'`, `metercert simulate cmi6110 --fault NAME`), each caught by the cases
// conformance/cmi6110/faults.json names. One list (fault_spec.hpp), in the order of Cmi6110Fault;
// the module's simulation (module.hpp) acts on the uplink faults, the reference LwM2M client
// (rigs/lwm2m/client.hpp) on the network faults kept last (network_fault_specs()). Header only, so that the readers of names only
// (fault_lists.hpp) need not link the module.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "metercert/devices/fault_spec.hpp"

namespace metercert::devices::cmi6110 {

enum class Cmi6110Fault : std::uint8_t {
    none,
    base_time_label_minus1,
    integer_not_shortest,
    indefinite_length_pack,
    readouts_not_aligned,
    utc_offset_wrong_sign,
    fifo_instead_of_lifo,
    max_age_ignored,
    tdelay_clamp_missing,
    transmit_offset_ignored,
    error_bits_shifted,
    one_readout_per_pack,
    time_sync_without_readout,
    activation_hold_ignored,
    short_press_reboots,
    reboot_hold_switches_off,
    switch_off_ignored,
    no_readout_at_attach,
    powered_off_transmits,
    green_led_late,
    // the network faults of the reference LwM2M client (kept last: network_fault_specs())
    registration_without_elvaco_objects,
    no_update_before_lifetime,
    writable_read_only_resource,
    wrong_content_format,
    wrong_psk_identity,
    update_trigger_ignored,
    range_not_checked,
    execute_not_checked,
    instance_read_drops_last_resource,
    discover_without_attributes,
    pmax_ignored,
    ignores_observe_cancel,
    current_time_write_ignored,
    no_retransmission,
    ack_timeout_doubled,
    register_before_bootstrap_finish,
    ignores_bootstrap_delete,
    bootstrap_writable_by_dm,
    no_bootstrap_fallback,
    apn_not_rolled_back,
    qos0_uplink,
    no_mqttsn_retransmission,
    stale_readout_now,
    statistics_without_retransmissions,
    max_retransmit_off_by_one,
    notification_not_resent,
    response_time_not_measured,
    time_sync_write_without_readout,
    send_ignored_upload_protocol,
    send_wrong_path,
    backlog_drops_unacked,
    radio_band_writable,
    mqttsn_plain_despite_psk,
    no_register_after_discarded_update,
    connection_mode_ignored,
    lock_state_not_reported,
};

struct Cmi6110FaultSpec {
    FaultSpec spec;
    Cmi6110Fault fault;
};

inline constexpr Cmi6110FaultSpec kFaults[] = {
    {{"base_time_label_minus1", "CMi6110 §7.4.2.3 (base time −3; ERRATA E-46)",
      "writes the base time under SenML label −1 (bver), as the manual's text says, instead of −3"},
     Cmi6110Fault::base_time_label_minus1},
    {{"integer_not_shortest", "CMi6110 §7.4.2.3 (RFC 8949 §4.2.1 preferred serialization; ERRATA E-45)",
      "writes the base time as an 8-byte unsigned integer (1B 00000000 …) instead of the shortest 4-byte form"},
     Cmi6110Fault::integer_not_shortest},
    {{"indefinite_length_pack", "CMi6110 §7.4.2.3 (RFC 8949 §4.2.1 definite lengths; ERRATA E-45)",
      "writes the pack as an indefinite-length array (9F … FF)"},
     Cmi6110Fault::indefinite_length_pack},
    {{"readouts_not_aligned", "CMi6110 §7.3.2 (readouts at 00:00 + k·Treadout; ERRATA E-59)",
      "reads the meter 7 minutes after each grid point (and stamps that time)"},
     Cmi6110Fault::readouts_not_aligned},
    {{"utc_offset_wrong_sign", "CMi6110 §7.3.1 (timestamp = meter time − UTC offset)",
      "adds the UTC offset to the meter time instead of subtracting it"},
     Cmi6110Fault::utc_offset_wrong_sign},
    {{"fifo_instead_of_lifo", "CMi6110 §7.3.4, §7.5 (Auto-upload order Latest first)",
      "uploads the oldest unsent readouts first although the order is LIFO"},
     Cmi6110Fault::fifo_instead_of_lifo},
    {{"max_age_ignored", "CMi6110 §7.3.4, §7.5 (Auto-upload max. age; ERRATA E-62)",
      "uploads unsent readouts older than the maximum age"},
     Cmi6110Fault::max_age_ignored},
    {{"tdelay_clamp_missing", "CMi6110 §7.3.3 (Toffset + Tdelay > Ttransmit: Toffset 0, Tdelay Ttransmit; ERRATA E-60)",
      "keeps Toffset and Tdelay when their sum exceeds Ttransmit"},
     Cmi6110Fault::tdelay_clamp_missing},
    {{"transmit_offset_ignored", "CMi6110 §7.3.3 (transmit in [T1 + Toffset, T1 + Toffset + Tdelay])",
      "transmits in [T1, T1 + Tdelay]: the offset is not added"},
     Cmi6110Fault::transmit_offset_ignored},
    {{"error_bits_shifted", "CMi6110 §6.3.1 Table 3 (bit n of 02 FD 17 is the table's bit n; ERRATA E-58)",
      "sends the UH50's error flags shifted left by one bit"},
     Cmi6110Fault::error_bits_shifted},
    {{"one_readout_per_pack", "CMi6110 §7.4.2.3 (readouts per pack = Ttransmit / Treadout; ERRATA E-62)",
      "sends one readout per SenML pack"},
     Cmi6110Fault::one_readout_per_pack},
    {{"time_sync_without_readout", "CMi6110 §7.3.2 (a readout and a transmission at each time synchronisation; ERRATA E-61)",
      "reschedules after a time synchronisation but makes no readout and no transmission of a new value then"},
     Cmi6110Fault::time_sync_without_readout},
    {{"activation_hold_ignored", "CMi6110 §5.3.5 (activation: press the button for at least 5 seconds)",
      "a passive module activates on a press of any length"},
     Cmi6110Fault::activation_hold_ignored},
    {{"short_press_reboots", "CMi6110 §5.3.6 (reboot: hold 5-15 seconds; ERRATA E-111)",
      "an active module reboots on a press shorter than 5 seconds"},
     Cmi6110Fault::short_press_reboots},
    {{"reboot_hold_switches_off", "CMi6110 §5.3.6 (reboot: hold 5-15 seconds; ERRATA E-111)",
      "a 5-15 s hold switches the module off instead of rebooting it"},
     Cmi6110Fault::reboot_hold_switches_off},
    {{"switch_off_ignored", "CMi6110 §5.3.6 (switch off: hold 15-20 seconds; ERRATA E-111)",
      "a 15-20 s hold reboots the module instead of switching it off"},
     Cmi6110Fault::switch_off_ignored},
    {{"no_readout_at_attach", "CMi6110 §5.3.5 (after joining the network \"a meter readout will automatically be sent\"; ERRATA E-112)",
      "after a power-up, activation or reboot the module waits for its schedule instead of sending a readout on attach"},
     Cmi6110Fault::no_readout_at_attach},
    {{"powered_off_transmits", "CMi6110 §5.3.5, ERRATA E-112 (no readout and no transmission without supply)",
      "keeps its schedule while the supply is off"},
     Cmi6110Fault::powered_off_transmits},
    {{"green_led_late", "CMi6110 §5.3.5 (\"at least 5 seconds until the green LED lights up\"), §5.3.6; ERRATA E-143",
      "while the push button is held the green LED lights at 8 s instead of 5 s (the press still acts at 5 s)"},
     Cmi6110Fault::green_led_late},
    {{"registration_without_elvaco_objects", "CMi6110 §6.3 Table 2; LwM2M TS 1.1 §5.3.1 (Register lists every object instance)",
      "registers without the Elvaco objects 33905–33911"},
     Cmi6110Fault::registration_without_elvaco_objects},
    {{"no_update_before_lifetime", "LwM2M TS 1.1 §5.3.2, §6.2.2 (Update before the lifetime ends)",
      "never sends a Registration Update: the registration expires"},
     Cmi6110Fault::no_update_before_lifetime},
    {{"writable_read_only_resource", "CMi6110 §6.3 Table 1/2 Op. R; LwM2M TS 1.1 §5.4.3 (4.05 for a Write the target does not allow)",
      "accepts a DM server's Write to a read-only resource (2.04) and keeps the value"},
     Cmi6110Fault::writable_read_only_resource},
    {{"wrong_content_format", "LwM2M TS 1.1 §5.4.1, §7.4 (the Read answers in the Accept format or 4.06)",
      "answers a Read with Accept SenML-JSON (110) in TLV, labelled Content-Format 110"},
     Cmi6110Fault::wrong_content_format},
    {{"wrong_psk_identity", "CMi6110 §6.3 Table 1 0/1/3 (DM PSK identity); RFC 4279 §5.1",
      "presents its DM PSK identity with a trailing \"-x\": the DTLS handshake fails"},
     Cmi6110Fault::wrong_psk_identity},
    {{"update_trigger_ignored", "CMi6110 Table 1 1/1/8 Registration Update Trigger; LwM2M TS 1.1 §5.4.5, Appendix E.2 (ERRATA E-130)",
      "answers an Execute of the Registration Update Trigger 2.04 but sends no Update"},
     Cmi6110Fault::update_trigger_ignored},
    {{"range_not_checked", "CMi6110 §6.3 Table 2 and §7.5 ranges; LwM2M TS 1.1 §5.4.3 (4.00 for a value the resource does not take)",
      "accepts a DM server's Write of a value out of the resource's range or enumeration (2.04) and keeps it"},
     Cmi6110Fault::range_not_checked},
    {{"execute_not_checked", "CMi6110 §6.3 Table 1/2 Op.; LwM2M TS 1.1 §5.4.5 (4.05 for an Execute of a resource that is not E)",
      "answers an Execute of a resource that is not executable 2.04"},
     Cmi6110Fault::execute_not_checked},
    {{"instance_read_drops_last_resource", "CMi6110 §6.3 Table 1; LwM2M TS 1.1 §5.4.1, §7.4.3 (a Read of an object instance returns all its readable resources)",
      "leaves the last resource out of the answer to a Read of an object instance"},
     Cmi6110Fault::instance_read_drops_last_resource},
    {{"discover_without_attributes", "CMi6110 §6.3 Table 2; LwM2M TS 1.1 §5.4.2 (Discover lists the attributes written with Write-Attributes)",
      "answers Discover without the attributes (pmin, pmax, …) written to the resources"},
     Cmi6110Fault::discover_without_attributes},
    {{"pmax_ignored", "CMi6110 §6.3 Table 2; LwM2M TS 1.1 §5.1.2 pmax, RFC 7641 §4.2 (ERRATA E-131)",
      "sends a notification only when the value changes: no notification when pmax passes without a change"},
     Cmi6110Fault::pmax_ignored},
    {{"ignores_observe_cancel", "CMi6110 §6.3 Table 2; LwM2M TS 1.1 §5.5.3 Cancel Observation, RFC 7641 §3.6 (ERRATA E-131)",
      "keeps sending notifications with the token of an observation the server cancelled"},
     Cmi6110Fault::ignores_observe_cancel},
    {{"current_time_write_ignored", "CMi6110 §7.3.1 (time synchronisation); Table 1 3/0/13 Current Time RW; ERRATA E-129",
      "answers a Write of Current Time 3/0/13 2.04 but its clock keeps the old time"},
     Cmi6110Fault::current_time_write_ignored},
    {{"no_retransmission", "CMi6110 §7.5 Table 9 CoAP ack timeout, max retransmit; RFC 7252 §4.2 (a CON is retransmitted after ACK_TIMEOUT; ERRATA E-132)",
      "sends each confirmable request once: no retransmission when its ACK does not come"},
     Cmi6110Fault::no_retransmission},
    {{"ack_timeout_doubled", "CMi6110 Table 2 33906/./30 CoAP ACK Timeout; RFC 7252 §4.2, §4.8 (ERRATA E-132)",
      "waits twice the configured ACK timeout (33906/0/30) before retransmitting"},
     Cmi6110Fault::ack_timeout_doubled},
    {{"register_before_bootstrap_finish", "LwM2M TS 1.1 §6.1 (the client registers after Bootstrap-Finish); CMi6110 §6.2",
      "registers with the DM server as soon as a Bootstrap-Write gives it one, before Bootstrap-Finish"},
     Cmi6110Fault::register_before_bootstrap_finish},
    {{"ignores_bootstrap_delete", "LwM2M TS 1.1 §5.2.7 (Bootstrap-Delete removes the instances; ERRATA E-126)",
      "answers Bootstrap-Delete 2.02 but keeps its DM server account"},
     Cmi6110Fault::ignores_bootstrap_delete},
    {{"bootstrap_writable_by_dm", "CMi6110 §6.3 Table 1 R(W)/(W) \"Writable by Bootstrap server\"; LwM2M TS 1.1 §5.4.3 (4.05)",
      "accepts a DM server's Write to 0/1/0, 0/1/2 or 0/1/5 (2.04), which only the Bootstrap-Server may write"},
     Cmi6110Fault::bootstrap_writable_by_dm},
    {{"no_bootstrap_fallback", "LwM2M TS 1.1 §6.2.1 (a failed Register falls back to bootstrap; ETS int-7; ERRATA E-126)",
      "after a refused Register registers again with the same DM server instead of bootstrapping"},
     Cmi6110Fault::no_bootstrap_fallback},
    {{"apn_not_rolled_back", "CMi6110 §6.4 (no successful bootstrap for some time: roll back to the old APN; ERRATA E-86, E-128)",
      "keeps an APN staged through 33906/0/15 although no bootstrap succeeds with it"},
     Cmi6110Fault::apn_not_rolled_back},
    {{"qos0_uplink", "CMi6110 §7.3.4 (an uplink is acknowledged or retransmitted); MQTT-SN 1.2 §6.6 (QoS 1: PUBLISH → PUBACK)",
      "publishes its meter data with QoS 0 (no PUBACK awaited, nothing retransmitted) instead of QoS 1"},
     Cmi6110Fault::qos0_uplink},
    {{"no_mqttsn_retransmission", "CMi6110 §7.3.4, §6.3 Table 2 33906/x/24-/25; MQTT-SN 1.2 §6.13 (retransmission, DUP)",
      "sends each MQTT-SN message once: no retransmission after the 33906/0/24 timeout whatever 33906/0/25 says"},
     Cmi6110Fault::no_mqttsn_retransmission},
    {{"stale_readout_now", "CMi6110 §6.3 Table 2 33906/x/10 'Trigger a meter readout'",
      "Execute 33906/0/10 uploads the readout made when the client started again instead of a new one"},
     Cmi6110Fault::stale_readout_now},
    {{"statistics_without_retransmissions", "CMi6110 §6.3 Table 2 33910/x/2 'Number of retransmissions'; ERRATA E-135",
      "33910/0/2 stays 0: the MQTT-SN retransmissions the module makes are not counted"},
     Cmi6110Fault::statistics_without_retransmissions},
    {{"max_retransmit_off_by_one", "RFC 7252 §4.2 (MAX_RETRANSMIT retransmissions, then give up); CMi6110 §6.3 Table 2 33906/x/31",
      "retransmits an unacknowledged confirmable message once more than 33906/0/31 says before it gives up"},
     Cmi6110Fault::max_retransmit_off_by_one},
    {{"notification_not_resent", "RFC 7641 §4.5 (a confirmable notification is retransmitted, RFC 7252 §4.2); ERRATA E-156",
      "sends its notifications non-confirmable (libcoap's default): a lost one is not sent again"},
     Cmi6110Fault::notification_not_resent},
    {{"response_time_not_measured", "CMi6110 §6.3 Table 2 33910/x/4-6 'Average/Minimum/Maximum response time'; ERRATA E-157",
      "33910/0/4-6 stay 0: the response times of the MQTT-SN transactions are not measured"},
     Cmi6110Fault::response_time_not_measured},
    {{"time_sync_write_without_readout", "CMi6110 §7.3.2 (a readout and transmission when time is synchronized); ERRATA E-158",
      "a DM Write of 3/0/13 sets the clock but no readout is made or uploaded"},
     Cmi6110Fault::time_sync_write_without_readout},
    {{"send_ignored_upload_protocol", "CMi6110 §6.3 Table 2 33906/x/48 Upload Protocol '1 = LwM2M'; LwM2M TS 1.1 §5.6.3 Send (ERRATA E-151)",
      "publishes its meter data over MQTT-SN whatever 33906/0/48 says: no LwM2M Send"},
     Cmi6110Fault::send_ignored_upload_protocol},
    {{"send_wrong_path", "LwM2M TS 1.1 §5.6.3 Send (SenML names are LwM2M paths); CMi6110 Table 2 33911 (ERRATA E-151)",
      "its LwM2M Send carries the readout's own SenML pack (the meter's names) instead of /33911/0 Meter Data"},
     Cmi6110Fault::send_wrong_path},
    {{"backlog_drops_unacked", "CMi6110 §7.3.4 Data retransmission ('leave the readout as \"unsent\" … unsent data will be resent'; ERRATA E-152)",
      "drops an MQTT-SN uplink given up after its attempts instead of resending it at the next transmission"},
     Cmi6110Fault::backlog_drops_unacked},
    {{"radio_band_writable", "CMi6110 §6.3 Table 2 33907/./11 Current radio band (Op. R); LwM2M TS 1.1 §5.4.3 (4.05)",
      "accepts a DM server's Write to 33907/0/11 Current radio band (2.04) and keeps the value; every other R resource refuses"},
     Cmi6110Fault::radio_band_writable},
    {{"mqttsn_plain_despite_psk", "CMi6110 §6.3 Table 2 33905/x/2 '0 = PSK mode', /5 'Transport Secret Key'; RFC 6347; ERRATA E-134, E-147",
      "sends its MQTT-SN uplinks over plain UDP although 33905/0/2 = 0 (PSK mode) and a key is written"},
     Cmi6110Fault::mqttsn_plain_despite_psk},
    {{"no_register_after_discarded_update", "LwM2M TS 1.1 §6.2.2 Update (4.04 Not Found: Register again); OMA ETS LightweightM2M-1.1-int-105",
      "after an Update answered 4.04 Not Found keeps its old location and goes on sending Updates, never Registers again"},
     Cmi6110Fault::no_register_after_discarded_update},
    {{"connection_mode_ignored", "CMi6110 §6.3 Table 2 33905/x/10 Connection config, §7.5 Table 11 (ERRATA E-100, E-161)",
      "ignores 33905/0/10: every upload Optimized (the session kept), also when the DM server wrote 1 = Compliant"},
     Cmi6110Fault::connection_mode_ignored},
    {{"lock_state_not_reported", "CMi6110 §7.2; §6.3 Table 2 33906/./5 'NFC Config-locked' R; §7.5 Table 8 'Configuration Lock'; ERRATA E-89, E-164",
      "a Read of 33906/0/5 answers false although the module is locked through NFC"},
     Cmi6110Fault::lock_state_not_reported},
};
inline constexpr auto kFaultSpecs = specs_of(kFaults);

// Every fault of the reference CMi6110, in kFaults' order.
constexpr std::span<const FaultSpec> fault_specs() noexcept { return kFaultSpecs; }

// By the names of the list, and "none"; nullopt for another name.
constexpr std::optional<Cmi6110Fault> fault_from_name(std::string_view name) noexcept {
    if (name == "none") return Cmi6110Fault::none;
    for (const auto& f : kFaults)
        if (f.spec.name == name) return f.fault;
    return std::nullopt;
}
constexpr std::string_view fault_name(Cmi6110Fault f) noexcept {
    for (const auto& s : kFaults)
        if (s.fault == f) return s.spec.name;
    return "none";
}

// The network faults (the last kNetworkFaultCount of kFaults): the reference LwM2M client's
// (`sim:cmi6110?network=1&fault=NAME`, `simulate cmi6110 --server/--bootstrap --fault NAME`;
// rigs/include/metercert/rigs/lwm2m/client.hpp acts on them); the uplink simulation ignores them.
constexpr bool is_network_fault(Cmi6110Fault f) noexcept { return f >= Cmi6110Fault::registration_without_elvaco_objects; }
inline constexpr std::size_t kNetworkFaultCount = [] {
    std::size_t n = 0;
    for (const auto& s : kFaults) n += is_network_fault(s.fault) ? 1 : 0;
    return n;
}();
constexpr std::span<const FaultSpec> network_fault_specs() noexcept {
    return std::span<const FaultSpec>(kFaultSpecs).last(kNetworkFaultCount);
}
// the network faults are the last entries of kFaults, in the enum's order after the uplink faults
static_assert([] {
    for (std::size_t i = 0; i < std::size(kFaults); ++i)
        if (is_network_fault(kFaults[i].fault) != (i >= std::size(kFaults) - kNetworkFaultCount)) return false;
    return kNetworkFaultCount > 0;
}());

}  // namespace metercert::devices::cmi6110
