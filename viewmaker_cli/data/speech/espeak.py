"""In-process speech synthesis with espeak-ng, driven through ctypes.

The optional `espeakng-loader` package (GPL-3.0, hence the `vmk[speech]` extra) bundles
libespeak-ng.so and its espeak-ng-data folder but no Python API beyond their paths, so this module
calls the library's classic C API (speak_lib.h) directly: espeak_Initialize in synchronous mode,
a synth callback that collects the 16-bit samples, espeak_SetVoiceByName("<voice>+<variant>"),
espeak_SetParameter for rate and pitch, and espeak_Synth.
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np

from viewmaker_cli.errors import UserError

# speak_lib.h constants
AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE = 1  # words per minute, 80..450, default 175
ESPEAK_PITCH = 3  # 0..100, default 50
EE_OK = 0

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class Espeak:
    """One initialised libespeak-ng (the library is a process-wide singleton, so calls are locked)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as error:
            raise UserError(
                "speech synthesis needs the optional espeak-ng package, which is not installed; "
                "fix: pip install 'vmk[speech]' (espeakng-loader, GPL-3.0)"
            ) from error
        lib_path, data_path = espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
        try:
            lib = ctypes.CDLL(lib_path)
        except OSError as error:
            raise UserError(
                f"cannot load {lib_path} ({error}); fix: pip install --force-reinstall espeakng-loader"
            ) from error
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        self.sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0)
        if self.sample_rate <= 0:
            raise UserError(f"espeak-ng failed to start with its data in {data_path}; reinstall espeakng-loader")
        self._chunks: list[np.ndarray] = []
        # Kept on the instance: ctypes frees the C trampoline when the Python object is collected.
        self._callback = _CALLBACK(self._collect)
        lib.espeak_SetSynthCallback(self._callback)
        self._lib = lib

    def _collect(self, wav, n: int, events) -> int:
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0  # 0 = continue synthesis

    def say(self, text: str, voice: str, rate: int = 175, pitch: int = 50) -> np.ndarray:
        """`text` spoken by `voice` (e.g. "en-us+m3") → float32 samples in [-1, 1] at `self.sample_rate`."""
        with _LOCK:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != EE_OK:
                raise UserError(f"espeak-ng has no voice {voice!r}; check the voice names")
            # Set after the voice, which resets the parameters to its own defaults.
            self._lib.espeak_SetParameter(ESPEAK_RATE, rate, 0)
            self._lib.espeak_SetParameter(ESPEAK_PITCH, pitch, 0)
            self._chunks = []
            data = text.encode()
            self._lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
            chunks, self._chunks = self._chunks, []
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return samples.astype(np.float32) / 32768.0


_LOCK = threading.Lock()
_ENGINE: Espeak | None = None


def engine() -> Espeak:
    """The process's espeak-ng, started on first use."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = Espeak()
    return _ENGINE
