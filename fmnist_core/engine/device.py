"""Pick the compute device and the CPU thread count."""
from __future__ import annotations

import os

import torch


def get_device(prefer: str | None = None) -> torch.device:
    """cuda, then mps, then cpu; `prefer` or $FMNIST_DEVICE overrides the choice."""
    name = prefer or os.environ.get("FMNIST_DEVICE", "").strip().lower()
    if name:
        if name.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"FMNIST_DEVICE={name!r} but CUDA is not available on this machine")
        if name == "mps" and not _mps_available():
            raise RuntimeError("FMNIST_DEVICE='mps' but MPS is not available on this machine")
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def describe_device(device: torch.device) -> str:
    """A human label, e.g. 'cuda (NVIDIA H100)' or 'cpu (2 threads)'."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''})"
    return device.type


def fast_bf16(device: torch.device | str) -> bool:
    """Whether bfloat16 autocast speeds training up on `device`.

    On a CPU it needs bf16 instructions (AVX512-BF16 or AMX): without them oneDNN emulates bf16, and
    training ran 6-9x slower than in float32 (an AVX2-only AMD EPYC: MLP 12 vs 76 steps/s, CNN 2.6
    vs 23 steps/s). On CUDA it needs a GPU that supports bf16 (Ampere and newer).
    """
    kind = torch.device(device).type
    if kind == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if kind == "cpu":
        check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
        try:
            return bool(check()) if check is not None else False
        except RuntimeError:
            return False
    return False


def choose_threads(beside_server: bool) -> int:
    """Intra-op threads for training on the CPU.

    Beside a web server one thread is 5-10x faster than two on a 2-core machine (the server and
    the browser need the other core); alone, all cores help. $FMNIST_THREADS overrides.
    """
    env = os.environ.get("FMNIST_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    cores = os.cpu_count() or 1
    if beside_server:
        return max(1, cores // 2) if cores > 2 else 1
    # Alone: all idle cores. Two intra-op threads collapsed to 25-60 s per MLP epoch (from ~1 s)
    # whenever another process kept a core busy, so count only the cores the load leaves free.
    try:
        busy = os.getloadavg()[0]
    except (OSError, AttributeError):
        busy = 0.0
    return max(1, min(cores, int(cores - busy + 0.75)))


def set_threads(beside_server: bool) -> int:
    n = choose_threads(beside_server)
    torch.set_num_threads(n)
    return n


def tune_allocator() -> bool:
    """Keep glibc from returning big training buffers to the OS after every step.

    CNN epochs flipped between ~20 s and ~30 s by process from page faults in glibc's allocator;
    a fixed 32 MB mmap threshold and a 4 GB trim threshold made them steady (the same as setting
    MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ before start). No-op off glibc.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024) == 1
        ok &= libc.mallopt(m_trim_threshold, 4 * 1024 * 1024 * 1024 - 1) == 1
        return bool(ok)
    except (OSError, AttributeError):
        return False
