"""An independent reader of TensorBoard event files (standard library only).

Checks each TFRecord's framing (length, masked CRC-32C of the length, data, masked CRC-32C of the
data) and decodes the Event / Summary / Value protocol-buffer fields, printing one JSON object per
event: {"wall_time", "step", "file_version"?, "scalars"?: {tag: value}}. Exits 1 on a bad CRC.
"""
import json
import struct
import sys


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data: bytes) -> int:
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf: bytes, i: int):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(buf: bytes):
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        elif wire == 2:
            n, i = varint(buf, i)
            value, i = buf[i : i + n], i + n
        else:
            raise ValueError(f"wire type {wire}")
        yield field, wire, value


def decode_event(data: bytes) -> dict:
    event = {}
    for field, _, value in fields(data):
        if field == 1:
            event["wall_time"] = struct.unpack("<d", value)[0]
        elif field == 2:
            event["step"] = value
        elif field == 3:
            event["file_version"] = value.decode()
        elif field == 5:
            scalars = {}
            for vf, _, v in fields(value):
                if vf != 1:
                    continue
                tag, x = None, None
                for f2, _, v2 in fields(v):
                    if f2 == 1:
                        tag = v2.decode()
                    elif f2 == 2:
                        x = struct.unpack("<f", v2)[0]
                scalars[tag] = x
            event["scalars"] = scalars
    return event


def main(path: str) -> int:
    raw = open(path, "rb").read()
    i = 0
    while i < len(raw):
        header = raw[i : i + 8]
        (length,) = struct.unpack("<Q", header)
        (crc_len,) = struct.unpack("<I", raw[i + 8 : i + 12])
        if crc_len != masked(header):
            print(f"bad length CRC at byte {i}", file=sys.stderr)
            return 1
        data = raw[i + 12 : i + 12 + length]
        (crc_data,) = struct.unpack("<I", raw[i + 12 + length : i + 16 + length])
        if crc_data != masked(data):
            print(f"bad data CRC at byte {i}", file=sys.stderr)
            return 1
        print(json.dumps(decode_event(data)))
        i += 16 + length
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
