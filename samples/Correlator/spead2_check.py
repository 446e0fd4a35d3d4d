# Receives one stream of samples/Correlator with spead2's Python receiver (spead2 4.4.1), prints what it decodes
# and compares each array with the sample's synthetic pattern. Usage: python3 spead2_check.py PORT [BEAM_INDEX]
import sys
import numpy as np
import spead2
import spead2.recv

port = int(sys.argv[1])
beam_index = int(sys.argv[2]) if len(sys.argv) > 2 else 0
stream = spead2.recv.Stream(spead2.ThreadPool(), spead2.recv.StreamConfig(max_heaps=8))
stream.add_udp_reader(port, max_size=9200, buffer_size=4 * 1024 * 1024, bind_hostname="127.0.0.1")
ig = spead2.ItemGroup()

def phase(first, shape):
    c = (first + np.arange(shape[0]))[:, None] % 16
    s = np.arange(shape[1])[None, :]
    return 2 * np.pi * c / 16 + np.pi * s / 8

def expected(name, value, first):
    if name == "feng_raw":
        amp = 7 if value.dtype == object else 40
        ph = phase(first, value.shape)[:, :, None] - np.arange(2)[None, None, :] * np.pi / 2
        return np.stack([np.round(amp * np.cos(ph)), np.round(amp * np.sin(ph))], axis=-1)
    if name == "bf_raw":
        ph = phase(first, value.shape)
        g = 20 + 10 * beam_index
        return np.clip(np.stack([np.round(g * np.cos(ph)), np.round(g * np.sin(ph))], axis=-1), -127, 127)
    if name == "xeng_raw":
        c = (first + np.arange(value.shape[0]))[:, None]
        b = np.arange(value.shape[1])[None, :]
        return np.stack([c * 1000 + b, -b + 0 * c], axis=-1)

for heap in stream:
    items = ig.update(heap)
    ids = [d.id for d in heap.get_descriptors()]
    if ids:
        print(f"heap {heap.cnt}: descriptors only" if not items else f"heap {heap.cnt}: descriptors and values")
        for it in ig.values():
            if it.id in ids:
                print(f"    {it.id:#06x} {it.name:10} shape={it.shape} dtype={it.dtype} format={it.format}")
    if items:
        parts = []
        for name, it in sorted(items.items(), key=lambda kv: kv[1].id):
            v = it.value
            if isinstance(v, np.ndarray) and v.ndim > 0:
                ok = np.array_equal(v.astype(np.int64), expected(name, v, int(ig["frequency"].value)).astype(np.int64))
                parts.append(f"{name}={v.dtype.str}{v.shape} first={v.flat[:4].tolist()} pattern_ok={ok}")
            else:
                parts.append(f"{name}={v}")
        print(f"heap {heap.cnt}: " + ", ".join(parts))
print("end of stream (stop heap)")
