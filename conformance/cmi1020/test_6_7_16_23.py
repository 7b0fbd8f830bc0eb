"""CMi1020 §6.7.16–§6.7.23 — writing to the meter's LCD: each Elvaco command 0x22–0x29 makes the
meter execute its command 0xFF22–0xFF29 with the fields as sent (index first)."""
import metercert
from .lib import elvaco
from metercert.conformance import case, expect


def lcd_case(master, meter, command: int, fields: bytes):
    elvaco(master, command, fields)
    got = [(c["code"], c["fields"].hex()) for c in meter.executed]
    expect(got, [(0xFF00 | command, fields.hex())], f"meter commands after Elvaco 0x{command:02X}")


@case("cmi1020/6.7.16/1", "'Value' (0x22: index, 32-bit mantissa LSByte first, format) reaches the meter as 0xFF22.",
      needs=("sim.cmi1020",))
def test_lcd_value(master, meter):
    lcd_case(master, meter, 0x22, bytes([3]) + (123456).to_bytes(4, "little") + bytes([0x03]))


@case("cmi1020/6.7.17/1", "'Unit' (0x23: index, unit) reaches the meter as 0xFF23.", needs=("sim.cmi1020",))
def test_lcd_unit(master, meter):
    lcd_case(master, meter, 0x23, bytes([3, 0x1E]))


@case("cmi1020/6.7.18/1", "'OBIS code' (0x24: index, A–E) reaches the meter as 0xFF24.", needs=("sim.cmi1020",))
def test_lcd_obis(master, meter):
    lcd_case(master, meter, 0x24, bytes([3, 1, 0, 1, 8, 0]))


@case("cmi1020/6.7.19/1", "'Rate indicator' (0x25: index, rate) reaches the meter as 0xFF25.", needs=("sim.cmi1020",))
def test_lcd_rate(master, meter):
    lcd_case(master, meter, 0x25, bytes([3, 2]))


@case("cmi1020/6.7.20/1", "'Electricity status' (0x26: index, 16-bit mask LSByte first) reaches the meter as 0xFF26.",
      needs=("sim.cmi1020",))
def test_lcd_electricity_status(master, meter):
    lcd_case(master, meter, 0x26, bytes([3, 0x34, 0x12]))


@case("cmi1020/6.7.21/1", "'Generic status' (0x27: index, 8-bit mask) reaches the meter as 0xFF27.", needs=("sim.cmi1020",))
def test_lcd_generic_status(master, meter):
    lcd_case(master, meter, 0x27, bytes([3, 0x81]))


@case("cmi1020/6.7.22/1", "'Text message' (0x28: index 0–12, timeout, 1–14 characters) reaches the meter as 0xFF28.",
      needs=("sim.cmi1020",))
def test_lcd_text(master, meter):
    lcd_case(master, meter, 0x28, bytes([12, 30]) + b"HELLO METER\r")


TEXT_INDEX_13 = bytes([0x0F, 0x28, 13, 30]) + b"X"


@case("cmi1020/6.7.22/2", "A text message index above 12 gets no ACK, like an unknown command (ERRATA E-20).",
      level="implementation-defined", needs=("sim.cmi1020",))
def test_lcd_text_index_not_acked(master):
    ex = master.exchange(metercert.build_long(0x53, 0, 0x51, TEXT_INDEX_13))
    expect(ex["outcome"], "timeout", "reply to text index 13")


@case("cmi1020/6.7.22/3", "A text message index above 12 (§6.7.22.1: index 0–12) does not reach the meter.", needs=("sim.cmi1020",))
def test_lcd_text_index_not_executed(master, meter):
    master.exchange(metercert.build_long(0x53, 0, 0x51, TEXT_INDEX_13))  # whether it is ACKed: case 6.7.22/2
    expect([(c["code"], c["fields"].hex()) for c in meter.executed], [], "meter commands executed after text index 13")


@case("cmi1020/6.7.23/1", "'Value+OBIS+Unit' (0x29: index, mantissa, format, unit, A–E) reaches the meter as 0xFF29.",
      needs=("sim.cmi1020",))
def test_lcd_value_obis_unit(master, meter):
    lcd_case(master, meter, 0x29, bytes([3]) + (98765).to_bytes(4, "little") + bytes([0x03, 0x1E, 1, 0, 1, 8, 0]))
